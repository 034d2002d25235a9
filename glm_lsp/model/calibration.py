"""Where a model's confidence-gate threshold is stored, and how it is found again.

Why per model: a score of 0.3 means something different for every model (a small model is less
sure of everything), so ``inline.minConfidence = "auto"`` looks the threshold up next to the
model: a calibration file written by ``glm-lsp models calibrate`` for this very file (the
user's own code, measured) wins; else the catalog entry's ``min_confidence`` (measured by the
project on held-out code); else there is none and nothing is gated.

A calibration file is JSON in ``<models dir>/calibration/``, named after the model file's name
and size (hashing a 6 GB file on every start would cost seconds), holding the threshold and
what it was measured on.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from glm_lsp.model.catalog import load_catalog, models_dir

log = logging.getLogger(__name__)

CALIBRATION_DIR = "calibration"


def calibration_file(model: Path, directory: Path | None = None) -> Path:
    """The calibration file of ``model`` (a GGUF path, or a remote model's name)."""
    try:
        size = model.stat().st_size
    except OSError:
        size = 0
    base = directory if directory is not None else models_dir() / CALIBRATION_DIR
    return base / f"{model.name}-{size}.json"


def write_calibration(model: Path, record: dict[str, Any], directory: Path | None = None) -> Path:
    """Store ``record`` (must hold ``min_confidence``) for ``model``; private to the user."""
    path = calibration_file(model, directory)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def read_calibration(model: Path, directory: Path | None = None) -> dict[str, Any] | None:
    path = calibration_file(model, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the calibration file %s: %s", path, exc)
        return None
    ok = isinstance(data, dict) and isinstance(data.get("min_confidence"), float | int)
    return data if ok else None


def stored_threshold(model: Path | None, directory: Path | None = None) -> tuple[float, str] | None:
    """``(threshold, where it came from)`` for ``model``, or ``None`` when none is stored."""
    if model is None:
        return None
    record = read_calibration(model, directory)
    if record is not None:
        return float(record["min_confidence"]), f"calibration {calibration_file(model, directory)}"
    try:
        entries = load_catalog()
    except (OSError, ValueError):
        return None
    for entry in entries:
        if entry.min_confidence is not None and entry.file and entry.file == model.name:
            return float(entry.min_confidence), f"catalog {entry.name}"
    return None
