"""Layout rules as pure functions: frame geometry, safe area, line breaking, placement.

Nothing here draws. Widths come from a `measure(text) -> float` callable (the renderer passes
one backed by the real fonts; the normalize step uses character counts).

Rules (BBC subtitle guidelines §3, §10; Netflix French/Arabic guides; see the reference file):
- break only at spaces; NBSP (U+00A0) and NNBSP (U+202F) never break, so `danger ?` stays whole;
- no line starts with `? ! : ; » ) , %` or Arabic `؟ ، ؛`, none ends with `« ( [`;
- one line when it fits, else the fewest lines; among the ways to set them, the cheapest:
  breaks after punctuation and before conjunctions/prepositions preferred, a line ending with
  an article, a preposition or a pronoun avoided (captions.linebreaks, per language), lines
  balanced, no lone short word on a line, no short line above a long one;
- at most 2 lines (3 on a vertical frame), at most 68% of a 16:9 frame's width (90% for 4:3,
  1:1 and 9:16), all ink inside the safe area of the frame's shape;
- on a Short, also clear of what the Shorts player draws over the video (SHORTS_UI).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from config.i18n import _

from .bidi import CONTROLS
from .errors import LayoutError
from .fonts import script_of
from .linebreaks import break_cost

MAX_CHARS = 42
NO_LINE_START = frozenset("?!:;»),%‰٪]›؟،؛")
NO_LINE_END = frozenset("«([¿¡‹")
# Shape costs of a set of lines, in units of a full line (break costs: captions.linebreaks).
BALANCE = 1.0  # per line: distance from the mean width
LONE_WORD = 0.5  # a line holding one short word (scaled down as the word gets wider)
SHORT_THEN_LONG = 0.5  # a line narrower than the line below it
_BREAK = re.compile(r"[ \t\r\n]+")  # NBSP and U+202F are deliberately absent

# Safe area (x0, y0, x1, y1 as fractions) and widest line, per frame shape.
_SHAPES = {
    "wide": ((0.125, 0.05, 0.875, 0.95), 0.68, 2),  # 16:9 and wider: BBC §10, §3.1
    "square": ((0.05, 0.05, 0.95, 0.95), 0.90, 2),  # 4:3, 1:1, 4:5
    "vertical": ((0.05, 0.125, 0.95, 0.875), 0.90, 3),  # 9:16
}
# What the Shorts player covers, as fractions of its 9:16 screen (x0, y0, x1, y1 of the part
# left clear): the search and menu icons along the top; the title, channel name, subscribe
# button and progress bar along the bottom quarter; the like, comment, share and remix
# buttons in a column along the right edge. Cues stay centred, so the clear band is taken
# symmetric about the middle.
SHORTS_UI = (0.15, 0.10, 0.85, 0.75)


@dataclass(frozen=True)
class Geometry:
    """The facts of one frame size that layout needs, in pixels."""

    width: int
    height: int
    shape: str  # wide | square | vertical
    safe: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
    max_width: int  # widest ink of a line, box or outline included
    max_lines: int


@functools.cache
def geometry(frame_w: int, frame_h: int, shorts: bool = False) -> Geometry:
    """Safe area, widest line and most lines for a frame of this size (`shorts`: as the
    Shorts player shows it, the safe area also clear of the player's overlays)."""
    if frame_w <= 0 or frame_h <= 0:
        raise LayoutError(_("frame size {frame_w}x{frame_h} is not a picture size").format(
                              frame_w=frame_w, frame_h=frame_h))
    ratio = frame_w / frame_h
    shape = "wide" if ratio >= 1.5 else "vertical" if ratio < 0.8 else "square"
    (fx0, fy0, fx1, fy1), widest, lines = _SHAPES[shape]
    safe = (math.ceil(fx0 * frame_w), math.ceil(fy0 * frame_h),
            math.floor(fx1 * frame_w), math.floor(fy1 * frame_h))
    if shorts:
        clear = shorts_clear_area(frame_w, frame_h)
        safe = (max(safe[0], clear[0]), max(safe[1], clear[1]),
                min(safe[2], clear[2]), min(safe[3], clear[3]))
    max_width = min(math.floor(widest * frame_w), safe[2] - safe[0])
    return Geometry(frame_w, frame_h, shape, safe, max_width, lines)


def shorts_clear_area(frame_w: int, frame_h: int) -> tuple[int, int, int, int]:
    """The part of a frame that the Shorts player leaves uncovered, in the frame's pixels.

    The player shows the video full width in a 9:16 screen, centred vertically (a square or
    4:5 video has bars above and below, so less of it lies under the bottom overlays).
    """
    screen_h = frame_w * 16 / 9
    top = (screen_h - frame_h) / 2  # the frame's top in screen pixels (negative: taller)
    x0, y0, x1, y1 = SHORTS_UI
    return (math.ceil(x0 * frame_w), max(0, math.ceil(y0 * screen_h - top)),
            math.floor(x1 * frame_w), min(frame_h, math.floor(y1 * screen_h - top)))


def is_rtl(language: str) -> bool:
    """Paragraph direction comes from the cue's language, never from its first letter."""
    return script_of(language) == "arabic"


def visible_length(text: str) -> int:
    """Characters a reader sees: combining marks and format/bidi controls are not counted."""
    return sum(1 for ch in text
               if ch not in CONTROLS and unicodedata.category(ch) not in ("Mn", "Me", "Cf"))


def _starts_forbidden(word: str) -> bool:
    for ch in word:
        if ch in CONTROLS or unicodedata.category(ch) == "Cf":
            continue
        return ch in NO_LINE_START
    return False


def _words(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for sep in _BREAK.finditer(text):
        if sep.start() > pos:
            spans.append((pos, sep.start()))
        pos = sep.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def wrap_offsets(text: str, *, max_chars: int | None = MAX_CHARS,
                 max_width_px: float | None = None,
                 measure: Callable[[str], float] | None = None,
                 max_lines: int | None = None, cue: int | None = None,
                 measure_span: Callable[[int, int], float] | None = None,
                 language: str | None = None) -> list[tuple[int, int]]:
    """The (start, end) offsets in `text` of each wrapped line (see `wrap_text`).

    `measure_span(start, end)` measures `text[start:end]` by offsets, for a caller whose
    widths depend on more than the characters (bold spans); it wins over `measure`.
    A "\n" in `text` marks an author's line break: re-flowed like a space, but a slightly
    better place to break (captions.linebreaks).
    """
    words = _words(text)
    if not words:
        return []
    n = len(words)

    def piece(a: int, b: int) -> str:
        return _BREAK.sub(" ", text[words[a][0]:words[b - 1][1]])

    @functools.cache
    def width(a: int, b: int) -> float:
        if measure_span is not None:
            return measure_span(words[a][0], words[b - 1][1])
        return measure(piece(a, b)) if measure else float(visible_length(piece(a, b)))

    @functools.cache
    def fits(a: int, b: int) -> bool:
        if max_chars is not None and visible_length(piece(a, b)) > max_chars:
            return False
        return max_width_px is None or width(a, b) <= max_width_px + 1e-6

    for k in range(n):
        if not fits(k, k + 1):
            word = text[words[k][0]:words[k][1]]
            limit = (f"{max_width_px:.0f} px" if max_width_px is not None
                     and (max_chars is None or visible_length(word) <= max_chars)
                     else _("{count} characters").format(count=max_chars))
            raise LayoutError(_("the word {word!r} is wider than a line ({limit}); "
                                "shorten it or add a space where it may break").format(
                                  word=word, limit=limit), cue=cue)

    texts = [text[a:b] for a, b in words]
    # breakable[k]: a line may start at word k (and the line before may end at word k - 1)
    breakable = [k == 0 or not (_starts_forbidden(texts[k]) or _ends_forbidden(texts[k - 1]))
                 for k in range(n)]
    lines = _fewest_lines(n, breakable, fits, max_lines)
    if lines is None:
        limit = max_lines if max_lines is not None else n
        bounds = []
        if max_width_px is not None:
            bounds.append(_("{width:.0f} px").format(width=max_width_px))
        if max_chars:
            bounds.append(_("{count} characters").format(count=max_chars))
        raise LayoutError(_("the text does not fit on {limit} line(s) of {bounds}: split the "
                            "cue in two or shorten it").format(
                              limit=limit, bounds=_(" and ").join(bounds)), cue=cue)
    costs = [0.0] + [break_cost(texts[k - 1], texts[k], language,
                                authored="\n" in text[words[k - 1][1]:words[k][0]])
                     for k in range(1, n)]
    full = max_width_px if max_width_px is not None else (
        float(max_chars) if max_chars is not None else width(0, n))
    ends = _best_breaks(n, lines, breakable, fits, width, costs, full)
    starts = (0, *ends[:-1])
    return [(words[a][0], words[b - 1][1]) for a, b in zip(starts, ends, strict=True)]


def _ends_forbidden(word: str) -> bool:
    for ch in reversed(word):
        if ch in CONTROLS or unicodedata.category(ch) == "Cf":
            continue
        return ch in NO_LINE_END
    return False


def _fewest_lines(n: int, breakable: list[bool], fits: Callable[[int, int], bool],
                  max_lines: int | None) -> int | None:
    """The fewest lines words[:n] can be set on (None when more than `max_lines` are needed)."""
    reached = {0}
    for lines in range(1, (max_lines if max_lines is not None else n) + 1):
        following: set[int] = set()
        for i in reached:
            for j in range(i + 1, n + 1):
                if not fits(i, j):
                    break
                if j == n or breakable[j]:
                    following.add(j)
        if n in following:
            return lines
        if not following:
            return None
        reached = following
    return None


def _best_breaks(n: int, lines: int, breakable: list[bool], fits: Callable[[int, int], bool],
                 width: Callable[[int, int], float], costs: list[float],
                 full: float) -> tuple[int, ...]:
    """The line ends (word indices) of the cheapest way to set n words on exactly `lines` lines.

    Cost = the break costs (captions.linebreaks) + for each line its distance from the mean
    width + a lone word on a line + a line shorter than the next (short-then-long), widths in
    units of a full line. Dynamic programming over (start, end) of the last line, since the
    short-then-long term looks at two neighbouring lines.
    """
    mean = width(0, n) / lines
    full = max(full, 1e-9)

    def line_cost(i: int, j: int) -> float:
        w = width(i, j)
        cost = BALANCE * abs(w - mean) / full
        if j - i == 1 and n > lines:
            cost += LONE_WORD * max(0.0, 1 - w / full)
        return cost

    # layer[(i, j)]: cheapest (cost, ends) for words[:j] whose last line is words[i:j]
    layer: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}
    for j in range(1, n + 1):
        if not fits(0, j):
            break
        if j == n or breakable[j]:
            layer[(0, j)] = (line_cost(0, j), (j,))
    for _line in range(lines - 1):
        following: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}
        for (h, i), (cost, ends) in layer.items():
            if i == n:
                continue
            above = width(h, i)
            for j in range(i + 1, n + 1):
                if not fits(i, j):
                    break
                if j < n and not breakable[j]:
                    continue
                below = width(i, j)
                total = (cost + costs[i] + line_cost(i, j)
                         + SHORT_THEN_LONG * max(0.0, below - above) / full)
                candidate = (round(total, 9), (*ends, j))
                if (i, j) not in following or candidate < following[(i, j)]:
                    following[(i, j)] = candidate
        layer = following
    return min(value for (_, j), value in layer.items() if j == n)[1]


def wrap_text(text: str, language: str, *, max_chars: int | None = MAX_CHARS,
              max_width_px: float | None = None,
              measure: Callable[[str], float] | None = None,
              max_lines: int | None = None, cue: int | None = None) -> list[str]:
    """Break `text` into balanced lines at allowed points only.

    Author line breaks are re-flowed like spaces (a slightly preferred break point). Without
    `measure`, widths are visible character counts (the normalize step's mode).
    `max_lines=None` allows as many lines as needed; otherwise a text that needs more raises
    LayoutError, as does a word wider than a line. The forbidden line starts and ends are the
    same for every language; the preferred break points (after punctuation, before conjunctions
    and prepositions, never after an article) use the word lists of `language`
    (captions.linebreaks).
    """
    return [_BREAK.sub(" ", text[a:b])
            for a, b in wrap_offsets(text, max_chars=max_chars, max_width_px=max_width_px,
                                     measure=measure, max_lines=max_lines, cue=cue,
                                     language=language)]


def centred_x(frame_w: int, axis: float) -> int:
    """Where an image whose centre line is at `axis` (its own x) goes to be centred in the frame."""
    return round(frame_w / 2 - axis)


def block_y(geo: Geometry, ink_top: int, ink_bottom: int, *, top: bool,
            reserved: int = 0) -> int:
    """Where an image goes vertically so its ink sits at the safe bottom (or top), above
    (below) `reserved` pixels already taken by another track."""
    if top:
        return geo.safe[1] + reserved - ink_top
    return geo.safe[3] - reserved - ink_bottom
