"""Extract every user-facing message into `config/locale/capsule.pot` and update the `.po`.

    python scripts/extract_messages.py          # write capsule.pot, update every LANG's .po,
                                                # compile the .mo in place (as the build does)
    python scripts/extract_messages.py --check  # exit 1 if a message has no translation

Sources (Babel's extractors): `_()`, `N_()`, `ngettext()` in publish/, captions/, config/;
the Click tree's help texts (`help=`, `short_help=`, `epilog=` and command docstrings, which
are written in English at import time and translated by publish/cli/localize.py); Click's own
messages (its modules call `gettext`, routed to capsule's catalog). New strings: wrap them, run
this, translate the new empty `msgstr` in each .po (tests/test_i18n.py fails until done).
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "config" / "locale"
DOMAIN = "capsule"
PACKAGES = ("publish", "captions", "config")
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                 "utils", "shell_completion", "_termui_impl")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
HELP_KEYWORDS = ("help", "short_help", "epilog")


def extract_click_help(fileobj: Any, keywords: Any, comment_tags: Any,
                       options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method for the CLI's import-time English: `help=`, `short_help=`,
    `epilog=` string arguments and the docstrings of functions decorated as commands."""
    tree = ast.parse(fileobj.read().decode("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in HELP_KEYWORDS and isinstance(kw.value, ast.Constant) \
                        and isinstance(kw.value.value, str) and kw.value.value.strip():
                    yield kw.value.lineno, "", inspect.cleandoc(kw.value.value), []
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and any(_is_command_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.body[0].lineno, "", doc, []


def _is_command_decorator(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else node
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("command", "group")


def template() -> Catalog:
    """Every msgid of the sources, with where it comes from."""
    import click

    catalog = Catalog(domain=DOMAIN, project="capsule", msgid_bugs_address="",
                      charset="utf-8", fuzzy=False)
    sources: list[tuple[Path, list[tuple[str, Any]], str]] = [
        (ROOT / pkg, [("**/sandbox/**.py", "ignore"), ("**.py", "python")], pkg)
        for pkg in PACKAGES]
    sources.append((ROOT / "publish" / "cli", [("**.py", extract_click_help)], "publish/cli"))
    click_dir = Path(click.__file__).parent
    sources.append((click_dir, [(f"{m}.py", "python") for m in CLICK_MODULES]
                    + [("**.py", "ignore")], "click"))
    for directory, method_map, prefix in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
                str(directory), method_map, keywords=KEYWORDS):
            catalog.add(message, None, [(f"{prefix}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    # The sandbox emulates YouTube's API (its messages are the API's, in English), except the
    # errors the CLI shows about the sandbox itself.
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT / "publish" / "sandbox"), [("errors.py", "python"), ("server.py", "python"),
                                                 ("remote.py", "python"), ("**.py", "ignore")],
            keywords=KEYWORDS):
        catalog.add(message, None, [(f"publish/sandbox/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def languages() -> list[str]:
    return sorted(p.parts[-3] for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(code: str) -> Catalog:
    with (LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=code, domain=DOMAIN)


def untranslated(pot: Catalog, po: Catalog) -> list[str]:
    """The msgids of `pot` that `po` lacks, leaves empty or marks fuzzy."""
    missing = []
    for message in pot:
        if not message.id:
            continue
        found = po.get(message.id, message.context)
        strings = found.string if found else None
        empty = not all(strings) if isinstance(strings, tuple | list) else not strings
        if found is None or found.fuzzy or empty:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str]) -> int:
    pot = template()
    if "--check" in argv:
        bad = {code: untranslated(pot, read_catalog(code)) for code in languages()}
        for code, ids in bad.items():
            for msgid in ids:
                print(f"{code}: untranslated: {msgid!r}")
        return 1 if any(bad.values()) else 0
    LOCALE.mkdir(parents=True, exist_ok=True)
    with (LOCALE / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, pot, width=100, sort_by_file=True)
    for code in languages():
        po = read_catalog(code)
        po.update(pot, update_header_comment=False)
        with (LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("wb") as handle:
            write_po(handle, po, width=100, sort_by_file=True, ignore_obsolete=True)
        with (LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.mo").open("wb") as handle:
            write_mo(handle, po, use_fuzzy=False)
        print(f"{code}: {len(po)} messages, {len(untranslated(pot, po))} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
