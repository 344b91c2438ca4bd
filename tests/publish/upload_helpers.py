"""Shared helpers of the upload tests: a tiny clip, a harness around the engine, server checks."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publish.journal import Journal
from publish.youtube.metadata import VideoMetadata
from publish.youtube.upload import RetryPolicy, UploadContext, UploadJob, UploadOutcome, run_upload

CHUNK = 262144
TIMEOUT = 2.0  # client socket timeout in tests: a stalled server is noticed quickly


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def metadata(**fields: Any) -> VideoMetadata:
    base = {"title": "Le cœur bleu", "made_for_kids": False, "synthetic_media": False}
    return VideoMetadata.from_mapping({**base, **fields})


def copy_clip(src: Path, folder: Path, name: str = "capsule.mp4") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(src, target)
    return target


def videos(sandbox) -> list[dict[str, Any]]:
    with sandbox.store.lock:
        return [v for v in sandbox.store["videos"].values() if not v.get("_deleted")]


def sessions(sandbox) -> list[str]:
    return list(sandbox.upload_log())


def assert_one_video(sandbox, source: Path) -> str:
    """Nothing lost, nothing twice: one video whose stored bytes hash to the source's."""
    found = videos(sandbox)
    assert len(found) == 1, f"expected exactly one video, found {len(found)}"
    video = found[0]
    assert sha256(sandbox.video_file(video["id"])) == sha256(source)
    return video["id"]


def check_chunk_headers(sandbox, chunk: int = CHUNK) -> list[dict[str, Any]]:
    """Row 28: every chunk PUT declares a positive length ≤ the fixed chunk size that matches
    its Content-Range (a `chunksize=-1` resume would send a shorter or negative range)."""
    puts = []
    for log in sandbox.upload_log().values():
        for put in log["puts"]:
            rng = put.get("range") or ""
            if rng.startswith("bytes */") or not rng:
                continue
            start, end = (int(x) for x in rng.split()[1].split("/")[0].split("-"))
            assert end >= start, put
            assert put["declared"] == end - start + 1, put
            assert 0 < put["declared"] <= chunk, put
            puts.append({**put, "start": start, "end": end})
    return puts


@dataclass
class Harness:
    """Runs `run_upload` against a sandbox with a journal, no real sleeping, small timeouts."""

    sandbox: Any
    folder: Path
    sleeps: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    endpoint: str | None = None
    credentials: Any = None
    timeout: float = TIMEOUT

    def __post_init__(self) -> None:
        self.journal = Journal(self.folder / "journal.sqlite")

    def service(self):
        from publish.youtube.client import youtube_service

        if self.credentials is None:
            self.credentials = self.sandbox.credentials()
        return youtube_service(self.credentials, endpoint=self.endpoint or self.sandbox.url,
                               timeout=self.timeout)

    def context(self, **overrides: Any) -> UploadContext:
        policy = overrides.pop("policy", None) or RetryPolicy(sleep=self.sleeps.append,
                                                              rand=lambda: 0.5)
        values = {"journal": self.journal, "service_factory": self.service,
                  "chunk_size": CHUNK, "policy": policy, "on_event": self.notes.append,
                  "wait_interval": 0.0, "work_dir": self.folder / "work"}
        values.update(overrides)
        return UploadContext(**values)

    def run(self, video: Path, meta: VideoMetadata | None = None, *,
            context: dict[str, Any] | None = None, **job: Any) -> UploadOutcome:
        return run_upload(UploadJob(video, meta or metadata(), **job),
                          self.context(**(context or {})))

    def row(self):
        row = self.journal.conn.execute("SELECT id FROM uploads ORDER BY id DESC").fetchone()
        return self.journal.upload(row[0]) if row else None
