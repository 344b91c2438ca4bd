"""The sandbox's persisted state: one JSON document plus media files under the state folder.

Layout of `state_dir`:
    state.json           videos, captions, playlists, sessions, tokens, quota, byte log,
                         upload times for the rolling limits (mode 0600)
    media/<videoId>      uploaded video bytes
    sessions/<uploadId>  bytes of an unfinished upload session, appended as they arrive
    captions/<id>        caption track bytes
    thumbnails/<videoId> thumbnail bytes

`state.json` is rewritten atomically after every change, so a sandbox killed at any moment
restarts with a consistent view; an upload session's offset IS the size of its file, so bytes
stored before a crash or a dropped connection are never forgotten.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from config.atomic import write_text
from config.i18n import _
from publish.sandbox.errors import SandboxStateError

STATE_VERSION = 1
_COLLECTIONS = ("videos", "captions", "thumbnails", "playlists", "playlistItems", "sessions",
                "access_tokens", "refresh_tokens", "codes", "quota", "uploads_log", "events")


class Store:
    """State document + files; every mutation happens inside `with store.change():`."""

    def __init__(self, root: Path | str, seed: int = 0) -> None:
        self.root = Path(root)
        self.seed = seed
        for sub in ("media", "sessions", "captions", "thumbnails"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.data = self._load()

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {"version": STATE_VERSION, "seed": self.seed, "counter": 0}
        except (OSError, ValueError) as exc:
            raise SandboxStateError(_("{state_file}: unreadable sandbox state ({exc}); "
                                      "remove the folder to start afresh").format(
                                        state_file=self.state_file, exc=exc)) from exc
        if not isinstance(data, dict):
            raise SandboxStateError(_("{state_file}: not a sandbox state (expected a "
                                      "JSON object); remove the folder to start afresh").format(
                                        state_file=self.state_file))
        for name in _COLLECTIONS:
            data.setdefault(name, {})
        data.setdefault("counter", 0)
        self.seed = int(data.setdefault("seed", self.seed))
        return data

    def save(self) -> None:
        with self.lock:
            text = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
            write_text(self.state_file, text, mode=0o600)

    @contextlib.contextmanager
    def change(self) -> Iterator[dict[str, Any]]:
        """Mutate `data` under the lock; saved atomically when the block ends without error."""
        with self.lock:
            yield self.data
            self.save()

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.data[name]

    def new_id(self, length: int = 11, prefix: str = "") -> str:
        """A deterministic, URL-safe id (same seed, same order of creation → same ids)."""
        with self.lock:
            self.data["counter"] += 1
            digest = hashlib.sha256(f"{self.seed}:{self.data['counter']}".encode()).digest()
        text = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return prefix + text[:length]

    def path(self, kind: str, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(_("bad file name {name!r}").format(name=name))
        return self.root / kind / name

    def file_size(self, kind: str, name: str) -> int:
        try:
            return os.stat(self.path(kind, name)).st_size
        except FileNotFoundError:
            return 0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
