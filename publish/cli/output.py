"""Output conventions: data to stdout, logs and progress to stderr, secrets never shown.

Progress bars appear only on a terminal, never under --quiet, --json or cron (no TTY);
NO_COLOR turns colour off.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from config.i18n import _
from publish.redaction import redact

log = logging.getLogger("capsule")

class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(verbosity: int, quiet: bool) -> None:
    """-v info, -vv debug, -vvv debug including HTTP; -q errors only. Always to stderr."""
    levels = [logging.WARNING, logging.INFO, logging.DEBUG]
    level = logging.ERROR if quiet else levels[min(verbosity, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("capsule: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_capsule", False):
            root.removeHandler(old)
    handler._capsule = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    if verbosity < 3:
        # Third-party chatter only at -vvv.
        for noisy in ("google", "urllib3", "httplib2", "matplotlib", "PIL"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
        # The client logs its own retries and HttpErrors as warnings; ours say it in one line.
        logging.getLogger("googleapiclient").setLevel(max(level, logging.ERROR))


def color_enabled(stream=None) -> bool:
    stream = stream or sys.stderr
    return "NO_COLOR" not in os.environ and _isatty(stream)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_allowed(*, quiet: bool = False, json_mode: bool = False) -> bool:
    """A progress display is shown only to a person at a terminal."""
    return not quiet and not json_mode and _isatty(sys.stderr) and os.environ.get("TERM") != "dumb"


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def info(message: str, *, quiet: bool = False) -> None:
    """A human message on stderr (not data), silenced by --quiet."""
    if not quiet:
        click.echo(message, err=True)


def warn(message: str) -> None:
    prefix = _("capsule: warning: ")
    click.echo(click.style(prefix, fg="yellow", bold=True) + message
               if color_enabled() else prefix + message, err=True)


@dataclass
class Progress:
    """A progress callback for library code: call it with (done, total).

    On a terminal it draws a bar with rate and ETA on stderr; elsewhere it does nothing.
    """

    label: str
    enabled: bool
    unit: str = ""  # "B" formats bytes
    _bar: Any = None
    _start: float = 0.0
    _last: int = 0

    def __call__(self, done: int, total: int | None = None, **_: Any) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            self._start = time.monotonic()
            self._bar = click.progressbar(
                length=total or 0, label=self.label, file=sys.stderr, show_eta=True,
                show_percent=True, item_show_func=self._rate,
                color=color_enabled(),
            )
            self._bar.__enter__()
        self._bar.update(done - self._last)
        self._last = done

    def _rate(self, _item: Any) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = self._last / elapsed
        if self.unit == "B":
            return f"{human_bytes(rate)}/s"
        return f"{rate:.1f} {self.unit}/s".strip()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


ProgressCallback = Callable[..., None]
