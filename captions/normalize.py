"""Clean SRT for YouTube caption tracks: what `capsule captions normalize` writes.

Rules (documented for the officers):
- UTF-8 without BOM, LF line ends, cues numbered from 1 in time order.
- Times: a negative start is clamped to 00:00:00,000; a cue whose end is not after its start
  (after clamping), or whose timing line could not be read, stops the normalization with an
  error naming the line: an end time is never invented.
- Empty cues are dropped (nothing to show).
- Chaining (Netflix timing guide): a gap of 0.5 s or less between a cue and the next becomes
  exactly 2 frames, by moving the end of the earlier cue. Overlapping cues are left as they are
  (the checker reports them).
- Markup reduced to what SRT carries: `<i>`, `<b>`, `<font color="#rrggbb">`, and `{\\an8}` for
  a cue at the top (the SRT convention YouTube understands).
- Lines re-wrapped by `captions.layout.wrap_offsets` (42 characters, legal breaks only, after
  punctuation and before conjunctions rather than after an article, balanced); dialogue cues
  whose lines all start with a dash keep their lines. A word longer than a line gets a line of
  its own rather than being cut.
- French: the space before `? ! ;` becomes U+202F (narrow no-break space), before `:` and `»`
  and after `«` U+00A0, so no player breaks a line there.
- Emoji were already removed when the file was read (and reported by the checker).
"""

from __future__ import annotations

import errno
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from captions.errors import LayoutError, SubtitleCheckError
from captions.layout import visible_length, wrap_offsets
from captions.model import Cue, Span, Track
from captions.reading import clock, left_out
from captions.units import mark
from config.atomic import write_bytes
from config.i18n import _

CHAIN_MAX_GAP_MS = 500
MAX_CHARS = 42
_DASH_LINE = re.compile(r"^[-–—]")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")


@dataclass
class _Timed:
    cue: Cue
    start: int
    end: int


def normalize_track(track: Track, *, fps: float = 25.0, max_chars: int = MAX_CHARS,
                    bidi_marks: bool = False) -> str:
    """The track as clean SRT text (see the module docstring for every rule).

    `bidi_marks`: numbers, addresses and hashtags inside right-to-left lines get
    LEFT-TO-RIGHT MARKs around them, so YouTube's player shows them in order (captions.units).

    Raises SubtitleCheckError for a cue whose times cannot be made valid without guessing.
    """
    for finding in track.findings:
        if finding.code == "unparsable-timing":
            reason = finding.message.removesuffix(left_out("\0").split("\0", 1)[1])
            raise SubtitleCheckError(_("{reason}; fix it before normalizing").format(reason=reason),
                                     path=finding.path, line=finding.line, cue=finding.cue)
    timed: list[_Timed] = []
    for cue in track.cues:
        if not cue.text.strip():
            continue
        start = max(cue.start, 0)
        if cue.end <= start:
            raise SubtitleCheckError(
                _("ends at {end}, not after its start ({start}); fix the timing line "
                  "before normalizing").format(
                    end=clock(cue.end), start=clock(cue.start)),
                path=track.path, line=cue.source_line,
                cue=cue.index)
        timed.append(_Timed(cue, start, cue.end))
    timed.sort(key=lambda t: (t.start, t.end, t.cue.index))
    _chain(timed, round(2 * 1000 / fps))
    blocks = []
    for number, item in enumerate(timed, 1):
        lines = _wrap(item.cue, track.language, max_chars)
        if bidi_marks:
            lines = [mark(line) for line in lines]
        if item.cue.top:
            lines[0] = "{\\an8}" + lines[0]
        blocks.append(f"{number}\n{clock(item.start)} --> {clock(item.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _chain(timed: list[_Timed], two_frames: int) -> None:
    """Gaps of 0–0.5 s become exactly two frames (the earlier cue's end moves)."""
    for current, following in itertools.pairwise(timed):
        gap = following.start - current.end
        if 0 <= gap <= CHAIN_MAX_GAP_MS and gap != two_frames:
            new_end = following.start - two_frames
            if new_end > current.start:
                current.end = new_end


def _wrap(cue: Cue, language: str, max_chars: int) -> list[str]:
    """The cue's lines re-wrapped, as SRT markup."""
    lines = [_french_spaces(line) if language == "fr" else line for line in cue.lines if line]
    plain = ["".join(span.text for span in line) for line in lines]
    if len(lines) > 1 and all(_DASH_LINE.match(text) for text in plain):
        groups = [_rewrap([line], language, max_chars) for line in lines]  # dialogue
        return [text for group in groups for text in group]
    return _rewrap(lines, language, max_chars)


def _rewrap(lines: list[list[Span]], language: str, max_chars: int) -> list[str]:

    chars: list[tuple[str, Span]] = []  # one entry per character, with its span's style
    for n, line in enumerate(lines):
        if n:  # the author's break: re-flowed like a space, a slightly preferred break point
            chars.append(("\n", line[0] if line else Span("")))
        chars.extend((ch, span) for span in line for ch in span.text)
    text = "".join(ch for ch, _ in chars)
    try:
        offsets = wrap_offsets(text, max_chars=max_chars, language=language)
    except LayoutError:  # a word longer than a line: it gets a line of its own, uncut
        longest = max(visible_length(word) for word in text.split())
        offsets = wrap_offsets(text, max_chars=max(max_chars, longest), language=language)
    return [_to_srt(_spans(chars[a:b])) for a, b in offsets]


def _spans(chars: list[tuple[str, Span]]) -> list[Span]:
    spans: list[Span] = []
    for ch, style in chars:
        ch = " " if ch in "\t\r\n" else ch
        if spans and (spans[-1].italic, spans[-1].bold, spans[-1].color) == (
                style.italic, style.bold, style.color):
            last = spans[-1]
            spans[-1] = Span(last.text + ch, last.italic, last.bold, last.color)
        else:
            spans.append(Span(ch, style.italic, style.bold, style.color))
    return spans


def _french_spaces(line: list[Span]) -> list[Span]:
    """Spaces before ? ! ; (U+202F) and : » (U+00A0), and after « (U+00A0), made no-break."""
    text = "".join(span.text for span in line)
    fixed = re.sub(r" (?=[?!;])", "\u202f", text)
    fixed = re.sub(r" (?=[:»])", "\u00a0", fixed)
    fixed = re.sub(r"(?<=«) ", "\u00a0", fixed)
    if fixed == text:
        return line
    out, pos = [], 0
    for span in line:  # same length: one character replaced by one
        out.append(Span(fixed[pos:pos + len(span.text)], span.italic, span.bold, span.color))
        pos += len(span.text)
    return out


def _to_srt(spans: list[Span]) -> str:
    """Spans as SRT markup, nesting `<font>` outside `<b>` outside `<i>` so runs share tags."""
    parts = []
    for color, by_color in itertools.groupby(spans, key=lambda span: span.color):
        inner = []
        for bold, by_bold in itertools.groupby(by_color, key=lambda span: span.bold):
            text = ""
            for italic, by_italic in itertools.groupby(by_bold, key=lambda span: span.italic):
                piece = _escape("".join(span.text for span in by_italic))
                text += f"<i>{piece}</i>" if italic else piece
            inner.append(f"<b>{text}</b>" if bold else text)
        joined = "".join(inner)
        if color is not None:
            joined = '<font color="#{:02x}{:02x}{:02x}">{}</font>'.format(*color, joined)
        parts.append(joined)
    return "".join(parts)


def _escape(text: str) -> str:
    return _TAG_LIKE.sub("&lt;", _ENTITY_LIKE.sub("&amp;", text))


def write_srt(path: Path | str, text: str) -> None:
    """Write SRT text atomically (config.atomic): UTF-8, LF."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(path.parent))
    write_bytes(path, text.replace("\r\n", "\n").encode("utf-8"))
