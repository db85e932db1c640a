"""Settings: one clear line for each bad value, `.env` read as python-dotenv reads it, and a
default store that doesn't depend on the folder `dips` runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, default_database_url, load_settings


@pytest.mark.parametrize(("name", "value", "says"), [
    ("DIPS_TELEGRAM_RATE", "0", "above zero"),
    ("DIPS_TELEGRAM_RATE", "-3", "above zero"),
    ("DIPS_DELIVERY_LEASE", "0", "above zero"),
    ("DIPS_DELIVERY_MAX_ATTEMPTS", "0", "above zero"),
    ("DIPS_LOG_LEVEL", "verbose", "must be one of DEBUG"),
    ("DIPS_RETENTION_DAYS", "-1", "zero or more"),
    ("DIPS_SLACK_PORT", "abc", "a whole number"),
    ("DIPS_DIGEST_DAY", "someday", "a day of the week"),
    ("DIPS_DIGEST_TIME", "9am", "a time of day"),
    ("DIPS_NUDGE_HOURS", "0", "above zero"),
    ("DIPS_NUDGE_HOURS", "30", "under 24"),
])
def test_a_bad_value_is_refused_naming_the_variable(tmp_path: Path, name: str, value: str,
                                                    says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: value}, dotenv=tmp_path / "none")
    assert name in str(refused.value) and says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_log_level_is_read_in_any_case(tmp_path: Path) -> None:
    assert load_settings({"DIPS_LOG_LEVEL": "info"}, dotenv=tmp_path / "none").log_level == "INFO"


def test_dotenv_comments_quotes_and_export_are_read_properly(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# settings\nexport DIPS_TEAM_CONTACT='the DIPS team, BCC'  # who we are\n"
                   "DIPS_TELEGRAM_RATE=12 # per second\nDIPS_COUNCIL_CONTACT_URL=\"https://x.example/a#b\"\n",
                   encoding="utf-8")
    settings = load_settings({}, dotenv=env)
    assert settings.team_contact == "the DIPS team, BCC"
    assert settings.telegram_rate == 12
    assert settings.council_contact_url == "https://x.example/a#b"
    assert load_settings({"DIPS_TELEGRAM_RATE": "3"}, dotenv=env).telegram_rate == 3  # env wins


def test_the_default_store_is_the_same_from_any_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    first = default_database_url()
    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "data-home" / "dips" / "dips.db"
    assert default_database_url() == first == f"sqlite+aiosqlite:///{expected}"


def test_the_calendar_settings_reach_the_scheduler(tmp_path: Path) -> None:
    from datetime import time, timedelta

    from bot.cli.schedule import calendar_config
    cfg = calendar_config(load_settings(
        {"DIPS_DIGEST_DAY": "Wed", "DIPS_DIGEST_TIME": "07:30", "DIPS_NUDGE_HOURS": "1.5"},
        dotenv=tmp_path / "none"))
    assert (cfg.digest_day, cfg.digest_at, cfg.nudge_before) == (
        2, time(7, 30), timedelta(hours=1, minutes=30))
    default = calendar_config(load_settings({}, dotenv=tmp_path / "none"))
    assert (default.digest_day, default.digest_at, default.nudge_before) == (
        0, time(9, 0), timedelta(hours=3))
