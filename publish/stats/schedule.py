"""Ready-to-install entries that run `capsule stats collect` unattended: a cron line or a pair of
systemd user units (.service + .timer with Persistent=true, so a missed run happens at boot)."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from config.i18n import _
from publish.errors import InvalidInput

UNIT_NAME = "capsule-stats"
MINUTE = 7  # off the top of the hour, when everyone else's jobs start

_EVERY = re.compile(r"\s*(\d+)\s*(m|min|h|d)\s*", re.IGNORECASE)
_WORDS = {"hourly": 60, "daily": 24 * 60}


@dataclass(frozen=True)
class Every:
    """A collection interval that both cron and systemd can express exactly."""

    minutes: int

    @property
    def label(self) -> str:
        if self.minutes % (24 * 60) == 0:
            return "day"
        if self.minutes % 60 == 0:
            hours = self.minutes // 60
            return "hour" if hours == 1 else f"{hours} hours"
        return f"{self.minutes} minutes"

    def cron(self) -> str:
        if self.minutes >= 24 * 60:
            return f"{MINUTE} 6 * * *"
        if self.minutes >= 60:
            hours = self.minutes // 60
            return f"{MINUTE} * * * *" if hours == 1 else f"{MINUTE} */{hours} * * *"
        return f"*/{self.minutes} * * * *"

    def on_calendar(self) -> str:
        if self.minutes >= 24 * 60:
            return f"*-*-* 06:{MINUTE:02d}:00"
        if self.minutes >= 60:
            return f"*-*-* 00/{self.minutes // 60}:{MINUTE:02d}:00"
        return f"*-*-* *:00/{self.minutes}:00"


def parse_every(text: str) -> Every:
    """`15m`, `1h`, `6h`, `1d`, `hourly`, `daily`: a divisor of an hour or of a day."""
    raw = text.strip().lower()
    if raw in _WORDS:
        return Every(_WORDS[raw])
    match = _EVERY.fullmatch(raw)
    minutes = None
    if match:
        n, unit = int(match.group(1)), match.group(2)[0]
        minutes = n * {"m": 1, "h": 60, "d": 24 * 60}[unit]
    valid = minutes is not None and (
        (0 < minutes < 60 and 60 % minutes == 0)
        or (60 <= minutes < 24 * 60 and minutes % 60 == 0 and 24 % (minutes // 60) == 0)
        or minutes == 24 * 60)
    if not valid:
        raise InvalidInput(_("--every {text!r}: use minutes dividing an hour (15m, 30m), "
                             "hours dividing a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or 1d").format(
                               text=text))
    return Every(minutes)


def capsule_executable() -> str:
    """The absolute path of the `capsule` that runs now (cron and systemd have a bare PATH)."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "capsule" and argv0.exists():
        return str(argv0.resolve())
    beside = Path(sys.executable).parent / "capsule"
    if beside.exists():
        return str(beside)
    found = shutil.which("capsule")
    if found:
        return str(Path(found).resolve())
    raise InvalidInput(_("cannot find the `capsule` executable: install capsule (pip "
                         "install .) so that it is on PATH, then run this again"))


def collect_command(executable: str, global_args: list[str] | None = None) -> str:
    """The shell command line of one unattended collection."""
    parts = [executable, *(global_args or []), "stats", "collect", "--json"]
    return " ".join(shlex.quote(p) for p in parts)


def cron_entry(every: Every, command: str, log_file: Path) -> str:
    """A crontab line (with a comment above it) appending one JSON line per run to `log_file`.

    cron treats `%` as a newline, so it is escaped.
    """
    line = f"{every.cron()} {command} >> {shlex.quote(str(log_file))} 2>&1"
    return (f"# capsule: collect view statistics every {every.label} "
            f"(exit 7 busy, 8 nothing to do)\n{line.replace('%', chr(92) + '%')}\n")


def systemd_units(every: Every, command: str) -> dict[str, str]:
    """{file name: text} of a systemd user service and its timer (`%` is a specifier there)."""
    command = command.replace("%", "%%")
    service = f"""[Unit]
Description=capsule: collect YouTube view statistics
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={command}
# 7: another collection was running; 8: nothing tracked yet. Neither is a failure.
SuccessExitStatus=7 8
Nice=10
TimeoutStartSec=30min
"""
    timer = f"""[Unit]
Description=capsule: collect YouTube view statistics every {every.label}

[Timer]
OnCalendar={every.on_calendar()}
Persistent=true
RandomizedDelaySec=120

[Install]
WantedBy=timers.target
"""
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def systemd_text(units: dict[str, str]) -> str:
    """Both units as one printable text, each headed by where it goes, then how to enable."""
    chunks = []
    for name, text in units.items():
        chunks.append(f"# ~/.config/systemd/user/{name}\n{text}")
    chunks.append("# then: systemctl --user daemon-reload && "
                  f"systemctl --user enable --now {UNIT_NAME}.timer\n"
                  "# runs without a login session after: loginctl enable-linger $USER\n"
                  f"# logs: journalctl --user -u {UNIT_NAME}.service\n")
    return "\n".join(chunks)
