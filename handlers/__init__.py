"""The platform-neutral core of DIPS Assistant."""


def register(core) -> None:  # type: ignore[no-untyped-def]
    """Add every feature's commands, buttons and flows to the core."""
    from handlers import (
        assist,
        audit,
        broadcast,
        cases,
        catalogue,
        eoi,
        menu,
        officer,
        privacy,
        subscribe,
    )

    for feature in (menu, eoi, catalogue, assist, officer, subscribe, broadcast, privacy, audit,
                    cases):
        feature.register(core)
