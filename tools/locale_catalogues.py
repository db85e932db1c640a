"""Regenerate the SMEs' message catalogues from their English source.

    python tools/locale_catalogues.py            # messages.pot, and merge it into every PO file
    python tools/locale_catalogues.py --add FILE LANG   # write LANG's PO from a YAML of key: text

The English source is content/wording/sme.yaml plus the privacy notice (content/locale.py
english()). Each entry's msgctxt is its wording key and its msgid the English text, so a changed
English sentence leaves the old translation marked fuzzy (and not shown) until it is redone.
Uses Babel's own catalogue reader, writer and merge: the standard gettext workflow, so any PO
editor (Poedit, Weblate, Lokalize) works on the files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from content.locale import DOMAIN, LANGUAGES, LOCALE, english, po_path, read_catalog


def template() -> Catalog:
    catalog = Catalog(project="DIPS Assistant", domain=DOMAIN, charset="utf-8")
    for key, text in english().items():
        catalog.add(text, context=key)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False)


def refresh(folder: Path = LOCALE) -> None:
    pot = template()
    _write(pot, folder / f"{DOMAIN}.pot")
    for code in LANGUAGES:
        path = po_path(code, folder)
        if path.exists():
            catalog = read_catalog(path, code)
            catalog.update(pot, no_fuzzy_matching=False)
            _write(catalog, path)


def add(source: Path, code: str, folder: Path = LOCALE) -> None:
    texts = yaml.safe_load(source.read_text(encoding="utf-8"))
    catalog = Catalog(locale=code, project="DIPS Assistant", domain=DOMAIN, charset="utf-8")
    for key, text in english().items():
        if key in texts:
            catalog.add(text, str(texts[key]).rstrip("\n"), context=key)
    _write(catalog, po_path(code, folder))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add", nargs=2, metavar=("FILE", "LANG"))
    args = parser.parse_args()
    if args.add:
        add(Path(args.add[0]), args.add[1])
    else:
        refresh()
