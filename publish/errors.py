"""Typed errors of the publish side, each carrying the exit code the CLI boundary turns it into."""

from __future__ import annotations

import errno

from captions.errors import CaptionsError, RendererUnavailable
from config.errors import ConfigError
from publish.exitcodes import ExitCode


class CapsuleError(Exception):
    """Base of the publish errors; `exit_code` says how the CLI ends."""

    exit_code = ExitCode.FAILURE


class InvalidInput(CapsuleError):
    """Rejected before anything was spent: a file, a field or a flag is wrong."""

    exit_code = ExitCode.INVALID_INPUT


class AuthRequired(CapsuleError):
    """No usable login; the message names the command that fixes it."""

    exit_code = ExitCode.AUTH_REQUIRED


class QuotaExhausted(CapsuleError):
    """The API quota or a rate limit is spent; retry after the reset."""

    exit_code = ExitCode.QUOTA


class TemporaryFailure(CapsuleError):
    """A network or server failure outlasted the retries; state is kept, run again later."""

    exit_code = ExitCode.TEMPORARY


class Busy(CapsuleError):
    """Another capsule run holds the lock."""

    exit_code = ExitCode.BUSY


class NothingToDo(CapsuleError):
    """The run found nothing to do (not a failure; cron jobs may ignore this code)."""

    exit_code = ExitCode.NOTHING_TO_DO


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for any exception that reaches the CLI boundary."""
    if isinstance(exc, CapsuleError):
        return exc.exit_code
    if isinstance(exc, RendererUnavailable):
        return ExitCode.FAILURE
    if isinstance(exc, CaptionsError | ConfigError):
        return ExitCode.INVALID_INPUT
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.FAILURE


def describe(exc: BaseException) -> str:
    """A one-line description of an exception for the user."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"disk full{where}: free some space and run again (nothing was half-written)"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"{exc.filename}: permission denied"
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())
