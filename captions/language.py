"""Which language a subtitle file is written in, and which rule decided it.

`--lang` first, else the file name, else the script (Arabic, Tifinagh), else the words of Latin
text (French and English told apart by stopwords and French accents), else the setting
`subtitle_language`. The language sets the reading-speed limit, italics (none for Arabic and
Tifinagh) and the paragraph direction, so the rule is reported (`captions check` prints
`language fr (from the text)`) and a file named `en` that reads as French is warned about.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from captions.errors import SubtitleReadError
from captions.markup import is_arabic, is_tifinagh
from config.i18n import N_, _

# File-name codes (ISO 639-1/-2/-3 and the Amazigh variants) to the language we work with.
ALIASES: dict[str, str] = {
    "fr": "fr", "fra": "fr", "fre": "fr",
    "en": "en", "eng": "en",
    "ar": "ar", "ara": "ar",
    "zgh": "zgh", "tzm": "zgh", "ber": "zgh",
}
LANGUAGES = ("fr", "ar", "zgh", "en")

_FRENCH = frozenset((
    "le", "la", "les", "un", "une", "des", "du", "de", "et", "est", "sont", "au", "aux", "dans",
    "pour", "par", "sur", "avec", "pas", "ne", "que", "qui", "vous", "nous", "ils", "elle", "il",
    "ce", "cette", "ces", "son", "sa", "ses", "leur", "je", "tu", "on", "à", "où", "être",
    "ont", "mais"))
_ENGLISH = frozenset((
    "the", "an", "and", "is", "are", "of", "to", "in", "for", "on", "with", "not", "that",
    "this", "these", "you", "we", "they", "he", "she", "it", "be", "was", "were", "have", "has",
    "your", "our", "their", "my", "do", "does", "can", "will", "from", "at"))
# Letters that English text does not use and French text has in most sentences.
_FRENCH_LETTERS = frozenset("éèêëàâçîïôûùüœæÿ")
_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*")


class LanguageUnknownError(SubtitleReadError):
    """Neither the file name nor the text says which language the subtitles are in."""


def normalize_language(code: str) -> str:
    """`fr-FR` → fr, `tzm` → zgh; an unknown code is returned lower-cased as given."""
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return ALIASES.get(primary, primary)


def language_from_name(path: Path | str) -> str | None:
    """The language named by a file name: `capsule.ar.srt`, `ar.srt`, `fr-FR.vtt`, `x_zgh.srt`."""
    stem = Path(path).name.rsplit(".", 1)[0]
    tokens = stem.split(".")
    if "_" in tokens[-1]:
        tokens += tokens.pop().split("_")
    for token in reversed(tokens):
        if _TAG.fullmatch(token):
            primary = token.replace("_", "-").split("-")[0].lower()
            if primary in ALIASES:
                return ALIASES[primary]
    return None


def language_from_text(text: str) -> str | None:
    """Arabic or Tifinagh letters decide alone; Latin needs clear French or English stopwords."""
    arabic = tifinagh = latin = 0
    for char in text:
        if is_arabic(char):
            arabic += unicodedata.category(char).startswith("L")
        elif is_tifinagh(char):
            tifinagh += unicodedata.category(char).startswith("L")
        elif char.isalpha() and unicodedata.name(char, "").startswith("LATIN"):
            latin += 1
    if arabic and arabic >= max(tifinagh, latin):
        return "ar"
    if tifinagh and tifinagh >= latin:
        return "zgh"
    if not latin:
        return None
    words = re.findall(r"[^\W\d_]+", text.lower())
    french = sum(word in _FRENCH or not _FRENCH_LETTERS.isdisjoint(word) for word in words)
    english = sum(word in _ENGLISH for word in words)
    if french >= 2 and french >= 2 * english:
        return "fr"
    if english >= 2 and english >= 2 * french:
        return "en"
    return None


@dataclass(frozen=True)
class Decided:
    """A file's language, the rule that decided it, and a warning when name and text differ."""

    language: str
    rule: str  # "--lang" | "the file name" | "the text" | "the setting subtitle_language"
    warning: str | None = None


def decide_language(path: Path | str | None, text: str, *, given: str | None = None,
                    default: str | None = None) -> Decided:
    """`given` (--lang), the file name, the text, then `default` (the setting); else raise."""
    if given:
        return Decided(normalize_language(given), "--lang")
    named = language_from_name(path) if path is not None else None
    read = language_from_text(text)
    if named is not None:
        warning = None
        if {named, read} == {"fr", "en"}:
            warning = _("the file name says {named} but the text reads as {read}: check the "
                        "file, or pass --lang {read}").format(named=named, read=read)
        return Decided(named, N_("the file name"), warning)
    if read is not None:
        return Decided(read, N_("the text"))
    if default:
        return Decided(normalize_language(default), N_("the setting subtitle_language"))
    raise LanguageUnknownError(
        _("cannot tell the language from the file name or the text; pass --lang fr, ar, "
          "zgh or en (or name the file like capsule.fr.srt)"), path=path)


def guess_language(path: Path | str | None, text: str, default: str | None = None) -> str:
    """The file name first, then the script and words of the text, then `default`."""
    return decide_language(path, text, default=default).language
