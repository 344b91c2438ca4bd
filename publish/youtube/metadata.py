"""The video metadata officers set, checked locally against YouTube's rules before any API call.

`VideoMetadata` holds every settable field; `from_mapping` reads a metadata file (TOML/JSON) or
flags without failing early, so that `validate()` can report ALL violations at once, each
prefixed by its field (`title: …`, `localizations.ar.title: …`). `to_resource()` builds the
`videos.insert` body exactly as YouTube expects it (see shared reference youtube-api.md §7).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from captions.units import mark
from config.i18n import _
from publish.errors import InvalidInput

DEFAULT_TIMEZONE = ZoneInfo("Africa/Casablanca")

# videoCategories.list regionCode=US, assignable=true (youtube-api.md §7), YouTube's names.
CATEGORIES: dict[str, str] = {
    "1": "Film & Animation", "2": "Autos & Vehicles", "10": "Music", "15": "Pets & Animals",
    "17": "Sports", "19": "Travel & Events", "20": "Gaming", "22": "People & Blogs",
    "23": "Comedy", "24": "Entertainment", "25": "News & Politics", "26": "Howto & Style",
    "27": "Education", "28": "Science & Technology", "29": "Nonprofits & Activism",
}

# Language codes YouTube accepts for defaultLanguage/localizations (i18nLanguages.list, plus the
# Amazigh codes this project publishes in). `nb` is rejected by YouTube while `no` is accepted.
LANGUAGES: frozenset[str] = frozenset((
    "af", "am", "ar", "as", "az", "be", "bg", "bn", "bs", "ca", "cs", "da", "de", "el", "en",
    "en-GB", "en-IN", "es", "es-419", "es-US", "et", "eu", "fa", "fi", "fil",
    "fr", "fr-CA", "gl", "gu", "hi", "hr", "hu", "hy", "id", "is", "it", "iw",
    "ja", "ka", "kk", "km", "kn", "ko", "ky", "lo", "lt", "lv", "mk", "ml", "mn", "mr", "ms",
    "my", "ne", "nl", "no", "or", "pa", "pl", "pt", "pt-PT", "ro", "ru", "si", "sk",
    "sl", "sq", "sr", "sr-Latn", "sv", "sw", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi",
    "zh-CN", "zh-HK", "zh-TW", "zu", "ber", "kab", "tzm", "zgh",
))

PRIVACY = ("public", "unlisted", "private")
LICENSES = ("youtube", "creativeCommon")
TITLE_MAX = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX = 500

_FIELDS = (
    "title", "description", "tags", "category", "privacy", "publish_at", "made_for_kids",
    "synthetic_media", "license", "embeddable", "public_stats_viewable", "default_language",
    "default_audio_language", "localizations", "recording_date", "notify_subscribers",
)


class MetadataInvalid(InvalidInput):
    """One or more metadata rules are broken; `violations` lists every one, field first."""

    def __init__(self, violations: list[str], source: str | None = None) -> None:
        self.violations = list(violations)
        self.source = source
        where = _("{path}: ").format(path=source) if source else ""
        count = (_("{n} metadata problems: ").format(n=len(violations))
                 if len(violations) > 1 else "")
        super().__init__(f"{where}{count}{'; '.join(violations)}")


@dataclass
class Localization:
    """A title and description in one language."""

    title: str
    description: str = ""


@dataclass
class VideoMetadata:
    """Every field capsule sets on a video. None means "not stated"."""

    title: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = "29"  # an id; names are mapped when read
    privacy: str = "private"  # always sent explicitly (unverified projects may be locked private)
    publish_at: datetime | None = None
    made_for_kids: bool | None = None  # must be stated: None is a violation
    synthetic_media: bool | None = None  # must be stated: None is a violation
    license: str = "youtube"
    embeddable: bool = True
    public_stats_viewable: bool = True
    default_language: str | None = None
    default_audio_language: str | None = None
    localizations: dict[str, Localization] = field(default_factory=dict)
    recording_date: datetime | None = None
    notify_subscribers: bool = True
    problems: list[str] = field(default_factory=list, repr=False, compare=False)

    # ----------------------------------------------------------------- reading
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VideoMetadata:
        """From a metadata file's table or from flags; type problems are kept for validate()."""
        meta = cls()
        reader = _Reader(meta.problems)
        for key in data:
            if key not in _FIELDS:
                meta.problems.append(_("{key}: unknown field (known: {_FIELDS})").format(
                                         key=key, _FIELDS=', '.join(_FIELDS)))
        if "title" in data:
            meta.title = reader.text(data["title"], "title")
        if "description" in data:
            meta.description = reader.text(data["description"], "description")
        if "tags" in data:
            meta.tags = reader.tags(data["tags"])
        if "category" in data:
            meta.category = reader.category(data["category"])
        if "privacy" in data:
            meta.privacy = reader.text(data["privacy"], "privacy")
        if data.get("publish_at") is not None:
            meta.publish_at = reader.moment(data["publish_at"], "publish_at")
        for name in ("made_for_kids", "synthetic_media", "embeddable", "public_stats_viewable",
                     "notify_subscribers"):
            if data.get(name) is not None:
                setattr(meta, name, reader.boolean(data[name], name))
        if "license" in data:
            meta.license = reader.text(data["license"], "license")
        for name in ("default_language", "default_audio_language"):
            if data.get(name) is not None:
                setattr(meta, name, reader.text(data[name], name))
        if data.get("localizations") is not None:
            meta.localizations = reader.localizations(data["localizations"])
        if data.get("recording_date") is not None:
            meta.recording_date = reader.moment(data["recording_date"], "recording_date")
        return meta

    # -------------------------------------------------------------- validating
    def validate(self, *, now: datetime | None = None) -> list[str]:
        """Every broken rule of the validation checklist, each naming its field; [] when valid."""
        now = now or datetime.now(UTC)
        out = list(self.problems)
        out += _check_title(self.title, "title")
        out += _check_description(self.description, "description")
        out += _check_tags(self.tags)
        if self.category not in CATEGORIES:
            out.append(_("category: {category!r} is not an assignable category (use an "
                         "id or name: {category_hint})").format(
                           category=self.category, category_hint=_category_hint()))
        if self.privacy not in PRIVACY:
            out.append(_("privacy: {privacy!r} must be one of {PRIVACY}").format(
                           privacy=self.privacy, PRIVACY=', '.join(PRIVACY)))
        if self.publish_at is not None:
            if self.privacy != "private":
                out.append(_("publish_at: a scheduled video must be uploaded with "
                             "privacy 'private' (YouTube makes it public at that time)"))
            if self.publish_at.tzinfo is None:
                out.append(_("publish_at: needs a timezone"))
            elif self.publish_at <= now:
                out.append(past_schedule(self.publish_at))
        if self.made_for_kids is None:
            out.append(_("made_for_kids: must be stated explicitly (true or false): "
                         "YouTube requires the audience declaration"))
        if self.synthetic_media is None:
            out.append(_("synthetic_media: must be stated explicitly (true or false): "
                         "say whether the video contains realistic altered or synthetic "
                         "content"))
        if self.license not in LICENSES:
            out.append(_("license: {license!r} must be one of {LICENSES}").format(
                           license=self.license, LICENSES=', '.join(LICENSES)))
        for name in ("default_language", "default_audio_language"):
            code = getattr(self, name)
            if code is not None and code not in LANGUAGES:
                out.append(_("{name}: {code!r} is not a YouTube language code{lang_hint}").format(
                               name=name, code=code, lang_hint=_lang_hint(code)))
        if self.localizations and not self.default_language:
            out.append(_("default_language: required when localizations are given (the "
                         "language of the main title and description)"))
        for lang, loc in self.localizations.items():
            prefix = f"localizations.{lang}"
            if lang not in LANGUAGES:
                out.append(_("{prefix}: {lang!r} is not a YouTube language "
                             "code{lang_hint}").format(
                               prefix=prefix, lang=lang, lang_hint=_lang_hint(lang)))
            out += _check_title(loc.title, f"{prefix}.title")
            out += _check_description(loc.description, f"{prefix}.description")
        return out

    def check(self, *, now: datetime | None = None, source: str | None = None) -> None:
        """Raise MetadataInvalid listing every violation; return quietly when valid."""
        violations = self.validate(now=now)
        if violations:
            raise MetadataInvalid(violations, source)

    # ---------------------------------------------------------------- writing
    def parts(self) -> list[str]:
        """The `part` values of the insert body, in a stable order."""
        names = ["snippet", "status"]
        if self.localizations:
            names.append("localizations")
        if self.recording_date is not None:
            names.append("recordingDetails")
        return names

    def to_resource(self) -> dict[str, Any]:
        """The `videos.insert` body: categoryId a string, publishAt only with private, etc."""
        snippet: dict[str, Any] = {
            # numbers and addresses inside Arabic keep their order on YouTube (captions.units)
            "title": mark(self.title.strip()),
            "description": mark(self.description),
            "categoryId": str(self.category),
        }
        if self.tags:
            snippet["tags"] = list(self.tags)
        if self.default_language:
            snippet["defaultLanguage"] = self.default_language
        if self.default_audio_language:
            snippet["defaultAudioLanguage"] = self.default_audio_language
        status: dict[str, Any] = {
            "privacyStatus": self.privacy,
            "selfDeclaredMadeForKids": bool(self.made_for_kids),
            "license": self.license,
            "embeddable": self.embeddable,
            "publicStatsViewable": self.public_stats_viewable,
        }
        if self.synthetic_media is not None:
            status["containsSyntheticMedia"] = self.synthetic_media
        if self.publish_at is not None and self.privacy == "private":
            status["publishAt"] = _rfc3339(self.publish_at)
        body: dict[str, Any] = {"snippet": snippet, "status": status}
        if self.localizations:
            body["localizations"] = {
                lang: {"title": mark(loc.title.strip()), "description": mark(loc.description)}
                for lang, loc in sorted(self.localizations.items())
            }
        if self.recording_date is not None:
            body["recordingDetails"] = {"recordingDate": _rfc3339(self.recording_date)}
        return body

    def to_json(self) -> dict[str, Any]:
        """A canonical, JSON-ready form (for the journal and for comparing re-runs)."""
        return {
            "title": self.title, "description": self.description, "tags": list(self.tags),
            "category": self.category, "privacy": self.privacy,
            "publish_at": _rfc3339(self.publish_at) if self.publish_at else None,
            "made_for_kids": self.made_for_kids, "synthetic_media": self.synthetic_media,
            "license": self.license, "embeddable": self.embeddable,
            "public_stats_viewable": self.public_stats_viewable,
            "default_language": self.default_language,
            "default_audio_language": self.default_audio_language,
            "localizations": {k: {"title": v.title, "description": v.description}
                              for k, v in sorted(self.localizations.items())},
            "recording_date": _rfc3339(self.recording_date) if self.recording_date else None,
            "notify_subscribers": self.notify_subscribers,
        }


def load_metadata(path: Path | str | None = None, overrides: Mapping[str, Any] | None = None,
                  *, now: datetime | None = None) -> VideoMetadata:
    """Read a metadata file (TOML or JSON, optional), apply flag overrides, check every rule.

    Raises MetadataInvalid naming the file and every violation; nothing is sent before this passes.
    """
    data: dict[str, Any] = {}
    source = str(path) if path is not None else None
    if path is not None:
        data = read_metadata_file(Path(path))
    for key, value in (overrides or {}).items():
        if key == "localizations" and isinstance(value, Mapping):
            data[key] = _merge_localizations(data.get(key), value)
        else:
            data[key] = value
    meta = VideoMetadata.from_mapping(data)
    meta.check(now=now, source=source)
    return meta


def _merge_localizations(from_file: Any, from_flags: Mapping[str, Any]) -> Any:
    """Flag localizations over the file's, field by field. A malformed file value is kept as
    it is, so that validate() reports it by its field instead of the merge crashing on it."""
    if from_file is None:
        from_file = {}
    if not isinstance(from_file, Mapping):
        return from_file
    merged = dict(from_file)
    for lang, loc in from_flags.items():
        earlier = merged.get(lang) or {}
        merged[lang] = {**earlier, **loc} if isinstance(earlier, Mapping) else earlier
    return merged


def read_metadata_file(path: Path) -> dict[str, Any]:
    """The table of a TOML or JSON metadata file (by extension; TOML when unsure)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(_("{path}: cannot read the metadata file ({strerror})").format(
                               path=path, strerror=exc.strerror)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{path}: not UTF-8 text (byte {start}); save it as UTF-8").format(
                               path=path, start=exc.start)) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(_("{path}:{lineno}: invalid JSON: {msg}").format(
                               path=path, lineno=exc.lineno, msg=exc.msg)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("{path}: the metadata must be a table/object of fields").format(
                               path=path))
    return data


def parse_moment(value: str | datetime | date) -> datetime:
    """An RFC 3339 / ISO 8601 moment; without an offset it is Africa/Casablanca local time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DEFAULT_TIMEZONE)
    return moment


def category_id(value: str | int) -> str | None:
    """A category id from an id or a (case-insensitive) name; None when unknown."""
    text = str(value).strip()
    if text in CATEGORIES:
        return text
    wanted = _fold(text)
    for cid, name in CATEGORIES.items():
        if _fold(name) == wanted:
            return cid
    return None


# ----------------------------------------------------------------- rules
def _check_title(title: str, name: str) -> list[str]:
    out = []
    stripped = title.strip()
    if not stripped:
        out.append(_("{name}: must not be empty").format(name=name))
    elif len(mark(stripped)) > TITLE_MAX:
        marks = len(mark(stripped)) - len(stripped)
        added = (_(" (with {marks} direction marks keeping its numbers in order)").format(
            marks=marks) if marks else "")
        out.append(_("{name}: {count} characters{added}, at most {TITLE_MAX} allowed").format(
                       name=name, count=len(mark(stripped)), added=added,
                       TITLE_MAX=TITLE_MAX))
    if "<" in title or ">" in title:
        out.append(_("{name}: must not contain '<' or '>'").format(name=name))
    return out


def _check_description(text: str, name: str) -> list[str]:
    out = []
    size = len(mark(text).encode("utf-8"))  # as sent: with its direction marks
    if size > DESCRIPTION_MAX_BYTES:
        out.append(_("{name}: {size} bytes in UTF-8, at most {DESCRIPTION_MAX_BYTES} "
                     "allowed (Arabic and Tifinagh letters take 2-3 bytes each)").format(
                       name=name, size=size, DESCRIPTION_MAX_BYTES=DESCRIPTION_MAX_BYTES))
    if "<" in text or ">" in text:
        out.append(_("{name}: must not contain '<' or '>'").format(name=name))
    return out


def _check_tags(tags: list[str]) -> list[str]:
    out = []
    for i, tag in enumerate(tags, 1):
        if not tag.strip():
            out.append(_("tags: tag {i} is empty").format(i=i))
        if "<" in tag or ">" in tag:
            out.append(_("tags: tag {i} ({tag!r}) must not contain '<' or '>'").format(
                           i=i, tag=tag))
        if "," in tag:
            out.append(_("tags: tag {i} ({tag!r}) must not contain a comma (give tags as "
                         "a list)").format(i=i, tag=tag))
    total = tags_length(tags)
    if total > TAGS_MAX:
        out.append(_("tags: {total} characters counted as YouTube does (commas, and "
                     "quotes around tags with spaces), at most {TAGS_MAX} allowed").format(
                       total=total, TAGS_MAX=TAGS_MAX))
    return out


def tags_length(tags: list[str]) -> int:
    """Tag length as YouTube counts it: a comma between tags, quotes around a tag with a space."""
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def past_schedule(publish_at: datetime) -> str:
    """The violation of a publication time already past (callers compare with it: the text
    is in the interface language)."""
    return _("publish_at: {rfc3339} is not in the future").format(rfc3339=_rfc3339(publish_at))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("&", "and"))


def _category_hint() -> str:
    return ", ".join(f"{cid} {name}" for cid, name in CATEGORIES.items())


def _lang_hint(code: str) -> str:
    if code == "nb":
        return " (YouTube rejects 'nb'; use 'no')"
    if "_" in code:
        return f" (write {code.replace('_', '-')!r} with a hyphen)"
    return ""


class _Reader:
    """Coerces raw file/flag values, recording a field-named problem instead of raising."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def text(self, value: Any, name: str) -> str:
        if isinstance(value, str):
            return value
        self.problems.append(_("{name}: must be text, got {__name__}").format(
                                 name=name, __name__=type(value).__name__))
        return ""

    def boolean(self, value: Any, name: str) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        self.problems.append(_("{name}: must be true or false, got {value!r}").format(
                                 name=name, value=value))
        return None

    def tags(self, value: Any) -> list[str]:
        if isinstance(value, list) and all(isinstance(t, str) for t in value):
            return list(value)
        self.problems.append(_("tags: must be a list of text values"))
        return []

    def category(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problems.append(_("category: must be an id or a name, got {value!r}").format(
                                     value=value))
            return "29"
        found = category_id(value)
        if found is None:
            return str(value)  # reported by validate() with the list of choices
        return found

    def moment(self, value: Any, name: str) -> datetime | None:
        if not isinstance(value, str | datetime | date):
            self.problems.append(_("{name}: must be an RFC 3339 date-time, got {value!r}").format(
                                     name=name, value=value))
            return None
        try:
            return parse_moment(value)
        except ValueError:
            self.problems.append(_("{name}: {value!r} is not an RFC 3339 date-time (e.g. "
                                   "2026-12-01T18:00:00+01:00)").format(name=name, value=value))
            return None

    def localizations(self, value: Any) -> dict[str, Localization]:
        if not isinstance(value, Mapping):
            self.problems.append(_("localizations: must be a table: language = {title, "
                                   "description}"))
            return {}
        out = {}
        for lang, loc in value.items():
            prefix = f"localizations.{lang}"
            if not isinstance(loc, Mapping):
                self.problems.append(_("{prefix}: must be a table with title and "
                                       "description").format(prefix=prefix))
                continue
            for key in loc:
                if key not in ("title", "description"):
                    self.problems.append(_("{prefix}.{key}: unknown field (title, "
                                           "description)").format(prefix=prefix, key=key))
            out[str(lang)] = Localization(
                title=self.text(loc.get("title", ""), f"{prefix}.title"),
                description=self.text(loc.get("description", ""), f"{prefix}.description"),
            )
        return out
