"""The CLI in the interface language: picks it before anything is parsed or shown.

Order: `--lang-ui` > the `interface_language` setting (file, `CAPSULE_INTERFACE_LANGUAGE`)
> the locale > English. Click's own strings ("Usage:", "Show this message and exit.", its
errors) come from `gettext.gettext` in Click's modules, the default domain, whose language only
the environment decides: those modules' `_`/`ngettext` are pointed at capsule's catalog, which
holds Click's msgids too (scripts/extract_messages.py extracts them). The help texts of the
command tree are written in English at import time; `localize_tree` sets each one's translation,
keeping the English original, so the tree reads in the active language at every run.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import click

from config import i18n

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                  "utils", "shell_completion", "_termui_impl")
_ORIGINAL = "_capsule_english"


def route_click() -> None:
    """Point Click's gettext calls at the active capsule catalog (resolved at each call)."""
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module a later Click drops
            continue
        if hasattr(module, "_"):
            module._ = _click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


def _click_gettext(message: str) -> str:
    return i18n.translation().gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translation().ngettext(singular, plural, n)


def option_value(args: Sequence[str], name: str) -> str | None:
    """The value of a root option in raw arguments (`--x V` or `--x=V`), before parsing."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def setting_language(args: Sequence[str], environ: Mapping[str, str] | None = None
                     ) -> str | None:
    """The `interface_language` setting with the settings' precedence (`--set`, then
    `CAPSULE_INTERFACE_LANGUAGE`, then the settings file), or None when unset or unusable.

    Read here without loading (and validating) the whole settings, which `--help` never
    needs: a broken settings file is reported by the command itself.
    """
    environ = os.environ if environ is None else environ
    for i, arg in enumerate(args):
        value = args[i + 1] if arg in ("-s", "--set") and i + 1 < len(args) else \
            arg.removeprefix("--set=") if arg.startswith("--set=") else None
        if value and value.partition("=")[0].strip() == "interface_language":
            return value.partition("=")[2].strip() or None
    if environ.get("CAPSULE_INTERFACE_LANGUAGE"):
        return environ["CAPSULE_INTERFACE_LANGUAGE"].strip()
    config = option_value(args, "--config") or environ.get("CAPSULE_CONFIG")
    if config:
        path = Path(config).expanduser()
    else:
        import platformdirs

        path = platformdirs.user_config_path("capsule", appauthor=False) / "config.toml"
    try:
        import tomllib

        value = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("interface_language")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def interface_language(args: Sequence[str]) -> str:
    """The language this run speaks, from its raw arguments, the settings and the locale.

    A `--json` run speaks English whatever is asked: its output is for programs, and the
    messages it carries (findings, errors) must not change with the officer's language.
    """
    if "--json" in args:
        return i18n.DEFAULT_LANGUAGE
    flag = option_value(args, "--lang-ui")
    setting = None if flag else setting_language(args)
    if setting not in (None, *i18n.available_languages()):
        setting = None  # refused by the settings' own validation when the command loads them
    return i18n.choose_language(flag, setting)


def localize_tree(command: click.Command) -> None:
    """Set every help text of the tree to its translation in the active language."""
    for cmd in _commands(command):
        if getattr(cmd, "_help_option", None) is not None:
            cmd._help_option = None  # Click builds it (and its help text) once: again, here
        _translate(cmd, ("help", "short_help", "epilog"))
        for param in cmd.params:
            _translate(param, ("help",))


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def _translate(obj: object, attrs: Sequence[str]) -> None:
    originals = obj.__dict__.setdefault(_ORIGINAL, {})
    for attr in attrs:
        if attr not in originals:
            originals[attr] = getattr(obj, attr, None)
        english = originals[attr]
        if isinstance(english, str) and english:
            setattr(obj, attr, i18n._(inspect.cleandoc(english)))


def activate(code: str, command: click.Command) -> str:
    """Make `code` the language of the interface and of `command`'s tree."""
    language = i18n.activate(code)
    route_click()
    localize_tree(command)
    return language
