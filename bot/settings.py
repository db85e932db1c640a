"""Settings from `DIPS_*` environment variables and an optional `.env` file.

Every value is checked once at start-up; a bad one raises `SettingsError` naming the variable,
which the command line prints as a single line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values


class SettingsError(ValueError):
    """A `DIPS_*` variable is missing or malformed."""


def default_database_url() -> str:
    """The embedded store in the user's data folder, the same whichever folder `dips` runs in."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite+aiosqlite:///{base / 'dips' / 'dips.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    telegram_token: str = ""
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_username: str = ""  # the bot's @name for deep links (else asked of Telegram)
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = "https://slack.com/api/"
    slack_channel: str = ""
    slack_port: int = 3000
    council_contact_url: str = "https://www.birmingham.gov.uk/contact"
    team_contact: str = "the DIPS team"
    log_level: str = "WARNING"
    retention_days: int = 730
    telegram_port: int = 8443  # webhook mode: where the local webhook server listens
    telegram_listen: str = "0.0.0.0"
    # Delivery worker (bot/worker.py). The rate is per worker process: with several workers
    # against one bot token, divide Telegram's ~30/s between them. Read as text, parsed there.
    telegram_rate: float = 25.0  # messages a second, overall
    delivery_lease: int = 30  # seconds a claimed row stays with its worker without renewal
    delivery_max_attempts: int = 5  # transient failures before a message is given up
    case_reminder_hours: float = 24.0  # an unanswered case is reminded in the channel once; 0: never
    undo_minutes: float = 15.0  # how long an officer may undo their last stage move
    health_port: int = 8081  # /healthz, /readyz, /metrics of every serving mode; 0: none
    health_listen: str = "0.0.0.0"
    # The programme's calendar (handlers/domain/calendar.py): UK time unless told otherwise.
    timezone: str = "Europe/London"
    closing_time: str = "17:00"  # when a challenge closes on its closing date
    quiet_hours: str = "21:00-08:00"  # SMEs get no scheduled message in this window
    scheduler_interval: float = 60.0  # seconds between the scheduler's looks at the calendar
    unmoved_days: int = 14  # the officers' weekly digest lists EOIs not moved for this long
    digest_day: str = "monday"  # the SMEs' and the officers' weekly digests go on this day...
    digest_time: str = "09:00"  # ...at this time
    nudge_hours: float = 3.0  # an unfinished EOI form is nudged this long before it lapses

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))


_URLS = {"telegram_api_url", "telegram_webhook_url", "slack_api_url", "council_contact_url"}


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Numbers that must be above zero (a rate of 0 would never send; a lease of 0 never holds).
_POSITIVE = {"telegram_rate", "delivery_lease", "delivery_max_attempts", "scheduler_interval",
             "nudge_hours"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FORM_LIFETIME_HOURS = 24.0  # an unfinished form lapses after a day (handlers.kernel.core)


def read_dotenv(path: Path) -> dict[str, str]:
    """A `.env` file as python-dotenv reads it (comments, quotes, `export`, inline comments)."""
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build settings; the process environment wins over `.env`."""
    env = read_dotenv(dotenv or Path(".env"))
    env.update(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    for field in fields(Settings):
        name = f"DIPS_{field.name.upper()}"
        raw = env.get(name, "").strip()
        if not raw:
            continue
        if field.type in ("int", "float"):
            try:
                number = int(raw) if field.type == "int" else float(raw)
            except ValueError:
                kind = "a whole number" if field.type == "int" else "a number"
                raise SettingsError(f"{name} must be {kind}, got {raw!r}") from None
            if number < 0 or (field.name in _POSITIVE and number <= 0):
                bound = "above zero" if field.name in _POSITIVE else "zero or more"
                raise SettingsError(f"{name} must be {bound}, got {raw!r}")
            values[field.name] = number
        else:
            if field.name in _URLS and urlparse(raw).scheme not in ("http", "https"):
                raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
            if field.name == "log_level":
                raw = raw.upper()
                if raw not in LOG_LEVELS:
                    raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, "
                                        f"got {raw.lower()!r}")
            values[field.name] = raw
    settings = Settings(**values)  # type: ignore[arg-type]
    if not settings.database_url:
        settings = Settings(**{**values, "database_url": default_database_url()})  # type: ignore[arg-type]
    check_database_url(settings.database_url)
    check_calendar(settings)
    if settings.slack_bot_token and not (settings.slack_signing_secret or settings.slack_app_token):
        raise SettingsError(
            "DIPS_SLACK_SIGNING_SECRET (HTTP mode) or DIPS_SLACK_APP_TOKEN (Socket Mode) "
            "is required when DIPS_SLACK_BOT_TOKEN is set"
        )
    return settings


def check_database_url(url: str) -> None:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("sqlite+aiosqlite", "sqlite", "postgresql+asyncpg", "postgresql", "postgres"):
        raise SettingsError(
            "DIPS_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {url.split('://', 1)[0]!r}"
        )


def clock_time(name: str, raw: str) -> time:
    """"HH:MM" as a time of day, or a SettingsError naming the variable."""
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a time of day like 17:00, got {raw!r}") from None


def quiet_window(raw: str) -> tuple[time, time]:
    start, sep, end = raw.partition("-")
    if not sep:
        raise SettingsError(f"DIPS_QUIET_HOURS must look like 21:00-08:00, got {raw!r}")
    return clock_time("DIPS_QUIET_HOURS", start), clock_time("DIPS_QUIET_HOURS", end)


def check_calendar(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"DIPS_TIMEZONE must be a time zone like Europe/London, got {settings.timezone!r}"
        ) from None
    clock_time("DIPS_CLOSING_TIME", settings.closing_time)
    quiet_window(settings.quiet_hours)
    weekday(settings.digest_day)
    clock_time("DIPS_DIGEST_TIME", settings.digest_time)
    if settings.nudge_hours >= FORM_LIFETIME_HOURS:  # else it would come after the form lapsed
        raise SettingsError(f"DIPS_NUDGE_HOURS must be under {FORM_LIFETIME_HOURS:g} (an "
                            f"unfinished form lapses after a day), got {settings.nudge_hours:g}")


def weekday(raw: str) -> int:
    """"monday".."sunday" (any case, or the first three letters) as 0..6."""
    name = raw.strip().lower()
    for number, day in enumerate(WEEKDAYS):
        if len(name) >= 3 and day.startswith(name):
            return number
    raise SettingsError(f"DIPS_DIGEST_DAY must be a day of the week like monday, got {raw!r}")
