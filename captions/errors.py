"""The errors of the captions package: each names the file, the line or cue, and what to do."""

from __future__ import annotations

from pathlib import Path

from config.i18n import _


class CaptionsError(Exception):
    """Base of every captions error. The CLI maps it to the invalid-input exit code."""

    def __init__(self, message: str, *, path: Path | str | None = None,
                 line: int | None = None, cue: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.cue = cue
        self.detail = message
        where = ""
        if self.path is not None:
            where = (_("{path}:{line}: ").format(path=self.path, line=line) if line
                     else _("{path}: ").format(path=self.path))
        if cue is not None:
            where += _("cue {cue}: ").format(cue=cue)
        super().__init__(f"{where}{message}")

    def __reduce__(self):  # keep the attributes when pickled (multiprocessing)
        return (_rebuild, (type(self), self.detail, self.path, self.line, self.cue))


def _rebuild(cls, detail, path, line, cue):
    return cls(detail, path=path, line=line, cue=cue)


class SubtitleReadError(CaptionsError):
    """The file cannot be read, decoded or parsed."""


class SubtitleCheckError(CaptionsError):
    """The file parsed but breaks a rule that is an error (not a warning)."""


class LayoutError(CaptionsError):
    """A cue cannot fit the safe area (a word too long even at the floor size)."""


class FontCoverageError(CaptionsError):
    """A character no bundled or user font covers (it would be drawn as tofu)."""


class RendererUnavailable(CaptionsError):
    """Pillow lacks raqm (complex-script shaping): Arabic would come out disconnected."""


class VideoError(CaptionsError):
    """The video is missing, not a video, truncated, corrupt, or has no video stream."""


class EncodeError(CaptionsError):
    """ffmpeg failed for a reason that is not the input's fault (exit code 1): the message
    carries the one line of ffmpeg's output that says why."""
