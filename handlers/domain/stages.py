"""The six DIPS stages an EOI moves through, and the moves allowed between them.

Stage one (challenge definition) belongs to the challenge; an EOI starts at "submitted"
(invitation of solutions). Labels live in the wording catalogue (`stage.<name>`).

`MOVES` is the one table of the moves an officer may make, used by /dips stage, the stage
buttons and Slack's modal alike: forward one stage, or not selected. Withdrawing is the SME's
own act; a mis-click is put right by undoing the move (handlers/domain/stage_moves.py), never by
a move backwards.
"""

from __future__ import annotations

from handlers.kernel.text import t

STAGES = ("submitted", "exploration", "accelerator", "prototype", "pre-commercialisation")
END_STAGES = ("not-selected", "withdrawn")
OFFICER_STAGES = (*STAGES, "not-selected")  # withdrawing is the SME's own act

# from stage -> the stages an officer may move it to
MOVES: dict[str, tuple[str, ...]] = {
    "submitted": ("exploration", "not-selected"),
    "exploration": ("accelerator", "not-selected"),
    "accelerator": ("prototype", "not-selected"),
    "prototype": ("pre-commercialisation", "not-selected"),
    "pre-commercialisation": ("not-selected",),
    "not-selected": (),
    "withdrawn": (),
}


def stage_label(stage: str) -> str:
    return t(f"stage.{stage}") if stage in STAGES or stage in END_STAGES else stage


def next_stages(current: str) -> list[str]:
    """The moves an officer may make from `current` (one button each)."""
    return list(MOVES.get(current, ()))


def may_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, ())
