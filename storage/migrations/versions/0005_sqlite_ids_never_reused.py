"""SQLite: EOI and case numbers are never reused after an erasure (AUTOINCREMENT)

Without AUTOINCREMENT, SQLite gives a new row the highest id + 1, so erasing the newest EOI or
case hands its number, and the buttons on old messages that carry it, to the next one.
PostgreSQL's sequences never go back: nothing to do there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:20:00
"""

import re

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ("eois", "questions")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    # SQLite's own recipe for changing a table: with foreign keys off (only possible outside a
    # transaction), build the new table, copy the rows, drop the old one and take its name, so
    # dropping it cascades into nothing (stage changes, case messages) and their references,
    # which name the table, stay right. Checked with foreign_key_check before going on.
    was_open = conn.connection.driver_connection.in_transaction  # after earlier migrations
    if was_open:
        conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        conn.exec_driver_sql("BEGIN")
        for table in TABLES:
            _rebuild_with_autoincrement(conn, table)
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        if was_open:
            conn.exec_driver_sql("BEGIN")  # the rest of the upgrade goes on as it began


def _rebuild_with_autoincrement(conn, table: str) -> None:  # type: ignore[no-untyped-def]
    create = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    if "AUTOINCREMENT" in create.upper():
        return
    indexes = [row[0] for row in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,))]
    new = re.sub(r"\bid INTEGER NOT NULL,", "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,",
                 create, count=1)
    new = re.sub(r",\s*CONSTRAINT \w+ PRIMARY KEY \(id\)|,\s*PRIMARY KEY \(id\)", "", new, count=1)
    if new == create or "PRIMARY KEY (id)" in new:
        raise RuntimeError(f"unexpected schema for {table}: {create}")
    new = re.sub(r'^CREATE TABLE "?\w+"?', f'CREATE TABLE "_new_{table}"', new, count=1)
    columns = ", ".join(f'"{row[1]}"' for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")'))
    conn.exec_driver_sql(new)
    conn.exec_driver_sql(f'INSERT INTO "_new_{table}" ({columns}) SELECT {columns} FROM "{table}"')
    conn.exec_driver_sql(f'DROP TABLE "{table}"')
    conn.exec_driver_sql(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
    for index in indexes:
        conn.exec_driver_sql(index)


def downgrade() -> None:
    pass  # AUTOINCREMENT is harmless to keep
