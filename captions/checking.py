"""Checking a track against the subtitle style rules: every problem, with file, line and cue.

Errors make the output wrong and stop a burn or a publication:
  unparsable-timing, negative-time, end-before-start, past-video-end (a cue that starts after
  the video ends), uncovered-character (would be drawn as a box), does-not-fit (with a video
  and a style: a word too wide even at the floor size, too many lines), no-cues; and from
  `check_files`: unreadable (cannot be read or decoded), language-unknown (pass --lang).
Warnings are style-guide advice (Netflix / BBC numbers in shared/reference/subtitles.md §1):
  short-milliseconds, empty-cue, overlap, late-end (cut at the video's end), too-short,
  too-long, too-short-for-words, reading-speed, line-too-long, too-many-lines, small-gap,
  emoji (removed), plus the reader's notes (missing-blank-line, blank-in-cue, timing-in-text,
  stray-text, missing-header, encoding-mismatch, ass-field).

Characters are counted as code points minus combining marks (Mn: harakat, Tifinagh U+0307)
and format controls (Cf: bidi marks, ZWJ/ZWNJ), so vocalised Arabic and bidi controls do not
inflate reading speed or line length; spaces and punctuation count.
Tamazight (zgh) reading speed: no published norm; 17 characters/s like French, because
Tifinagh spells Tamazight about as long as Latin transcription does (configurable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from captions.errors import LayoutError, SubtitleReadError
from captions.language import LanguageUnknownError
from captions.layout import is_rtl, visible_length
from captions.markup import find_emoji
from captions.model import Cue, Finding, Track
from captions.reading import clock, read_track
from captions.render import layout_cue
from captions.units import find_units
from config.i18n import N_, _

if TYPE_CHECKING:
    from captions.style import Style

DEFAULT_CPS: Mapping[str, float] = {"fr": 17.0, "en": 17.0, "ar": 20.0, "zgh": 17.0}
ERROR = N_("error")
WARNING = N_("warning")


class VideoLike(Protocol):
    """What checking needs to know about the video (captions.video.VideoInfo fits)."""

    duration_ms: int
    fps: float
    width: int
    height: int


@dataclass(frozen=True)
class VideoFacts:
    duration_ms: int
    fps: float = 25.0
    width: int = 1920
    height: int = 1080


@dataclass(frozen=True)
class Limits:
    """The numbers of the rules; defaults from the Netflix and BBC guides."""

    cps: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_CPS))
    default_cps: float = 17.0  # languages not in `cps`
    max_chars_per_line: int = 42
    max_lines: int = 2
    max_lines_vertical: int = 3  # 9:16 video
    min_duration_ms: int = 833  # 5/6 s (20 frames at 24 fps)
    max_duration_ms: int = 7000
    min_ms_per_word: int = 300  # BBC: at least 0.3 s per word
    min_gap_frames: int = 2
    default_fps: float = 25.0  # when no video is given

    def max_cps(self, language: str) -> float:
        return float(self.cps.get(language, self.default_cps))


def count_characters(text: str) -> int:
    """Visible characters, as layout counts them when wrapping (marks and controls excluded)."""
    return visible_length(text.replace("\n", ""))


def frames_ms(frames: float, fps: float) -> int:
    """The duration of `frames` frames in whole milliseconds."""
    return round(frames * 1000 / fps)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + " s"


def check_track(track: Track, *, video: VideoLike | None = None,
                limits: Limits | None = None,
                uncovered: Callable[[str, str], set[str]] | None = None,
                style: Style | None = None) -> list[Finding]:
    """Every finding for `track`: what reading noticed plus the timing, text and font rules.

    `uncovered(text, language)` returns the characters no font covers (default:
    `captions.fonts.uncovered_characters`, with the style's user font and Arabic face).
    With both `video` and `style`, every cue is also laid out as the burn will lay it out
    (captions.render.layout_cue): a cue that cannot fit the frame is an error ("does-not-fit")
    here rather than a failed burn. Findings come sorted by line.
    """
    limits = limits or Limits()
    if uncovered is None:
        from captions.fonts import uncovered_characters

        font = style.font if style is not None else None
        arabic = style.arabic if style is not None else "arabic"

        def uncovered(text: str, language: str) -> set[str]:
            return uncovered_characters(text, language, font, arabic=arabic)
    checker = _Checker(track, video, limits, uncovered, style)
    return checker.run()


class _Checker:
    def __init__(self, track: Track, video: VideoLike | None, limits: Limits,
                 uncovered: Callable[[str, str], set[str]], style: Style | None) -> None:
        self.track = track
        self.video = video
        self.limits = limits
        self.uncovered = uncovered
        self.style = style
        self.fps = float(video.fps) if video is not None and video.fps else limits.default_fps
        self.findings: list[Finding] = list(track.findings)

    def add(self, severity: str, code: str, message: str, cue: Cue | None = None) -> None:
        self.findings.append(Finding(severity, code, message, self.track.path,
                                     cue.source_line if cue else None,
                                     cue.index if cue else None))

    def run(self) -> list[Finding]:
        cues = self.track.cues
        if not cues and not any(f.is_error for f in self.findings):
            self.add(ERROR, "no-cues", _("no cues found: is this a subtitle file?"))
        for cue in cues:
            self.check_times(cue)
            if not cue.text.strip():
                self.add(WARNING, "empty-cue", _("empty cue: nothing is shown; remove it"), cue)
                continue
            self.check_text(cue)
            self.check_units(cue)
        end = self.video.duration_ms if self.video is not None and self.video.duration_ms else None
        self.check_neighbours([c for c in cues if c.text.strip() and 0 <= c.start < c.end
                               and (end is None or c.start < end)])  # shown cues only
        return sorted(self.findings, key=_order)

    def check_units(self, cue: Cue) -> None:
        """In a right-to-left cue, a number, address, hashtag or date that the bidi algorithm
        would reorder or a line break would split (what capsule does about it is said)."""
        if not is_rtl(self.track.language):
            return
        for unit in find_units(cue.text.replace("\n", " ")):
            if unit.hazard is None:
                continue
            done = (_("capsule keeps it on one line when burning") if unit.kind == "date-words"
                    else _("capsule keeps it whole and left to right when burning, and marks it "
                           "for YouTube (captions normalize --bidi-marks)"))
            self.add(WARNING, "bidi-unit", _("'{text}': {hazard}; {done}").format(
                text=unit.text, hazard=unit.hazard, done=done), cue)

    def check_times(self, cue: Cue) -> None:
        if cue.start < 0 or cue.end < 0:
            bad = cue.start if cue.start < 0 else cue.end
            self.add(ERROR, "negative-time",
                     _("negative time {bad}; times start at 00:00:00,000").format(
                         bad=clock(bad)), cue)
        if cue.end <= cue.start:
            if cue.end == cue.start:
                message = _("ends when it starts ({start}): zero duration").format(
                              start=clock(cue.start))
            else:
                message = _("ends at {end}, before it starts ({start})").format(
                              end=clock(cue.end), start=clock(cue.start))
            self.add(ERROR, "end-before-start",
                     _("{problem}; fix the timing line").format(problem=message), cue)
            return
        video = self.video
        if video is not None and video.duration_ms:
            if cue.start >= video.duration_ms:
                self.add(ERROR, "past-video-end",
                         _("starts at {start}, after the video ends ({duration_ms}): it "
                           "would never be shown").format(
                             start=clock(cue.start), duration_ms=clock(video.duration_ms)), cue)
                return
            if cue.end > video.duration_ms:
                self.add(WARNING, "late-end",
                         _("ends at {end}, after the video ends ({duration_ms}); it will "
                           "be cut there").format(
                             end=clock(cue.end), duration_ms=clock(video.duration_ms)), cue)
        duration = cue.duration
        if duration < self.limits.min_duration_ms:
            self.add(WARNING, "too-short",
                     _("shown for {duration}, under {min_duration_ms}: too short to read").format(
                         duration=_seconds(duration),
                         min_duration_ms=_seconds(self.limits.min_duration_ms)), cue)
        elif duration > self.limits.max_duration_ms:
            self.add(WARNING, "too-long",
                     _("shown for {duration}, over {max_duration_ms}: split it").format(
                         duration=_seconds(duration),
                         max_duration_ms=_seconds(self.limits.max_duration_ms)), cue)

    def check_text(self, cue: Cue) -> None:
        limits = self.limits
        language = self.track.language
        text = cue.text
        if cue.end > cue.start:
            count = count_characters(text)
            cps = count * 1000 / cue.duration
            limit = limits.max_cps(language)
            if cps > limit + 1e-9:
                self.add(WARNING, "reading-speed",
                         _("reading speed {cps:.1f} characters/s is above {limit:g} for "
                           "{language}: shorten the text or show it longer").format(
                             cps=cps, limit=limit, language=language), cue)
            words = len(text.split())
            if cue.duration < words * limits.min_ms_per_word and cps <= limit + 1e-9:
                self.add(WARNING, "too-short-for-words",
                         _("{words} words in {duration}: allow at least {min_ms_per_word}").format(
                             words=words, duration=_seconds(cue.duration),
                             min_ms_per_word=_seconds(words * limits.min_ms_per_word)), cue)
        lines = text.split("\n")
        for number, line in enumerate(lines, 1):
            length = count_characters(line)
            if length > limits.max_chars_per_line:
                self.add(WARNING, "line-too-long",
                         _("line {number} has {length} characters (limit "
                           "{max_chars_per_line}): it will be re-wrapped").format(
                             number=number, length=length,
                             max_chars_per_line=limits.max_chars_per_line), cue)
        max_lines = limits.max_lines_vertical if self._vertical() else limits.max_lines
        if len(lines) > max_lines:
            self.add(WARNING, "too-many-lines",
                     _("{n_lines} lines (limit {max_lines}): split the cue").format(
                         n_lines=len(lines), max_lines=max_lines), cue)
        emoji = find_emoji(text)
        if emoji:
            self.add(WARNING, "emoji", _("emoji {emoji} will be removed (not drawn; say "
                                         "it in words)").format(emoji=' '.join(emoji)), cue)
        missing = sorted(self.uncovered(text, language) - set("".join(emoji)))
        if missing:
            names = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
            self.add(ERROR, "uncovered-character",
                     _("no bundled font can draw {names}; remove it or add a font that "
                       "has it to the style (font=PATH)").format(names=names), cue)
        elif self.video is not None and self.style is not None:
            self.check_layout(cue)

    def check_layout(self, cue: Cue) -> None:

        try:
            layout_cue(cue, self.track.language, self.video.width, self.video.height,
                       self.style)
        except LayoutError as exc:
            self.add(ERROR, "does-not-fit", exc.detail, cue)

    def check_neighbours(self, cues: Iterable[Cue]) -> None:
        ordered = sorted(cues, key=lambda c: (c.start, c.end, c.index))
        min_gap = frames_ms(self.limits.min_gap_frames, self.fps)
        latest: Cue | None = None  # the cue that ends last among those already seen
        for cue in ordered:
            if latest is not None:
                if cue.start < latest.end:
                    self.add(WARNING, "overlap",
                             _("overlaps cue {index} (which ends at {end}); both would "
                               "be on screen at once").format(
                                 index=latest.index, end=clock(latest.end)), cue)
                elif cue.start - latest.end < min_gap:
                    gap = cue.start - latest.end
                    self.add(WARNING, "small-gap",
                             _("starts {gap} ms after cue {index} ends; leave at least "
                               "{min_gap_frames} frames ({min_gap} ms at {fps:g} fps)").format(
                                 gap=gap, index=latest.index,
                                 min_gap_frames=self.limits.min_gap_frames, min_gap=min_gap,
                                 fps=self.fps), cue)
            if latest is None or cue.end > latest.end:
                latest = cue

    def _vertical(self) -> bool:
        return self.video is not None and self.video.height > self.video.width


def _order(finding: Finding) -> tuple[int, int, int]:
    return (finding.line or 0, finding.cue or 0, 0 if finding.is_error else 1)


@dataclass
class FileReport:
    """The findings of one file, as `capsule captions check` shows them."""

    path: Path
    language: str | None
    cues: int
    findings: list[Finding]
    language_rule: str | None = None  # which rule decided the language

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "language": self.language,
                "language_rule": self.language_rule, "cues": self.cues,
                "findings": [f.as_dict() for f in self.findings]}

    def describe_language(self) -> str:
        """`language fr (from the text)`: what `captions check` says of each file."""
        return _("{path}: language {language} (from {rule})").format(
            path=self.path, language=self.language,
            rule=_(self.language_rule) if self.language_rule else "-")


def check_files(paths: Iterable[Path | str], *, video: Path | str | None = None,
                language: str | None = None, encoding: str | None = None,
                limits: Limits | None = None, style: Style | None = None,
                default_language: str | None = None) -> list[FileReport]:
    """Read and check each file; a file that cannot be read becomes one error finding.

    `video` is probed once (captions.video.probe) for its duration, frame rate and shape;
    with `style` too, every cue is laid out for that frame (see `check_track`).
    """

    facts = None
    if video is not None:
        from captions.video import probe

        facts = probe(video)
    reports = []
    for raw in paths:
        path = Path(raw)
        try:
            track = read_track(path, encoding=encoding, language=language,
                               default_language=default_language)
        except SubtitleReadError as exc:
            code = "language-unknown" if isinstance(exc, LanguageUnknownError) else "unreadable"
            finding = Finding(ERROR, code, exc.detail, path, exc.line, exc.cue)
            reports.append(FileReport(path, None, 0, [finding]))
            continue
        reports.append(FileReport(path, track.language, len(track.cues),
                                  check_track(track, video=facts, limits=limits,
                                              style=style), track.language_rule))
    return reports
