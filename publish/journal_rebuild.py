"""A journal checked, moved aside when damaged, and rebuilt from what the channel knows.

`check` runs SQLite's own `PRAGMA integrity_check` on a read-only connection (a damaged file is
never written to). `move_aside` renames the file and its -wal/-shm companions to
`journal.sqlite.damaged-YYYYmmddTHHMMSS…`: never deleted, so nothing that was in it is lost for a
later forensic look. `rebuild` reads the channel's uploads (the window of the channel check),
recognises each given manifest's video by the same rules as the check before an upload, and
writes what the journal can know: the upload and publication rows, the picture fingerprint, the
metadata when the channel holds the manifest's, caption tracks of the same language and name,
playlist membership, and the video in the tracked set. A re-run of `capsule publish` then resumes
or says "nothing to do" instead of uploading again.

What the Data API cannot tell is left for the next `publish` to redo harmlessly: whether a custom
thumbnail was set (re-set once, 50 units) and metadata that differs from the manifest's (updated
in place). A caption track's text is not downloaded (200 units a track): a track of the same
language and name is taken as the manifest's.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.i18n import _
from publish import publication
from publish.errors import CapsuleError, InvalidInput
from publish.journal import Journal, now_iso
from publish.stats.store import track
from publish.youtube import quota
from publish.youtube.channel_check import ChannelUploads, RemoteVideo, SourceFacts, Window, match
from publish.youtube.playlist import find_playlist
from publish.youtube.resumable import fingerprint


class JournalDamaged(InvalidInput):
    """SQLite reports the journal file damaged; `capsule journal rebuild` is the way out."""


@dataclass
class Health:
    path: Path
    exists: bool
    ok: bool
    problems: list[str] = field(default_factory=list)


def check(path: Path) -> Health:
    """SQLite's integrity check on a read-only connection; a file SQLite cannot read at all
    (not a database, encrypted, truncated header) is damaged too."""
    if not path.exists():
        return Health(path, False, True)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return Health(path, True, False, [str(exc)])
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.Error as exc:
        return Health(path, True, False, [str(exc)])
    finally:
        conn.close()
    problems = [line for line in found if line != "ok"]
    return Health(path, True, not problems, problems)


def move_aside(path: Path, *, now: datetime | None = None) -> Path:
    """Rename the journal (and its -wal and -shm files) to `NAME.damaged-STAMP`; returns the
    new path of the main file. Never deletes, never overwrites an earlier copy."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        for suffix in ("-wal", "-shm"):  # companions first: the main file is the marker
            side = Path(f"{path}{suffix}")
            if side.exists():
                os.replace(side, Path(f"{target}{suffix}"))
        os.replace(path, target)
    except OSError as exc:
        raise CapsuleError(_("{path}: cannot move the damaged journal aside: "
                             "{reason}; move it yourself, then run again").format(
                               path=path, reason=exc.strerror or exc)) from exc
    return target


@dataclass
class Rebuilt:
    """What a rebuild recorded for one manifest."""

    manifest: str
    video_id: str | None = None
    matched: str = ""
    uploaded: str = ""
    steps: list[str] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"manifest": self.manifest, "video_id": self.video_id, "matched": self.matched,
                "uploaded": self.uploaded, "steps": self.steps, "note": self.note}


@dataclass
class RebuildReport:
    moved_to: Path | None = None
    manifests: list[Rebuilt] = field(default_factory=list)
    channel_videos: int = 0
    tracked: int = 0
    quota: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"moved_to": str(self.moved_to) if self.moved_to else None,
                "manifests": [m.to_json() for m in self.manifests],
                "channel_videos": self.channel_videos, "tracked": self.tracked,
                "quota": self.quota}


def rebuild(journal: Journal, service: Any, checked_capsules: list[Any], env: Any, *,
            window: Window, on_event: Callable[[str], None] | None = None) -> RebuildReport:
    """Write into `journal` what the channel says about each checked capsule (preflight's
    `Checked`); `env` is the pipeline Env (channel, crf, preset: the picture fingerprint)."""

    publication.ensure_schema(journal)
    first_call = quota.last_call_id(journal)
    report = RebuildReport()
    pending = []
    for checked in checked_capsules:
        done = Rebuilt(checked.capsule.key)
        report.manifests.append(done)
        existing = publication.find_publication(journal, checked.capsule, env.channel)
        if existing is not None and existing.video_id:
            done.video_id, done.note = existing.video_id, "already in the journal"
        else:
            pending.append((checked, done))
    videos: list[RemoteVideo] = []
    if pending:
        uploads = ChannelUploads(service, journal, channel=env.channel)
        videos = list(uploads.recent(window))
    report.channel_videos = len(videos)
    for checked, done in pending:
        capsule = checked.capsule
        source = publication.upload_source(capsule)
        title = checked.metadata.title
        facts = (SourceFacts.of(source, title) if source.exists()
                 else SourceFacts.missing(source.name, capsule.video, title))
        found = next((m for m in (match(facts, v) for v in videos) if m is not None), None)
        if found is None:
            done.note = "not found on the channel (publish uploads it)"
            continue
        video = found.video
        done.video_id, done.matched, done.uploaded = video.id, found.describe(), video.uploaded
        upload_id = _record_upload(journal, env.channel, source, checked.metadata, video)
        picture = publication.picture_inputs(checked, env)
        _record_publication(journal, capsule, env.channel, publication.digest(picture),
                            upload_id, video.id)
        journal.record_step(upload_id, "picture", "", "done", picture)
        done.steps += record_from_channel(journal, service, checked, env, upload_id, video)
        report.tracked += 1
        if on_event:
            on_event(_("{label}: video {id} (uploaded {uploaded}; {found}): "
                       "{steps} recorded").format(
                         label=capsule.label, id=video.id, uploaded=video.uploaded,
                         found=found.describe(),
                         steps=', '.join(['upload', *done.steps])))
    rows = journal.conn.execute("SELECT pool, sum(units) FROM api_calls WHERE id > ? "
                                "GROUP BY pool", (first_call,)).fetchall()
    report.quota = {pool: int(units) for pool, units in rows}
    return report


def record_from_channel(journal: Journal, service: Any, checked: Any, env: Any,
                        upload_id: int, video: RemoteVideo) -> list[str]:
    """The steps the channel shows done for a capsule's video, recorded as done: metadata when
    the channel holds the manifest's, caption tracks, playlist membership; the video tracked."""

    steps = []
    if _same_metadata(checked.metadata.to_resource(), video.resource):
        journal.record_step(upload_id, "metadata", "", "done",
                            publication.metadata_record(checked.metadata))
        steps.append("metadata")
    steps += _captions(service, journal, checked, env, upload_id, video)
    if checked.capsule.playlist is not None:
        steps += _playlist(service, journal, checked.capsule, env.channel, upload_id, video)
    capsule = checked.capsule
    track(journal, video.id, source="capsule", title=checked.metadata.title,
          capsule=capsule.name, variant=capsule.variant or "main",
          language=checked.metadata.default_language)
    journal.record_step(upload_id, "statistics", "", "done", {"tracked": True})
    steps.append("statistics")
    return steps


def _record_upload(journal: Journal, channel: str, source: Path, metadata: Any,
                   video: RemoteVideo) -> int:
    """An upload row in state `done` for the video; the source's fingerprint when the file is
    here (a re-run then finds it by content), else a marker that never matches a file."""

    if source.exists():
        fp = fingerprint(source)
        size, mtime, sha = fp.size, fp.mtime_ns, fp.sha256
    else:
        size, mtime, sha = video.file_size or 0, 0, f"channel:{video.id}"
    held = journal.conn.execute("SELECT id FROM uploads WHERE video_id = ?",
                                (video.id,)).fetchone()
    if held is not None:
        return int(held[0])
    upload_id = journal.create_upload(channel=channel, source_path=str(source.resolve()),
                                      size=size, mtime_ns=mtime, sha256=sha,
                                      metadata=metadata.to_json(), chunk_size=0)
    journal.update_upload(upload_id, state="done", video_id=video.id, resource=video.resource,
                          confirmed_bytes=size, error="rebuilt from the channel")
    return upload_id


def _record_publication(journal: Journal, capsule: Any, channel: str, picture_fp: str,
                        upload_id: int, video_id: str) -> None:
    stamp = now_iso()
    with journal.write() as c:
        c.execute("UPDATE publications SET state = 'superseded', updated_at = ? "
                  "WHERE manifest = ? AND channel = ? AND state = 'active'",
                  (stamp, capsule.key, channel))
        c.execute("INSERT INTO publications (manifest, channel, version, picture_fp, "
                  "upload_id, video_id, state, created_at, updated_at) "
                  "VALUES (?, ?, 1, ?, ?, ?, 'active', ?, ?)",
                  (capsule.key, channel, picture_fp, upload_id, video_id, stamp, stamp))


def _same_metadata(wanted: dict[str, Any], resource: dict[str, Any]) -> bool:
    """Whether every field the manifest sets is what the channel holds (YouTube adds its own
    fields, e.g. snippet.thumbnails, which do not count)."""
    for part, fields in wanted.items():
        held = resource.get(part) or {}
        if not isinstance(fields, dict):
            continue
        for key, value in fields.items():
            if part == "status" and key in ("selfDeclaredMadeForKids",):
                continue  # write-only for some callers; madeForKids is derived from it
            if held.get(key) != value:
                return False
    return True


def _captions(service: Any, journal: Journal, checked: Any, env: Any, upload_id: int,
              video: RemoteVideo) -> list[str]:
    """Caption tracks of the video with the manifest's language and name (captions.list)."""

    capsule = checked.capsule
    if not capsule.captions:
        return []
    request = service.captions().list(part="snippet", videoId=video.id)
    reply = quota.execute(journal, "captions.list", request,
                          doing=_("listing the caption tracks of video {id}").format(id=video.id),
                          channel=env.channel, upload_id=upload_id)
    held = {(t["snippet"].get("language"), t["snippet"].get("name")): t
            for t in reply.get("items", [])}
    steps = []
    for lang in capsule.captions:
        name = publication.caption_name(capsule, lang)
        track = held.get((lang, name))
        if track is None or track["snippet"].get("status") == "failed":
            continue
        journal.record_step(upload_id, "caption", lang, "done", {
            "id": track["id"], "language": lang, "name": name,
            "fingerprint": publication.caption_fp(checked, lang)})
        steps.append(f"caption:{lang}")
    return steps


def _playlist(service: Any, journal: Journal, capsule: Any, channel: str, upload_id: int,
              video: RemoteVideo) -> list[str]:

    wanted = capsule.playlist.id or capsule.playlist.title or ""
    playlist = find_playlist(service, journal, wanted, channel=channel, upload_id=upload_id)
    if playlist is None:
        return []
    request = service.playlistItems().list(part="snippet", playlistId=playlist["id"],
                                           videoId=video.id, maxResults=50)
    reply = quota.execute(journal, "playlistItems.list", request,
                          doing=_("listing playlist {id}").format(
                                    id=playlist['id']), channel=channel,
                          upload_id=upload_id)
    for item in reply.get("items", []):
        if item.get("snippet", {}).get("resourceId", {}).get("videoId") == video.id:
            journal.record_step(upload_id, "playlist", "", "done", {
                "playlistId": playlist["id"], "itemId": item.get("id"), "added": False,
                "wanted": wanted})
            return ["playlist"]
    return []


def fresh_journal(path: Path) -> tuple[Journal, Path | None]:
    """Open the journal for a rebuild: a damaged one is moved aside first (returned)."""
    health = check(path)
    moved = move_aside(path) if health.exists and not health.ok else None
    return Journal(path), moved
