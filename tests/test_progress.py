"""Progress on long work: `dips broadcast status ID --follow` until the broadcast finishes."""

from __future__ import annotations

import asyncio
import io

from bot.cli.broadcasts import follow
from handlers.domain import broadcasts as bc
from storage import deliveries
from tests.test_broadcast import REF, setup


async def test_follow_reports_each_change_in_plain_text_until_finished(store) -> None:
    await setup(store, matching=3, other=0, draft=False)
    async with store.session() as session:
        sent, _ = await bc.confirm(session, REF, bc.MATCHING, "test")
    assert sent is not None and sent.total == 3
    out = io.StringIO()  # not a terminal: plain lines, no bar
    following = asyncio.create_task(follow(store, sent.id, every=0.05, out=out))
    for step in range(3):
        await asyncio.sleep(0.2)
        async with store.session() as session:
            [row] = await deliveries.claim(session, "telegram", "w", 1)
            if step < 2:
                await deliveries.mark_sent(session, row.id, "w")
            else:
                await deliveries.mark_failed(session, row.id, "w", "blocked")
    assert await asyncio.wait_for(following, 5) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("sent 0, failed 0, pending 3 of 3")
    assert any(line.endswith("sent 1, failed 0, pending 2 of 3") for line in lines)
    assert lines[-1] == f"broadcast {sent.id} has finished: 2 sent, 1 failed"
    assert "\r" not in out.getvalue()  # no bar drawn into a pipe
