"""The officers' weekly digest in their Slack channel: per department, the week's new EOIs,
EOIs nobody has moved for a while and questions waiting, each with its action button."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import Claim, OfficerEoi
from handlers.domain.outbound import to_payload
from handlers.domain.stages import END_STAGES
from handlers.kernel.messages import Reply, Row, buttons
from handlers.kernel.text import t
from storage import deliveries, weekly
from storage.models import Delivery

KIND = "officer_digest"
SHOWN = 5  # buttons per list per department: the channel message stays readable


async def queue(session: AsyncSession, now: datetime, unmoved_days: int) -> Delivery:
    new = await weekly.new_eois(session, now - timedelta(days=7))
    stale = await weekly.unmoved_eois(session, now - timedelta(days=unmoved_days), END_STAGES)
    waiting = await weekly.waiting_questions(session)
    departments: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for eoi, dept in new:
        departments[dept]["new"].append([(eoi.reference, OfficerEoi(eoi.id))])
    for eoi, dept in stale:
        departments[dept]["stale"].append([(eoi.reference, OfficerEoi(eoi.id))])
    general = t("officer_digest.general")
    for question, asked_about in waiting:
        departments[asked_about or general]["waiting"].append(
            [(t("officer_digest.claim", id=question.id), Claim(question.id))])
    lines = [t("officer_digest.summary", new=len(new), stale=len(stale), days=unmoved_days,
               waiting=len(waiting))]
    rows: list[Row] = []
    for dept in sorted(departments):
        found = departments[dept]
        lines.append(t("officer_digest.department", department=dept, new=len(found["new"]),
                       stale=len(found["stale"]), waiting=len(found["waiting"])))
        for key in ("new", "stale", "waiting"):
            rows += found[key][:SHOWN]
    if not departments:
        lines.append(t("officer_digest.quiet"))
    reply = Reply("\n".join(lines), buttons(*rows[:45]), None, t("officer_digest.title"))
    return await deliveries.enqueue_for_officers(session, KIND, to_payload(reply))
