"""`capsule init`: a first manifest from a video and its subtitle files."""

from __future__ import annotations

from pathlib import Path

from captions.language import guess_language
from captions.video import probe
from config.atomic import write_text
from config.manifest import render_manifest
from publish.errors import InvalidInput


def write_manifest(video: Path, subtitles: list[Path], output: Path, *,
                   force: bool = False, short: str | None = None,
                   versions: list[str] = ()) -> Path:
    """Probe the video, guess each subtitle's language, write the manifest atomically.

    `short` ("00:12-00:52"): a [variants.short] cut of the video, vertical; `versions`: a
    [variants.LANG] per language, that language burned in and its metadata first."""
    if output.exists() and not force:
        raise InvalidInput(f"{output}: already exists; pass --force to replace it")
    info = probe(video)
    segment = _segment(short, info.duration_ms) if short is not None else None
    pairs: list[tuple[str, Path]] = []
    for path in subtitles:
        if not path.is_file():
            raise InvalidInput(f"{path}: file not found")
        text = path.read_bytes()[:65536].decode("utf-8-sig", errors="replace")
        lang = guess_language(path, text)
        if lang in dict(pairs):
            raise InvalidInput(f"{path}: a second {lang!r} subtitle file "
                               f"(first: {dict(pairs)[lang]}); keep one per language")
        pairs.append((lang, path))
    for lang in versions:
        if lang not in dict(pairs):
            known = ", ".join(dict(pairs)) or "none"
            raise InvalidInput(f"--versions: no subtitle file in {lang!r} (languages found: "
                               f"{known}); give its file too")
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
        raise InvalidInput(f"--short {text!r}: give START-END, e.g. 00:12-00:52") from None
    if not a < b <= duration_ms + 1:
        raise InvalidInput(f"--short {text!r}: the segment must end after it starts and "
                           f"within the video ({clock(duration_ms)})")
    if b - a > SHORTS_MAX_MS:
        raise InvalidInput(f"--short {text!r}: {clock(b - a)} is longer than a Short "
                           f"(at most {clock(SHORTS_MAX_MS)})")
    return start.strip(), end.strip()
