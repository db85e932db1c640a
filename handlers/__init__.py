"""The platform-neutral core of DIPS Assistant."""


def register(core) -> None:  # type: ignore[no-untyped-def]
    """Add every feature's commands, buttons and flows to the core."""
    from handlers.admin import audit, broadcast
    from handlers.officer import cases
    from handlers.officer import commands as officer
    from handlers.sme import alerts, assist, challenges, eoi_form, menu, privacy

    for feature in (menu, eoi_form, challenges, assist, officer, alerts, broadcast, privacy, audit,
                    cases):
        feature.register(core)
