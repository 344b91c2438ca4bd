"""The resumable session protocol: our own session POST, chunks from disk, offsets, retries.

Rules (shared reference youtube-api.md §2–§4, reliability.md fault matrix):
- the upload session is opened by our own POST so that its URI and the source fingerprint can be
  committed to the journal BEFORE the first media byte (the library only exposes the URI after
  its first `next_chunk`, which already sends a chunk);
- chunks go through `next_chunk(num_retries=0)` driven by our loop: library chunk retries re-send
  an empty body; after any error our loop status-queries (`bytes */N`) and resumes at the
  server's offset; chunk bodies are read from disk as they are sent (`ChunkBody`);
- retry only 5xx, 429, 403 rate limits and network errors, with jittered capped exponential
  backoff and a budget that resets on progress; the same offset K times is "no progress";
- a dead session (404/410) is replaced only while no video id is recorded and the last chunk
  was never sent (else the video may exist: report, never guess);
- the source is re-checked before every chunk: a file that changes mid-upload aborts.
The journal bookkeeping around a session (which row, which steps, the channel check) is
publish/youtube/upload.py.
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

from config.i18n import _
from config.settings import CHUNK_GRANULE
from publish.errors import CapsuleError, InvalidInput, TemporaryFailure
from publish.journal import Journal, UploadRow
from publish.youtube import quota
from publish.youtube.client import api_error, error_reason
from publish.youtube.metadata import VideoMetadata
from publish.youtube.throttle import UNLIMITED, Throttle

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
        raise SourceChanged(_("{path}: the file changed while it was being read; wait "
                              "until it is fully written, then run again").format(path=path))
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
    throttle: Throttle = UNLIMITED  # --limit-rate
    requests_made: int = 0
    _new_sessions: int = 0

    @property
    def size(self) -> int:
        return self.row.source_size

    # ------------------------------------------------------------------- run
    def run(self) -> dict[str, Any]:
        """Upload (or resume, or recover) until the server returns the video resource."""
        doing = _("uploading {path}").format(path=self.path)
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
                                     _("without progress at byte {best} of {size}; the "
                                       "session is kept, run the same command again to "
                                       "resume").format(best=best, size=self.size))
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
                        _("{doing}: the server kept the upload at byte {offset} of "
                          "{size} {stalled} times in a row (no progress); the session is "
                          "kept, run the same command again later").format(
                            doing=doing, offset=offset, size=self.size, stalled=stalled))
                self.policy.wait(stalled)

    # --------------------------------------------------------------- pieces
    def _retry_or_raise(self, exc: Exception, failures: int, doing: str, after: str) -> None:
        """Back off before retry number `failures`, or raise: a permanent error as itself,
        a retryable one past the budget as TemporaryFailure (`after` says what is kept)."""
        if not is_retryable(exc):
            raise _translate(exc, doing, self.channel) from exc
        if failures > self.policy.retries:
            joiner = "" if after.lstrip("\u00a0\u202f").startswith(";") else " "
            raise TemporaryFailure(_("{doing}: {describe}; gave up after {retries} "
                                     "retries{joiner}{after}").format(
                                       doing=doing, describe=_describe(exc),
                                       retries=self.policy.retries, joiner=joiner,
                                       after=after)) from exc
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
        media = chunk_bytes_media(self.path, mimetype, self.row.chunk_size, self.throttle)
        return self.service.videos().insert(
            part=",".join(self.metadata.parts()), body=self.metadata.to_resource(),
            notifySubscribers=self.metadata.notify_subscribers, media_body=media)

    def _open_session(self, request) -> None:
        """POST the metadata ourselves; commit the session URI before any media byte."""
        from googleapiclient.errors import ResumableUploadError

        doing = _("starting the upload of {path}").format(path=self.path)
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
                                     _("; nothing was uploaded, run again later"))
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
            raise PossibleDuplicate(_("uploading {path}: the upload session expired but "
                                      "the journal already records video {video_id}").format(
                                        path=self.path, video_id=fresh.video_id))
        if fresh.final_sent:
            raise PossibleDuplicate(
                _("uploading {path}: the upload session expired after its last chunk was "
                  "sent, so the video may already exist (possible duplicate): check the "
                  "channel's uploads, then run again with --restart only if it is missing").format(
                    path=self.path)) from exc
        self._new_sessions += 1
        if self._new_sessions > self.max_new_sessions:
            raise TemporaryFailure(_("uploading {path}: upload sessions keep expiring "
                                     "({describe}); run again later").format(
                                       path=self.path, describe=_describe(exc))) from exc
        log.warning("uploading %s: the upload session expired (%s); starting a new session "
                    "from byte 0", self.path, _describe(exc))
        self._update(session_uri=None, confirmed_bytes=0, final_sent=0, state="new")
        request = self._request()
        self._open_session(request)
        return request

    def _finish(self, response: dict[str, Any]) -> dict[str, Any]:
        video_id = response.get("id")
        if not video_id:
            raise CapsuleError(_("uploading {path}: the server finished the upload "
                                 "without a video id").format(path=self.path))
        try:
            self._check_source()
        except SourceChanged as exc:
            # The video exists: record its id so that no later run forgets it (a dead session
            # then means PossibleDuplicate, never a silent second upload).
            self._update(video_id=video_id, resource=response)
            raise SourceChanged(
                _("{path}: the file changed while its last chunk was being sent, after "
                  "YouTube had created video {video_id} from it; check that video "
                  "(delete it if it is broken), then run again with --restart to upload "
                  "the final file").format(path=self.path, video_id=video_id)) from exc
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
            raise SourceChanged(_("{path}: the video file disappeared during the upload; "
                                  "restore it and run again to resume").format(
                                    path=self.path)) from exc
        if (st.st_size, st.st_mtime_ns) != (self.row.source_size, self.row.source_mtime_ns):
            self._update(error="source changed during upload")
            raise SourceChanged(
                _("{path}: source changed during upload (size {source_size} -> "
                  "{st_size}); nothing was recorded as uploaded. Run again with "
                  "--restart once the file is final").format(
                    path=self.path, source_size=self.row.source_size, st_size=st.st_size))

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

    def __init__(self, fd: int, begin: int, length: int,
                 throttle: Throttle = UNLIMITED) -> None:
        self._fd, self._begin, self._length = fd, begin, length
        self._throttle = throttle
        self._pos = 0
        self._finished = False

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._length:
            if self._finished:
                raise ResendRefused(_("refused a blind re-send of an upload chunk; the "
                                      "server will be asked for its offset"))
            self._finished = True
            return b""
        want = min(self.PIECE, self._throttle.piece, self._length - self._pos)
        self._throttle.take(want)  # paced, not stalled: small pieces keep flowing
        piece = os.pread(self._fd, want, self._begin + self._pos)
        if not piece:
            raise SourceChanged(_("the video file ended at byte {_pos} during the upload "
                                  "(source changed during upload)").format(
                                    _pos=self._begin + self._pos))
        self._pos += len(piece)
        return piece

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 \
            else self._length + offset
        self._finished = False
        return self._pos

    def tell(self) -> int:
        return self._pos


def chunk_bytes_media(path: Path, mimetype: str, chunk_size: int,
                      throttle: Throttle = UNLIMITED):
    """A MediaFileUpload (fixed chunk size, resumable) whose chunks are `ChunkBody` objects."""
    from googleapiclient.http import MediaFileUpload

    class _ChunkedFileUpload(MediaFileUpload):
        def has_stream(self) -> bool:
            return False  # so that next_chunk asks getbytes() for each chunk

        def getbytes(self, begin: int, length: int) -> ChunkBody:
            available = max(0, min(length, self.size() - begin))
            return ChunkBody(self._fd.fileno(), begin, available, throttle)

    return _ChunkedFileUpload(str(path), mimetype=mimetype,
                              chunksize=valid_chunk_size(chunk_size), resumable=True)


def _translate(exc: BaseException, doing: str, channel: str) -> BaseException:

    return api_error(exc, doing=doing, channel=channel or None)


def valid_chunk_size(chunk_size: int) -> int:
    """A positive multiple of 256 KiB (chunksize=-1 breaks resumes: youtube-api.md §4)."""
    if chunk_size <= 0 or chunk_size % CHUNK_GRANULE:
        raise InvalidInput(_("chunk_size: {chunk_size} must be a positive multiple of "
                             "{CHUNK_GRANULE} (256 KiB)").format(
                               chunk_size=chunk_size, CHUNK_GRANULE=CHUNK_GRANULE))
    return chunk_size


