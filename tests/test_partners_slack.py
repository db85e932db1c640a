"""Officers' view of partnering in Slack: `/dips partners REF` through the Slack fake, SME
text escaped for mrkdwn, and the partnerships CSV; refused to SMEs."""

from __future__ import annotations

from sqlalchemy import select

from storage import partners, people
from storage.models import Challenge, Eoi
from storage.store import Store
from tests.test_impact import seed
from tests.test_slack import Harness, fake, grant, slack  # noqa: F401  (fixtures)


async def _partnership(store: Store, eoi_id: int) -> None:
    """A Gävle SME listed on food-hubs, introduced to (and named by) a Birmingham EOI."""
    async with store.session() as session:
        gavle = await people.ensure_identity(session, "telegram", "501", "501")
        brum = await people.ensure_identity(session, "telegram", "502", "502")
        challenge = await session.scalar(select(Challenge).where(Challenge.ref == "food-hubs"))
        assert challenge is not None
        listing = await partners.save_listing(session, gavle.id, challenge.id, {
            "city": "gavle", "offer": "Cold chain <script>x</script> & *bold*",
            "seeking": "A Birmingham hub", "org_name": "Norrland <Kyl> AB",
            "contact_name": "Astrid", "contact_email": "astrid@norrland.example"})
        intro = await partners.add_intro(session, listing, brum.id, "birmingham")
        await partners.set_intro_status(session, intro, "accepted")
        eoi = await session.get(Eoi, eoi_id)
        assert eoi is not None
        await partners.name_partner(session, eoi, intro, listing.org_name, "gavle",
                                    "birmingham", "telegram:502")


async def test_dips_partners_in_slack(slack: Harness, store: Store) -> None:  # noqa: F811
    ids = await seed(store)
    await _partnership(store, ids["food-hubs/0"])
    await grant(store)
    text = await slack.dips("partners food-hubs")
    assert "Partnerships formed: 1" in text and "Norrland &lt;Kyl&gt; AB (gavle)" in text
    assert "<Kyl>" not in text  # SME text escaped for Slack
    assert f"EOI-{ids['food-hubs/0']:06d} names Norrland" in text
    csv_files = [f for f in slack.fake.files() if f[0].endswith(".csv")]
    assert csv_files and b"eoi_partner" in csv_files[0][1]
    assert "Which challenge?" in await slack.dips("partners nope")
    await grant(store, role="sme")
    assert "only available to" in await slack.dips("partners food-hubs")
