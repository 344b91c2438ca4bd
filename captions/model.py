"""The cue model shared by reading, checking, layout, rendering and burning.

Times are integer milliseconds (as pysubs2 keeps them) so that frame arithmetic is exact.
A cue is shown on the frames whose time t satisfies start <= t < end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A run of cue text with one style. Markup has already been removed from `text`."""

    text: str
    italic: bool = False
    bold: bool = False
    color: tuple[int, int, int] | None = None  # None = the style's text colour


@dataclass
class Cue:
    """One subtitle: its number and line in the source file, its timing and its styled text.

    `lines` holds the author's explicit line breaks; each line is a list of spans.
    """

    index: int  # 1-based position in the file
    start: int  # ms
    end: int  # ms
    lines: list[list[Span]] = field(default_factory=list)
    source_line: int | None = None  # line of the timing line in the source file
    top: bool = False  # {\an8} (or a WebVTT `line:` near the top) moves the cue to the top

    @property
    def text(self) -> str:
        """The plain text, lines joined with "\\n"."""
        return "\n".join("".join(span.text for span in line) for line in self.lines)

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass
class Track:
    """The cues of one subtitle file, with the language they are written in."""

    path: Path | None
    language: str  # BCP-47 primary subtag: fr, ar, zgh, en, ...
    cues: list[Cue]
    encoding: str = "utf-8"
    format: str = "srt"  # srt | vtt | ass | ssa
