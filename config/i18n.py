"""The interface language: stdlib gettext catalogs (domain `capsule`), chosen once per run.

Messages are marked with `_()` where they are built, and the active translation is looked up at
call time: a message built after `activate("fr")` reads in French, one built before (or by a
machine output) stays as written. Text defined at import time (constants, Click's help) is marked
with `N_()` and translated where it is shown. Catalogs are `.po` sources in
`config/locale/LANG/LC_MESSAGES/capsule.po`, compiled to `.mo` by the build (setup.py, Babel);
a language is available when its `.mo` is there, so Arabic needs a catalog, not code.

It lives in `config/` because every package (captions, config, publish) raises messages and
`config/` is the one they may all import.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "capsule"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_CODE = re.compile(r"[a-z]{2,3}")

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def _(message: str) -> str:
    """`message` in the interface language (the active catalog, resolved at each call)."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, by the active catalog's plural rule."""
    return _active.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message defined at import time; translate it with `_()` where it is shown."""
    return message


def language() -> str:
    """The active interface language code (`en` when no catalog is active)."""
    return _language


def available_languages(localedir: Path | None = None) -> list[str]:
    """English plus every language whose compiled catalog is installed."""
    root = localedir or LOCALE_DIR
    found = {DEFAULT_LANGUAGE}
    if root.is_dir():
        found.update(entry.name for entry in root.iterdir()
                     if (entry / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file())
    return sorted(found)


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the locale asks for (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`, as
    gettext reads them), as a bare code: `fr_FR.UTF-8` -> `fr`; C/POSIX -> `en`."""
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
            if code in ("c", "posix"):
                return DEFAULT_LANGUAGE
            if _CODE.fullmatch(code):
                return code
    return None


def choose_language(flag: str | None = None, setting: str | None = None,
                    environ: Mapping[str, str] | None = None) -> str:
    """`--lang-ui` > the `interface_language` setting > the locale > English."""
    return flag or setting or locale_language(environ) or DEFAULT_LANGUAGE


def activate(code: str, localedir: Path | None = None) -> str:
    """Make `code` the interface language; a language without a catalog reads in English."""
    global _active, _language
    _active = gettext.translation(DOMAIN, str(localedir or LOCALE_DIR), languages=[code],
                                  fallback=True)
    _language = code if isinstance(_active, gettext.GNUTranslations) else DEFAULT_LANGUAGE
    return _language


def translation() -> gettext.NullTranslations:
    """The active translation object (for code that calls gettext itself, such as Click)."""
    return _active
