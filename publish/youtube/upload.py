"""The journaled upload job: never twice, resumable, then its steps (captions, thumbnail…).

Around the session protocol of publish/youtube/resumable.py, this module keeps the journal's
books: the upload row claimed with the source fingerprint before the first byte, the steps done,
processing waited for; and the channel is the second ledger (publish/youtube/channel_check.py):
before a first upload, before the last chunk of a longer one and after it, the channel's own
uploads are looked at, so a lost journal or another machine never makes a second video.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captions.normalize import normalize_track, write_srt
from captions.reading import read_track
from captions.video import probe
from config.i18n import _
from publish.errors import CapsuleError, InvalidInput
from publish.journal import Journal, UploadRow, source_lock
from publish.youtube import quota
from publish.youtube.caption_tracks import check_caption_file, put_track
from publish.youtube.channel_check import (
    PAGE,
    DuplicateOnChannel,
    SourceFacts,
    Window,
    check_calls,
    find_duplicate,
    match,
    reconcile,
)
from publish.youtube.metadata import VideoMetadata
from publish.youtube.playlist import add_to_playlist
from publish.youtube.resumable import (
    Fingerprint,
    ProgressFn,
    ResumableUpload,
    RetryPolicy,
    SourceChanged,
    fingerprint,
    valid_chunk_size,
)
from publish.youtube.throttle import Throttle
from publish.youtube.thumbnail import check_thumbnail, frame_thumbnail, set_thumbnail

log = logging.getLogger("capsule.upload")



# ------------------------------------------------------------------------------ orchestration
@dataclass
class UploadJob:
    """One `capsule upload`: the video, its metadata and the steps that follow the upload."""

    video: Path
    metadata: VideoMetadata
    captions: list[tuple[str, Path]] = field(default_factory=list)
    thumbnail: Path | None = None
    thumbnail_at_ms: int | None = None
    thumbnail_title: str | None = None
    playlist: str | None = None
    create_playlist: bool = False
    wait: bool = False
    restart: bool = False
    channel: str = ""
    force_duplicate: bool = False  # upload even when the channel already has this source


@dataclass
class UploadOutcome:
    """What the run achieved; `to_json()` is what `--json` prints."""

    video_id: str
    resource: dict[str, Any]
    existing: bool
    resumed: bool
    upload_id: int
    steps: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] | None = None
    quota_spent: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self, url: str) -> dict[str, Any]:
        """`url` is App.watch_url(video_id): YouTube's watch page, or the sandbox's."""
        return {"video_id": self.video_id, "url": url, "existing": self.existing,
                "resumed": self.resumed, "resource": self.resource, "steps": self.steps,
                "processing": self.processing, "quota_spent": self.quota_spent,
                "warnings": self.warnings}


@dataclass
class UploadContext:
    """The environment of a run: journal, client factory, limits and injectable timing."""

    journal: Journal
    service_factory: Callable[[], Any]
    chunk_size: int = 8 * 1024 * 1024
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    limits: dict[str, int] | None = None
    on_progress: ProgressFn | None = None
    on_event: Callable[[str], None] | None = None  # one-line human notes ("resuming…")
    wait_interval: float = 5.0
    wait_timeout: float = 900.0
    verify_video: bool = True
    work_dir: Path | None = None  # normalized captions and frame thumbnails go here
    channel_check: Any = None  # youtube.channel_check.CheckSettings; None: trust the journal
    rate: int | None = None  # --limit-rate: bytes per second for the media, captions, thumbnail
    throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.rate)

    def note(self, message: str) -> None:
        log.info("%s", message)
        if self.on_event is not None:
            self.on_event(message)


VIDEO_MAX_BYTES = 256 * 1024 ** 3


def check_inputs(job: UploadJob) -> list[str]:
    """Every local check that costs nothing; raises InvalidInput, returns warnings."""

    job.metadata.check()
    video = job.video
    if not video.is_file():
        raise InvalidInput(_("{video}: no such video file").format(video=video))
    size = video.stat().st_size
    if size == 0:
        raise InvalidInput(_("{video}: the file is empty").format(video=video))
    if size > VIDEO_MAX_BYTES:
        raise InvalidInput(_("{video}: {size} bytes; YouTube accepts at most 256 GB").format(
                               video=video, size=size))
    warnings: list[str] = []
    seen = set()
    for language, path in job.captions:
        if language in seen:
            raise InvalidInput(_("--caption {language}: given twice; one file per "
                                 "language").format(language=language))
        seen.add(language)
        check_caption_file(language, path)
    if job.thumbnail is not None and job.thumbnail_at_ms is not None:
        raise InvalidInput(_("--thumbnail and --thumbnail-at: give one of them"))
    if job.thumbnail_title and job.thumbnail_at_ms is None:
        raise InvalidInput(_("--thumbnail-title needs --thumbnail-at (the title is drawn "
                             "on a frame of the video)"))
    if job.thumbnail is not None:
        warnings += list(check_thumbnail(job.thumbnail).warnings)
    if job.create_playlist and not job.playlist:
        raise InvalidInput(_("--create-playlist needs --playlist TITLE"))
    return warnings


def plan_calls(job: UploadJob, *, upload_needed: bool, done_steps: set[str],
               check: Any = None) -> list[str]:
    """The API calls this run will make (for the quota estimate stated before it runs);
    `check` is the channel check's window when the channel is looked at first."""

    calls = ["videos.insert"] if upload_needed else []
    if upload_needed and check is not None:
        calls += check_calls(check)
    for language, _path in job.captions:
        if f"caption:{language}" not in done_steps:
            calls += ["captions.list", "captions.insert"]
    if (job.thumbnail is not None or job.thumbnail_at_ms is not None) \
            and "thumbnail" not in done_steps:
        calls.append("thumbnails.set")
    if job.playlist and "playlist" not in done_steps:
        calls += ["playlists.list", "playlistItems.list", "playlistItems.insert"]
        if job.create_playlist:
            calls.append("playlists.insert")
    if job.wait:
        calls += ["videos.list"] * 3
    return calls


def run_upload(job: UploadJob, ctx: UploadContext) -> UploadOutcome:
    """The whole `capsule upload`: checks, journaled upload (or resume, or the existing video),
    caption tracks, thumbnail, playlist, and optionally the wait for processing."""

    warnings = check_inputs(job)
    valid_chunk_size(ctx.chunk_size)
    journal = ctx.journal
    first_call = quota.last_call_id(journal)
    fp = fingerprint(job.video)
    work = ctx.work_dir or journal.path.parent / "work" / fp.sha256[:16]
    prepared = prepare_files(job, work)  # caption and thumbnail errors cost nothing yet
    with source_lock(journal, f"{job.channel or 'default'}-{fp.sha256[:32]}"):
        row, existing = _claim_row(job, ctx, fp)
        done_steps = _done_steps(journal, row.id)
        check = _channel_check(job, ctx, row, existing)
        needed = quota.estimate(plan_calls(job, upload_needed=not existing,
                                           done_steps=done_steps,
                                           check=check.window if check else None))
        if needed:
            ctx.note(_("quota for this run: {units}").format(
                units=", ".join(f"{units} {pool}" for pool, units in needed.items())))
            # The quota belongs to the API project, which channels may share: count all spend.
            quota.ensure_affordable(journal, needed, ctx.limits)
        service = ctx.service_factory()
        if job.playlist and "playlist" not in done_steps:
            from publish.youtube.playlist import resolve_playlist

            prepared.playlist = resolve_playlist(service, journal, job.playlist,
                                                 create=job.create_playlist,
                                                 channel=job.channel, upload_id=row.id)
            prepared.playlist_resolved = True
        resumed = bool(row.session_uri) and not existing
        if not existing and not row.session_uri and ctx.verify_video:
            check_long_upload(service, journal, job.video, channel=job.channel,
                              upload_id=row.id)
        if existing:
            resource = row.resource or {"id": row.video_id}
            ctx.note(_("{video} was already uploaded as video {video_id}; not uploading "
                       "it again").format(video=job.video, video_id=row.video_id))
            if row.metadata != job.metadata.to_json():
                warnings.append(_("the metadata differs from the uploaded video's; it "
                                  "was not changed (the video is not uploaded twice)"))
        else:
            if resumed:
                ctx.note(_("resuming the upload of {video} ({confirmed_bytes} of "
                           "{source_size} bytes confirmed earlier)").format(
                             video=job.video, confirmed_bytes=row.confirmed_bytes,
                             source_size=row.source_size))
            ledger = None
            if check is not None:
                from publish.youtube.channel_check import ChannelUploads

                ledger = ChannelUploads(service, journal, channel=job.channel, upload_id=row.id)
                facts = _look_first(ledger, job, ctx, row, check)
            engine = ResumableUpload(service, journal, row, job.video, job.metadata,
                                     policy=ctx.policy, on_progress=ctx.on_progress,
                                     channel=job.channel, throttle=ctx.throttle)
            if ledger is not None:
                engine.before_final = lambda: _look_again(ledger, job, ctx, engine.row, check,
                                                          facts)
            resource = engine.run()
            row = journal.upload(row.id)
            if ledger is not None:
                _keep_one(ledger, job, ctx, row, check, resource, facts)
        outcome = UploadOutcome(video_id=row.video_id or resource["id"], resource=resource,
                                existing=existing, resumed=resumed, upload_id=row.id,
                                warnings=warnings)
        _run_steps(job, ctx, service, outcome, prepared)
        if job.wait:
            outcome.processing = wait_for_processing(
                service, journal, outcome.video_id, requested_privacy=job.metadata.privacy,
                interval=ctx.wait_interval, timeout=ctx.wait_timeout, channel=job.channel,
                upload_id=row.id, sleep=ctx.policy.sleep)
            if outcome.processing.get("privacy_note"):
                outcome.warnings.append(outcome.processing["privacy_note"])
        outcome.quota_spent = quota.spent_since(journal, first_call, row.id)
        return outcome


LONG_UPLOAD_SECONDS = 15 * 60


def check_long_upload(service: Any, journal: Journal, video: Path, *, channel: str = "",
                      upload_id: int | None = None) -> None:
    """A video over 15 minutes needs a channel whose longUploadsStatus is "allowed" (a
    verified channel); otherwise YouTube rejects it after the whole upload."""

    seconds = probe(video).duration_ms / 1000
    if seconds <= LONG_UPLOAD_SECONDS:
        return
    request = service.channels().list(part="status", mine=True)
    reply = quota.execute(journal, "channels.list", request,
                          doing=_("checking whether the channel may upload long videos"),
                          channel=channel, upload_id=upload_id)
    items = reply.get("items") or [{}]
    status = items[0].get("status", {}).get("longUploadsStatus", "unknown")
    if status != "allowed":
        raise InvalidInput(_("{video}: {minutes:.1f} minutes long, but this channel may only "
                             "upload videos up to 15 minutes (longUploadsStatus: "
                             "{status}); verify the channel at "
                             "https://www.youtube.com/verify, or shorten the video").format(
                               video=video, minutes=seconds / 60, status=status))


def _claim_row(job: UploadJob, ctx: UploadContext, fp: Fingerprint) -> tuple[UploadRow, bool]:
    """The journal row for this source: (row, already_uploaded). Refuses a changed source."""
    journal = ctx.journal
    done = None if job.force_duplicate else journal.find_done(job.channel, fp.sha256)
    if done is not None:  # even with --restart: this content is on the channel already
        return done, True
    source = str(job.video.resolve())
    active = journal.find_active(job.channel, sha256=fp.sha256)
    if active is not None and job.restart:
        journal.update_upload(active.id, state="abandoned", error="abandoned by --restart")
        ctx.note(_("--restart: the earlier upload session of {video} is abandoned").format(
                     video=job.video))
        active = None
    if active is None:
        by_path = journal.find_active(job.channel, path=source)
        if by_path is not None:
            if not job.restart:
                raise SourceChanged(
                    _("{video}: source changed since its upload started (was "
                      "{source_size} bytes, sha256 {old_sha}…, now "
                      "{size} bytes, {new_sha}…); it is never spliced into the old "
                      "session: run again with --restart to upload the new file from zero").format(
                        video=job.video, source_size=by_path.source_size,
                        old_sha=by_path.source_sha256[:12], size=fp.size,
                        new_sha=fp.sha256[:12]))
            journal.update_upload(by_path.id, state="abandoned", error="source replaced")
    if active is not None:
        changes: dict[str, Any] = {"metadata": job.metadata.to_json()}
        if active.chunk_size != ctx.chunk_size:
            if active.session_uri:  # its server offsets are multiples of the old size
                ctx.note(_("keeping the chunk size of the started session ({chunk_size})").format(
                             chunk_size=active.chunk_size))
            else:
                changes["chunk_size"] = ctx.chunk_size
        if (active.source_size, active.source_mtime_ns) != (fp.size, fp.mtime_ns):
            changes.update(source_size=fp.size, source_mtime_ns=fp.mtime_ns, source_path=source)
        journal.update_upload(active.id, **changes)
        return journal.upload(active.id), False
    if ctx.verify_video:
        from captions.video import verify_decodes

        verify_decodes(job.video)  # row 20: a torn or corrupt file never gets a session
    upload_id = journal.create_upload(
        channel=job.channel, source_path=source, size=fp.size, mtime_ns=fp.mtime_ns,
        sha256=fp.sha256, metadata=job.metadata.to_json(), chunk_size=ctx.chunk_size)
    return journal.upload(upload_id), False


def _channel_check(job: UploadJob, ctx: UploadContext, row: UploadRow, existing: bool):
    """The channel check's settings when this run starts a new upload of the source, else None
    (a known video, a session to resume, --force-duplicate or the check turned off)."""
    check = ctx.channel_check
    if check is None or not check.enabled or existing or row.session_uri \
            or job.force_duplicate:
        return None
    return check


def _look_first(ledger: Any, job: UploadJob, ctx: UploadContext, row: UploadRow,
                check: Any) -> Any:
    """Before the first byte: stop (DuplicateOnChannel) if the channel already has the source,
    after recording that video in the journal so later runs resume from it."""

    others = frozenset(r[0] for r in ctx.journal.conn.execute(
        "SELECT video_id FROM uploads WHERE video_id IS NOT NULL AND source_sha256 != ?",
        (row.source_sha256,)))
    facts = SourceFacts.of(job.video, job.metadata.title, others)
    found = find_duplicate(ledger, facts, check.window)
    log.info("channel check before uploading %s: %s", job.video,
             ", ".join(f"{n} {m}" for m, n in ledger.calls.items()))
    if found is None:
        return facts
    video = found.video
    holder = _adopt(ctx.journal, row, video.id, video.resource, "found on the channel")
    raise DuplicateOnChannel(
        _("{video}: already on the channel as video {id} (uploaded {uploaded}; {found}); "
          "recorded in the journal, nothing uploaded: run again to finish its other "
          "steps, or add --force-duplicate to upload a second copy").format(
            video=job.video, id=video.id, uploaded=video.uploaded,
            found=found.describe()), video.id,
        upload_id=holder, resource=video.resource)


def _look_again(ledger: Any, job: UploadJob, ctx: UploadContext, row: UploadRow,
                check: Any, facts: Any) -> None:
    """Before the last chunk of an upload of several chunks: the newest uploads once more. A
    twin another run finished meanwhile stops this one before YouTube creates a second video
    (the session is left to expire). A failing look is only logged: the check after the
    upload still guards."""

    try:
        found = next((m for m in (match(facts, v) for v in ledger.recent(
            Window(uploads=PAGE, days=check.window.days))) if m is not None), None)
    except CapsuleError as exc:
        log.warning("looking at the channel before the last chunk failed (%s); uploading it",
                    exc)
        return
    if found is None:
        return
    video = found.video
    holder = _adopt(ctx.journal, row, video.id, video.resource,
                    "uploaded meanwhile by another run; the last chunk was not sent")
    raise DuplicateOnChannel(
        _("{video}: another run uploaded it while this one was uploading, as video {id} "
          "(uploaded {uploaded}; {found}); the last chunk was not sent, so no second "
          "video was made; the journal records that video").format(
            video=job.video, id=video.id, uploaded=video.uploaded,
            found=found.describe()), video.id,
        upload_id=holder, resource=video.resource)


def _keep_one(ledger: Any, job: UploadJob, ctx: UploadContext, row: UploadRow, check: Any,
              resource: dict[str, Any], facts: Any) -> None:
    """After the upload: if another run uploaded the same source meanwhile and its video came
    first, delete ours (videos.delete) and adopt theirs, so the channel keeps one."""

    first = reconcile(ledger, facts, resource, check)
    if first is None:
        return
    ours = row.video_id or resource.get("id")
    quota.execute(ctx.journal, "videos.delete", ledger.service.videos().delete(id=ours),
                  doing=_("deleting video {ours}, a second copy of video {id}").format(
                            ours=ours, id=first.video.id),
                  channel=job.channel, upload_id=row.id)
    ctx.journal.update_upload(row.id, video_id=None)
    holder = _adopt(ctx.journal, row, first.video.id, first.video.resource,
                    f"uploaded at the same time as video {first.video.id}; our copy {ours} "
                    "deleted")
    raise DuplicateOnChannel(
        _("{video}: another run uploaded it at the same time as video {id} (uploaded "
          "{uploaded}; {first}); this run's copy {ours} was deleted, the journal records "
          "the kept video").format(
            video=job.video, id=first.video.id, uploaded=first.video.uploaded,
            first=first.describe(), ours=ours), first.video.id, upload_id=holder,
        resource=first.video.resource)


def _adopt(journal: Journal, row: UploadRow, video_id: str, resource: dict[str, Any],
           note: str) -> int:
    """Record a video found on the channel as this row's upload (a row that already holds it,
    e.g. from an older source file, keeps it and this one is closed); returns the holder."""
    holder = journal.conn.execute("SELECT id FROM uploads WHERE video_id = ? AND id != ?",
                                  (video_id, row.id)).fetchone()
    if holder is not None:
        journal.update_upload(row.id, state="abandoned", error=f"{note}: row {holder[0]}")
        return int(holder[0])
    journal.update_upload(row.id, video_id=video_id, state="done", resource=resource,
                          confirmed_bytes=row.source_size, error=note)
    return row.id


def _done_steps(journal: Journal, upload_id: int) -> set[str]:
    rows = journal.conn.execute(
        "SELECT step, key FROM steps WHERE upload_id = ? AND state = 'done'",
        (upload_id,)).fetchall()
    return {f"{r['step']}:{r['key']}" if r["key"] else r["step"] for r in rows}


@dataclass
class PreparedFiles:
    """What the steps send, made before anything is spent: UTF-8 SRT files and the thumbnail."""

    captions: list[tuple[str, Path]] = field(default_factory=list)
    thumbnail: Any = None  # ThumbnailInfo
    playlist: dict[str, Any] | None = None  # resolved before the upload; None: to create
    playlist_resolved: bool = False


def prepare_files(job: UploadJob, work: Path) -> PreparedFiles:

    prepared = PreparedFiles()
    for language, path in job.captions:
        prepared.captions.append((language, normalize_caption(path, language, work)))
    image = job.thumbnail
    if image is None and job.thumbnail_at_ms is not None:
        image = frame_thumbnail(job.video, job.thumbnail_at_ms, work / "thumbnail.jpg",
                                job.thumbnail_title, job.metadata.default_language or "fr")
    if image is not None:
        prepared.thumbnail = check_thumbnail(image)
    return prepared


def _run_steps(job: UploadJob, ctx: UploadContext, service: Any, outcome: UploadOutcome,
               prepared: PreparedFiles) -> None:
    """Caption tracks, thumbnail, playlist: each journaled, skipped when already done."""

    journal, video_id, uid = ctx.journal, outcome.video_id, outcome.upload_id
    for language, srt in prepared.captions:
        done = journal.step(uid, "caption", language)
        if done is not None:
            outcome.steps[f"caption:{language}"] = {**done, "skipped": True}
            continue
        track = put_track(service, journal, video_id=video_id, language=language, srt=srt,
                          throttle=ctx.throttle,
                          channel=job.channel, upload_id=uid)
        result = {"id": track.get("id"), "language": language,
                  "name": track.get("snippet", {}).get("name")}
        journal.record_step(uid, "caption", language, "done", result)
        outcome.steps[f"caption:{language}"] = result
    if prepared.thumbnail is not None:
        done = journal.step(uid, "thumbnail")
        if done is not None:
            outcome.steps["thumbnail"] = {**done, "skipped": True}
        else:
            reply = set_thumbnail(service, journal, video_id=video_id, info=prepared.thumbnail,
                                  throttle=ctx.throttle,
                                  channel=job.channel, upload_id=uid)
            result = {"file": str(prepared.thumbnail.path), "items": reply.get("items", [])}
            journal.record_step(uid, "thumbnail", "", "done", result)
            outcome.steps["thumbnail"] = result
    if job.playlist:
        done = journal.step(uid, "playlist")
        if done is not None:
            outcome.steps["playlist"] = {**done, "skipped": True}
        else:
            result = add_to_playlist(service, journal, video_id=video_id, wanted=job.playlist,
                                     create=job.create_playlist, privacy=job.metadata.privacy,
                                     channel=job.channel, upload_id=uid,
                                     resolved=prepared.playlist_resolved,
                                     playlist=prepared.playlist)
            journal.record_step(uid, "playlist", "", "done", result)
            outcome.steps["playlist"] = result


def normalize_caption(path: Path, language: str, work: Path) -> Path:
    """The caption file as clean UTF-8 SRT (captions' normalizer), written under `work`."""

    work.mkdir(parents=True, exist_ok=True)
    out = work / f"caption.{language}.srt"
    # the marks that make YouTube's player show numbers inside Arabic in order (captions.units)
    write_srt(out, normalize_track(read_track(path, language=language), bidi_marks=True))
    return out


TERMINAL_UPLOAD_STATES = ("processed", "rejected", "failed", "deleted")


def wait_for_processing(service: Any, journal: Journal, video_id: str, *,
                        requested_privacy: str, interval: float = 5.0, timeout: float = 900.0,
                        channel: str = "", upload_id: int | None = None,
                        sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Poll videos.list until YouTube has processed, rejected or failed the video.

    Reports YouTube's reason and the privacy it actually applied (a video asked public but kept
    private, e.g. an unverified API project, is reported, never hidden).
    """
    deadline = clock() + timeout
    while True:
        request = service.videos().list(part="status,processingDetails", id=video_id)
        reply = quota.execute(journal, "videos.list", request,
                              doing=_("checking the processing of video {video_id}").format(
                                        video_id=video_id),
                              channel=channel, upload_id=upload_id)
        items = reply.get("items") or []
        if not items:
            return {"upload_status": "deleted", "reason": _("the video is no longer listed")}
        status = items[0].get("status", {})
        details = items[0].get("processingDetails", {})
        state = status.get("uploadStatus", "uploaded")
        if state in TERMINAL_UPLOAD_STATES or clock() >= deadline:
            result: dict[str, Any] = {
                "upload_status": state,
                "processing_status": details.get("processingStatus"),
                "privacy": status.get("privacyStatus"),
                "requested_privacy": requested_privacy,
                "reason": status.get("rejectionReason") or status.get("failureReason")
                or details.get("processingFailureReason"),
                "timed_out": state not in TERMINAL_UPLOAD_STATES,
            }
            if status.get("privacyStatus") and status["privacyStatus"] != requested_privacy:
                result["privacy_note"] = (
                    _("requested privacy {requested!r} but YouTube applied {applied!r} (an "
                      "unverified API project's uploads are locked private)").format(
                        requested=requested_privacy, applied=status["privacyStatus"]))
            return result
        sleep(interval)
