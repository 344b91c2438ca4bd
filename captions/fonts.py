"""The bundled fonts: which face draws which character, at which size, and what no face covers.

Pillow has no font fallback (Pillow #4808), so text is split into runs, each drawn in the first
face of its language's chain that covers it (from the faces' cmaps, read once with fontTools):

    Latin (fr, en, …)  [user font] → Noto Sans
    Arabic (ar, …)     [user font] → Noto Sans Arabic (or Naskh) → Noto Sans  (Latin, `%`)
    Tifinagh (zgh, …)  [user font] → Noto Sans Tifinagh → Noto Sans          (digits, Latin)
    then the other bundled scripts, so a quoted word in another script is drawn, not tofu.

Scripts are scaled so they look the same size, by matching letter heights rather than ems
(font units, all faces 1000/em; measured on the bundled files):

    Noto Sans           x-height 536 (OS/2 sxHeight = outline of "x"), cap height 714.
    Noto Sans Tifinagh  unicase, letters stand at cap height: OS/2 sCapHeight 714 = "ⵜ" → ×1.000
                        (matched to the Latin cap height 714).
    Noto Sans Arabic    OS/2 declares sxHeight 374 / sCapHeight 416, which describe no letter
                        (heh "ه" tops at 471, alef at 714); the Arabic x-height is read from the
                        outline of heh: 536 / 471 → ×1.138 (alef then stands at 813, a little
                        above the Latin caps, as Arabic needs to read at the same size).
    Noto Naskh Arabic   OS/2 heights are 0; heh tops at 408: 536 / 408 → ×1.314.
    A user font         its OS/2 height when it agrees with its outline (±5%), else the outline.

Line metrics (for the line pitch) are the hhea ascent/descent for Latin and Tifinagh (1069/293:
1.362 em, what getmetrics() returns). The Arabic faces reserve 1374/738 (2.1 em) for stacked
vowel marks, which would space lines twice as far apart as Latin ones; their pitch is taken from
the extent of the base letters U+0621–U+064A instead (Noto Sans Arabic 940/421: 1.361 em before
scaling). Marks that rise above that are never clipped: the renderer sizes its canvas from the
real ink.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from config.i18n import _

from .bidi import CONTROLS
from .errors import FontCoverageError, RendererUnavailable
from .markup import EMOJI_CHAR

FONT_DIR = Path(__file__).parent / "fonts"

ARABIC_LANGUAGES = frozenset({"ar", "fa", "ur", "ps", "ckb", "ug", "ary", "arq", "aeb"})
TIFINAGH_LANGUAGES = frozenset({"zgh", "tzm", "shi", "rif", "ber"})

# Font files per face key.
FILES = {
    "latin": "NotoSans-Regular.ttf",
    "latin-bold": "NotoSans-Bold.ttf",
    "latin-italic": "NotoSans-Italic.ttf",
    "latin-bolditalic": "NotoSans-BoldItalic.ttf",
    "arabic": "NotoSansArabic-Regular.ttf",
    "arabic-bold": "NotoSansArabic-Bold.ttf",
    "naskh": "NotoNaskhArabic-Regular.ttf",
    "naskh-bold": "NotoNaskhArabic-Bold.ttf",
    "tifinagh": "NotoSansTifinagh-Regular.ttf",
}
USER_PREFIX = "user:"

# The letter whose height stands for each script's size, and the Latin height it must match.
_REFERENCE = {"latin": ("x", "sxHeight"), "arabic": ("\u0647", None),
              "tifinagh": ("\u2d5c", "sCapHeight")}
_LATIN_X_HEIGHT = 536
_LATIN_CAP_HEIGHT = 714


@dataclass(frozen=True)
class Face:
    """One font file and what layout needs from it (all heights in ems)."""

    key: str
    path: Path
    script: str  # latin | arabic | tifinagh | user
    scale: float  # size multiplier so this face looks as big as Noto Sans at 1.0
    ascent: float  # line metrics, em, before scaling
    descent: float
    coverage: frozenset[int]


def script_of(language: str) -> str:
    """The writing system of a BCP-47 language tag: latin, arabic or tifinagh."""
    primary = language.lower().replace("_", "-")
    if "-tfng" in primary or primary.split("-")[0] in TIFINAGH_LANGUAGES:
        return "tifinagh"
    if "-arab" in primary or primary.split("-")[0] in ARABIC_LANGUAGES:
        return "arabic"
    return "latin"


@functools.cache
def ensure_raqm() -> None:
    """Fail fast when Pillow cannot shape complex scripts (checked once, at first use)."""
    from PIL import features

    if not features.check("raqm"):
        raise RendererUnavailable(
            _("Pillow was built without raqm, so Arabic would be drawn disconnected and "
              "mirrored: install libraqm (Debian/Ubuntu: apt install libraqm0) and "
              "reinstall Pillow"))


def _outline_box(font, char: str) -> tuple[float, float] | None:
    from fontTools.pens.boundsPen import BoundsPen

    name = font.getBestCmap().get(ord(char))
    if name is None:
        return None
    glyphs = font.getGlyphSet()
    pen = BoundsPen(glyphs)
    glyphs[name].draw(pen)
    if pen.bounds is None:
        return None
    return pen.bounds[1], pen.bounds[3]


def _reference_height(font, script: str) -> float | None:
    """Height (font units) of the script's reference letter: OS/2 if it agrees, else outline."""
    char, field = _REFERENCE[script]
    box = _outline_box(font, char)
    measured = box[1] if box else None
    declared = getattr(font["OS/2"], field, 0) if field and "OS/2" in font else 0
    if declared and (measured is None or abs(declared - measured) <= 0.05 * measured):
        return float(declared)
    return measured


@functools.cache
def _load_face(key: str) -> Face:
    from fontTools.ttLib import TTFont

    if key.startswith(USER_PREFIX):
        path, script = Path(key[len(USER_PREFIX):]), "user"
    else:
        path = FONT_DIR / FILES[key]
        script = key.split("-")[0].replace("naskh", "arabic")
    try:
        font = TTFont(str(path), fontNumber=0, lazy=True)
        cmap = font.getBestCmap() or {}
    except Exception as exc:  # fontTools raises many kinds on a non-font file
        raise FontCoverageError(_("cannot read this font ({exc}); give a .ttf or .otf "
                                  "file").format(exc=exc),
                                path=path) from exc
    upem = font["head"].unitsPerEm
    hhea = font["hhea"]
    ascent, descent = hhea.ascent / upem, -hhea.descent / upem
    scale = 1.0
    if script == "arabic":
        letters = [_outline_box(font, chr(c)) for c in range(0x621, 0x64B)]
        letters = [box for box in letters if box]
        ascent = max(top for _, top in letters) / upem
        descent = -min(bottom for bottom, _ in letters) / upem
        scale = _LATIN_X_HEIGHT / _reference_height(font, "arabic")
    elif script == "tifinagh":
        scale = _LATIN_CAP_HEIGHT / _reference_height(font, "tifinagh")
    elif script == "user":
        height = _reference_height(font, "latin")
        scale = _LATIN_X_HEIGHT * upem / 1000 / height if height else 1.0
    return Face(key, path, script, scale, ascent, descent, frozenset(cmap))


def face(key: str) -> Face:
    """The face registered under `key` (a bundled key or "user:<path>")."""
    return _load_face(key)


def user_key(path: Path | str) -> str:
    return USER_PREFIX + str(Path(path).expanduser().resolve())


def chain(language: str, user_font: Path | str | None = None, *, bold: bool = False,
          italic: bool = False, arabic: str = "arabic") -> list[str]:
    """The face keys tried in order for text of `language`. No italics for Arabic or Tifinagh."""
    script = script_of(language)
    slant = italic and script == "latin"
    latin = {(False, False): "latin", (True, False): "latin-bold", (False, True): "latin-italic",
             (True, True): "latin-bolditalic"}[(bold, slant)]
    keys = [user_key(user_font)] if user_font else []
    if script == "arabic":
        keys.append(arabic + ("-bold" if bold else ""))
    elif script == "tifinagh":
        keys.append("tifinagh")  # Noto Sans Tifinagh has a single weight
    keys.append(latin)
    # Any other bundled script last, so a quoted Arabic or Tifinagh word is never tofu.
    keys += [k for k in (arabic + ("-bold" if bold else ""), "tifinagh") if k not in keys]
    return keys


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


def _ignorable(char: str) -> bool:
    """Characters that draw nothing: whitespace, bidi and other format controls."""
    return char.isspace() or char in CONTROLS or unicodedata.category(char) == "Cf"


def is_emoji(char: str) -> bool:
    """A pictograph or emoji modifier: the blocks the reader's emoji warning uses (markup)."""
    return EMOJI_CHAR.match(char) is not None


def remove_emoji(text: str) -> str:
    """The text without pictographs, their variation selectors and the joiners between them.

    Spaces are left as they are (a caller joining styled pieces collapses them across pieces).
    """
    if not any(is_emoji(ch) for ch in text):
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        if is_emoji(ch):
            continue
        if ch == "\u200d" and ((i > 0 and is_emoji(text[i - 1]))
                               or (i + 1 < len(text) and is_emoji(text[i + 1]))):
            continue
        out.append(ch)
    return "".join(out)


def _clusters(text: str) -> list[str]:
    """Base characters with their combining marks (a mark at the start stands alone)."""
    clusters: list[str] = []
    for ch in text:
        if clusters and _is_mark(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _pick(cluster: str, keys: list[str], previous: str | None) -> str | None:
    """The face for one cluster: the previous run's face for neutrals it covers, else the chain."""
    covering = [k for k in keys if all(ord(c) in face(k).coverage for c in cluster)]
    if not covering:
        return None
    first = cluster[0]
    neutral = not unicodedata.category(first).startswith("L") or first.isdigit()
    if neutral and previous in covering:
        return previous
    return covering[0]


def uncovered_characters(text: str, language: str, user_font: Path | str | None = None, *,
                         arabic: str = "arabic") -> set[str]:
    """Characters no face of the language's chain can draw (they would come out as tofu).

    `arabic` is the style's Arabic face (arabic or naskh): the renderer tries only that one.
    Whitespace and format controls draw nothing and are ignored; a combining mark is covered
    when any face of the chain has it (shaping attaches it to its base).
    """
    keys = chain(language, user_font, arabic=arabic)
    for style in (dict(bold=True), dict(italic=True)):
        keys += [k for k in chain(language, user_font, arabic=arabic, **style) if k not in keys]
    missing: set[str] = set()
    for ch in text:
        if _ignorable(ch) or ch == "\n":
            continue
        if not any(ord(ch) in face(k).coverage for k in keys):
            missing.add(ch)
    return missing


def split_runs(text: str, language: str, user_font: Path | str | None = None, *,
               bold: bool = False, italic: bool = False, arabic: str = "arabic",
               cue: int | None = None) -> list[tuple[str, str]]:
    """Cut `text` into (text, face key) runs, each drawn in the first face that covers it.

    A cluster (base + marks) stays in one face when one face has them all (else each goes to
    the first face that has it: detached beats tofu); neutrals (spaces, punctuation, digits) stay in
    the face of the run before them when it covers them, so "ONUDC:" is one Latin run. Format
    controls ride along with their neighbours (they are never drawn). Raises FontCoverageError
    naming the first character no face covers.
    """
    keys = chain(language, user_font, bold=bold, italic=italic, arabic=arabic)
    runs: list[list[str]] = []
    previous: str | None = None
    units: list[str] = []
    for cluster in _clusters(text):
        if len(cluster) > 1 and _pick(cluster, keys, None) is None:
            units += cluster  # no face has the base and its marks together: one face each
        else:
            units.append(cluster)
    for cluster in units:
        if all(_ignorable(c) and not c.isspace() for c in cluster):
            key = previous or keys[0]
        else:
            key = _pick(cluster, keys, previous)
            if key is None:
                raise FontCoverageError(
                    _("no bundled font can draw {char!r} (U+{ord:04X}); remove it "
                      "or add a font that has it to the style (font=PATH)").format(
                        char=cluster[0], ord=ord(cluster[0])), cue=cue)
        if runs and runs[-1][1] == key:
            runs[-1][0] += cluster
        else:
            runs.append([cluster, key])
        previous = key
    return [(run_text, key) for run_text, key in runs]


@functools.lru_cache(maxsize=256)
def pil_font(key: str, size: float):
    """A Pillow font for `key` at `size` pixels (cached: loading a face costs milliseconds)."""
    from PIL import ImageFont

    ensure_raqm()
    return ImageFont.truetype(str(face(key).path), size=size,
                              layout_engine=ImageFont.Layout.RAQM)
