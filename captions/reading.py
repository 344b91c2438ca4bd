"""Reading subtitle files (SRT, WebVTT, ASS/SSA) into a `Track` of cues, without guessing.

Decoding: UTF-8 (with or without BOM), UTF-16/32 with a BOM, or the encoding the caller names
(`--encoding cp1256`). Anything else is an error naming the line of the first bad byte and
asking for `--encoding`: never a silent guess, never mojibake.

SRT and WebVTT are scanned here, block by block, because pysubs2 1.8.1 does not validate:
it silently skips a garbled timing line and glues that cue's text to the previous one
(pysubs2 #112), turns a timestamp written inside the text into a bogus cue, joins WebVTT NOTE
blocks to the previous cue, misreads hours >= 100 and drops the minus of negative times.
The scanner keeps the line number of every timing line and reports those problems as findings
(so `capsule captions check` lists all of them at once); the timestamp arithmetic is pysubs2's
(`pysubs2.time.timestamp_to_ms`). ASS/SSA are parsed by pysubs2 after the same kind of
pre-scan of the Dialogue lines.

Rules applied (documented for the officers):
- A short millisecond field (`0:0:1,5`) is read as a decimal fraction, 1.5 s (pysubs2's
  reading; srt and ffmpeg read 1.005 s) and reported as ambiguous.
- A timing line starts a cue when it opens a block (after a blank line, optionally after the
  cue number) or follows a cue number directly (missing blank line, reported). Inside SRT text,
  a line that merely looks like a timing line is kept as text (reported).
- A blank line inside a cue followed by more text joins that text to the cue (reported).
- Negative times and end-before-start are kept as read; `captions.checking` reports them.
"""

from __future__ import annotations

import codecs
import itertools
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from pysubs2.time import timestamp_to_ms

from captions.errors import SubtitleReadError
from captions.language import decide_language
from captions.markup import Markup, parse_markup
from captions.model import Cue, Finding, Track
from config.i18n import N_, _

FORMATS = ("srt", "vtt", "ass", "ssa")
LEFT_OUT = N_("fix it, this cue is left out until then")  # ends every unparsable-timing message


def left_out(problem: str) -> str:
    """An unparsable-timing message: the problem, then what happens to the cue."""
    return _("{problem}; {left_out}").format(problem=problem, left_out=_(LEFT_OUT))
NO_ITALIC_LANGUAGES = frozenset({"ar", "zgh"})

_TS = r"(-?)(?:(\d+):)?(\d+):(\d+)[,.](\d+)"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(.*)$")
_LOOKS_TIMED = re.compile(r"\s*-?\d+:\d+(?::\d+)?[,.]\d+")
_VTT_SKIPPED_BLOCK = re.compile(r"(NOTE|STYLE|REGION)(\s|$)")
_ASS_TIME = re.compile(r"\d+:\d{1,2}:\d{1,2}\.\d{1,3}")
_EVENT_LINE = re.compile(r"(Dialogue|Comment)\s*:", re.IGNORECASE)


@dataclass
class _Timing:
    start: int
    end: int
    short_ms: bool
    settings: str


def read_track(path: Path | str, *, encoding: str | None = None,
               language: str | None = None, default_language: str | None = None) -> Track:
    """Read a subtitle file; `language` (from `--lang`) wins over the file name and the text,
    `default_language` (the setting `subtitle_language`) is the last resort.

    Raises SubtitleReadError when the file cannot be read or decoded, or its language cannot
    be told (LanguageUnknownError). Timing and text problems are in `Track.findings`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubtitleReadError(_("cannot read the file: {reason}").format(
                                    reason=exc.strerror or exc), path=path) from exc
    text, used, findings = decode_bytes(data, encoding, path=path)
    fmt = detect_format(path, text)
    return track_from_text(text, fmt, path=path, language=language, encoding=used,
                           findings=findings, default_language=default_language)


def decode_bytes(data: bytes, encoding: str | None = None, *,
                 path: Path | str | None = None) -> tuple[str, str, list[Finding]]:
    """Bytes to text: BOM, else UTF-8, else the explicit encoding; (text, encoding, findings)."""
    findings: list[Finding] = []
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise SubtitleReadError(
                _("unknown encoding {encoding!r}; pass a Python codec name such as "
                  "utf-8, utf-16 or cp1256").format(encoding=encoding), path=path) from None
        if codec == "utf-8":
            codec = "utf-8-sig"  # a BOM is a BOM even when the caller said utf-8
        elif codec not in ("utf-16", "utf-32") and not codec.startswith("utf") \
                and _is_utf8_text(data):
            findings.append(Finding(
                "warning", "encoding-mismatch",
                _("the file is valid UTF-8 but was decoded as {encoding} as asked; if "
                  "the text looks wrong, drop --encoding").format(
                    encoding=encoding), path=_as_path(path)))
        label = encoding
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        codec, label = "utf-32", "UTF-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec, label = "utf-16", "UTF-16"
    else:
        codec, label = "utf-8-sig", "UTF-8"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(codec, errors="replace").count("\n") + 1
        raise SubtitleReadError(
            _("byte 0x{byte:02X} is not valid {label}; pass --encoding with "
              "the file's encoding (e.g. --encoding cp1256 for old Arabic files)").format(
                byte=data[exc.start], label=label),
            path=path, line=line) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise SubtitleReadError(
            _("NUL bytes in the text (UTF-16 without a byte-order mark?); pass "
              "--encoding utf-16-le or --encoding utf-16-be"), path=path, line=line)
    return text, ("utf-8" if codec == "utf-8-sig" else codec), findings


def _is_utf8_text(data: bytes) -> bool:
    """Valid UTF-8 with some non-ASCII bytes (pure ASCII decodes the same everywhere)."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_format(path: Path | str | None, text: str) -> str:
    """The format from the content when it is explicit (WEBVTT, [Script Info]), else the suffix."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head[:200].lower().startswith("[script info]"):
        return "ssa" if re.search(r"(?im)^\s*ScriptType:\s*v4\.00\s*$", text) else "ass"
    suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
    if suffix in FORMATS:
        return suffix
    if "-->" in text:
        return "srt"
    raise SubtitleReadError(_("not a subtitle file this tool reads: expected SRT (.srt), "
                              "WebVTT (.vtt) or ASS/SSA (.ass, .ssa)"), path=path)


def track_from_text(text: str, fmt: str, *, path: Path | str | None = None,
                    language: str | None = None, encoding: str = "utf-8",
                    findings: list[Finding] | None = None,
                    default_language: str | None = None) -> Track:
    """Parse decoded text into a Track (language from `language`, else decided: see
    captions.language.decide_language)."""
    collected = list(findings or [])
    cues = parse_text(text, fmt, path=path, findings=collected)
    decided = decide_language(path, "\n".join(cue.text for cue in cues), given=language,
                              default=default_language)
    lang = decided.language
    if decided.warning:
        collected.append(Finding("warning", "language-mismatch", decided.warning, _as_path(path)))
    if lang in NO_ITALIC_LANGUAGES:
        for cue in cues:
            cue.lines = [[replace(span, italic=False) for span in line] for line in cue.lines]
    return Track(path=_as_path(path), language=lang, cues=cues, encoding=encoding, format=fmt,
                 findings=collected, language_rule=decided.rule)


def parse_text(text: str, fmt: str, *, path: Path | str | None = None,
               findings: list[Finding] | None = None) -> list[Cue]:
    """Parse decoded subtitle text of format srt|vtt|ass|ssa into cues.

    Problems are appended to `findings` (when given) with their line numbers; only a file
    that is not of the format at all raises SubtitleReadError.
    """
    if fmt not in FORMATS:
        raise SubtitleReadError(_("unknown subtitle format {fmt!r}; expected one of "
                                  "{formats}").format(fmt=fmt, formats=", ".join(FORMATS)),
                                path=path)
    sink = findings if findings is not None else []
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")  # not splitlines(): U+2028 and friends are text, not line ends
    if fmt in ("ass", "ssa"):
        return _parse_ass(lines, fmt, _as_path(path), sink)
    return _Scanner(lines, fmt, _as_path(path), sink).run()


def _as_path(path: Path | str | None) -> Path | None:
    return Path(path) if path is not None else None


def parse_timing(line: str) -> _Timing | str:
    """A timing line to times in ms, or the reason it cannot be read."""
    match = _TIMING.match(line)
    if not match:
        return _("expected HH:MM:SS,mmm --> HH:MM:SS,mmm")
    groups = match.groups()
    rest = groups[10]
    if rest and not rest[0].isspace():
        return _("unexpected {rest!r} after the end time").format(rest=rest.strip())
    times = []
    short = False
    for sign, hours, minutes, seconds, fraction in (groups[0:5], groups[5:10]):
        if int(minutes) > 59 or int(seconds) > 59:
            return _("minutes and seconds go up to 59")
        if len(fraction) > 3:
            return _("the milliseconds field has more than 3 digits")
        short = short or len(fraction) < 3
        ms = timestamp_to_ms((hours or "0", minutes, seconds, fraction))
        times.append(-ms if sign else ms)
    return _Timing(times[0], times[1], short, rest.strip())


def _is_number(line: str) -> bool:
    """An SRT cue number: ASCII digits only ("²" is a digit to str.isdigit, not to int)."""
    stripped = line.strip()
    return stripped.isascii() and stripped.isdigit()


def _looks_timed(line: str) -> bool:
    return "-->" in line or bool(_LOOKS_TIMED.match(line))


def _vtt_top(settings: str) -> bool | None:
    """WebVTT `line:` setting: top when the line is in the upper half, else None (ignored)."""
    for item in settings.split():
        key, _, value = item.partition(":")
        if key != "line" or not value:
            continue
        value = value.split(",")[0]
        try:
            if value.endswith("%"):
                return float(value[:-1]) < 50 or None
            return int(value) >= 0 or None  # positive line numbers count from the top
        except ValueError:
            return None
    return None


class _Scanner:
    """The SRT/WebVTT block scanner (see the module docstring for its rules)."""

    def __init__(self, lines: list[str], fmt: str, path: Path | None,
                 findings: list[Finding]) -> None:
        self.lines = lines
        self.vtt = fmt == "vtt"
        self.path = path
        self.findings = findings
        self.cues: list[Cue] = []
        self.ordinal = 0
        self.open: tuple[_Timing, int, int] | None = None  # timing, line, ordinal
        self.body: list[str] = []
        self.discarding = False  # inside the text of a cue whose timing line is unreadable
        self.number = 0  # the SRT number of the last cue header (its ordinal when unnumbered)

    def warn(self, code: str, message: str, line: int, cue: int | None = None,
             severity: str = "warning") -> None:
        self.findings.append(Finding(severity, code, message, self.path, line, cue))

    def run(self) -> list[Cue]:
        lines = self.lines
        i = self._skip_vtt_header() if self.vtt else 0
        at_block_start = True
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                at_block_start = True
                i += 1
                continue
            if self.vtt and at_block_start and _VTT_SKIPPED_BLOCK.match(line):
                while i < len(lines) and lines[i].strip():
                    i += 1
                continue
            timing_at = self._header(i, at_block_start)
            if timing_at is not None:
                if not at_block_start:
                    self.warn("missing-blank-line",
                              _("no blank line before this cue; read as a new cue"), i + 1,
                              self.ordinal + 1)
                self._start_cue(timing_at)
                i = timing_at + 1
                at_block_start = False
                continue
            if at_block_start and not self.discarding:
                if self.open is None:
                    self.warn("stray-text", _("text outside any cue ignored: {line!r}").format(
                                                line=line.strip()),
                              i + 1)
                    while i < len(lines) and lines[i].strip():
                        i += 1
                    continue
                self.warn("blank-in-cue", _("blank line inside the cue's text; the text "
                                            "after it is kept as the next line of the "
                                            "same cue"), i + 1, self.ordinal)
            elif not self.vtt and not self.discarding and isinstance(parse_timing(line), _Timing):
                self.warn("timing-in-text", _("a timing line inside the cue's text is "
                                              "kept as text; add a blank line and a cue "
                                              "number if it starts a new cue"),
                          i + 1, self.ordinal)
            if not self.discarding:
                self.body.append(line.strip())
            at_block_start = False
            i += 1
        self._close_cue()
        return self.cues

    def _skip_vtt_header(self) -> int:
        lines = self.lines
        if not lines or not lines[0].startswith("WEBVTT"):
            self.warn("missing-header", _("no WEBVTT header on line 1; read as WebVTT "
                                          "anyway"), 1)
            return 0
        i = 1
        while i < len(lines) and lines[i].strip():
            i += 1
        return i

    def _header(self, i: int, at_block_start: bool) -> int | None:
        """The index of the timing line of a cue header starting at line i, if one does."""
        lines = self.lines
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if at_block_start:
            if _looks_timed(line):
                return i
            if self.vtt and "-->" not in line and "-->" in following:
                return i + 1  # a WebVTT cue identifier
            if not self.vtt and _is_number(line) and _looks_timed(following):
                return i + 1
            return None
        if self.vtt and "-->" in line:
            return i  # WebVTT: a timing line always ends the previous cue's text
        if _is_number(line) and "-->" in following and int(line) == self.number + 1:
            return i + 1  # the next cue number: a missing blank line, not a number in the text
        return None

    def _start_cue(self, timing_at: int) -> None:
        self._close_cue()
        self.ordinal += 1
        line_no = timing_at + 1
        previous = self.lines[timing_at - 1].strip() if timing_at else ""
        self.number = int(previous) if _is_number(previous) else self.number + 1
        timing = parse_timing(self.lines[timing_at])
        if isinstance(timing, str):
            self.warn("unparsable-timing",
                      left_out(_("unparsable timing line {line!r} ({timing})").format(
                          line=self.lines[timing_at].strip(), timing=timing)),
                      line_no, self.ordinal, severity="error")
            self.discarding = True
            return
        if timing.short_ms:
            self.warn("short-milliseconds",
                      _("ambiguous short millisecond field in {timing!r}: "
                        "read as {start} --> {end}; write 3 digits (,500 or ,005)").format(
                          timing=self.lines[timing_at].strip(),
                          start=clock(timing.start), end=clock(timing.end)), line_no, self.ordinal)
        self.open = (timing, line_no, self.ordinal)
        self.discarding = False

    def _close_cue(self) -> None:
        if self.open is None:
            self.body = []
            return
        timing, line_no, ordinal = self.open
        markup = parse_markup("\n".join(self.body), syntax="html")
        top = markup.top if markup.top is not None else bool(self.vtt and _vtt_top(timing.settings))
        self.cues.append(Cue(index=ordinal, start=timing.start, end=timing.end,
                             lines=markup.lines, source_line=line_no, top=top))
        _report_emoji(markup, self.findings, self.path, line_no, ordinal)
        self.open = None
        self.body = []


def _report_emoji(markup: Markup, findings: list[Finding], path: Path | None, line: int | None,
                  cue: int) -> None:
    if markup.emoji:
        findings.append(Finding(
            "warning", "emoji", _("emoji removed: {emoji} (not drawn; say it in words)").format(
                                    emoji=' '.join(markup.emoji)), path, line, cue))


def clock(ms: int) -> str:
    """00:00:01,500 (with a minus for negative times): how times are shown in messages."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def _parse_ass(lines: list[str], fmt: str, path: Path | None,
               findings: list[Finding]) -> list[Cue]:
    """ASS/SSA through pysubs2, after checking each event's times (pysubs2 raises on one bad
    timestamp and loses the whole file; here the bad event is reported and left out)."""
    import pysubs2
    from pysubs2.formats.substation import EVENT_FIELDS

    fed = list(lines)
    events: list[tuple[int, bool, int]] = []  # line, is_comment, ordinal
    in_events = False
    fields: list[str] = []
    ordinal = 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if stripped.startswith("["):
            in_events = stripped.lower() == "[events]"
            fields = list(EVENT_FIELDS[fmt])  # what pysubs2 assumes until a Format line says
            continue
        if not in_events:
            continue
        if stripped.lower().startswith("format:"):
            fields = [name.strip().lower() for name in stripped[7:].split(",")]
            continue
        match = _EVENT_LINE.match(stripped)
        if not match:
            continue
        comment = match.group(1).lower() == "comment"
        ordinal += not comment
        values = stripped[match.end():].split(",", len(fields) - 1)
        times = [values[fields.index(key)].strip() if key in fields and
                 fields.index(key) < len(values) else "" for key in ("start", "end")]
        bad = [t for t in times if not _ASS_TIME.fullmatch(t)]
        if bad:
            fed[number - 1] = ""
            if not comment:
                findings.append(Finding(
                    "error", "unparsable-timing",
                    left_out(_("unparsable time {time!r} (expected H:MM:SS.cc)").format(
                        time=bad[0])), path,
                    number, ordinal))
            continue
        events.append((number, comment, ordinal))
    try:
        with warnings.catch_warnings(record=True) as caught:  # pysubs2 would print them
            warnings.simplefilter("always")
            subs = pysubs2.SSAFile.from_string("\n".join(fed), format_=fmt)
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        raise SubtitleReadError(_("not a valid {fmt} file: {exc}").format(
                                    fmt=fmt.upper(), exc=exc), path=path) from None
    for message in dict.fromkeys(str(w.message) for w in caught):  # "Failed to parse layer…"
        findings.append(Finding(
            "warning", "ass-field", _("{problem}; fix that field of the Style or Dialogue "
                                      "lines").format(
                                        problem=message[:1].lower() + message[1:]), path))
    if len(subs.events) != len(events):  # pysubs2 saw the events differently: no line numbers
        numbers = itertools.count(1)
        events = [(0, event.is_comment, 0 if event.is_comment else next(numbers))
                  for event in subs.events]
    cues = []
    for event, (number, _comment, ordinal) in zip(subs.events, events, strict=True):
        if event.is_comment:
            continue
        style = subs.styles.get(event.style, pysubs2.SSAStyle.DEFAULT_STYLE)
        color = style.primarycolor
        rgb = None if (color.r, color.g, color.b) == (255, 255, 255) else (color.r, color.g,
                                                                           color.b)
        markup = parse_markup(event.text, syntax="ass", italic=bool(style.italic),
                              bold=bool(style.bold), color=rgb)
        top = markup.top if markup.top is not None else int(style.alignment) in (7, 8, 9)
        line = number or None
        cues.append(Cue(index=ordinal, start=event.start, end=event.end, lines=markup.lines,
                        source_line=line, top=top))
        _report_emoji(markup, findings, path, line, ordinal)
    return cues


def plain_lines(cue: Cue) -> list[str]:
    """The cue's lines as plain strings (no styles)."""
    return ["".join(span.text for span in line) for line in cue.lines]

