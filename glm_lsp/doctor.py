"""``glm-lsp doctor``: what this installation can do, and what to fix when it cannot.

Why: "no ghost text" has many causes (llama.cpp missing or CPU-only, model missing, truncated,
unknown template, a grammar wheel missing). One command that checks each and says what to do
saves a debugging session. Reads headers only; loads the model only with ``--load``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

from glm_lsp.config import Settings
from glm_lsp.ghost.request import prompt_budget
from glm_lsp.model.catalog import models_dir, resolve_model, template_for_file
from glm_lsp.model.gguf_info import GgufError, read_gguf_info
from glm_lsp.model.llama import default_tiny_model_path
from glm_lsp.model.llama_setup import default_threads, train_context
from glm_lsp.model.templates import select_template
from glm_lsp.syntax.languages import SPECS

MODEL_ENV = "GLM_LSP_MODEL"


def check_llama() -> dict[str, Any]:
    try:
        import llama_cpp
    except ImportError as exc:
        return {
            "ok": False,
            "error": f"llama-cpp-python not importable: {exc}",
            "fix": "pip install llama-cpp-python (CUDA: CMAKE_ARGS='-DGGML_CUDA=on')",
        }
    system = bytes(llama_cpp.llama_print_system_info()).decode("utf-8", errors="replace")
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    return {
        "ok": True,
        "version": getattr(llama_cpp, "__version__", "?"),
        "gpu_offload": gpu,
        "system_info": system.strip(),
        "fix": None
        if gpu
        else "CPU-only build; for a GPU reinstall with CMAKE_ARGS='-DGGML_CUDA=on'",
    }


def check_model(spec: str | None) -> dict[str, Any]:
    """The model the server would use with no settings: ``spec``, else ``$GLM_LSP_MODEL``, else
    the catalog's embedded default (as ``loading.choose_model``)."""
    from glm_lsp.model.loading import embedded_default

    env = os.environ.get(MODEL_ENV)
    entry = None if spec or env else embedded_default()
    if spec or env:
        source = "argument" if spec else "$" + MODEL_ENV
        path = resolve_model(spec or env or "")
    elif entry is not None:
        source = f"embedded default ({entry.name})"
        path = entry.path_in(models_dir())
    else:
        return {
            "ok": False,
            "source": "none",
            "error": "no model given and the catalog has no embedded default",
            "fix": "glm-lsp models pull codegeex4-all-9b, or pass --model PATH",
        }
    if path is None:
        return {
            "ok": False,
            "source": source,
            "error": f"{spec or env!r} is neither a file nor a catalog model",
            "fix": "glm-lsp models list",
        }
    result: dict[str, Any] = {"source": source, "path": str(path)}
    try:
        info = read_gguf_info(path)
    except GgufError as exc:
        fix = "glm-lsp models pull NAME, or fix model.path"
        if entry is not None:
            fix = "reinstall glm-lsp (the embedded model ships with it), or set model.path"
        result.update(ok=False, error=str(exc), fix=fix)
        return result
    template = select_template(info.metadata, info.tokens or (), template_for_file(path))
    result.update(
        ok=template is not None,
        architecture=info.architecture,
        name=info.name,
        size=info.file_size,
        context_length=train_context(info),
        template=template.name if template else None,
        fim=template.fim if template else None,
    )
    if template is None:
        result["fix"] = "unknown model family: set model.template (see glm-lsp models list)"
    embedded = entry or embedded_default()
    if path.resolve() == default_tiny_model_path().resolve():
        result["note"] = "tiny random-weights test model: output is gibberish"
    elif embedded is not None and path.resolve() == embedded.path_in(models_dir()).resolve():
        result["note"] = (
            "embedded 6.5M-parameter model trained on Python: the pipeline works offline, but "
            "its suggestions are weak; pull codegeex4-all-9b for useful ghost text"
        )
    return result


_SAMPLE = "def total(values):\n    result = 0\n    for v in values:\n        result += v\n"
LINE_TOKENS = 16
"""A typical line of ghost text, for the expectations below."""
KEYSTROKE_TOKENS = 8
"""Prompt tokens a keystroke adds to what the KV cache already holds (the line being typed)."""


def check_load(path: str) -> dict[str, Any]:
    """Load the model, time a prompt of a few hundred tokens and a line of output, and say what
    ghost text will cost on this machine with the default settings."""
    from glm_lsp.model.backend import GenerationRequest, ModelLoadError
    from glm_lsp.model.llama import LlamaBackend

    backend = LlamaBackend(path, context_size=2048)
    try:
        backend.load()
        prompt = _SAMPLE * 12  # a few hundred tokens: prefill speed, not the template's cost
        gen = backend.generate(GenerationRequest(prompt=prompt, max_tokens=LINE_TOKENS))
        budget = prompt_budget(Settings(), backend).total
    except ModelLoadError as exc:
        return {"ok": False, "error": str(exc)}
    finally:
        backend.close()
    evaluated = gen.prompt_tokens - gen.prompt_tokens_reused
    prefill_tps = evaluated / gen.prefill_s if gen.prefill_s > 0 else 0.0
    decode_s = gen.elapsed_s - gen.prefill_s
    decode_tps = gen.generated_tokens / decode_s if decode_s > 0 else 0.0
    return {
        "ok": True,
        "load_s": backend.load_seconds,
        "gpu_layers": backend.gpu_layers,
        "fell_back_to_cpu": backend.fell_back_to_cpu,
        "prefill_tokens_per_s": round(prefill_tps, 1),
        "tokens_per_s": round(decode_tps, 1),
        **expectations(prefill_tps, decode_tps, budget),
    }


def expectations(prefill_tps: float, decode_tps: float, budget: int) -> dict[str, Any]:
    """What a user will wait on this machine: the first ghost text after opening a file or
    jumping (the whole prompt budget evaluated), and on the next keystroke (the KV cache holds
    the prompt; a few new tokens plus a line of output)."""
    if prefill_tps <= 0 or decode_tps <= 0:
        return {}
    cold = budget / prefill_tps + LINE_TOKENS / decode_tps
    keystroke = KEYSTROKE_TOKENS / prefill_tps + LINE_TOKENS / decode_tps
    out: dict[str, Any] = {
        "prompt_budget_tokens": budget,
        "expect_first_ghost_text_s": round(cold, 1),
        "expect_next_keystroke_s": round(keystroke, 2),
    }
    if keystroke > 1.0 or cold > 10.0:
        out["advice"] = (
            "too slow for ghost text as you type on this machine: give LINE requests a small "
            "model (models.entries + route.rules, e.g. the embedded glm-code-tiny) and keep this "
            "one for BLOCK, or offload to a GPU (model.gpuLayers)"
        )
    return out


def check_grammars() -> dict[str, Any]:
    found: list[str] = []
    missing: dict[str, str] = {}
    for spec in SPECS:
        try:
            spec.language()
            found.append(spec.name)
        except Exception as exc:  # a missing or broken wheel: report, keep going
            missing[spec.name] = f"{spec.module}: {exc}"
    return {"ok": not missing, "found": found, "missing": missing}


def gather(model: str | None, load: bool) -> dict[str, Any]:
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "default_threads": default_threads(),
        "models_dir": str(models_dir()),
        "llama_cpp": check_llama(),
        "model": check_model(model),
        "grammars": check_grammars(),
    }
    if load and report["llama_cpp"]["ok"] and report["model"].get("path"):
        start = time.perf_counter()
        report["load"] = check_load(report["model"]["path"])
        report["load"]["total_s"] = round(time.perf_counter() - start, 3)
    return report


def _print_text(report: dict[str, Any]) -> None:
    out = sys.stdout.write
    out(
        f"python {report['python']} on {report['platform']}, {report['cpu_count']} CPUs"
        f" (default threads {report['default_threads']})\n"
    )
    for section in ("llama_cpp", "model", "grammars", "load"):
        data = report.get(section)
        if data is None:
            continue
        mark = "ok " if data.get("ok") else "!! "
        details = {k: v for k, v in data.items() if k not in ("ok", "fix", "system_info")}
        out(f"{mark}{section}: {json.dumps(details, default=str)}\n")
        if data.get("fix"):
            out(f"    fix: {data['fix']}\n")
    out(f"models directory: {report['models_dir']}\n")


def doctor_main(argv: list[str] | None = None) -> int:
    """``glm-lsp doctor [--model PATH|NAME] [--load] [--json]``; 0 when all checks pass."""
    parser = argparse.ArgumentParser(prog="glm-lsp doctor", description=__doc__)
    parser.add_argument(
        "--model", help="GGUF path or catalog name (default: $GLM_LSP_MODEL, else the embedded one)"
    )
    parser.add_argument("--load", action="store_true", help="also load it and time 16 tokens")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    report = gather(args.model, args.load)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    else:
        _print_text(report)
    sections = [report[k] for k in ("llama_cpp", "model", "grammars", "load") if k in report]
    return 0 if all(s.get("ok") for s in sections) else 1


main = doctor_main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(doctor_main(sys.argv[1:]))
