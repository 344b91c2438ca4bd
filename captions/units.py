"""Runs a reader takes as one left-to-right unit inside right-to-left text: helpline numbers,
decimals, percentages, dates and times in digits, e-mail addresses, URLs, Latin hashtags and
mentions, Latin phrases — and dates written in words, which must never be split by a line break.

In a right-to-left paragraph the Unicode bidi algorithm reverses the digit groups of
"0800 00 88 00" (the spaces between them are neutrals that take the paragraph's direction) and
moves the "#" of "#BlueHeart" to the right: ffmpeg+libass and browsers do the same. Arabic
typesetters isolate such runs; `protect` does it for the renderer (LRI…PDI, and no-break
spaces inside, so the line breaker keeps the unit whole), and `mark` does it for YouTube with
LEFT-TO-RIGHT MARKs, which every bidi implementation honours (see README "Numbers in Arabic
subtitles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.i18n import _

LRI, PDI, LRM, NBSP = "\u2066", "\u2069", "\u200e", "\u00a0"

_D = "[0-9\u0660-\u0669\u06f0-\u06f9]"  # ASCII, Arabic-Indic and Extended Arabic-Indic digits
_SEP = "[ .\\-\u00a0\u202f]"
_MONTH_NAMES = """
    يناير فبراير مارس أبريل ابريل ماي مايو يونيو يوليوز يوليو غشت أغسطس اغسطس شتنبر سبتمبر
    أكتوبر اكتوبر نونبر نوفمبر دجنبر ديسمبر جانفي فيفري أفريل افريل جوان جويلية أوت
    كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين
    janvier février fevrier mars avril mai juin juillet août aout septembre octobre
    novembre décembre decembre january february march april may june july august september
    october november december
"""  # Maghreb, Egypt/Gulf and Levant/Iraq month names; French; English
_MONTHS = frozenset(_MONTH_NAMES.split())

_LTR_UNITS = [
    ("url", r"(?:https?://|www\.)[^\s\u0600-\u06ff]+?(?=[.,;:!?،؛]?(?:\s|$))"),
    ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    ("tag", r"[#@][A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*"),
    ("date", rf"{_D}{{1,4}}[/.\-]{_D}{{1,2}}[/.\-]{_D}{{1,4}}"),
    ("time", rf"{_D}{{1,2}}:{_D}{{2}}(?::{_D}{{2}})?"),
    ("percent", rf"{_D}+(?:[.,]{_D}+)?[\u00a0\u202f ]?%"),
    ("number", rf"(?:\+|00)?{_D}+(?:(?:{_SEP}|,){_D}+)+"),
    ("latin", r"[A-Za-z][A-Za-z0-9'’\-]*(?: [A-Za-z][A-Za-z0-9'’\-]*)+"),
]
_PATTERN = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _LTR_UNITS))
_WORD_DATE = re.compile(
    rf"{_D}{{1,2}}(?:er)? (?:{'|'.join(map(re.escape, sorted(_MONTHS)))})(?: [^\s\d]+)? {_D}{{4}}",
    re.IGNORECASE)
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


@dataclass(frozen=True)
class Unit:
    """One unit found in a text: its kind, where it is, and its text."""

    kind: str  # url | email | tag | date | time | percent | number | latin | date-words
    start: int
    end: int
    text: str

    @property
    def hazard(self) -> str | None:
        """What the bidi algorithm or a line break would do to it, or None when harmless."""
        if self.kind == "date-words":
            return _("a line break could split the date")
        if self.kind == "latin":
            return None  # strong letters keep their order on their own
        if " " in self.text or "\u00a0" in self.text:
            return _("the bidi algorithm reverses its groups and a line break could split it")
        if re.search(r"[^\w]", self.text):
            return _("the bidi algorithm moves its punctuation")
        return None


def find_units(text: str) -> list[Unit]:
    """The units of `text`, in order, not overlapping (a date in words wins over its digits)."""
    found = [Unit("date-words", m.start(), m.end(), m.group()) for m in _WORD_DATE.finditer(text)]
    masked = list(text)
    for unit in found:  # its digits belong to the date: not a number of their own
        masked[unit.start:unit.end] = "\x00" * (unit.end - unit.start)
    for m in _PATTERN.finditer("".join(masked)):
        found.append(Unit(m.lastgroup or "", m.start(), m.end(), m.group()))
    return sorted(found, key=lambda u: u.start)


def has_rtl(text: str) -> bool:
    return bool(_RTL_LETTER.search(text))


def protect(text: str) -> tuple[str, list[int]]:
    """`text` with each unit kept whole (no-break spaces inside) and each left-to-right unit
    isolated (LRI…PDI), for a right-to-left paragraph; and, for each output character, the
    index of the input character it comes from (an inserted control takes its unit's first)."""
    out: list[str] = []
    source: list[int] = []
    at = 0
    for unit in find_units(text):
        if unit.kind == "latin" and " " not in unit.text:
            continue
        out += text[at:unit.start]
        source += range(at, unit.start)
        isolate = unit.kind != "date-words"
        if isolate:
            out.append(LRI)
            source.append(unit.start)
        keep_whole = unit.kind != "latin"  # a Latin phrase may still wrap between its words
        for i in range(unit.start, unit.end):
            out.append(NBSP if text[i] == " " and keep_whole else text[i])
            source.append(i)
        if isolate:
            out.append(PDI)
            source.append(unit.end - 1)
        at = unit.end
    out += text[at:]
    source += range(at, len(text))
    return "".join(out), source


def mark(text: str) -> str:
    """`text` with every hazardous left-to-right unit between LEFT-TO-RIGHT MARKs, when the
    text holds right-to-left letters (what YouTube's player and pages show correctly)."""
    if not has_rtl(text):
        return text
    out, at = [], 0
    for unit in find_units(text):
        if unit.kind in ("latin", "date-words") or unit.hazard is None:
            continue
        out += [text[at:unit.start], LRM, unit.text, LRM]
        at = unit.end
    out.append(text[at:])
    return "".join(out)
