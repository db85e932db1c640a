"""A challenge's assessment criteria and their weights: `/dips criteria REF` shows them,
`/dips criteria REF fit=0.4 team=0.1 ...` sets weights (checked; audited). The rules are in
handlers/domain/assessment.py; scores already given are re-weighted, never lost.
"""

from __future__ import annotations

import re

from handlers.domain import assessment
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.officer.assessing import challenge_of_mine

router = Router("officer.criteria")

_PAIR = re.compile(r"([a-z_]+)\s*=\s*(\S*)")


def _shown(criteria: list[assessment.Criterion]) -> str:
    whole = sum(c.weight for c in criteria) or 1.0
    return "\n".join(t("criteria.line", code=c.key, label=c.label, weight=f"{c.weight:g}",
                       share=f"{100 * c.weight / whole:.0f}") for c in criteria)


@router.command("criteria", dips=True, top=False)
async def criteria(ctx: Ctx, args: str) -> None:
    ref, _, rest = clean(args).lower().partition(" ")
    challenge = await challenge_of_mine(ctx, ref, "criteria.usage")
    if challenge is None:
        return
    current = await assessment.criteria_of(ctx.session, challenge.id)
    rest = rest.strip()
    if not rest:
        ctx.say(_shown(current) + "\n\n" + t("criteria.how_to_set", ref=challenge.ref),
                title=t("criteria.title", title=challenge.title, ref=challenge.ref))
        return
    pairs = _PAIR.findall(rest)
    leftover = _PAIR.sub("", rest).strip()
    keys = ", ".join(c.key for c in current)
    weights = assessment.new_weights(current, pairs) if pairs and not leftover else "unknown"
    if isinstance(weights, str):
        ctx.say(t(f"criteria.problem_{weights}", keys=keys, ref=challenge.ref))
        return
    stored = await assessment.set_weights(ctx.session, challenge.id, challenge.ref, ctx.actor,
                                          weights)
    ctx.say(t("criteria.saved", ref=challenge.ref) + "\n" + _shown(stored))
