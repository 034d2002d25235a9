"""Repair by regeneration: when post-processing rejects a suggestion, ask once more, constrained.

Why: a rejection (an unknown member on a known receiver, code that does not parse) often comes
from one bad first choice; the rest of the model's knowledge is fine. So instead of silence the
service regenerates once, with the start constrained to something valid:

- ``member``: the receiver's members are known and the model named none of them: the remainder of
  the best-ranked member that starts with what was typed is written into the prompt (forced), and
  the model continues after it (call parentheses, arguments);
- ``parse_errors`` / ``empty``: the first token the model chose is banned (llama backend; a
  backend that cannot ban is not asked again).

The regenerated text goes through the same post-processing and the same gate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from glm_lsp.ghost.postprocess import PostContext, PostStep
from glm_lsp.ghost.request import PreparedRequest
from glm_lsp.ghost.results import cache_key
from glm_lsp.model.backend import Generation

BUDGET_S = 0.25
"""Regenerate only when the first generation's decoding took less than this: the retry's prompt
is the first one's (plus a few forced tokens), so llama.cpp reuses its KV cache and the retry
costs about one more decoding; the pair stays within an interactive budget."""


@dataclass(frozen=True)
class RepairPlan:
    why: str
    """The post-processing rule that rejected the first answer."""
    forced: str = ""
    """Text written after the prompt: the suggestion starts with it."""
    ban: tuple[int, ...] = ()
    """Token ids the first generated token may not be."""

    def request(self, prep: PreparedRequest) -> PreparedRequest:
        """``prep`` with its prompt extended by ``forced`` and its first token banned."""
        req = prep.request
        segments = (*req.segments, (self.forced, False)) if req.segments else ()
        new = replace(
            req,
            prompt=req.prompt + self.forced,
            segments=segments,
            ban_first_ids=self.ban,
            min_logprob=None,
        )
        extra = {"forced": self.forced, "ban": list(self.ban)}
        return replace(prep, key=cache_key(prep.key, "repair", new.prompt, extra), request=new)


def best_member(typed: str, members: tuple[str, ...]) -> str | None:
    """The first member (in the static completion's order, ``known_members``) that starts with
    what was typed; ``repair_member`` already swapped any name sharing a start with the model's,
    so nothing better is known here."""
    for name in members:
        if name.startswith(typed) and name != typed:
            return name
    return None


def plan(
    steps: list[PostStep], post: PostContext, gen: Generation | None, regenerated: bool
) -> RepairPlan | None:
    """How to regenerate after a rejection, or ``None`` (not rejected, not repairable, already
    a repair, or the first generation used up the budget)."""
    if regenerated or not steps or steps[-1].after is not None:
        return None
    if gen is not None and gen.elapsed_s - gen.prefill_s > BUDGET_S:
        return None
    rule = steps[-1].rule
    if rule == "member" and post.members:
        name = best_member(post.typed, post.members)
        return RepairPlan(rule, forced=name[len(post.typed) :]) if name else None
    if rule in ("parse_errors", "empty") and gen is not None and gen.token_ids:
        return RepairPlan(rule, ban=(gen.token_ids[0],))
    return None
