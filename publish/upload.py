"""The resumable upload engine: journaled, resumable from the server's offset, never twice.

Rules (shared reference youtube-api.md §2–§4, reliability.md fault matrix):
- the upload session is opened by our own POST so that its URI and the source fingerprint are
  committed to the journal BEFORE the first media byte (the library only exposes the URI after
  its first `next_chunk`, which already sends a chunk);
- chunks go through `next_chunk(num_retries=0)` driven by our loop: library chunk retries re-send
  an empty body; after any error our loop status-queries (`bytes */N`) and resumes at the
  server's offset; chunk bodies are read from disk as they are sent (`ChunkBody`);
- retry only 5xx, 429, 403 rate limits and network errors, with jittered capped exponential
  backoff and a budget that resets on progress; the same offset K times is "no progress";
- a dead session (404/410) is replaced only while no video id is recorded and the last chunk
  was never sent (else the video may exist: report, never guess);
- the source is re-checked before every chunk: a file that changes mid-upload aborts;
- the channel is the second ledger (publish/channel_check.py): before a first upload, before
  the last chunk of a longer one and after it, the channel's own uploads are looked at, so a
  lost journal or another machine never makes a second video.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httplib2

from config.settings import CHUNK_GRANULE
from publish import quota
from publish.errors import CapsuleError, InvalidInput, TemporaryFailure
from publish.journal import Journal, UploadRow
from publish.metadata import VideoMetadata

log = logging.getLogger("capsule.upload")

NEVER_RETRY_REASONS = {"quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded",
                       "forbidden", "uploadRateLimitExceeded"}
# Timeouts, resets, TLS and DNS failures are all OSError subclasses; a local file problem is an
# OSError too, but carries a filename (is_retryable tells them apart).
NETWORK_ERRORS: tuple[type[BaseException], ...] = (httplib2.HttpLib2Error, OSError)


class SourceChanged(InvalidInput):
    """The video file differs from the one whose upload started: it is never spliced."""


class PossibleDuplicate(CapsuleError):
    """The session died after its last chunk was sent: the video may already exist."""


# ---------------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Fingerprint:
    """What identifies a source file: size, modification time and SHA-256 of its bytes."""

    size: int
    mtime_ns: int
    sha256: str

    def same_stat(self, path: Path) -> bool:
        st = path.stat()
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns


def fingerprint(path: Path, *, block: int = 4 * 1024 * 1024) -> Fingerprint:
    """Hash the file; raise SourceChanged if it changes while being hashed."""
    before = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while data := fh.read(block):
            digest.update(data)
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        raise SourceChanged(f"{path}: the file changed while it was being read; "
                            "wait until it is fully written, then run again")
    return Fingerprint(after.st_size, after.st_mtime_ns, digest.hexdigest())


@dataclass
class RetryPolicy:
    """Backoff with jitter and a cap; `sleep` and `rand` are injectable for tests."""

    retries: int = 8  # consecutive failures without progress before giving up
    no_progress_limit: int = 5  # replies that leave the offset unchanged
    base: float = 1.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt` (1-based): 2**(n-1) ±25 %, capped."""
        wanted = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        wanted *= 0.75 + 0.5 * self.rand()
        if retry_after is not None:
            wanted = max(wanted, min(retry_after, self.cap))
        return min(wanted, self.cap)

    def wait(self, attempt: int, retry_after: float | None = None) -> None:
        self.sleep(self.delay(attempt, retry_after))


# on_progress(sent, total, rate=bytes per second of this run, eta=seconds left or None)
ProgressFn = Callable[..., None]


def status_of(exc: BaseException) -> int | None:
    resp = getattr(exc, "resp", None)
    return int(resp.status) if resp is not None and getattr(resp, "status", None) else None


def is_retryable(exc: BaseException) -> bool:
    """5xx, 429, 403 rate limits, network errors; never quota, upload limit, invalid*, forbidden."""
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    from publish.client import error_reason

    if isinstance(exc, HttpError):
        status, reason = status_of(exc) or 0, error_reason(exc)
        if reason in NEVER_RETRY_REASONS:
            return False
        if status >= 500 or status == 408:
            return True
        if status == 429:
            return reason != "uploadRateLimitExceeded"
        return status == 403 and reason in ("rateLimitExceeded", "userRateLimitExceeded")
    if isinstance(exc, RefreshError):
        return False
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, CapsuleError):
        return False
    if isinstance(exc, OSError) and exc.filename is not None:
        return False  # a local file problem, not the network
    return isinstance(exc, NETWORK_ERRORS)


def _retry_after(exc: BaseException) -> float | None:
    resp = getattr(exc, "resp", None)
    value = resp.get("retry-after") if resp is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _describe(exc: BaseException) -> str:
    from publish.client import error_reason

    status = status_of(exc)
    if status:
        return f"HTTP {status}" + (f" {error_reason(exc)}" if error_reason(exc) else "")
    return " ".join(str(exc).split())[:120] or type(exc).__name__


# ------------------------------------------------------------------------------------ engine
@dataclass
class ResumableUpload:
    """Uploads one journaled source to one session, resuming and recovering as needed.

    `run()` returns the video resource YouTube answered with. Errors are typed capsule errors;
    whatever happens, the journal row keeps the session URI so a later run can resume it.
    """

    service: Any
    journal: Journal
    row: UploadRow
    path: Path
    metadata: VideoMetadata
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_progress: ProgressFn | None = None
    channel: str = ""
    max_new_sessions: int = 2
    clock: Callable[[], float] = time.monotonic
    before_final: Callable[[], None] | None = None  # called once before a later last chunk
    requests_made: int = 0
    _new_sessions: int = 0

    @property
    def size(self) -> int:
        return self.row.source_size

    # ------------------------------------------------------------------- run
    def run(self) -> dict[str, Any]:
        """Upload (or resume, or recover) until the server returns the video resource."""
        doing = f"uploading {self.path}"
        request = self._request()
        if self.row.session_uri:
            log.info("resuming upload session of %s (journal row %d)", self.path, self.row.id)
            request.resumable_uri = self.row.session_uri
            request._in_error_state = True  # first call asks the server for its offset
        else:
            self._open_session(request)
        failures = 0
        stalled = 0
        best = self.row.confirmed_bytes if self.row.session_uri else 0
        started = self.clock()
        start_offset: int | None = None
        while True:
            self._check_source()
            try:
                response = self._step(request)
            except Exception as exc:  # classified below
                request._in_error_state = True
                if isinstance(exc, SourceChanged):
                    self._check_source()  # a file cut short mid-chunk: name it, journal it
                    raise
                if status_of(exc) in (404, 410):
                    request = self._replace_dead_session(exc)
                    best, failures, stalled, start_offset = 0, 0, 0, None  # rate from byte 0
                    continue
                failures += 1
                self._retry_or_raise(exc, failures, doing,
                                     f"without progress at byte {best} of {self.size}; the "
                                     "session is kept, run the same command again to resume")
                continue
            if response is not None:
                return self._finish(response)
            offset = request.resumable_progress
            if start_offset is None:
                start_offset, started = offset, self.clock()
            if offset > best:
                best, failures, stalled = offset, 0, 0
                self._update(confirmed_bytes=offset)
                self._report(offset, start_offset, started)
            else:
                stalled += 1
                if stalled >= self.policy.no_progress_limit:
                    raise TemporaryFailure(
                        f"{doing}: the server kept the upload at byte {offset} of {self.size} "
                        f"{stalled} times in a row (no progress); the session is kept, "
                        "run the same command again later")
                self.policy.wait(stalled)

    # --------------------------------------------------------------- pieces
    def _retry_or_raise(self, exc: Exception, failures: int, doing: str, after: str) -> None:
        """Back off before retry number `failures`, or raise: a permanent error as itself,
        a retryable one past the budget as TemporaryFailure (`after` says what is kept)."""
        if not is_retryable(exc):
            raise _translate(exc, doing, self.channel) from exc
        if failures > self.policy.retries:
            joiner = "" if after.startswith(";") else " "
            raise TemporaryFailure(f"{doing}: {_describe(exc)}; gave up after "
                                   f"{self.policy.retries} retries{joiner}{after}") from exc
        log.warning("%s: %s; retry %d/%d", doing, _describe(exc), failures, self.policy.retries)
        self.policy.wait(failures, _retry_after(exc))

    def _step(self, request) -> dict[str, Any] | None:
        """One exchange: the status query after an error, then the next chunk.

        The query is ours (not the library's first step of next_chunk) so that the server's
        offset is known before a chunk goes out: the journal then says "the last chunk was
        sent" before it is, which decides what an expired session later means.
        """
        if request._in_error_state:
            self.requests_made += 1
            resp, content = request.http.request(
                request.resumable_uri, method="PUT",
                headers={"Content-Range": f"bytes */{self.size}", "content-length": "0"})
            _status, body = request._process_response(resp, content)  # 308 sets the offset
            if body is not None:
                return body  # the upload had completed: a lost final reply is recovered
        if (not self.row.final_sent
                and request.resumable_progress + self.row.chunk_size >= self.size):
            if self.before_final is not None and request.resumable_progress > 0:
                self.before_final()  # may stop here: the video is not created without it
            self._update(final_sent=1)
        self.requests_made += 1
        _status, body = request.next_chunk(num_retries=0)
        return body

    def _request(self):
        mimetype = mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"
        media = chunk_bytes_media(self.path, mimetype, self.row.chunk_size)
        return self.service.videos().insert(
            part=",".join(self.metadata.parts()), body=self.metadata.to_resource(),
            notifySubscribers=self.metadata.notify_subscribers, media_body=media)

    def _open_session(self, request) -> None:
        """POST the metadata ourselves; commit the session URI before any media byte."""
        from googleapiclient.errors import ResumableUploadError

        doing = f"starting the upload of {self.path}"
        headers = dict(request.headers)
        headers["X-Upload-Content-Type"] = request.resumable.mimetype()
        headers["X-Upload-Content-Length"] = str(self.size)
        # The file's own name, which YouTube keeps as fileDetails.fileName (without it an API
        # upload shows "unknown"): the channel check compares it. Percent-encoded (RFC 5023).
        headers["Slug"] = quote(self.path.name)
        headers["content-length"] = str(request.body_size)
        failures = 0
        while True:
            try:
                self.requests_made += 1
                resp, content = request.http.request(request.uri, method=request.method,
                                                     body=request.body, headers=headers)
                ok = resp.status == 200 and "location" in resp
                quota.charge(self.journal, "videos.insert", status=str(resp.status),
                             channel=self.channel, upload_id=self.row.id)
                if not ok:
                    raise ResumableUploadError(resp, content)
            except Exception as exc:  # classified below
                if status_of(exc) is None:
                    quota.charge(self.journal, "videos.insert", status="network",
                                 channel=self.channel, upload_id=self.row.id)
                failures += 1
                self._retry_or_raise(exc, failures, doing,
                                     "; nothing was uploaded, run again later")
                continue
            uri = resp["location"]
            self._update(session_uri=uri, state="session", confirmed_bytes=0, final_sent=0)
            request.resumable_uri = uri
            log.info("upload session opened for %s", self.path)
            return

    def _replace_dead_session(self, exc: BaseException):
        """404/410: the session is gone. A new one only if the video cannot exist yet."""
        fresh = self.journal.upload(self.row.id)
        if fresh.video_id:
            raise PossibleDuplicate(f"uploading {self.path}: the upload session expired but the "
                                    f"journal already records video {fresh.video_id}")
        if fresh.final_sent:
            raise PossibleDuplicate(
                f"uploading {self.path}: the upload session expired after its last chunk was "
                "sent, so the video may already exist (possible duplicate): check the channel's "
                "uploads, then run again with --restart only if it is missing") from exc
        self._new_sessions += 1
        if self._new_sessions > self.max_new_sessions:
            raise TemporaryFailure(f"uploading {self.path}: upload sessions keep expiring "
                                   f"({_describe(exc)}); run again later") from exc
        log.warning("uploading %s: the upload session expired (%s); starting a new session "
                    "from byte 0", self.path, _describe(exc))
        self._update(session_uri=None, confirmed_bytes=0, final_sent=0, state="new")
        request = self._request()
        self._open_session(request)
        return request

    def _finish(self, response: dict[str, Any]) -> dict[str, Any]:
        video_id = response.get("id")
        if not video_id:
            raise CapsuleError(f"uploading {self.path}: the server finished the upload without "
                               "a video id")
        try:
            self._check_source()
        except SourceChanged as exc:
            # The video exists: record its id so that no later run forgets it (a dead session
            # then means PossibleDuplicate, never a silent second upload).
            self._update(video_id=video_id, resource=response)
            raise SourceChanged(
                f"{self.path}: the file changed while its last chunk was being sent, after "
                f"YouTube had created video {video_id} from it; check that video (delete it if "
                "it is broken), then run again with --restart to upload the final file") from exc
        self._update(video_id=video_id, state="done", confirmed_bytes=self.size,
                     resource=response, error=None)
        self._report(self.size, self.size, self.clock())
        log.info("uploaded %s as video %s", self.path, video_id)
        return response

    def _check_source(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            self._update(error="source disappeared during upload")
            raise SourceChanged(f"{self.path}: the video file disappeared during the upload; "
                                "restore it and run again to resume") from exc
        if (st.st_size, st.st_mtime_ns) != (self.row.source_size, self.row.source_mtime_ns):
            self._update(error="source changed during upload")
            raise SourceChanged(
                f"{self.path}: source changed during upload (size {self.row.source_size} -> "
                f"{st.st_size}); nothing was recorded as uploaded. Run again with --restart "
                "once the file is final")

    def _update(self, **fields: Any) -> None:
        self.journal.update_upload(self.row.id, **fields)
        self.row = self.journal.upload(self.row.id)

    def _report(self, offset: int, start_offset: int, started: float) -> None:
        if self.on_progress is None:
            return
        elapsed = max(self.clock() - started, 1e-6)
        rate = (offset - start_offset) / elapsed
        eta = (self.size - offset) / rate if rate > 0 else None
        self.on_progress(offset, self.size, rate=rate, eta=eta)


class ResendRefused(TimeoutError):
    """A consumed chunk body was read again without a rewind: httplib2 re-sending blindly.

    A TimeoutError, so that httplib2 closes the half-written connection before it propagates,
    and our loop then asks the server for its offset instead.
    """


class ChunkBody:
    """One chunk of the source, read from disk in 1 MiB pieces as http.client sends it.

    `seek`/`tell` let google-auth-httplib2 rewind it for the resend after a token refresh (401).
    httplib2 also re-sends once, without a rewind, when a reply is lost on a fresh connection;
    a plain stream would then send a full Content-Length with an empty body and hang until the
    socket timeout, and a bytes body would repeat a whole chunk the server may already hold.
    That blind resend is refused (ResendRefused): the next attempt starts with a status query
    and resends only what the server lacks. Memory stays at one piece, whatever the chunk size.
    """

    PIECE = 1024 * 1024

    def __init__(self, fd: int, begin: int, length: int) -> None:
        self._fd, self._begin, self._length = fd, begin, length
        self._pos = 0
        self._finished = False

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._length:
            if self._finished:
                raise ResendRefused("refused a blind re-send of an upload chunk; the server "
                                    "will be asked for its offset")
            self._finished = True
            return b""
        piece = os.pread(self._fd, min(self.PIECE, self._length - self._pos),
                         self._begin + self._pos)
        if not piece:
            raise SourceChanged(f"the video file ended at byte {self._begin + self._pos} "
                                "during the upload (source changed during upload)")
        self._pos += len(piece)
        return piece

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 \
            else self._length + offset
        self._finished = False
        return self._pos

    def tell(self) -> int:
        return self._pos


def chunk_bytes_media(path: Path, mimetype: str, chunk_size: int):
    """A MediaFileUpload (fixed chunk size, resumable) whose chunks are `ChunkBody` objects."""
    from googleapiclient.http import MediaFileUpload

    class _ChunkedFileUpload(MediaFileUpload):
        def has_stream(self) -> bool:
            return False  # so that next_chunk asks getbytes() for each chunk

        def getbytes(self, begin: int, length: int) -> ChunkBody:
            available = max(0, min(length, self.size() - begin))
            return ChunkBody(self._fd.fileno(), begin, available)

    return _ChunkedFileUpload(str(path), mimetype=mimetype,
                              chunksize=valid_chunk_size(chunk_size), resumable=True)


def _translate(exc: BaseException, doing: str, channel: str) -> BaseException:
    from publish.client import api_error

    return api_error(exc, doing=doing, channel=channel or None)


def valid_chunk_size(chunk_size: int) -> int:
    """A positive multiple of 256 KiB (chunksize=-1 breaks resumes: youtube-api.md §4)."""
    if chunk_size <= 0 or chunk_size % CHUNK_GRANULE:
        raise InvalidInput(f"chunk_size: {chunk_size} must be a positive multiple of "
                           f"{CHUNK_GRANULE} (256 KiB)")
    return chunk_size


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
    channel_check: Any = None  # publish.channel_check.CheckSettings; None: trust the journal

    def note(self, message: str) -> None:
        log.info("%s", message)
        if self.on_event is not None:
            self.on_event(message)


VIDEO_MAX_BYTES = 256 * 1024 ** 3


def check_inputs(job: UploadJob) -> list[str]:
    """Every local check that costs nothing; raises InvalidInput, returns warnings."""
    from publish.captions_api import check_caption_file
    from publish.thumbnail import check_thumbnail

    job.metadata.check()
    video = job.video
    if not video.is_file():
        raise InvalidInput(f"{video}: no such video file")
    size = video.stat().st_size
    if size == 0:
        raise InvalidInput(f"{video}: the file is empty")
    if size > VIDEO_MAX_BYTES:
        raise InvalidInput(f"{video}: {size} bytes; YouTube accepts at most 256 GB")
    warnings: list[str] = []
    seen = set()
    for language, path in job.captions:
        if language in seen:
            raise InvalidInput(f"--caption {language}: given twice; one file per language")
        seen.add(language)
        check_caption_file(language, path)
    if job.thumbnail is not None and job.thumbnail_at_ms is not None:
        raise InvalidInput("--thumbnail and --thumbnail-at: give one of them")
    if job.thumbnail_title and job.thumbnail_at_ms is None:
        raise InvalidInput("--thumbnail-title needs --thumbnail-at (the title is drawn on a "
                           "frame of the video)")
    if job.thumbnail is not None:
        warnings += list(check_thumbnail(job.thumbnail).warnings)
    if job.create_playlist and not job.playlist:
        raise InvalidInput("--create-playlist needs --playlist TITLE")
    return warnings


def plan_calls(job: UploadJob, *, upload_needed: bool, done_steps: set[str],
               check: Any = None) -> list[str]:
    """The API calls this run will make (for the quota estimate stated before it runs);
    `check` is the channel check's window when the channel is looked at first."""
    from publish.channel_check import check_calls

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
    from publish.journal import source_lock

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
            ctx.note("quota for this run: " + ", ".join(f"{units} {pool}"
                                                        for pool, units in needed.items()))
            # The quota belongs to the API project, which channels may share: count all spend.
            quota.ensure_affordable(journal, needed, ctx.limits)
        service = ctx.service_factory()
        if job.playlist and "playlist" not in done_steps:
            from publish.playlist import resolve_playlist

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
            ctx.note(f"{job.video} was already uploaded as video {row.video_id}; "
                     "not uploading it again")
            if row.metadata != job.metadata.to_json():
                warnings.append("the metadata differs from the uploaded video's; it was not "
                                "changed (the video is not uploaded twice)")
        else:
            if resumed:
                ctx.note(f"resuming the upload of {job.video} ({row.confirmed_bytes} of "
                         f"{row.source_size} bytes confirmed earlier)")
            ledger = None
            if check is not None:
                from publish.channel_check import ChannelUploads

                ledger = ChannelUploads(service, journal, channel=job.channel, upload_id=row.id)
                facts = _look_first(ledger, job, ctx, row, check)
            engine = ResumableUpload(service, journal, row, job.video, job.metadata,
                                     policy=ctx.policy, on_progress=ctx.on_progress,
                                     channel=job.channel)
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
    from captions.video import probe

    seconds = probe(video).duration_ms / 1000
    if seconds <= LONG_UPLOAD_SECONDS:
        return
    request = service.channels().list(part="status", mine=True)
    reply = quota.execute(journal, "channels.list", request,
                          doing="checking whether the channel may upload long videos",
                          channel=channel, upload_id=upload_id)
    items = reply.get("items") or [{}]
    status = items[0].get("status", {}).get("longUploadsStatus", "unknown")
    if status != "allowed":
        raise InvalidInput(f"{video}: {seconds / 60:.1f} minutes long, but this channel may only "
                           f"upload videos up to 15 minutes (longUploadsStatus: {status}); "
                           "verify the channel at https://www.youtube.com/verify, or shorten "
                           "the video")


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
        ctx.note(f"--restart: the earlier upload session of {job.video} is abandoned")
        active = None
    if active is None:
        by_path = journal.find_active(job.channel, path=source)
        if by_path is not None:
            if not job.restart:
                raise SourceChanged(
                    f"{job.video}: source changed since its upload started "
                    f"(was {by_path.source_size} bytes, sha256 {by_path.source_sha256[:12]}…, "
                    f"now {fp.size} bytes, {fp.sha256[:12]}…); it is never spliced into the "
                    "old session: run again with --restart to upload the new file from zero")
            journal.update_upload(by_path.id, state="abandoned", error="source replaced")
    if active is not None:
        changes: dict[str, Any] = {"metadata": job.metadata.to_json()}
        if active.chunk_size != ctx.chunk_size:
            if active.session_uri:  # its server offsets are multiples of the old size
                ctx.note(f"keeping the chunk size of the started session ({active.chunk_size})")
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
    from publish.channel_check import DuplicateOnChannel, SourceFacts, find_duplicate

    facts = SourceFacts.of(job.video, job.metadata.title)
    found = find_duplicate(ledger, facts, check.window)
    log.info("channel check before uploading %s: %s", job.video,
             ", ".join(f"{n} {m}" for m, n in ledger.calls.items()))
    if found is None:
        return facts
    video = found.video
    holder = _adopt(ctx.journal, row, video.id, video.resource, "found on the channel")
    raise DuplicateOnChannel(
        f"{job.video}: already on the channel as video {video.id} (uploaded {video.uploaded}; "
        f"{found.describe()}); recorded in the journal, nothing uploaded: run again to finish "
        "its other steps, or add --force-duplicate to upload a second copy", video.id,
        upload_id=holder, resource=video.resource)


def _look_again(ledger: Any, job: UploadJob, ctx: UploadContext, row: UploadRow,
                check: Any, facts: Any) -> None:
    """Before the last chunk of an upload of several chunks: the newest uploads once more. A
    twin another run finished meanwhile stops this one before YouTube creates a second video
    (the session is left to expire). A failing look is only logged: the check after the
    upload still guards."""
    from publish.channel_check import PAGE, DuplicateOnChannel, Window, match
    from publish.errors import CapsuleError

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
        f"{job.video}: another run uploaded it while this one was uploading, as video "
        f"{video.id} (uploaded {video.uploaded}; {found.describe()}); the last chunk was not "
        "sent, so no second video was made; the journal records that video", video.id,
        upload_id=holder, resource=video.resource)


def _keep_one(ledger: Any, job: UploadJob, ctx: UploadContext, row: UploadRow, check: Any,
              resource: dict[str, Any], facts: Any) -> None:
    """After the upload: if another run uploaded the same source meanwhile and its video came
    first, delete ours (videos.delete) and adopt theirs, so the channel keeps one."""
    from publish.channel_check import DuplicateOnChannel, reconcile

    first = reconcile(ledger, facts, resource, check)
    if first is None:
        return
    ours = row.video_id or resource.get("id")
    quota.execute(ctx.journal, "videos.delete", ledger.service.videos().delete(id=ours),
                  doing=f"deleting video {ours}, a second copy of video {first.video.id}",
                  channel=job.channel, upload_id=row.id)
    ctx.journal.update_upload(row.id, video_id=None)
    holder = _adopt(ctx.journal, row, first.video.id, first.video.resource,
                    f"uploaded at the same time as video {first.video.id}; our copy {ours} "
                    "deleted")
    raise DuplicateOnChannel(
        f"{job.video}: another run uploaded it at the same time as video {first.video.id} "
        f"(uploaded {first.video.uploaded}; {first.describe()}); this run's copy {ours} was "
        "deleted, the journal records the kept video", first.video.id, upload_id=holder,
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
    from publish.thumbnail import check_thumbnail, frame_thumbnail

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
    from publish.captions_api import put_track
    from publish.playlist import add_to_playlist
    from publish.thumbnail import set_thumbnail

    journal, video_id, uid = ctx.journal, outcome.video_id, outcome.upload_id
    for language, srt in prepared.captions:
        done = journal.step(uid, "caption", language)
        if done is not None:
            outcome.steps[f"caption:{language}"] = {**done, "skipped": True}
            continue
        track = put_track(service, journal, video_id=video_id, language=language, srt=srt,
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
    from captions.normalize import normalize_track, write_srt
    from captions.reading import read_track

    work.mkdir(parents=True, exist_ok=True)
    out = work / f"caption.{language}.srt"
    write_srt(out, normalize_track(read_track(path, language=language)))
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
                              doing=f"checking the processing of video {video_id}",
                              channel=channel, upload_id=upload_id)
        items = reply.get("items") or []
        if not items:
            return {"upload_status": "deleted", "reason": "the video is no longer listed"}
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
                    f"requested privacy {requested_privacy!r} but YouTube applied "
                    f"{status['privacyStatus']!r} (an unverified API project's uploads are "
                    "locked private)")
            return result
        sleep(interval)
