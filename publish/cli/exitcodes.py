"""The exit codes of every capsule command, named in one place (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # an unexpected error; a bug report is welcome
    USAGE = 2  # wrong flags or arguments (Click's own code)
    INVALID_INPUT = 3  # a file, field or cue was rejected before anything was spent
    AUTH_REQUIRED = 4  # no usable login: run the command the message names
    QUOTA = 5  # quota or rate limit exhausted: retry after the reset
    TEMPORARY = 6  # network or server failure: state kept, retry later
    BUSY = 7  # another run holds the lock
    NOTHING_TO_DO = 8  # the run found nothing to do (cron jobs may ignore it)
    INTERRUPTED = 130  # Ctrl-C
