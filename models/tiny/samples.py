"""Training sequences for glm-code-tiny: CodeGeeX4 FIM samples and plain left-to-right code.

Why it renders prompts with the server's own template (``glm_lsp.model.templates.CODEGEEX4``):
the model must see at training time exactly the bytes the server sends at run time — suffix
first, ``###PATH``/``###LANGUAGE``/``###MODE`` header, optional ``###REFERENCE`` blocks — so the
same template, post-processing and ranking run unchanged on it. The template's literal text is
tokenized with special tokens and the user's code as plain text, as ``LlamaBackend`` does.

Cursor positions mimic editing: LINE samples end the middle at the end of the line (or, for a
fifth of them, before a closing remainder that stays in the suffix); BLOCK samples take the rest
of the line plus up to six more lines. The server's stable layout always writes ``###MODE:BLOCK``
and stops single-line requests at the newline, so most samples say BLOCK whatever their size.
Sequences are packed to exactly ``n_ctx + 1`` tokens (the last piece is plain code cut to fit).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer

from glm_lsp.model.templates import CODEGEEX4, FimRequest, Reference

IGNORE = -100


@dataclass(frozen=True)
class Doc:
    path: str
    text: str
    group: str  # references are drawn from the same group (package)


class Encoder:
    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok
        # The user's code is text: a special token's spelling in it stays text, as in the server
        # (llama.cpp tokenize(special=False)); ``add_special_tokens`` does not control that.
        self.text_tok = Tokenizer.from_str(tok.to_str())
        self.text_tok.encode_special_tokens = True
        self.eos = self._id("<|endoftext|>")

    def _id(self, text: str) -> int:
        found = self.tok.token_to_id(text)
        if found is None:
            raise ValueError(f"tokenizer lacks {text}")
        return int(found)

    def plain(self, text: str) -> list[int]:
        return list(self.text_tok.encode(text, add_special_tokens=False).ids) if text else []

    def special(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=True).ids) if text else []

    def prompt(self, req: FimRequest) -> list[int]:
        ids: list[int] = []
        for text, special in CODEGEEX4.segments(req):
            ids.extend(self.special(text) if special else self.plain(text))
        return ids


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, (len(text) if end < 0 else end)


def _snap_back(text: str, pos: int) -> int:
    """Start of the line holding ``pos``."""
    return text.rfind("\n", 0, max(0, pos)) + 1


def _snap_forward(text: str, pos: int) -> int:
    """End of the line holding ``pos`` (before its newline)."""
    end = text.find("\n", min(len(text), pos))
    return len(text) if end < 0 else end


class SampleMaker:
    def __init__(self, docs: Sequence[Doc], enc: Encoder, rng: random.Random) -> None:
        self.docs = [d for d in docs if d.text.strip()]
        self.weights = [len(d.text) for d in self.docs]
        self.enc = enc
        self.rng = rng
        self.groups: dict[str, list[Doc]] = {}
        for d in self.docs:
            self.groups.setdefault(d.group, []).append(d)

    def _doc(self) -> Doc:
        return self.rng.choices(self.docs, weights=self.weights)[0]

    def plain(self, budget: int) -> tuple[list[int], list[int]]:
        doc = self._doc()
        start = _snap_back(doc.text, self.rng.randrange(len(doc.text)))
        if self.rng.random() < 0.3:
            start = 0
        chunk = doc.text[start : start + budget * 6]
        ids = self.enc.plain(chunk)[:budget]
        if start + budget * 6 >= len(doc.text) and len(ids) < budget:
            ids.append(self.enc.eos)  # the file ends here
        return ids, ids

    def _references(self, doc: Doc) -> tuple[Reference, ...]:
        others = [d for d in self.groups.get(doc.group, []) if d.path != doc.path]
        if not others or self.rng.random() >= 0.2:
            return ()
        refs = []
        for other in self.rng.sample(others, min(len(others), self.rng.randint(1, 2))):
            at = _snap_back(other.text, self.rng.randrange(len(other.text)))
            end = _snap_forward(other.text, at + self.rng.randint(150, 700))
            code = other.text[at:end]
            if code.strip():
                refs.append(Reference(other.path, code))
        return tuple(sorted(refs, key=lambda r: (r.path, r.code)))

    def _cursor(self, text: str) -> tuple[int, int, str]:
        """(cursor, middle end, mode label) at a non-blank line."""
        for _ in range(20):
            pos = self.rng.randrange(len(text))
            start, end = _line_bounds(text, pos)
            line = text[start:end]
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            first = start + indent
            roll = self.rng.random()
            if roll < 0.25:
                cursor = first  # at the indentation: predict the whole statement
            elif roll < 0.35:
                cursor = start  # at column 0
            else:
                cursor = self.rng.randint(first, end)
            multi = self.rng.random() < 0.45
            if multi:
                stop = end
                for _ in range(self.rng.randint(1, 6)):
                    nxt = text.find("\n", stop + 1)
                    if nxt < 0:
                        break
                    stop = nxt
                label = "BLOCK"
            else:
                stop = end if self.rng.random() < 0.8 else self.rng.randint(cursor, end)
                label = "LINE" if self.rng.random() < 0.25 else "BLOCK"
            if stop > cursor or self.rng.random() < 0.05:
                return cursor, stop, label
        return -1, -1, ""

    def fim(self, budget: int) -> tuple[list[int], list[int]] | None:
        doc = self._doc()
        text = doc.text
        cursor, stop, label = self._cursor(text)
        if cursor < 0:
            return None
        refs = self._references(doc)
        pre_chars = self.rng.randint(100, 3000)
        suf_chars = self.rng.randint(0, 1000)
        for _ in range(4):
            begin = 0 if pre_chars >= cursor else _snap_back(text, cursor - pre_chars)
            finish = min(len(text), _snap_forward(text, stop + suf_chars))
            if self.rng.random() < 0.1:
                finish = len(text) if len(text) - stop < 3000 else finish
            req = FimRequest(
                prefix=text[begin:cursor],
                suffix=text[stop:finish],
                path=doc.path,
                language="python",
                mode=label,
                references=refs,
            )
            prompt = self.enc.prompt(req)
            middle = [*self.enc.plain(text[cursor:stop]), self.enc.eos]
            if len(prompt) + len(middle) <= budget:
                return prompt + middle, prompt + middle
            pre_chars //= 2
            suf_chars //= 2
            refs = ()
        return None

    def sequences(
        self, n_ctx: int, fim_share: float = 0.75
    ) -> Iterator[tuple[list[int], list[int]]]:
        """Endless packed (inputs, targets) pairs of ``n_ctx`` tokens each."""
        while True:
            ids: list[int] = []
            labels: list[int] = []
            total = n_ctx + 1
            while len(ids) < total:
                room = total - len(ids)
                got = None
                if room >= 192 and self.rng.random() < fim_share:
                    got = self.fim(room)
                if got is None:
                    got = self.plain(room)
                piece, piece_labels = got
                ids.extend(piece)
                labels.extend(piece_labels)
            ids, labels = ids[:total], labels[:total]
            yield ids[:-1], _shift(ids, labels)


def _shift(ids: list[int], labels: list[int]) -> list[int]:
    """Targets for positions 0..n-1: the next token where its label is kept, else IGNORE.

    ``labels`` marks which tokens are *predicted*. Every token is, today: with this little compute
    the prefix and suffix of a FIM sample are language-modelling signal too, not just context.
    """
    out = []
    for i in range(len(ids) - 1):
        out.append(ids[i + 1] if labels[i + 1] != IGNORE else IGNORE)
    return out
