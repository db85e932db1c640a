"""The house rules on imports, read from the source: bot -> handlers -> storage, content.

handlers/ is the platform-neutral core (no Telegram, no Slack, no adapters) and builds no SQL:
it may name a session type and catch database errors, but queries live in storage/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "handlers": ("bot", "telegram", "slack_bolt", "slack_sdk", "aiohttp"),
    "storage": ("bot", "handlers", "telegram", "slack_bolt", "slack_sdk"),
    "content": ("bot", "handlers", "storage", "telegram", "slack_bolt", "slack_sdk", "sqlalchemy"),
}
# What handlers/ may take from SQLAlchemy: types and errors, nothing that builds a statement.
HANDLERS_SQLALCHEMY = ("sqlalchemy.exc", "sqlalchemy.ext.asyncio", "sqlalchemy.orm.exc")


def imports(path: Path) -> list[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_one_way(layer: str) -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {module}"
             for path in sorted((ROOT / layer).rglob("*.py")) if "migrations" not in path.parts
             for module in imports(path)
             if any(_under(module, banned) for banned in FORBIDDEN[layer])]
    assert wrong == []


def test_handlers_build_no_sql() -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {module}"
             for path in sorted((ROOT / "handlers").rglob("*.py"))
             for module in imports(path)
             if _under(module, "sqlalchemy") and module not in HANDLERS_SQLALCHEMY]
    assert wrong == []


def test_the_rules_see_a_breach(tmp_path: Path) -> None:
    """The reader catches the forms a breach takes: plain, from-, and nested imports."""
    source = tmp_path / "m.py"
    source.write_text("import telegram.ext\nfrom sqlalchemy import select\n"
                      "def f():\n    from bot.cli import main\n", encoding="utf-8")
    assert imports(source) == ["telegram.ext", "sqlalchemy", "bot.cli"]


CHAT_FEATURES = ("handlers.sme", "handlers.officer", "handlers.admin")


def test_the_domain_and_the_delivery_workers_import_no_chat_feature() -> None:
    """handlers/domain holds business rules with no chat around them, and the delivery workers
    (bot/*/worker*.py) send what the domain built: neither imports a chat feature."""
    paths = [*(ROOT / "handlers" / "domain").rglob("*.py"), *(ROOT / "bot").glob("*/worker*.py")]
    assert any(p.parent.name == "slack" for p in paths)  # the glob still finds the workers
    wrong = [f"{path.relative_to(ROOT)} imports {module}" for path in sorted(paths)
             for module in imports(path)
             if any(_under(module, feature) for feature in CHAT_FEATURES)]
    assert wrong == []
