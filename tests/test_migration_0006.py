"""Migration 0006 on a store that already holds EOIs (SQLite, and PostgreSQL when
DIPS_TEST_DATABASE_URL is set): each EOI gets its details as submitted and a version 1."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import alembic_config, create_engine
from tests import conftest

ROWS = """
INSERT INTO organisations (id, name, size_band, country, city, website, created_at, updated_at)
  VALUES (1, 'Acme Ltd', 'small', 'United Kingdom', 'Birmingham', 'https://acme.example.com',
          '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00');
INSERT INTO contacts (id, organisation_id, name, email, created_at)
  VALUES (1, 1, 'Jane Smith', 'jane@acme.example.com', '2026-11-01 10:00:00+00');
INSERT INTO challenges (id, ref, title, department, summary, tags, status, sample, created_at,
                        updated_at)
  VALUES (1, 'food-hubs', 'Food hubs', 'Dept', 'x', '[]', 'open', false, '2026-11-01 10:00:00+00',
          '2026-11-01 10:00:00+00');
INSERT INTO eois (id, organisation_id, challenge_id, contact_id, summary, stage, created_at,
                  updated_at)
  VALUES (1, 1, 1, 1, 'Our proposal', 'exploration', '2026-11-02 10:00:00+00',
          '2026-11-02 10:00:00+00');
"""


async def _urls(tmp_path: Path) -> tuple[str, str | None]:
    """A new, empty database: (its URL, the admin DSN to drop it with, on PostgreSQL)."""
    if not conftest.BASE_PG_URL:
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", None
    admin = conftest._admin_dsn(conftest.BASE_PG_URL)
    name = f"dips_mig_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(conftest.BASE_PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, name


async def test_0006_gives_existing_eois_their_submitted_details_and_a_first_version(tmp_path):
    url, pg_name = await _urls(tmp_path)
    engine = create_engine(url)
    try:
        def upgrade_to(revision: str):  # type: ignore[no-untyped-def]
            def run(conn):  # type: ignore[no-untyped-def]
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            return run

        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0005"))
            for statement in ROWS.strip().split(";"):
                if statement.strip():
                    await conn.execute(text(statement))
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("head"))
        async with engine.connect() as conn:
            eoi = (await conn.execute(text(
                "SELECT org_name, website, contact_email, version FROM eois"))).one()
            versions = (await conn.execute(text(
                "SELECT eoi_id, number, kind, stage, contact_name, summary FROM eoi_versions"
            ))).all()
        assert tuple(eoi) == ("Acme Ltd", "https://acme.example.com", "jane@acme.example.com", 1)
        assert [tuple(v) for v in versions] == [
            (1, 1, "submitted", "exploration", "Jane Smith", "Our proposal")]
    finally:
        await engine.dispose()
        if pg_name:
            conn = await asyncpg.connect(conftest._admin_dsn(conftest.BASE_PG_URL))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            finally:
                await conn.close()
