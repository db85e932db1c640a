"""The wording catalogue (content/wording/): it loads, every key the code asks for exists and is
given the values its text needs, no text is left unused, and a malformed catalogue is refused
with every problem listed.

The code is read with `ast`, not run: each call `t("key", name=...)` names a key literally;
`t(f"stage.{stage}")` names a family of keys by its prefix (`stage.`). Any other string in the
code that is exactly a key (e.g. a key kept in a table and passed to `t` later) counts as a use.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from content.wording import AUDIENCES, WordingError, load, placeholders

ROOT = Path(__file__).resolve().parents[1]
CODE = ("handlers", "bot")  # where wording is used


@dataclass(frozen=True)
class Use:
    where: str  # file:line
    key: str | None  # the literal key, or None for a family
    prefix: str | None  # the family's prefix ("stage."), or None for a literal key
    names: frozenset[str]  # the keyword arguments passed
    spread: bool  # **values passed as well: the names can't be read from the source


def _is_t(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "t") or (
        isinstance(func, ast.Attribute) and func.attr == "t")


def _prefix(arg: ast.expr) -> str | None:
    """The constant start of a key built at run time: f"stage.{x}" or "stage." + x."""
    if isinstance(arg, ast.JoinedStr):
        start = ""
        for part in arg.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            start += part.value
        return start or None
    if (isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add)
            and isinstance(arg.left, ast.Constant) and isinstance(arg.left.value, str)):
        return arg.left.value or None
    return None


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for folder in CODE for path in sorted((ROOT / folder).rglob("*.py"))]


def uses() -> list[Use]:
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _is_t(node.func) and node.args):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            names = frozenset(k.arg for k in node.keywords if k.arg is not None)
            spread = any(k.arg is None for k in node.keywords)
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(Use(where, arg.value, None, names, spread))
            elif (start := _prefix(arg)) is not None:
                found.append(Use(where, None, start, names, spread))
    return found


def strings_in_code() -> set[str]:
    return {node.value for _, tree in _sources() for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    return load()


@pytest.fixture(scope="module")
def found() -> list[Use]:
    return uses()


def test_the_catalogue_loads_and_the_code_uses_it(catalogue: dict[str, str], found: list[Use]) -> None:
    assert len(catalogue) > 100
    assert "kernel.busy" in catalogue and "button.cancel" in catalogue
    assert len([u for u in found if u.key]) > 100  # the reader sees the calls


def test_every_key_named_in_the_code_exists_with_its_values(
        catalogue: dict[str, str], found: list[Use]) -> None:
    problems = []
    for use in found:
        if use.key is not None:
            if use.key not in catalogue:
                problems.append(f"{use.where}: no text {use.key!r} in content/wording/")
                continue
            keys = [use.key]
        else:
            assert use.prefix is not None
            keys = [k for k in catalogue if k.startswith(use.prefix)]
            if not keys:
                problems.append(f"{use.where}: no text starts with {use.prefix!r}")
        if use.spread:
            continue
        for key in keys:
            missing = placeholders(catalogue[key]) - use.names
            if missing:
                problems.append(f"{use.where}: {key} needs {', '.join(sorted(missing))}")
    assert problems == []


def test_every_text_is_used(catalogue: dict[str, str], found: list[Use]) -> None:
    """No dead wording: each key is named by a call to t, a family prefix, or a string in the code."""
    named = {u.key for u in found if u.key} | strings_in_code()
    prefixes = tuple(u.prefix for u in found if u.prefix)
    unused = sorted(k for k in catalogue if k not in named and not k.startswith(prefixes))
    assert unused == []


def test_each_text_is_written_once(catalogue: dict[str, str]) -> None:
    """The same sentence under two keys drifts apart: reuse the one key (e.g. button.cancel)."""
    keys_of: dict[str, list[str]] = {}
    for key, text in catalogue.items():
        keys_of.setdefault(text, []).append(key)
    assert [keys for keys in keys_of.values() if len(keys) > 1] == []


def test_the_key_families_match_what_the_code_has() -> None:
    """The keys built at run time are exactly those the code can build."""
    from handlers.domain.stages import END_STAGES, STAGES
    from handlers.sme.eoi_form import EDITABLE, FORM, SIZES

    catalogue = load()

    def family(prefix: str) -> set[str]:
        return {k.removeprefix(prefix) for k in catalogue if k.startswith(prefix)}

    steps = {s.name for s in FORM.steps}
    assert family("stage.") == {*STAGES, *END_STAGES}
    assert family("eoi.size.") == set(SIZES)
    assert family("eoi.field.") == set(EDITABLE)
    assert family("eoi.ask.") <= steps
    assert family("eoi.what.") <= steps


def test_the_reader_sees_each_form_of_use() -> None:
    tree = ast.parse('t("a.b", x=1)\ntext.t(f"c.{d}")\nt("e." + f, **v)\nt(name)\n')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_t(n.func)]
    assert [(_prefix(c.args[0]), c.args[0].value if isinstance(c.args[0], ast.Constant) else None)
            for c in calls] == [(None, "a.b"), ("c.", None), ("e.", None), (None, None)]


def _write(folder: Path, **files: str) -> Path:
    for audience in AUDIENCES:
        (folder / f"{audience}.yaml").write_text(files.get(audience, "{}\n"), encoding="utf-8")
    return folder


def test_a_good_catalogue_loads_flattened(tmp_path: Path) -> None:
    folder = _write(tmp_path, sme="a:\n  b: Hello {name}\n", officer="c: |-\n  One\n  two\n")
    assert load(folder) == {"a.b": "Hello {name}", "c": "One\ntwo"}
    assert placeholders("Hello {name}, {n:%d %b} {{literal}}") == {"name", "n"}


def test_a_malformed_catalogue_lists_every_problem(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        sme="menu:\n  find: Find\n  empty: ''\n  broken: Hello {unclosed\n  blank:\n",
        officer="menu:\n  find: Find again\nlist:\n  - not a mapping\n",
        admin="kernel: [1, 2\n",
    )
    with pytest.raises(WordingError) as raised:
        load(folder)
    problems = raised.value.problems
    assert len(problems) == 6, problems
    assert "sme.yaml: menu.empty should be a non-empty text" in problems
    assert "sme.yaml: menu.blank should be a non-empty text" in problems
    assert any(p.startswith("sme.yaml: menu.broken: ") for p in problems)  # "{unclosed"
    assert "officer.yaml: menu.find is also in sme.yaml" in problems
    assert "officer.yaml: list should be a non-empty text" in problems
    assert [p for p in problems if p.startswith("admin.yaml: ")] != []  # not YAML at all
    assert all(p in str(raised.value) for p in problems)  # the message lists them all


def test_a_catalogue_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path, admin="- a list\n")
    with pytest.raises(WordingError) as raised:
        load(folder)
    assert raised.value.problems == ["admin.yaml: the file should be a mapping"]
