"""The six DIPS stages an EOI moves through, and the moves allowed between them.

Stage one (challenge definition) belongs to the challenge; an EOI starts at "submitted"
(invitation of solutions). Labels live in the wording catalogue (`stage.<name>`).
"""

from __future__ import annotations

from handlers.kernel.text import t

STAGES = ("submitted", "exploration", "accelerator", "prototype", "pre-commercialisation")
END_STAGES = ("not-selected", "withdrawn")
OFFICER_STAGES = (*STAGES, "not-selected")  # withdrawing is the SME's own act


def stage_label(stage: str) -> str:
    return t(f"stage.{stage}") if stage in STAGES or stage in END_STAGES else stage


def next_stages(current: str) -> list[str]:
    """The moves worth a button: the next stages forward, and turning it down."""
    if current == "not-selected":  # reconsidered
        return list(STAGES[1:4])
    forward = list(STAGES[STAGES.index(current) + 1:]) if current in STAGES else []
    return [*forward[:3], "not-selected"]
