"""The command line's errors: one line that names what is wrong, never a stack trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dips(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DIPS_")},
           "DIPS_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_file_error_names_the_file_not_the_database(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "eois.csv"
    result = dips(["eoi", "export", "--csv", str(target)], f"sqlite+aiosqlite:///{tmp_path}/x.db",
                  tmp_path)
    assert result.returncode == 1
    assert str(target) in result.stderr and "DIPS_DATABASE_URL" not in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_postgresql_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/dips_no_such_database"
    result = dips(["challenges", "list"], url, tmp_path)
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "DIPS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_version(tmp_path: Path) -> None:
    result = dips(["--version"], f"sqlite+aiosqlite:///{tmp_path}/x.db", tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("dips 0.")
