"""The cue model shared by reading, checking, layout, rendering and burning.

Times are integer milliseconds (as pysubs2 keeps them) so that frame arithmetic is exact.
A cue is shown on the frames whose time t satisfies start <= t < end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.i18n import _


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


@dataclass(frozen=True)
class Finding:
    """One problem found while reading or checking a subtitle file.

    `severity` is "error" (the output would be wrong: refuse to burn or publish) or "warning"
    (style-guide advice). `code` is a stable kebab-case name (e.g. "reading-speed") for scripts.
    """

    severity: str  # "error" | "warning"
    code: str
    message: str
    path: Path | None = None
    line: int | None = None  # 1-based line in the source file
    cue: int | None = None  # 1-based cue number (Cue.index)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def where(self) -> str:
        """`file:line: cue N: `, leaving out what is unknown (empty when nothing is known)."""
        where = ""
        if self.path is not None:
            where = (_("{path}:{line}: ").format(path=self.path, line=self.line) if self.line
                     else _("{path}: ").format(path=self.path))
        if self.cue is not None:
            where += _("cue {cue}: ").format(cue=self.cue)
        return where

    def __str__(self) -> str:
        """`file:line: cue N: severity: message`, leaving out what is unknown."""
        return _("{where}{severity}: {message}").format(where=self.where,
                                                        severity=_(self.severity),
                                                        message=self.message)

    def as_dict(self) -> dict[str, object]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "path": str(self.path) if self.path is not None else None,
                "line": self.line, "cue": self.cue}


@dataclass
class Track:
    """The cues of one subtitle file, with the language they are written in.

    `findings` holds what reading noticed (unparsable timing lines, ambiguous times, emoji
    removed, ...) so that `captions.checking.check_track` reports every problem at once.
    """

    path: Path | None
    language: str  # BCP-47 primary subtag: fr, ar, zgh, en, ...
    cues: list[Cue]
    encoding: str = "utf-8"
    format: str = "srt"  # srt | vtt | ass | ssa
    findings: list[Finding] = field(default_factory=list)
    language_rule: str = "--lang"  # what decided `language` (captions.language.Decided.rule)
