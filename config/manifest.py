"""The capsule manifest (`capsule.toml`): one file describing one publication.

Paths are relative to the manifest. Every error names the file, the line and the key, e.g.
`capsule.toml:12: burn.languages: 'de' has no [subtitles.de] table`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.errors import ConfigError
from config.i18n import _
from config.settings import read_toml

SECTIONS: dict[str, tuple[str, ...]] = {
    "capsule": ("name", "channel", "campaign"),
    "video": ("source",),
    "subtitles": (),  # one table per language
    "burn": ("languages", "style", "output"),
    "captions": ("languages", "names"),
    "metadata": (),  # checked by the metadata rules (publish.youtube.metadata)
    "thumbnail": ("file", "at", "title"),
    "playlist": ("id", "title", "create"),
    "schedule": ("publish_at", "timezone"),
}
SUBTITLE_KEYS = ("file", "encoding")
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class SubtitleSpec:
    language: str
    path: Path
    encoding: str | None = None


@dataclass(frozen=True)
class ThumbnailSpec:
    file: Path | None = None
    at: str | None = None  # a time in the video
    title: str | None = None  # optional overlay on a frame thumbnail


@dataclass(frozen=True)
class PlaylistSpec:
    id: str | None = None
    title: str | None = None
    create: bool = False


@dataclass
class Capsule:
    """A parsed, checked manifest. `metadata` is the raw [metadata] table (+ schedule)."""

    path: Path
    name: str
    video: Path
    subtitles: dict[str, SubtitleSpec]
    burn: list[str]
    style: str | None
    burn_output: Path
    captions: list[str]
    caption_names: dict[str, str]
    metadata: dict[str, Any]
    thumbnail: ThumbnailSpec | None
    playlist: PlaylistSpec | None
    channel: str | None
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    campaign: str | None = None  # groups capsules in `capsule stats report --campaign`

    def line_of(self, key: str) -> int | None:
        """The manifest line that sets `key` (dotted), or its closest enclosing table."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{key}: {message}", path=self.path, line=self.line_of(key), key=key)


def load_manifest(path: Path | str, *, default_timezone: str = "Africa/Casablanca") -> Capsule:
    """Read and check a manifest; the first problem is raised as a ConfigError."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(_("manifest not found (create one with `capsule init VIDEO "
                            "SUBTITLES…`)"),
                          path=path)
    data, lines = read_toml(path)
    base = path.parent

    def fail(key: str, message: str) -> ConfigError:
        line = None
        probe = key
        while probe and line is None:
            line = lines.get(probe)
            probe = probe.rpartition(".")[0]
        return ConfigError(_("{key}: {message}").format(key=key, message=message), path=path,
                           line=line, key=key)

    for key, value in data.items():
        if key not in SECTIONS:
            raise fail(key, _("unknown section (known: {SECTIONS})").format(
                                SECTIONS=', '.join(SECTIONS)))
        if not isinstance(value, dict):
            raise fail(key, _("expected a table [{key}]").format(key=key))
        allowed = SECTIONS[key]
        if allowed:
            for sub in value:
                if sub not in allowed:
                    raise fail(f"{key}.{sub}", _("unknown key (known: {allowed})").format(
                                                   allowed=', '.join(allowed)))

    def text(section: str, key: str, default: str | None = None) -> str | None:
        value = data.get(section, {}).get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"{section}.{key}", _("expected a string, got {value!r}").format(
                                               value=value))
        return value

    def file_path(key: str, value: str, *, must_exist: bool = True) -> Path:
        resolved = (base / Path(value).expanduser()).resolve() if value else base
        if not value:
            raise fail(key, _("expected a file name"))
        if must_exist and not resolved.is_file():
            raise fail(key, _("file not found: {resolved}").format(resolved=resolved))
        return resolved

    source = text("video", "source")
    if not source:
        raise fail("video.source", _("missing: name the edited video, e.g. source = "
                                     "\"capsule.mp4\""))
    video = file_path("video.source", source)

    subtitles: dict[str, SubtitleSpec] = {}
    for lang, table in data.get("subtitles", {}).items():
        key = f"subtitles.{lang}"
        if not LANG.match(lang):
            raise fail(key, _("expected a language code such as fr, ar, zgh or en"))
        if not isinstance(table, dict):
            raise fail(key, _("expected a table [subtitles.{lang}] with file = \"…\"").format(
                                lang=lang))
        for sub in table:
            if sub not in SUBTITLE_KEYS:
                raise fail(f"{key}.{sub}", _("unknown key (known: {SUBTITLE_KEYS})").format(
                                               SUBTITLE_KEYS=', '.join(SUBTITLE_KEYS)))
        name = table.get("file")
        if not isinstance(name, str):
            raise fail(f"{key}.file", _("missing: the subtitle file of this language"))
        encoding = table.get("encoding")
        if encoding is not None:
            import codecs

            try:
                codecs.lookup(encoding)
            except (LookupError, TypeError):
                raise fail(f"{key}.encoding", _("unknown encoding {encoding!r}").format(
                                                  encoding=encoding)) from None
        subtitles[lang] = SubtitleSpec(lang, file_path(f"{key}.file", name), encoding)

    def languages(section: str, default: list[str]) -> list[str]:
        value = data.get(section, {}).get("languages", default)
        key = f"{section}.languages"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, _("expected a list of language codes, e.g. [\"ar\", \"fr\"]"))
        for lang in value:
            if lang not in subtitles:
                raise fail(key, _("{lang!r} has no [subtitles.{lang}] table").format(lang=lang))
        if len(set(value)) != len(value):
            raise fail(key, _("a language is listed twice"))
        return list(value)

    burn = languages("burn", [])
    if len(burn) > 2:
        raise fail("burn.languages", _("at most two tracks can be burned at once"))
    captions = languages("captions", list(subtitles))
    names = data.get("captions", {}).get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise fail("captions.names", _("expected a table of names, e.g. { fr = "
                                       "\"Français\" }"))
    for lang in names:
        if lang not in captions:
            raise fail(f"captions.names.{lang}", _("{lang!r} is not among "
                                                   "captions.languages").format(lang=lang))

    name = text("capsule", "name") or (path.parent.name if path.stem == "capsule" else path.stem)
    output = text("burn", "output")
    burn_output = (file_path("burn.output", output, must_exist=False) if output
                   else (base / "build" / f"{video.stem}.burned.mp4").resolve())

    metadata = dict(data.get("metadata", {}))
    schedule = data.get("schedule", {})
    if "publish_at" in schedule:
        if "publish_at" in metadata:
            raise fail("schedule.publish_at", _("also set as metadata.publish_at: keep "
                                                "one"))
        zone_name = text("schedule", "timezone") or default_timezone
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail("schedule.timezone", _("unknown time zone {zone_name!r}").format(
                                                zone_name=zone_name)) from None
        metadata["publish_at"] = _moment(schedule["publish_at"], zone, fail)
    elif "timezone" in schedule:
        raise fail("schedule.timezone", _("given without schedule.publish_at"))

    thumbnail = None
    if "thumbnail" in data:
        table = data["thumbnail"]
        if ("file" in table) == ("at" in table):
            raise fail("thumbnail", _("give either file = \"…\" or at = \"00:00:05\""))
        thumbnail = ThumbnailSpec(
            file=file_path("thumbnail.file", table["file"]) if "file" in table else None,
            at=text("thumbnail", "at"), title=text("thumbnail", "title"))

    playlist = None
    if "playlist" in data:
        table = data["playlist"]
        if not (table.get("id") or table.get("title")):
            raise fail("playlist", _("give id = \"PL…\" or title = \"…\""))
        create = table.get("create", False)
        if not isinstance(create, bool):
            raise fail("playlist.create", _("expected true or false"))
        playlist = PlaylistSpec(id=text("playlist", "id"), title=text("playlist", "title"),
                                create=create)

    return Capsule(
        path=path.resolve(), name=name, video=video, subtitles=subtitles, burn=burn,
        style=text("burn", "style"), burn_output=burn_output, captions=captions,
        caption_names=dict(names), metadata=metadata, thumbnail=thumbnail, playlist=playlist,
        channel=text("capsule", "channel"), lines=lines, campaign=text("capsule", "campaign"),
    )


def _moment(value: Any, zone: ZoneInfo, fail) -> datetime:
    """A TOML datetime or ISO string; without an offset it is read in `zone`."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise fail("schedule.publish_at",
                       _("expected a date and time such as 2026-07-30T10:00, got "
                         "{value!r}").format(value=value)
                       ) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if not isinstance(value, datetime):
        raise fail("schedule.publish_at", _("expected a date and time, got {value!r}").format(
                                              value=value))
    return value if value.tzinfo else value.replace(tzinfo=zone)


def render_manifest(video: Path, subtitles: list[tuple[str, Path]], *, base: Path,
                    title: str, duration_s: float | None = None,
                    size: tuple[int, int] | None = None) -> str:
    """A commented manifest for `capsule init`, with paths relative to `base`."""

    def rel(p: Path) -> str:
        try:
            return _quote(str(p.resolve().relative_to(base.resolve())))
        except ValueError:
            return _quote(str(p.resolve()))

    langs = [lang for lang, _ in subtitles]
    burn = [lang for lang in ("ar", "fr") if lang in langs][:2] or langs[:1]
    facts = []
    if size:
        facts.append(f"{size[0]}x{size[1]}")
    if duration_s is not None:
        facts.append(f"{duration_s:.1f} s")
    out = [
        "# capsule manifest: `capsule publish --dry-run` checks it, `capsule publish` runs it.",
        "# Paths are relative to this file. Times without an offset use [schedule] timezone.",
        "",
        "[capsule]",
        f"name = {_quote(title)}",
        '# channel = "commission"        # a [channels.NAME] of your settings',
        "",
        "[video]",
        f"source = {rel(video)}" + (f"   # {', '.join(facts)}" if facts else ""),
        "",
    ]
    for lang, path in subtitles:
        out += [f"[subtitles.{lang}]", f"file = {rel(path)}",
                '# encoding = "cp1256"         # only for files that are not UTF-8', ""]
    out += [
        "[burn]",
        "# Tracks burned into the picture (at most two; the first at the bottom).",
        f"languages = {_toml_list(burn)}",
        'style = "outline"               # or "box"',
        "",
        "[captions]",
        "# Tracks attached on YouTube as caption tracks (viewers can switch them on).",
        f"languages = {_toml_list(langs)}",
        "",
        "[metadata]",
        f"title = {_quote(title)}",
        'description = """',
        "Write the description here (at most 5000 bytes, without angle brackets).",
        '"""',
        'tags = ["traite des personnes", "sensibilisation"]',
        'category = "Nonprofits & Activism"  # or its id, 29',
        'privacy = "private"             # public, unlisted or private',
        "made_for_kids = false           # must be stated",
        "synthetic_media = false         # must be stated: altered or synthetic content?",
        f'default_language = "{langs[0] if langs else "fr"}"',
        "",
        "# [metadata.localizations.ar]",
        '# title = "…"',
        '# description = "…"',
        "",
        "# [thumbnail]",
        '# at = "00:00:03"                # a frame of the video, or: file = "thumbnail.png"',
        "",
        "# [playlist]",
        '# title = "Journée mondiale contre la traite des personnes"',
        "# create = true",
        "",
        "# [schedule]",
        '# publish_at = 2026-07-30T10:00:00   # needs privacy = "private" until then',
        '# timezone = "Africa/Casablanca"',
        "",
    ]
    return "\n".join(out)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_quote(item) for item in items) + "]"


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)
