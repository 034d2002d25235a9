"""Byte-level BPE for glm-code-tiny, trained with the ``tokenizers`` library.

Why these choices: llama.cpp re-implements the tokenizer from the GGUF (``gpt2`` model,
``chatglm-bpe`` pre-tokenizer), so training must split text exactly as llama.cpp's CHATGLM4
pre-tokenizer does — the regex below is that one — and then run byte-level BPE. The GLM special
tokens and ``<|code_prefix|>``/``<|code_suffix|>``/``<|code_middle|>`` are appended after the BPE
tokens as single special tokens (CONTROL in the GGUF), in GLM-4's order, so the CodeGeeX4 prompt
the server writes tokenizes to the same ids here and in llama.cpp (checked by
``tests/model/test_trained_model.py``).

    python models/tiny/bpe.py        # trains on the manifest's train split, writes tokenizer.json
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import chatglm_gguf  # noqa: E402
import corpus  # noqa: E402

TOKENIZER_JSON = HERE / "tokenizer.json"
VOCAB_SIZE = 8192  # BPE tokens (256 bytes + merges); the special tokens come on top
SEED = 20261122

# llama.cpp's LLAMA_VOCAB_PRE_TYPE_CHATGLM4 split (the same as GLM-4's tokenizer.json).
CHATGLM4_SPLIT = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

SPECIAL_TOKENS = chatglm_gguf.SPECIAL_TOKENS


def new_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CHATGLM4_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train(texts: list[str], vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    tok = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    return tok


def load(path: Path = TOKENIZER_JSON) -> Tokenizer:
    return Tokenizer.from_file(str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TOKENIZER_JSON)
    args = parser.parse_args(argv)
    docs = [d.text for d in corpus.load() if d.split == "train"]
    random.Random(SEED).shuffle(docs)
    tok = train(docs)
    tok.save(str(args.out))
    sample = "\n".join(docs[:50])
    n = len(tok.encode(sample).ids)
    sys.stderr.write(
        f"{args.out}: {tok.get_vocab_size()} tokens; "
        f"{len(sample) / n:.2f} chars/token on a sample\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
