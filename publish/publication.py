"""A capsule's publications in the journal and the fingerprints that decide what changed.

Shared by the publish pipeline (publish/pipeline.py), which plans and runs the steps, and by the
journal rebuild (publish/journal_rebuild.py), which records what the channel already shows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captions.normalize import normalize_track
from config.manifest import Capsule
from publish.journal import Journal
from publish.youtube.caption_tracks import track_name

if TYPE_CHECKING:
    from publish.pipeline import Checked, Env
    from publish.youtube.metadata import VideoMetadata


PUBLICATIONS_SQL = """
CREATE TABLE publications (
    id          INTEGER PRIMARY KEY,
    manifest    TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    picture_fp  TEXT,
    upload_id   INTEGER REFERENCES uploads (id),
    video_id    TEXT,
    replaces    INTEGER REFERENCES publications (id),
    state       TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX publications_active ON publications (manifest, channel)
    WHERE state = 'active';
"""


@dataclass
class Publication:
    id: int
    manifest: str
    channel: str
    version: int
    picture_fp: str | None
    upload_id: int | None
    video_id: str | None
    replaces: int | None
    state: str
    created_at: str
    updated_at: str


def ensure_schema(journal: Journal) -> None:
    """The publications table (created on first use; the journal's migrations own the rest)."""
    exists = journal.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'publications'").fetchone()
    if exists:
        return
    with journal.write() as c:
        if not c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                         "AND name = 'publications'").fetchone():
            for statement in filter(None, (s.strip() for s in PUBLICATIONS_SQL.split(";"))):
                c.execute(statement)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def picture_inputs(checked: Checked, env: Env) -> dict[str, Any]:
    """Everything that decides the uploaded picture: source video, burned subtitles, style."""
    capsule = checked.capsule
    inputs: dict[str, Any] = {"video": sha256_file(capsule.video)}
    if capsule.renders:
        inputs["subtitles"] = {lang: {"sha256": sha256_file(capsule.subtitles[lang].path),
                                      "encoding": capsule.subtitles[lang].encoding}
                               for lang in capsule.burn}
        inputs["order"] = list(capsule.burn)
        inputs["style"] = checked.style_text
        inputs["encoder"] = {"crf": env.crf, "preset": env.preset}
    if checked.cut is not None:  # a variant's segment and frame (the main video has neither)
        inputs["cut"] = [checked.cut.start_ms, checked.cut.end(checked.info)]
    if checked.frame is not None:
        inputs["frame"] = [checked.frame.aspect, checked.frame.fit, checked.frame.x]
    return inputs


METADATA_PARTS = ("snippet", "status", "localizations", "recordingDetails")


def metadata_fp(metadata: VideoMetadata) -> str:
    return digest(metadata.to_resource())


def metadata_record(metadata: VideoMetadata, **extra: Any) -> dict[str, Any]:
    """What the journal keeps of the metadata YouTube holds: one fingerprint per part."""
    resource = metadata.to_resource()
    return {"fingerprint": metadata_fp(metadata),
            "parts": {p: digest(resource[p]) for p in METADATA_PARTS if p in resource},
            "publish_at": metadata.publish_at.isoformat() if metadata.publish_at else None,
            **extra}


def find_publication(journal: Journal, capsule: Capsule, channel: str) -> Publication | None:
    ensure_schema(journal)
    row = journal.conn.execute(
        "SELECT * FROM publications WHERE manifest = ? AND channel = ? AND state = 'active'",
        (capsule.key, channel)).fetchone()
    return Publication(**dict(row)) if row else None


def publications(journal: Journal) -> list[Publication]:
    ensure_schema(journal)
    rows = journal.conn.execute("SELECT * FROM publications ORDER BY id").fetchall()
    return [Publication(**dict(r)) for r in rows]


def upload_source(capsule: Capsule) -> Path:
    return capsule.burn_output if capsule.renders else capsule.video


def caption_name(capsule: Capsule, lang: str) -> str:

    return capsule.caption_names.get(lang) or track_name(lang)


def caption_srt(checked: Checked, lang: str) -> str:

    fps = float(checked.info.fps) if checked.info is not None else 25.0
    return normalize_track(checked.tracks[lang], fps=fps, bidi_marks=True)  # as uploaded


def caption_fp(checked: Checked, lang: str) -> str:
    return digest({"srt": caption_srt(checked, lang),
                    "name": caption_name(checked.capsule, lang)})

