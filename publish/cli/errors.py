"""The one place that turns any exception into a one-line message and an exit code: the library
packages (captions, config, publish, the sandbox) raise their own typed errors and know nothing
of exit codes."""

from __future__ import annotations

import errno
import re

from captions.errors import CaptionsError, EncodeError, RendererUnavailable
from config.errors import ConfigError
from config.i18n import _
from publish.cli.exitcodes import ExitCode
from publish.errors import (
    AuthRequired,
    Busy,
    InvalidInput,
    NothingToDo,
    QuotaExhausted,
    TemporaryFailure,
)
from publish.sandbox.errors import SandboxRefused, SandboxStateError, SandboxUnreachable

# Most specific first: the first class an exception is an instance of decides.
_CODES: list[tuple[type[BaseException] | tuple[type[BaseException], ...], ExitCode]] = [
    (InvalidInput, ExitCode.INVALID_INPUT),
    (AuthRequired, ExitCode.AUTH_REQUIRED),
    (QuotaExhausted, ExitCode.QUOTA),
    (TemporaryFailure, ExitCode.TEMPORARY),
    (Busy, ExitCode.BUSY),
    (NothingToDo, ExitCode.NOTHING_TO_DO),
    ((RendererUnavailable, EncodeError), ExitCode.FAILURE),
    ((CaptionsError, ConfigError), ExitCode.INVALID_INPUT),
    ((SandboxRefused, SandboxStateError), ExitCode.INVALID_INPUT),
    (SandboxUnreachable, ExitCode.TEMPORARY),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
]


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for any exception that reaches the CLI boundary."""
    for kinds, code in _CODES:
        if isinstance(exc, kinds):
            return code
    return ExitCode.FAILURE


def describe(exc: BaseException) -> str:
    """A one-line description of an exception for the user."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        if exc.filename:
            return _("disk full writing {file}: free some space and run again (nothing was "
                     "half-written)").format(file=exc.filename)
        return _("disk full: free some space and run again (nothing was half-written)")
    if isinstance(exc, PermissionError) and exc.filename:
        return _("{file}: permission denied").format(file=exc.filename)
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc).strip() or type(exc).__name__
    return one_line(text)


def one_line(text: str) -> str:
    """Runs of line breaks, tabs and spaces as one space; the no-break spaces of French
    typography (before `:` and `;`) are kept, unlike with str.split()."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
