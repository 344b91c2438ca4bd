"""The capsule manifest (`capsule.toml`): one file describing one publication.

Paths are relative to the manifest. Every error names the file, the line and the key, e.g.
`capsule.toml:12: burn.languages: 'de' has no [subtitles.de] table`.
"""

from __future__ import annotations

import dataclasses
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
    "variants": (),  # one table per variant
}
SUBTITLE_KEYS = ("file", "encoding")
VARIANT_KEYS = ("start", "end", "aspect", "fit", "x", "burn", "metadata")
# A variant's [variants.NAME.metadata] overrides these (and any [metadata] field).
VARIANT_ONLY = ("captions", "playlist", "publish_at")
VARIANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
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


@dataclass(frozen=True)
class Shape:
    """A variant's segment and frame as the manifest gives them (checked by captions.reframe
    when the capsule is preflighted: times are text or seconds, aspect and fit are names)."""

    start: str | float | None = None
    end: str | float | None = None
    aspect: str | None = None
    fit: str = "crop"
    x: float = 0.5


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
    variant: str = ""  # "" for the main video, else the NAME of [variants.NAME]
    shape: Shape | None = None  # a variant's cut and frame
    variants: dict[str, Capsule] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """What the journal knows this video by: the manifest, `#NAME` for a variant."""
        return f"{self.path}#{self.variant}" if self.variant else str(self.path)

    @property
    def renders(self) -> bool:
        """Whether the uploaded file is made by capsule (burned, cut or reframed), not the
        source itself."""
        shape = self.shape
        return bool(self.burn) or (shape is not None and (
            shape.start is not None or shape.end is not None or shape.aspect is not None))

    @property
    def label(self) -> str:
        """The video's name in messages: the manifest path, with the variant's name."""
        return f"{self.path} [{self.variant}]" if self.variant else str(self.path)

    def videos(self, only: str | None = None) -> list[Capsule]:
        """The main video and its variants (`only`: one of them by name, "main" the main)."""
        every = [self, *self.variants.values()]
        if only is None:
            return every
        chosen = [c for c in every if (c.variant or "main") == only]
        if not chosen:
            names = ", ".join(["main", *self.variants])
            raise ConfigError(_("no variant {only!r} in this manifest (it has: {names})").format(
                                  only=only, names=names),
                              path=self.path)
        return chosen

    def qualify(self, key: str) -> str:
        """`key` as this video's manifest writes it: a variant's own setting if it has one."""
        if self.variant:
            own = f"variants.{self.variant}.{key}"
            if own in self.lines or key in ("start", "end", "aspect", "fit", "x", "burn"):
                return own
        return key

    def line_of(self, key: str) -> int | None:
        """The manifest line that sets `key` (dotted), or its closest enclosing table."""
        key = self.qualify(key)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None

    def error(self, key: str, message: str) -> ConfigError:
        key = self.qualify(key)
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
        return _languages(value, f"{section}.languages", subtitles, fail)

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

    capsule = Capsule(
        path=path.resolve(), name=name, video=video, subtitles=subtitles, burn=burn,
        style=text("burn", "style"), burn_output=burn_output, captions=captions,
        caption_names=dict(names), metadata=metadata, thumbnail=thumbnail, playlist=playlist,
        channel=text("capsule", "channel"), lines=lines, campaign=text("capsule", "campaign"),
    )
    zone_name = text("schedule", "timezone") or default_timezone
    for vname, table in data.get("variants", {}).items():
        capsule.variants[vname] = _variant(capsule, vname, table, fail, ZoneInfo(zone_name))
    return capsule


def _variant(main: Capsule, name: str, table: Any, fail, zone: ZoneInfo) -> Capsule:
    """[variants.NAME]: the main video's settings with the variant's own over them."""
    key = f"variants.{name}"
    if not VARIANT_NAME.match(name) or name == "main":
        raise fail(key, _("a variant's name is lowercase letters, digits, - and _ (not "
                          "main), e.g. [variants.short]"))
    if not isinstance(table, dict):
        raise fail(key, _("expected a table [variants.{name}]").format(name=name))
    for sub in table:
        if sub not in VARIANT_KEYS:
            raise fail(f"{key}.{sub}", _("unknown key (known: {VARIANT_KEYS})").format(
                                           VARIANT_KEYS=', '.join(VARIANT_KEYS)))
    for sub in ("start", "end"):
        value = table.get(sub)
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, str | int | float)):
            raise fail(f"{key}.{sub}", _("expected a time such as \"00:12\" or 12.5 "
                                         "(seconds)"))
    for sub in ("aspect", "fit"):
        if sub in table and not isinstance(table[sub], str):
            raise fail(f"{key}.{sub}", _("expected a string, got {value!r}").format(
                                           value=table[sub]))
    x = table.get("x", 0.5)
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise fail(f"{key}.x", _("expected a number from 0.0 (left) to 1.0 (right)"))
    if "x" in table and table.get("fit", "crop") != "crop":
        raise fail(f"{key}.x", _("x is the focus of fit = \"crop\" only"))
    shape = Shape(start=table.get("start"), end=table.get("end"), aspect=table.get("aspect"),
                  fit=table.get("fit", "crop"), x=float(x))

    burn = _languages(table.get("burn", main.burn), f"{key}.burn", main.subtitles, fail)
    if len(burn) > 2:
        raise fail(f"{key}.burn", _("at most two tracks can be burned at once"))

    overrides = table.get("metadata", {})
    if not isinstance(overrides, dict):
        raise fail(f"{key}.metadata", _("expected a table [variants.{name}.metadata]").format(
                                          name=name))
    meta_key = f"{key}.metadata"
    captions = _languages(overrides.get("captions", main.captions), f"{meta_key}.captions",
                          main.subtitles, fail)
    playlist = main.playlist
    if "playlist" in overrides:
        value = overrides["playlist"]
        if isinstance(value, str) and value.strip():
            playlist = (PlaylistSpec(id=value) if value.startswith("PL")
                        else PlaylistSpec(title=value, create=True))
        elif isinstance(value, dict) and (value.get("id") or value.get("title")) \
                and set(value) <= {"id", "title", "create"}:
            playlist = PlaylistSpec(id=value.get("id"), title=value.get("title"),
                                    create=bool(value.get("create", False)))
        else:
            raise fail(f"{meta_key}.playlist", _("expected a playlist title, an id "
                                                 "\"PL…\" or { title = \"…\", create = "
                                                 "true }"))
    metadata = _variant_metadata(main.metadata, overrides)
    if "publish_at" in overrides:
        def at(_key: str, message: str) -> ConfigError:
            return fail(f"{meta_key}.publish_at", message.replace("schedule.publish_at: ", ""))
        metadata["publish_at"] = _moment(overrides["publish_at"], zone, at)

    output = main.burn_output.with_name(f"{main.burn_output.name.split('.')[0]}.{name}.mp4")
    return dataclasses.replace(
        main, variant=name, shape=shape, burn=list(burn), captions=list(captions),
        caption_names={k: v for k, v in main.caption_names.items() if k in captions},
        metadata=metadata, playlist=playlist, burn_output=output, variants={})


def _languages(value: Any, key: str, subtitles: dict[str, SubtitleSpec], fail) -> list[str]:
    """A list of languages that each have a [subtitles.LANG] table, each once."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(key, _("expected a list of language codes, e.g. [\"ar\", \"fr\"]"))
    for lang in value:
        if lang not in subtitles:
            raise fail(key, _("{lang!r} has no [subtitles.{lang}] table").format(lang=lang))
    if len(set(value)) != len(value):
        raise fail(key, _("a language is listed twice"))
    return list(value)


def _variant_metadata(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The main metadata with the variant's fields over it. A variant whose default language
    differs takes its title and description from the main video's localization of that
    language (the Arabic version's title is the Arabic title), and the main title and
    description become the localization of the main video's language."""
    metadata = {**base, **{k: v for k, v in overrides.items() if k not in VARIANT_ONLY}}
    lang, before = metadata.get("default_language"), base.get("default_language")
    localizations = dict(base.get("localizations") or {})
    if "localizations" in overrides or lang == before or not isinstance(lang, str):
        return metadata
    own = localizations.pop(lang, None)
    if isinstance(own, dict):
        for field_name in ("title", "description"):
            if field_name not in overrides and field_name in own:
                metadata[field_name] = own[field_name]
    if isinstance(before, str) and before not in localizations:
        localizations[before] = {k: base[k] for k in ("title", "description") if k in base}
    metadata["localizations"] = localizations
    return metadata


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
                    size: tuple[int, int] | None = None,
                    short: tuple[str, str] | None = None, versions: list[str] = ()) -> str:
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
    if short is not None:
        out += [
            "[variants.short]",
            "# A vertical Short cut from the video (at most 3 minutes): the Shorts feed.",
            f"start = {_quote(short[0])}",
            f"end = {_quote(short[1])}",
            'aspect = "9:16"                 # or "1:1", "4:5", "16:9"',
            'fit = "blur"                    # or "crop" (x = 0.0–1.0: the focus), "pad"',
            f"burn = {_toml_list(burn[:1])}",
            "",
            "[variants.short.metadata]",
            "# Anything of [metadata] may be set again here, e.g.:",
            f"# title = {_quote(title + ' #Shorts')}",
            "",
        ]
    for lang in versions:
        others = [other for other in langs if other != lang]
        out += [
            f"[variants.{lang}]",
            f"# The {lang!r} version: only {lang!r} burned in; its title and description come",
            f"# from [metadata.localizations.{lang}] (or set them below).",
            f"burn = {_toml_list([lang])}",
            "",
            f"[variants.{lang}.metadata]",
            f"default_language = {_quote(lang)}",
            f"captions = {_toml_list([lang, *others])}",
            '# title = "…"',
            "",
        ]
    return "\n".join(out)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_quote(item) for item in items) + "]"


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)
