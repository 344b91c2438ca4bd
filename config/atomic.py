"""Crash-safe file writes: temp file in the same folder, fsync, os.replace, fsync the folder.

A kill, a crash or a full disk leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from config.i18n import _


@contextlib.contextmanager
def atomic_write(path: Path | str, mode: int = 0o644, *, binary: bool = False,
                 refuse_symlink: bool = False) -> Iterator[IO]:
    """Open a temp file beside `path`; on success it replaces `path` with the given mode."""
    target = Path(path)
    if refuse_symlink and target.is_symlink():
        raise PermissionError(errno.EPERM, _("refusing to write through a symbolic link"),
                              str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)  # the mode is set on the descriptor, whatever the umask
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):
            # Name the file the user asked for, not a bare errno or our temp file.
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise
    fsync_dir(target.parent)


def write_text(path: Path | str, text: str, mode: int = 0o644, **kwargs) -> None:
    with atomic_write(path, mode, **kwargs) as fh:
        fh.write(text)


def write_bytes(path: Path | str, data: bytes, mode: int = 0o644, **kwargs) -> None:
    with atomic_write(path, mode, binary=True, **kwargs) as fh:
        fh.write(data)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (no-op where directories cannot be opened)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)

