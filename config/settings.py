"""capsule's user settings: defaults < config.toml < CAPSULE_* environment < flags.

Every value remembers where it came from (`default`, `file:PATH:LINE`, `env:NAME`, `flag:--x`)
so `capsule config show` can explain the effective settings. Errors name the file, line and key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.i18n import _
from config.rates import parse_rate

APP_NAME = "capsule"
CONFIG_ENV = "CAPSULE_CONFIG"
ENV_PREFIX = "CAPSULE_"
CHUNK_GRANULE = 256 * 1024
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
           "slower", "veryslow")


def _parse_int(lo: int | None = None, hi: int | None = None,
               multiple: int | None = None) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError(_("expected a whole number"))
        try:
            value = int(str(raw).strip().replace("_", ""), 10)
        except ValueError:
            raise ValueError(_("expected a whole number, got {raw!r}").format(raw=raw)) from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(_("expected a whole number from {lo} to {hi}, got {value}").format(
                                 lo=lo, hi=hi, value=value))
        if multiple and value % multiple:
            raise ValueError(_("must be a multiple of {multiple} (256 KiB), got {value}").format(
                                 multiple=multiple, value=value))
        return value
    return parse


def _parse_float(lo: float) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(_("expected a number, got {raw!r}").format(raw=raw)) from None
        if value <= lo:
            raise ValueError(_("expected a number above {lo:g}, got {value:g}").format(
                                 lo=lo, value=value))
        return value
    return parse


def _parse_at_least(lo: float) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        value = _parse_float(float("-inf"))(raw)
        if value < lo:
            raise ValueError(_("expected a number of at least {lo:g}, got {value:g}").format(
                                 lo=lo, value=value))
        return value
    return parse


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(_("expected true or false, got {raw!r}").format(raw=raw))


def _parse_str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(_("expected a string, got {raw!r}").format(raw=raw))
    return raw


def _parse_path(raw: Any) -> Path:
    return Path(os.path.expanduser(_parse_str(raw)))


def _parse_choice(*choices: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = _parse_str(raw)
        if value not in choices:
            raise ValueError(_("expected one of {choices}, got {value!r}").format(
                                 choices=', '.join(choices), value=value))
        return value
    return parse


def _parse_url(raw: Any) -> str:
    value = _parse_str(raw).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(_("expected an http(s) URL, got {raw!r}").format(raw=raw))
    return value


def _parse_style(raw: Any) -> str:
    value = _parse_str(raw)
    name = value.split(",", 1)[0]
    if "=" not in name and name not in ("outline", "box"):
        raise ValueError(_("expected outline, box or key=value overrides, got {raw!r}").format(
                             raw=raw))
    return value


def _parse_interface_language(raw: Any) -> str:
    from config.i18n import available_languages

    value = _parse_str(raw).strip()
    known = available_languages()
    if value not in known:
        raise ValueError(_("expected one of {known}, got {raw!r}").format(
                             known=', '.join(known), raw=raw))
    return value


def _parse_lang(raw: Any) -> str:
    value = _parse_str(raw)
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        raise ValueError(_("expected a language code such as fr, ar, zgh or en, got "
                           "{raw!r}").format(raw=raw))
    return value


@dataclass(frozen=True)
class KeySpec:
    """One settings key: how to parse it, its default and its one-line help."""

    parse: Callable[[Any], Any]
    default: Any
    help: str
    secret: bool = False


def _default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


KEYS: dict[str, KeySpec] = {
    "data_dir": KeySpec(_parse_path, None, "folder of the journal, tokens and sandbox state"),
    "journal": KeySpec(_parse_path, None, "journal database (default: DATA_DIR/journal.sqlite)"),
    "default_channel": KeySpec(_parse_str, "default", "channel used when --channel is not given"),
    "endpoint": KeySpec(_parse_url, None,
                        "base URL of a YouTube-compatible server instead of Google"),
    "subtitle_style": KeySpec(_parse_style, "outline",
                              "burned subtitle style: outline, box, or key=value overrides"),
    "subtitle_language": KeySpec(_parse_lang, "fr", "language assumed for subtitles"),
    "interface_language": KeySpec(_parse_interface_language, None,
                                  "language of capsule's messages (en, fr); unset: the locale"),
    "preset": KeySpec(_parse_choice(*PRESETS), "medium", "x264 encoder preset for burning"),
    "upload_rate": KeySpec(parse_rate, None, "cap on the upload rate in bytes per second (500K, "
                           "2M…); unset: as fast as the line allows"),
    "crf": KeySpec(_parse_int(1, 51), 18, "x264 constant rate factor (1-51, lower is better)"),
    "chunk_size": KeySpec(_parse_int(CHUNK_GRANULE, None, CHUNK_GRANULE), 8 * 1024 * 1024,
                          "upload chunk size in bytes, a multiple of 256 KiB"),
    "timeout": KeySpec(_parse_float(0), 60.0, "network socket timeout in seconds"),
    "retries": KeySpec(_parse_int(0, 100), 8, "retries without progress before giving up"),
    "timezone": KeySpec(_parse_str, "Africa/Casablanca",
                        "time zone of publication times written without one"),
    "quota_units": KeySpec(_parse_int(1), 10_000, "daily quota units of the API project"),
    "quota_uploads": KeySpec(_parse_int(1), 100, "daily videos.insert calls allowed"),
    "duplicate_check": KeySpec(_parse_bool, True, "before a first upload, look for the same "
                               "video among the channel's uploads"),
    "duplicate_window_uploads": KeySpec(_parse_int(1, 20_000), 500,
                                        "how many of the newest uploads the check reads"),
    "duplicate_window_days": KeySpec(_parse_int(1, 36_500), 90,
                                     "how many days back the check reads"),
    "duplicate_settle_seconds": KeySpec(_parse_at_least(1.0), 1.5,
                                        "wait after an upload before looking for a twin "
                                        "uploaded at the same time (at least 1)"),
    "stats_discover_uploads": KeySpec(_parse_bool, False, "`stats collect` first tracks every "
                                      "new video of the channel's uploads playlist"),
}

CHANNEL_KEYS: dict[str, KeySpec] = {
    "client_secrets": KeySpec(_parse_path, None, "OAuth client file from the Google console"),
    "token_file": KeySpec(_parse_path, None, "token file (default: DATA_DIR/tokens/NAME.json)"),
    "api_key": KeySpec(_parse_str, None, "API key, enough for public statistics", secret=True),
    "endpoint": KeySpec(_parse_url, None, "base URL of a YouTube-compatible server"),
    "require_approval": KeySpec(_parse_bool, False, "publish only what `capsule review "
                                "--approve` signed off, unchanged since"),
}


@dataclass(frozen=True)
class Value:
    value: Any
    origin: str  # default | file:PATH:LINE | env:NAME | flag:--x


@dataclass(frozen=True)
class Channel:
    """A YouTube channel capsule can act for, with where its credentials live."""

    name: str
    client_secrets: Path | None
    token_file: Path
    api_key: str | None
    endpoint: str | None
    require_approval: bool = False


@dataclass
class Settings:
    """The effective settings, each value with its origin."""

    path: Path
    values: dict[str, Value] = field(default_factory=dict)
    channels: dict[str, dict[str, Value]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name].value
        raise AttributeError(name)

    @property
    def data_path(self) -> Path:
        return self.values["data_dir"].value

    @property
    def journal_path(self) -> Path:
        return self.values["journal"].value or self.data_path / "journal.sqlite"

    def channel(self, name: str | None = None) -> Channel:
        """The named channel (default: `default_channel`); an unknown name is an error."""
        name = name or self.default_channel
        entry = self.channels.get(name)
        if entry is None:
            if name == self.default_channel and not self.channels:
                entry = {}
            else:
                known = ", ".join(sorted(self.channels)) or "none"
                raise ConfigError(
                    _("unknown channel {name!r} (configured: {known}); add "
                      "[channels.{name}]").format(name=name, known=known),
                    path=self.path, key=f"channels.{name}")

        def get(key: str) -> Any:
            return entry[key].value if key in entry else None

        return Channel(
            name=name,
            client_secrets=get("client_secrets"),
            token_file=get("token_file") or self.data_path / "tokens" / f"{name}.json",
            api_key=get("api_key"),
            endpoint=get("endpoint"),
            require_approval=bool(get("require_approval")),
        )

    def set(self, key: str, raw: Any, origin: str) -> None:
        """Apply one override (a flag) on top of what was loaded."""
        _assign(self, key, raw, origin, source=origin)

    def rows(self) -> list[tuple[str, Any, str, bool]]:
        """(key, value, origin, secret) for every key, channels last, for `config show`."""
        out = [(k, v.value, v.origin, KEYS[k].secret) for k, v in self.values.items()]
        journal = self.values["journal"]
        for i, row in enumerate(out):
            if row[0] == "journal" and journal.value is None:
                out[i] = ("journal", self.journal_path, journal.origin, False)
        for name in sorted(self.channels):
            ch = self.channel(name)
            for key in CHANNEL_KEYS:
                origin = self.channels[name][key].origin if key in self.channels[name] \
                    else "default"
                out.append((f"channels.{name}.{key}", getattr(ch, key), origin,
                            CHANNEL_KEYS[key].secret))
        return out


def default_config_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load_settings(path: Path | str | None = None, *, env: Mapping[str, str] | None = None,
                  overrides: list[tuple[str, Any, str]] | None = None) -> Settings:
    """Defaults, then the file (if it exists), then CAPSULE_* variables, then flag overrides."""
    env = os.environ if env is None else env
    if path is None:
        path = Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else default_config_path()
    path = Path(path).expanduser()
    settings = Settings(path=path)
    for key, spec in KEYS.items():
        settings.values[key] = Value(spec.default, "default")
    settings.values["data_dir"] = Value(_default_data_dir(), "default")

    if path.exists():
        _load_file(settings, path)
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        key = _env_key(name)
        if key is None:
            continue
        _assign(settings, key, raw, f"env:{name}",
                source=_("environment variable {name}").format(name=name))
    for key, raw, origin in overrides or []:
        _assign(settings, key, raw, origin, source=origin.removeprefix("flag:"))
    return settings


def _env_key(name: str) -> str | None:
    """CAPSULE_CRF -> crf; CAPSULE_CHANNELS__MAIN__API_KEY -> channels.main.api_key."""
    rest = name[len(ENV_PREFIX):]
    if rest.startswith("CHANNELS__"):
        parts = rest.split("__")
        if len(parts) == 3:
            return f"channels.{parts[1].lower()}.{parts[2].lower()}"
        return None
    key = rest.lower()
    return key if key in KEYS else None


def _assign(settings: Settings, key: str, raw: Any, origin: str, *, source: str,
            path: Path | None = None, line: int | None = None) -> None:
    parts = key.split(".")
    if parts[0] == "channels":
        if len(parts) != 3 or not parts[1]:
            raise ConfigError(_("{key}: expected channels.NAME.KEY").format(
                                  key=key), path=path, line=line,
                              key=key)
        spec = CHANNEL_KEYS.get(parts[2])
        if spec is None:
            raise ConfigError(_unknown(key, parts[2], CHANNEL_KEYS, source), path=path,
                              line=line, key=key)
        target = settings.channels.setdefault(parts[1], {})
        target[parts[2]] = Value(_parse(spec, raw, key, source, path, line), origin)
        return
    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(_unknown(key, key, KEYS, source), path=path, line=line, key=key)
    settings.values[key] = Value(_parse(spec, raw, key, source, path, line), origin)


def _unknown(key: str, name: str, known: Mapping[str, Any], source: str) -> str:
    import difflib

    hint = difflib.get_close_matches(name, list(known), n=1)
    suggestion = (_(" (did you mean {hint!r}?)").format(hint=hint[0]) if hint
                  else _(" (known: {known})").format(known=", ".join(known)))
    where = "" if source.startswith("file") else _(" in {source}").format(source=source)
    return _("unknown key {key!r}{where}{suggestion}").format(key=key, where=where,
                                                               suggestion=suggestion)


def _parse(spec: KeySpec, raw: Any, key: str, source: str, path: Path | None,
           line: int | None) -> Any:
    try:
        return spec.parse(raw)
    except ValueError as exc:
        where = "" if path is not None else _(" (from {source})").format(source=source)
        raise ConfigError(_("{key}: {problem}{where}").format(key=key, problem=exc, where=where),
                          path=path, line=line, key=key) from None


_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\-]+)\s*=""")
_TABLE_LINE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")


def key_lines(text: str) -> dict[str, int]:
    """Map each dotted key of a TOML text to the line that sets it (tomllib gives no lines)."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _TABLE_LINE.match(line):
            table = m.group(1).replace('"', "").replace("'", "").replace(" ", "")
            lines.setdefault(table, number)
            continue
        if m := _KEY_LINE.match(line):
            key = m.group(1).strip("\"'").replace(" ", "")
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


def read_toml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse a TOML file; a syntax error becomes one line naming the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("not UTF-8 text ({reason} at byte {start})").format(
                              reason=exc.reason, start=exc.start), path=path) from None
    except OSError as exc:
        raise ConfigError(_("cannot read: {strerror}").format(
                              strerror=exc.strerror), path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(m.group(1)) if m else None
        if line is None and "(at end of document)" in message:
            line = max(len(text.rstrip("\n").splitlines()), 1)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        key = None
        if line is not None:
            source_line = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
            if km := _KEY_LINE.match(source_line):
                key = km.group(1).strip("\"'")
        detail = f"invalid TOML: {reason}" + (f" (key {key!r})" if key else "")
        if m:
            detail += f", column {m.group(2)}"
        raise ConfigError(detail, path=path, line=line, key=key) from None
    return data, key_lines(text)


def _load_file(settings: Settings, path: Path) -> None:
    data, lines = read_toml(path)
    for key, raw in data.items():
        if key == "channels":
            if not isinstance(raw, dict):
                raise ConfigError(_("channels: expected tables [channels.NAME]"), path=path,
                                  line=lines.get("channels"), key="channels")
            for name, table in raw.items():
                if not isinstance(table, dict):
                    raise ConfigError(_("channels.{name}: expected a table "
                                        "[channels.{name}]").format(name=name),
                                      path=path, line=lines.get(f"channels.{name}"),
                                      key=f"channels.{name}")
                settings.channels.setdefault(name, {})
                for sub, value in table.items():
                    dotted = f"channels.{name}.{sub}"
                    line = lines.get(dotted)
                    _assign(settings, dotted, value, f"file:{path}:{line}", source="file",
                            path=path, line=line)
            continue
        if isinstance(raw, dict):
            raise ConfigError(_unknown(key, key, KEYS, "file"), path=path, line=lines.get(key),
                              key=key)
        line = lines.get(key)
        _assign(settings, key, raw, f"file:{path}:{line}", source="file", path=path, line=line)


TEMPLATE = """\
# capsule settings. Every key can also come from an environment variable CAPSULE_<KEY>
# (CAPSULE_CRF=20) or from a flag (capsule --set crf=20 …); flags win over the
# environment, which wins over this file. `capsule config show` tells where each value
# comes from.

# Folder of the journal (SQLite), OAuth tokens and the sandbox state.
# data_dir = "~/.local/share/capsule"

# Channel used when --channel is not given.
default_channel = "default"

# Language of capsule's messages: "en" or "fr" (unset: the locale, e.g. LANG=fr_FR.UTF-8).
# interface_language = "fr"

# Burned subtitles: "outline" (white text, black outline) or "box" (semi-opaque box).
subtitle_style = "outline"

# x264 settings of the burned video (YouTube re-encodes anyway: keep quality high).
preset = "medium"
crf = 18

# Uploads: chunk size (a multiple of 256 KiB) and socket timeout in seconds.
chunk_size = 8388608
timeout = 60

# Time zone of publication times written without one.
timezone = "Africa/Casablanca"

# One table per channel. client_secrets is the OAuth client file downloaded from the
# Google Cloud console ("Desktop app"); the token is written by `capsule auth login`.
[channels.default]
# client_secrets = "~/capsule/client_secret.json"
# token_file = "~/.local/share/capsule/tokens/default.json"
# api_key = "…"          # enough for public statistics (capsule stats collect)
# endpoint = "http://127.0.0.1:8765"   # a local sandbox instead of YouTube
# require_approval = true   # publish only what `capsule review --approve` signed off
"""
