"""`capsule init`: a first manifest from a video and its subtitle files."""

from __future__ import annotations

from pathlib import Path

from captions.language import guess_language
from captions.video import probe
from config.atomic import write_text
from config.i18n import _
from config.manifest import render_manifest
from publish.errors import InvalidInput


def write_manifest(video: Path, subtitles: list[Path], output: Path, *,
                   force: bool = False, short: str | None = None,
                   versions: list[str] = ()) -> Path:
    """Probe the video, guess each subtitle's language, write the manifest atomically.

    `short` ("00:12-00:52"): a [variants.short] cut of the video, vertical; `versions`: a
    [variants.LANG] per language, that language burned in and its metadata first."""
    if output.exists() and not force:
        raise InvalidInput(_("{output}: already exists; pass --force to replace it").format(
                               output=output))
    info = probe(video)
    segment = _segment(short, info.duration_ms) if short is not None else None
    pairs: list[tuple[str, Path]] = []
    for path in subtitles:
        if not path.is_file():
            raise InvalidInput(_("{path}: file not found").format(path=path))
        text = path.read_bytes()[:65536].decode("utf-8-sig", errors="replace")
        lang = guess_language(path, text)
        if lang in dict(pairs):
            raise InvalidInput(_("{path}: a second {lang!r} subtitle file (first: "
                                 "{first}); keep one per language").format(
                                   path=path, lang=lang, first=dict(pairs)[lang]))
        pairs.append((lang, path))
    for lang in versions:
        if lang not in dict(pairs):
            known = ", ".join(dict(pairs)) or "none"
            raise InvalidInput(_("--versions: no subtitle file in {lang!r} (languages "
                                 "found: {known}); give its file too").format(
                                   lang=lang, known=known))
    title = video.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    text = render_manifest(video, pairs, base=output.resolve().parent, title=title,
                           duration_s=info.duration_ms / 1000, size=(info.width, info.height),
                           short=segment, versions=list(versions))
    write_text(output, text)
    return output


def _segment(text: str, duration_ms: int) -> tuple[str, str]:
    """`00:12-00:52` → ("00:12", "00:52"), checked against the video's length."""
    from captions.reframe import SHORTS_MAX_MS, clock
    from publish.pipeline import parse_time_ms

    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        a, b = parse_time_ms(start), parse_time_ms(end)
    except ValueError:
        raise InvalidInput(_("--short {text!r}: give START-END, e.g. 00:12-00:52").format(
                               text=text)) from None
    if not a < b <= duration_ms + 1:
        raise InvalidInput(_("--short {text!r}: the segment must end after it starts and "
                             "within the video ({duration_ms})").format(
                               text=text, duration_ms=clock(duration_ms)))
    if b - a > SHORTS_MAX_MS:
        raise InvalidInput(_("--short {text!r}: {length} is longer than a Short (at most "
                             "{limit})").format(
                               text=text, length=clock(b - a), limit=clock(SHORTS_MAX_MS)))
    return start.strip(), end.strip()
