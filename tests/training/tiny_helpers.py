"""Shared pieces of the training tests: ``models/tiny`` on ``sys.path``, texts, random weights.

A module of its own (not ``conftest``) so test files can import it by a unique name.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "models" / "tiny"
if str(TINY) not in sys.path:
    sys.path.insert(0, str(TINY))

import torch  # noqa: E402
from glm import GLM  # noqa: E402

# Text kinds where a pre-tokenizer that differs from llama.cpp's CHATGLM4 split shows up: letters
# next to digits and punctuation, 1-3 digit groups, contractions in any case, whitespace runs
# before words and line ends, CR LF, non-ASCII letters and digits, emoji, and special tokens.
TOKENIZER_TEXTS: tuple[str, ...] = (
    "def add(a, b):\n    return a + b\n",
    "class Stack:\n\tdef push(self, item):\n\t\tself.items.append(item)\n",
    "x = 12345 + 6789012 - 3.14159e-10\n",
    "don't won't I'm we've they'll you'd it's DON'T IT'S We'Ve\n",
    "a  b   c    d\n\n\n    \n  \t  end   \n",
    "line one\r\nline two\r\n\r\n    indented\r\n",
    "trailing spaces   \nand tabs\t\t\n",
    "const greet = (name) => { console.log(`Hello, ${name}!`); };\n",
    "function f(a,b){return a>=b?a:b}// comment\n/* block */\n",
    "naïve = café + résumé  # ünïcödé\n",
    "変数 = 'значение'  # 中文注释\nπ = 3.14159\nλx: x²\n",
    "emoji = '🙂👍🏽🚀' + \"✓\"\n",
    "if (x != y && y <= z || !w) { i++; j--; }\n",
    "path = r'C:\\Users\\name\\file.txt'\nurl = 'https://example.com/a?b=1&c=2'\n",
    "[gMASK]<sop><|user|>\n###PATH:a.py\n<|code_suffix|>\n<|code_prefix|>x = <|code_middle|>"
    "<|assistant|>\n",
    "ab<|endoftext|>cd",
    "@decorator\nasync def main() -> None:\n    await asyncio.sleep(0.5)\n",
    "    \n\n\t\n  x",
    "0x1F 0b1010 1_000_000 007\n",
    "__init__ __name__ _private snake_case camelCase PascalCase SCREAMING_CASE\n",
    "",
    " ",
    "\n",
)


def randomize(model: GLM, seed: int) -> None:
    """Weights of unit scale everywhere, so every tensor visibly moves the logits.

    The training initialisation (std 0.02, norms at 1, zero biases) leaves the blocks' share of
    the logits so small that a wrong layout of an FFN or attention tensor can hide under the
    comparison tolerance; with these weights it cannot.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() >= 2:
                param.copy_(torch.randn(param.shape, generator=gen) / param.shape[1] ** 0.5)
            elif name.endswith("bias"):
                param.copy_(0.5 * torch.randn(param.shape, generator=gen))
            else:  # RMSNorm gains
                param.copy_(0.5 + torch.rand(param.shape, generator=gen))
