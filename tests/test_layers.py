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


# ---- the module graph: no circles, and each layer imports only what it may ----

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for package in ("bot", "handlers", "storage", "content")
            for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts}


def _edges(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules a file imports at run time, at any depth (imports for the type
    checker only, under `if TYPE_CHECKING:`, are not); `from pkg import mod` names mod."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
                   for n in ast.walk(block)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in known:
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(known)
            found |= subs or {node.module}
    return found


def _graph() -> dict[str, set[str]]:
    known = _project_modules()
    return {name: _edges(path, known) - {name} for name, path in known.items()}


def test_no_import_circles() -> None:
    graph = _graph()
    # Tarjan's strongly connected components: any component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


FEATURES = ("handlers.sme", "handlers.officer", "handlers.admin")
LAYER_RULES = {
    # who                      may not import
    "handlers.kernel": (*FEATURES, "handlers.domain", "handlers.engines", "handlers.app"),
    "handlers.domain": (*FEATURES, "handlers.app"),
    "handlers.engines": (*FEATURES, "handlers.domain", "handlers.app"),
    "bot.telegram.worker": FEATURES,
    "bot.telegram.outcomes": FEATURES,  # the worker's outcomes and finished broadcasts
    "bot.slack.worker": FEATURES,
}


@pytest.mark.parametrize("layer", sorted(LAYER_RULES))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    wrong = [f"{module} imports {target}" for module, targets in sorted(_graph().items())
             if _under(module, layer) for target in sorted(targets)
             if any(_under(target, banned) for banned in LAYER_RULES[layer])]
    assert wrong == []


def test_no_module_is_over_450_lines() -> None:
    long = {name: n for name, path in _project_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
