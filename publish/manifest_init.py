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
                   force: bool = False) -> Path:
    """Probe the video, guess each subtitle's language, write the manifest atomically."""
    if output.exists() and not force:
        raise InvalidInput(_("{output}: already exists; pass --force to replace it").format(
                               output=output))
    info = probe(video)
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
    title = video.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    text = render_manifest(video, pairs, base=output.resolve().parent, title=title,
                           duration_s=info.duration_ms / 1000, size=(info.width, info.height))
    write_text(output, text)
    return output
