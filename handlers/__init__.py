"""The platform-neutral core of DIPS Assistant."""


def register(core) -> None:  # type: ignore[no-untyped-def]
    """Add every feature's commands, buttons and flows to the core."""
    from handlers import (
        assist,
        audit,
        broadcast,
        catalogue,
        eoi,
        menu,
        officer,
        privacy,
        subscribe,
    )

    for feature in (menu, eoi, catalogue, assist, officer, subscribe, broadcast, privacy, audit):
        feature.register(core)
