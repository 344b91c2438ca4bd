"""Typed errors of the publish side; only the CLI (publish/cli/errors.py) maps them to exit
codes."""

from __future__ import annotations


class CapsuleError(Exception):
    """Base of the publish errors."""


class InvalidInput(CapsuleError):
    """Rejected before anything was spent: a file, a field or a flag is wrong."""


class AuthRequired(CapsuleError):
    """No usable login; the message names the command that fixes it."""


class QuotaExhausted(CapsuleError):
    """The API quota or a rate limit is spent; retry after the reset."""


class TemporaryFailure(CapsuleError):
    """A network or server failure outlasted the retries; state is kept, run again later."""


class Busy(CapsuleError):
    """Another capsule run holds the lock."""


class NothingToDo(CapsuleError):
    """The run found nothing to do (not a failure; cron jobs may ignore this code)."""
