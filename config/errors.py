"""Errors raised while reading settings and manifests; each names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

from config.i18n import _


class ConfigError(Exception):
    """A settings file or manifest is unreadable or invalid."""

    def __init__(self, message: str, *, path: Path | str | None = None,
                 line: int | None = None, key: str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        self.detail = message
        where = ""
        if self.path is not None:
            where = (_("{path}:{line}: ").format(path=self.path, line=line) if line
                     else _("{path}: ").format(path=self.path))
        super().__init__(f"{where}{message}")

    def __reduce__(self):  # keep the attributes when pickled (multiprocessing)
        return (_rebuild, (type(self), self.detail, self.path, self.line, self.key))


def _rebuild(cls, detail, path, line, key):
    return cls(detail, path=path, line=line, key=key)
