"""Cue markup to styled spans: what is kept (italic, bold, colour, top), what never reaches pixels.

Two syntaxes:
- "html" (SRT and WebVTT): `<i> <b> <em> <strong>`, `<font color>`, entities (`&amp;` ...), ASS
  override blocks such as `{\\an8}` (ffmpeg honours them in SRT), WebVTT `<c.x> <v Name> <lang>`
  and inline timestamps `<00:00:01.000>` (stripped). Any other tag is stripped, its text kept.
- "ass" (ASS/SSA event text): override blocks `{\\i1 \\b1 \\c&HBBGGRR& \\an8 \\r}` and
  `\\N \\n \\h`.
  HTML-looking text and entities are literal there, as libass shows them.

Italic is dropped on Arabic and Tifinagh text (no italics in those scripts; Netflix Arabic guide).
Emoji are removed here and reported by the caller, so no consumer ever draws one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from captions.model import Span

NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    # The 16 HTML 4 colours plus orange: what subtitle editors put in <font color="...">.
    "black": (0, 0, 0), "silver": (192, 192, 192), "gray": (128, 128, 128),
    "grey": (128, 128, 128), "white": (255, 255, 255), "maroon": (128, 0, 0),
    "red": (255, 0, 0), "purple": (128, 0, 128), "fuchsia": (255, 0, 255),
    "magenta": (255, 0, 255), "green": (0, 128, 0), "lime": (0, 255, 0),
    "olive": (128, 128, 0), "yellow": (255, 255, 0), "navy": (0, 0, 128),
    "blue": (0, 0, 255), "teal": (0, 128, 128), "aqua": (0, 255, 255),
    "cyan": (0, 255, 255), "orange": (255, 165, 0),
}

_OVERRIDE = r"\{\\[^}]*\}"
_HTML_TOKEN = re.compile(
    rf"(?P<override>{_OVERRIDE})"
    r"|(?P<stamp><\d{1,3}(?::\d{1,2}){1,2}[.,]\d{1,3}>)"
    r"|(?P<tag></?\s*(?P<name>[A-Za-z][A-Za-z0-9]*)(?P<attrs>(?:[.\s][^>]*)?)>)"
)
_ASS_TOKEN = re.compile(rf"(?P<override>{_OVERRIDE})|(?P<newline>\\[Nn])|(?P<hardspace>\\h)")
_COLOR_ATTR = re.compile(r"""color\s*=\s*["']?\s*([#\w]+)""", re.IGNORECASE)
_ASS_COLOR = re.compile(r"&?H?([0-9A-Fa-f]{1,8})&?")
_ASS_OVERRIDE_TAG = re.compile(r"\\(an|[1]?c|a|i|b|r)([^\\]*)")

# Emoji: pictographic blocks plus the joiners/modifiers that glue a sequence together (the same
# blocks captions.fonts removes before drawing). The BBC's ♫ (U+266B) is among them: no bundled
# font draws it, so it is removed and reported like any emoji rather than drawn as a box.
_EMOJI_BASE = (
    "\U0001f000-\U0001faff"
    "\u2600-\u27bf"
    "\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"
    "\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
)
_EMOJI_MOD = "\ufe0f\ufe0e\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
EMOJI_CHAR = re.compile(f"[{_EMOJI_BASE}{_EMOJI_MOD}]")  # one pictograph or modifier
EMOJI = re.compile(
    r"[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    rf"|[{_EMOJI_BASE}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MOD}]*)*"
    rf"|[{_EMOJI_MOD}]+"
)

ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF),
                 (0xFE70, 0xFEFF))
TIFINAGH_RANGE = (0x2D30, 0x2D7F)


def is_arabic(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in ARABIC_RANGES)


def is_tifinagh(char: str) -> bool:
    return TIFINAGH_RANGE[0] <= ord(char) <= TIFINAGH_RANGE[1]


def _no_italic_script(text: str) -> bool:
    return any(is_arabic(ch) or is_tifinagh(ch) for ch in text)


def find_emoji(text: str) -> list[str]:
    """The emoji sequences in `text` (a ZWJ between Arabic letters is not one of them)."""
    return [m.group(0) for m in EMOJI.finditer(text)]


def remove_emoji(text: str) -> str:
    return EMOJI.sub("", text)


@dataclass(frozen=True)
class _State:
    italic: bool = False
    bold: bool = False
    color: tuple[int, int, int] | None = None


@dataclass
class Markup:
    """The result of parsing one cue's text."""

    lines: list[list[Span]]
    top: bool | None  # True/False when an override said so, None when it did not
    emoji: list[str]  # emoji removed from the text, in order


def parse_color(value: str) -> tuple[int, int, int] | None:
    """`#ffff00`, `#ff0`, `ffff00` or a colour name to RGB; None when unknown (dropped)."""
    value = value.strip().lower()
    if value in NAMED_COLORS:
        return NAMED_COLORS[value]
    digits = value.lstrip("#")
    if re.fullmatch(r"[0-9a-f]{3}", digits):
        digits = "".join(ch * 2 for ch in digits)
    if re.fullmatch(r"[0-9a-f]{6}", digits):
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    return None


def _ass_color(value: str) -> tuple[int, int, int] | None:
    """ASS `&HBBGGRR&` (optionally with alpha first) to RGB."""
    match = _ASS_COLOR.fullmatch(value.strip())
    if not match:
        return None
    number = int(match.group(1), 16)
    return number & 0xFF, (number >> 8) & 0xFF, (number >> 16) & 0xFF


def _apply_override(block: str, state: _State, base: _State) -> tuple[_State, bool | None]:
    """Apply one `{\\...}` block; returns the new state and the top flag it sets, if any."""
    top: bool | None = None
    for name, arg in _ASS_OVERRIDE_TAG.findall(block[1:-1]):
        arg = arg.strip()
        if name == "an" and arg[:1].isdigit():
            top = arg[0] in "789"
        elif name == "a" and arg.isdigit():
            top = int(arg) in (5, 6, 7)  # legacy SSA numbering: 5–7 are the top row
        elif name == "i":
            state = replace(state, italic=arg not in ("", "0"))
        elif name == "b":
            state = replace(state, bold=arg not in ("", "0"))
        elif name in ("c", "1c"):
            state = replace(state, color=_ass_color(arg) if arg else base.color)
        elif name == "r":
            state = base
    return state, top


def parse_markup(text: str, *, syntax: str = "html", italic: bool = False, bold: bool = False,
                 color: tuple[int, int, int] | None = None) -> Markup:
    """Turn one cue's text (lines separated by "\\n") into lines of spans.

    `italic`, `bold` and `color` are the base style (ASS style line). Italic is dropped on
    Arabic and Tifinagh text here; the reader drops it on whole Arabic and Tamazight tracks.
    """
    base = _State(italic, bold, color)
    state = base
    stack: list[tuple[str, _State]] = []  # open HTML tags and the state before each
    pieces: list[tuple[str, _State]] = []
    top: bool | None = None
    token_re = _HTML_TOKEN if syntax == "html" else _ASS_TOKEN
    pos = 0
    for match in token_re.finditer(text):
        if match.start() > pos:
            pieces.append((text[pos:match.start()], state))
        pos = match.end()
        kind = match.lastgroup
        if match.group("override"):
            state, override_top = _apply_override(match.group("override"), state, base)
            if override_top is not None:
                top = override_top
        elif kind == "newline":
            pieces.append(("\n", state))
        elif kind == "hardspace":
            pieces.append(("\u00a0", state))
        elif match.group(0).startswith("<") and syntax == "html" and match.group("name"):
            state = _apply_tag(match, state, stack)
    if pos < len(text):
        pieces.append((text[pos:], state))
    return _build_lines(pieces, syntax=syntax, top=top)


def _apply_tag(match: re.Match[str], state: _State, stack: list[tuple[str, _State]]) -> _State:
    name = match.group("name").lower()
    closing = match.group("tag").lstrip("<").lstrip().startswith("/")
    if closing:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                restored = stack[i][1]
                del stack[i:]
                return restored
        return state  # a stray closing tag: stripped, nothing to restore
    if name in ("i", "em"):
        new = replace(state, italic=True)
    elif name in ("b", "strong"):
        new = replace(state, bold=True)
    elif name == "font":
        found = _COLOR_ATTR.search(match.group("attrs") or "")
        new = replace(state, color=parse_color(found.group(1))) if found else state
        if found and new.color is None:
            new = replace(new, color=state.color)  # unknown colour: dropped, keep the outer one
    else:
        new = state  # <u>, <s>, <c.cls>, <v Name>, <lang>, <ruby>...: text kept, tag stripped
    stack.append((name, state))
    return new


def _build_lines(pieces: list[tuple[str, _State]], *, syntax: str,
                 top: bool | None) -> Markup:
    lines: list[list[Span]] = [[]]
    emoji: list[str] = []
    for raw, state in pieces:
        text = html.unescape(raw) if syntax == "html" else raw
        emoji.extend(find_emoji(text))
        text = remove_emoji(text)
        for n, part in enumerate(text.split("\n")):
            if n:
                lines.append([])
            if not part:
                continue
            italic = state.italic and not _no_italic_script(part)
            lines[-1].append(Span(part, italic=italic, bold=state.bold, color=state.color))
    tidy = [_tidy_line(line) for line in lines]
    while tidy and not tidy[-1]:
        tidy.pop()
    while tidy and not tidy[0]:
        tidy.pop(0)
    return Markup(tidy, top, emoji)


def _tidy_line(spans: list[Span]) -> list[Span]:
    """Collapse runs of spaces (also across spans), trim the line, merge equal styles.

    A run of spaces holding a no-break space becomes that one no-break space (`<3 &nbsp;fin`
    shows one space, which still does not break)."""
    out: list[Span] = []
    previous_space = True  # so leading spaces are dropped
    for span in spans:
        text = re.sub(r"[ \t]*([\u00a0\u202f])[ \t\u00a0\u202f]*", r"\1", span.text)
        text = re.sub(r"[ \t]+", " ", text)
        if previous_space:
            text = text.lstrip(" \t")
        if not text:
            continue
        previous_space = text.endswith(" ")
        if out and _same_style(out[-1], span):
            out[-1] = replace(out[-1], text=out[-1].text + text)
        else:
            out.append(replace(span, text=text))
    if out:
        last = out[-1].text.rstrip(" \t")
        if last:
            out[-1] = replace(out[-1], text=last)
        else:
            out.pop()
    return out


def _same_style(a: Span, b: Span) -> bool:
    return (a.italic, a.bold, a.color) == (b.italic, b.bold, b.color)
