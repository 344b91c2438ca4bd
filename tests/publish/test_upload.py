"""The upload engine against the sandbox, row by row of the fault matrix (reliability.md).

Every test ends with the same two checks: the server's bytes hash to the file's (nothing lost)
and there is exactly one video (nothing twice) — or none, when the run must not upload.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest
from upload_helpers import (
    CHUNK,
    Harness,
    assert_one_video,
    check_chunk_headers,
    copy_clip,
    metadata,
    sessions,
    sha256,
    videos,
)

from publish.cli.errors import exit_code_for
from publish.cli.exitcodes import ExitCode
from publish.errors import AuthRequired, Busy, CapsuleError, InvalidInput, TemporaryFailure
from publish.journal import source_lock
from publish.youtube.resumable import PossibleDuplicate, RetryPolicy, SourceChanged, fingerprint

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

LAST = 2 * CHUNK  # where the last (short) chunk of the clip starts


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """About 0.7 MB: three chunks of 256 KiB, the last one short."""
    folder = tmp_path_factory.mktemp("upload-clip")
    path = media.make_clip(folder / "capsule.mp4", seconds=3, size=(640, 360))
    assert LAST < path.stat().st_size < 3 * CHUNK
    return path


@pytest.fixture
def video(clip, tmp_path) -> Path:
    return copy_clip(clip, tmp_path / "src")


@pytest.fixture
def harness(sandbox, tmp_path) -> Harness:
    sandbox.limits.processing_seconds = 0
    return Harness(sandbox, tmp_path)


def once_at(offset: int, action):
    """A progress callback that runs `action` once, when the server has `offset` bytes."""
    fired = []

    def on_progress(done, total, **_):
        if done >= offset and not fired:
            fired.append(done)
            action()
    return on_progress


def puts_of(sandbox) -> list[dict]:
    return [p for log in sandbox.upload_log().values() for p in log["puts"]]


# ------------------------------------------------------------------------- happy path
def test_upload_records_the_video_and_a_rerun_reports_it(harness, sandbox, video):
    out = harness.run(video)
    video_id = assert_one_video(sandbox, video)
    assert out.video_id == video_id and not out.existing
    row = harness.row()
    assert (row.state, row.video_id, row.confirmed_bytes) == ("done", video_id,
                                                              video.stat().st_size)
    assert row.source_sha256 == sha256(video)
    assert out.quota_spent == {"uploads": 1}
    again = harness.run(video)
    assert again.existing and again.video_id == video_id
    assert len(sessions(sandbox)) == 1  # no second upload session was even opened
    assert_one_video(sandbox, video)
    check_chunk_headers(sandbox)


# ------------------------------------------------------------------ fault matrix rows
def test_row1_errors_on_session_post_back_off_then_succeed(harness, sandbox, video):
    sandbox.faults.add("503,method=POST,path=/upload/*,count=2")
    harness.run(video)
    assert harness.sleeps == [1.0, 2.0]  # exponential (jitter pinned at its middle)
    assert_one_video(sandbox, video)


def test_row1_persistent_post_errors_end_temporary_with_nothing_uploaded(harness, sandbox,
                                                                         video):
    sandbox.faults.add("429,method=POST,path=/upload/*,count=50")
    with pytest.raises(TemporaryFailure) as err:
        harness.run(video)
    assert exit_code_for(err.value) == ExitCode.TEMPORARY
    assert "gave up after 8 retries; nothing was uploaded" in str(err.value)
    assert len(harness.sleeps) == 8 and max(harness.sleeps) <= 32
    row = harness.row()
    assert (row.state, row.session_uri, row.video_id) == ("new", None, None)
    assert videos(sandbox) == []


def test_a_rerun_before_any_session_uses_the_new_chunk_size(harness, sandbox, video):
    sandbox.faults.add("503,method=POST,path=/upload/*,count=9")
    with pytest.raises(TemporaryFailure):
        harness.run(video)
    harness.run(video, context={"chunk_size": 2 * CHUNK})
    assert_one_video(sandbox, video)
    assert harness.row().chunk_size == 2 * CHUNK
    assert max(p["declared"] for p in check_chunk_headers(sandbox, 2 * CHUNK)) == 2 * CHUNK


def test_row2_server_error_on_a_chunk_resumes_from_the_server_offset(harness, sandbox, video):
    sandbox.faults.add("503,method=PUT,bytes=100000")
    harness.run(video)
    assert_one_video(sandbox, video)
    puts = puts_of(sandbox)
    assert [p["outcome"] for p in puts[:3]] == [503, "query", "stored"]
    assert puts[2]["range"].startswith("bytes 100000-")  # resent from the server's offset
    check_chunk_headers(sandbox)


def test_row3_rate_limit_is_retried(harness, sandbox, video):
    sandbox.faults.add("rate-limit,method=PUT")
    harness.run(video)
    assert len(harness.sleeps) == 1
    assert_one_video(sandbox, video)


def test_row3_other_403_stops_at_once_naming_the_reason(harness, sandbox, video):
    sandbox.faults.add("403,method=PUT")
    with pytest.raises(CapsuleError) as err:
        harness.run(video)
    assert harness.sleeps == []
    assert "badRequest (403)" in str(err.value)
    assert videos(sandbox) == []
    assert harness.row().session_uri  # kept for a later run


def test_row4_dropped_connection_keeps_partial_bytes_and_resumes_after_them(harness, sandbox,
                                                                           video):
    sandbox.faults.add("drop:100000,method=PUT")
    harness.run(video)
    assert_one_video(sandbox, video)
    puts = check_chunk_headers(sandbox)
    dropped = next(p for p in puts if p["outcome"] == "dropped")
    assert dropped["stored"] == 100000
    # httplib2's blind resend of the consumed chunk is refused; the status query gives the
    # server's offset and the next stored bytes follow its Range.
    stored = [p for p in puts[puts.index(dropped) + 1:] if p["stored"]]
    assert stored[0]["start"] == 100000  # neither restarted from 0 nor a gap


def test_row5_308_without_range_restarts_from_zero_in_the_same_session(harness, sandbox,
                                                                       video):
    sandbox.faults.add("short-range:0,method=PUT")
    harness.run(video)
    assert_one_video(sandbox, video)
    assert len(sessions(sandbox)) == 1
    puts = check_chunk_headers(sandbox)
    assert puts[0]["stored"] == 0 and puts[1]["start"] == 0


def test_row6_shorter_range_means_resend_from_its_end(harness, sandbox, video):
    def short():
        sandbox.faults.add("short-range:1000,method=PUT")
    harness.run(video, context={"on_progress": once_at(CHUNK, short)})
    assert_one_video(sandbox, video)
    puts = check_chunk_headers(sandbox)
    assert puts[1]["stored"] == 1000
    assert puts[2]["start"] == CHUNK + 1000  # the server's Range, not the local offset


def test_row7_308_is_not_a_redirect(harness, sandbox, video):
    service = harness.service()
    assert 308 not in service._http.http.redirect_codes
    harness.run(video)  # every chunk but the last is answered 308
    assert_one_video(sandbox, video)


def test_row8_lost_final_reply_is_recovered_without_a_second_video(harness, sandbox, video):
    """The final chunk is stored whole and the video created, but the reply never comes: the
    status query returns the resource; same video id, one video, same bytes."""
    size = video.stat().st_size
    out = harness.run(video, context={"on_progress": once_at(
        LAST, lambda: sandbox.faults.add("lose-reply,method=PUT"))})
    assert [f["kind"] for f in sandbox.faults.fired] == ["lose-reply"]
    video_id = assert_one_video(sandbox, video)
    assert out.video_id == video_id == harness.row().video_id
    assert len(sessions(sandbox)) == 1
    (log,) = sandbox.upload_log().values()
    assert log["sha256"] == sha256(video)
    final = [p for p in log["puts"] if p["range"] == f"bytes {LAST}-{size - 1}/{size}"]
    assert (final[0]["outcome"], final[0]["stored"]) == ("stored", size - LAST)
    # httplib2 re-sends once on its own after a lost reply; that body is refused (ChunkBody)
    # and the server, already complete, stores nothing more. Then the status query recovers.
    assert all(p["stored"] == 0 for p in final[1:])
    # The reply to that re-send (the resource: the server was already complete) or the status
    # query that follows a refused re-send is what recovers the id: either way it says
    # "completed" and nothing is stored twice.
    last = log["puts"][-1]
    assert last["range"] in (f"bytes */{size}", f"bytes {LAST}-{size - 1}/{size}")
    assert last["outcome"] == "completed" and last["stored"] == 0
    assert len(harness.sleeps) <= 1  # at most one retry: the lost reply


def test_row8_final_chunk_stored_but_answered_503_is_recovered_by_the_status_query(
        harness, sandbox, video):
    size = video.stat().st_size
    harness.run(video, context={"on_progress": once_at(
        LAST, lambda: sandbox.faults.add("503,method=PUT,bytes=-1"))})
    video_id = assert_one_video(sandbox, video)
    puts = puts_of(sandbox)
    assert [p["outcome"] for p in puts[-2:]] == [503, "query"]
    assert puts[-2]["stored"] == size - LAST  # the whole last chunk was already there
    assert harness.row().video_id == video_id


def test_row9_stalled_server_fails_within_the_timeout_then_resumes(harness, sandbox, video):
    sandbox.faults.add("stall:4,method=PUT")
    started = time.monotonic()
    harness.run(video)
    assert time.monotonic() - started < 15
    assert len(harness.sleeps) >= 1  # the timeout was treated as retryable
    assert_one_video(sandbox, video)


def stored_total(sandbox) -> int:
    """Bytes the server appended over the whole upload: the file size when none was stored
    twice (a stale request writing after its client gave up would add more)."""
    return sum(p["stored"] for p in puts_of(sandbox))


def test_row10_slow_uplink_within_the_timeout_is_not_a_failure(harness, sandbox, video):
    # 512 KiB/s: each 256 KiB chunk drains in 0.5 s, well inside the 2 s socket timeout.
    sandbox.faults.add(f"slow:{2 * CHUNK},method=PUT,path=/upload/*,count=3")
    started = time.monotonic()
    harness.run(video)
    assert time.monotonic() - started >= 1.0  # the uplink really was slow
    assert harness.sleeps == []  # no spurious timeout, no retry
    assert [p["outcome"] for p in puts_of(sandbox)] == ["stored", "stored", "stored"]
    assert stored_total(sandbox) == video.stat().st_size
    assert_one_video(sandbox, video)


def test_row10_uplink_slower_than_the_timeout_resumes_correctly(harness, sandbox, video):
    """The first chunk drains in 2 s, the client gives up after 0.5 s: the stale request goes
    on storing what was sent while the client asks for the offset and resends; the session
    lock and the offset check keep every byte stored exactly once."""
    from publish.youtube.resumable import RetryPolicy

    harness.timeout = 0.5
    sandbox.faults.add(f"slow:{CHUNK // 2},method=PUT,path=/upload/*")
    policy = RetryPolicy(retries=30, sleep=harness.sleeps.append, rand=lambda: 0.5)
    harness.run(video, context={"policy": policy})
    assert len(harness.sleeps) >= 1  # the timeout did fire
    assert stored_total(sandbox) == video.stat().st_size  # nothing stored twice, no gap
    assert len(sessions(sandbox)) == 1
    check_chunk_headers(sandbox)
    assert_one_video(sandbox, video)


def test_row10_uplink_too_slow_to_finish_is_a_temporary_failure(harness, sandbox, video):
    from publish.youtube.resumable import RetryPolicy

    harness.timeout = 0.3
    sandbox.faults.add("slow:4096,method=PUT,path=/upload/*,count=100")
    policy = RetryPolicy(retries=2, sleep=harness.sleeps.append, rand=lambda: 0.5)
    with pytest.raises(TemporaryFailure) as err:
        harness.run(video, context={"policy": policy})
    assert exit_code_for(err.value) == ExitCode.TEMPORARY
    assert "gave up after 2 retries" in str(err.value)
    assert "the session is kept, run the same command again to resume" in str(err.value)
    row = harness.row()
    assert row.session_uri and row.video_id is None and row.state == "session"
    assert videos(sandbox) == []


def test_row11_expired_session_starts_a_new_one_when_no_video_exists(harness, sandbox, video):
    def expire():
        sandbox.faults.add("expire-session,method=PUT")
    harness.run(video, context={"on_progress": once_at(CHUNK, expire)})
    assert_one_video(sandbox, video)
    assert len(sessions(sandbox)) == 2
    assert harness.row().session_uri.endswith(sessions(sandbox)[1])
    check_chunk_headers(sandbox)


def test_row11_expired_session_after_the_last_chunk_is_a_possible_duplicate(harness, sandbox,
                                                                            video):
    from publish.youtube.resumable import RetryPolicy

    no_retry = RetryPolicy(retries=0, sleep=harness.sleeps.append)
    # First run: the last chunk is dropped and no retry is allowed.
    with pytest.raises(TemporaryFailure):
        harness.run(video, context={"policy": no_retry, "on_progress": once_at(
            LAST, lambda: sandbox.faults.add("503,method=PUT,bytes=10"))})
    assert harness.row().final_sent
    sandbox.expire_session()
    with pytest.raises(PossibleDuplicate) as err:
        harness.run(video)
    assert "possible duplicate" in str(err.value) and "--restart" in str(err.value)
    assert videos(sandbox) == []
    harness.run(video, restart=True)  # the officer checked: the video is missing
    assert_one_video(sandbox, video)


def test_row12_expired_token_is_refreshed_and_the_chunk_resent(harness, sandbox, video):
    sandbox.faults.add("401,method=PUT")
    harness.run(video)
    assert_one_video(sandbox, video)
    assert ("POST", "/token", 200) in list(sandbox.traffic)
    assert len(sessions(sandbox)) == 1


def test_row13_refused_refresh_is_auth_required_and_keeps_the_session(harness, sandbox, video):
    sandbox.faults.add("401,method=PUT")
    sandbox.faults.add("invalid-grant")
    with pytest.raises(AuthRequired) as err:
        harness.run(video)
    assert exit_code_for(err.value) == ExitCode.AUTH_REQUIRED
    assert "capsule auth login" in str(err.value)
    uri = harness.row().session_uri
    assert uri
    harness.credentials = None  # the officer logged in again
    harness.run(video)
    assert len(sessions(sandbox)) == 1  # the same session was resumed
    assert_one_video(sandbox, video)


def test_row14_offline_is_bounded_and_temporary(harness, sandbox, video):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    harness.endpoint = f"http://127.0.0.1:{port}/"  # nothing listens there
    with pytest.raises(TemporaryFailure) as err:
        harness.run(video)
    assert exit_code_for(err.value) == ExitCode.TEMPORARY
    assert len(harness.sleeps) == 8
    assert harness.row().state == "new"  # state kept for the next run
    harness.endpoint = None
    harness.run(video)
    assert_one_video(sandbox, video)


def test_row18_replaced_source_is_never_spliced(harness, sandbox, video):
    from publish.youtube.resumable import RetryPolicy

    with pytest.raises(TemporaryFailure):
        harness.run(video, context={"policy": RetryPolicy(retries=0, sleep=lambda s: None),
                                    "on_progress": once_at(CHUNK, lambda: sandbox.faults.add(
                                        "503,method=PUT,bytes=5000"))})
    data = bytearray(video.read_bytes())
    data[-1000:] = bytes(1000)  # same size, different content
    video.write_bytes(bytes(data))
    with pytest.raises(SourceChanged) as err:
        harness.run(video)
    assert exit_code_for(err.value) == ExitCode.INVALID_INPUT
    assert "source changed since its upload started" in str(err.value)
    assert "--restart" in str(err.value)
    assert len(sessions(sandbox)) == 1 and videos(sandbox) == []
    harness.run(video, restart=True, context={"verify_video": False})
    assert_one_video(sandbox, video)  # the new bytes, whole


def test_row19_source_growing_mid_upload_aborts(harness, sandbox, video):
    def grow():
        with open(video, "ab") as fh:
            fh.write(b"\0" * 10)
    with pytest.raises(SourceChanged) as err:
        harness.run(video, context={"on_progress": once_at(CHUNK, grow)})
    assert "source changed during upload" in str(err.value)
    row = harness.row()
    assert row.state != "done" and row.video_id is None
    assert videos(sandbox) == []


def test_row19_source_cut_short_while_a_chunk_is_read_names_the_file(harness, sandbox, video,
                                                                       monkeypatch):
    """Truncated after the pre-chunk check, during the send: still the path and the fix."""
    from publish.youtube.resumable import ResumableUpload

    step, calls = ResumableUpload._step, []

    def cut_before_second_chunk(self, request):
        calls.append(1)
        if len(calls) == 2:
            with open(video, "r+b") as fh:
                fh.truncate(CHUNK + 100)
        return step(self, request)
    monkeypatch.setattr(ResumableUpload, "_step", cut_before_second_chunk)
    with pytest.raises(SourceChanged) as err:
        harness.run(video)
    assert str(err.value).startswith(f"{video}: source changed during upload")
    assert str(err.value).endswith("Run again with --restart once the file is final")
    row = harness.row()
    assert (row.state, row.video_id, row.error) == ("session", None,
                                                   "source changed during upload")
    assert videos(sandbox) == []


def test_row19_source_changed_as_the_last_chunk_completes_keeps_the_video_id(
        harness, sandbox, video, monkeypatch):
    """The server made a video: the journal must not forget it, the message must name it."""
    from publish.youtube.resumable import ResumableUpload

    finish = ResumableUpload._finish

    def grow_then_finish(self, response):
        with open(video, "ab") as fh:
            fh.write(b"\0" * 10)
        return finish(self, response)
    monkeypatch.setattr(ResumableUpload, "_finish", grow_then_finish)
    with pytest.raises(SourceChanged) as err:
        harness.run(video)
    [made] = videos(sandbox)
    assert str(err.value) == (
        f"{video}: the file changed while its last chunk was being sent, after YouTube had "
        f"created video {made['id']} from it; check that video (delete it if it is broken), "
        "then run again with --restart to upload the final file")
    row = harness.row()
    assert (row.state, row.video_id) == ("session", made["id"])


def test_row20_corrupt_video_is_rejected_before_any_session(harness, sandbox, clip, tmp_path):
    from captions.errors import VideoError

    fast = media.make_clip(tmp_path / "fast.mp4", seconds=2, faststart=True)
    torn = media.truncate(fast, tmp_path / "torn.mp4", 0.6)
    with pytest.raises(VideoError, match="truncated or corrupt video"):
        harness.run(torn)
    assert list(sandbox.traffic) == []
    assert harness.row() is None


def test_row21_second_run_on_the_same_source_is_busy(harness, sandbox, video):
    fp = fingerprint(video)
    with source_lock(harness.journal, f"default-{fp.sha256[:32]}"), pytest.raises(Busy) as err:
        harness.run(video)
    assert exit_code_for(err.value) == ExitCode.BUSY
    assert list(sandbox.traffic) == []


def test_row25_journal_full_at_the_final_commit_never_marks_done(harness, sandbox, video):
    """SQLITE_FULL when the video id is committed: explicit rollback, the row is not done; the
    re-run learns the id from the session (status query) instead of uploading again."""
    from publish.journal import JournalError

    conn = harness.journal.conn

    def disk_full():
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
    meta = metadata(description="Campagne nationale. " * 200)  # the resource needs new pages
    with pytest.raises(JournalError, match="disk full while writing the journal"):
        harness.run(video, meta, context={"on_progress": once_at(LAST, disk_full)})
    row = harness.row()
    assert (row.state, row.video_id) == ("session", None)
    video_id = assert_one_video(sandbox, video)  # YouTube has it; the journal does not yet
    conn.execute("PRAGMA max_page_count = 1073741823")
    out = harness.run(video, meta)
    assert out.video_id == video_id and out.resumed
    assert len(sessions(sandbox)) == 1
    assert_one_video(sandbox, video)


def test_row28_fixed_chunk_size_survives_resumes(harness, sandbox, video):
    sandbox.faults.add("drop:70000,method=PUT")
    harness.run(video, context={"on_progress": once_at(CHUNK, lambda: sandbox.faults.add(
        "503,method=PUT,bytes=30000"))})
    puts = check_chunk_headers(sandbox)
    assert all(p["declared"] == CHUNK for p in puts[:-1] if p["outcome"] == "stored")
    assert_one_video(sandbox, video)


def test_row29_no_progress_stops_temporary_and_a_rerun_resumes(harness, sandbox, video):
    def stuck():
        sandbox.faults.add("short-range:0,method=PUT,count=20")
    with pytest.raises(TemporaryFailure) as err:
        harness.run(video, context={"on_progress": once_at(CHUNK, stuck)})
    assert f"kept the upload at byte {CHUNK}" in str(err.value)
    assert "5 times in a row (no progress)" in str(err.value)
    sandbox.faults.clear()
    harness.run(video)
    assert len(sessions(sandbox)) == 1
    assert_one_video(sandbox, video)


def test_progress_reports_bytes_rate_and_eta(harness, sandbox, video):
    seen = []
    harness.run(video, context={"on_progress": lambda done, total, **kw: seen.append(
        (done, total, kw))})
    size = video.stat().st_size
    assert [s[0] for s in seen] == [CHUNK, LAST, size, size][:len(seen)]
    assert seen[-1][0] == size and all(s[1] == size for s in seen)
    assert all(s[2]["rate"] >= 0 and "eta" in s[2] for s in seen)



def test_progress_rate_restarts_with_a_replacement_session(harness, sandbox, tmp_path):
    """A resumed run whose session then expires counts its rate from the new byte 0."""
    source = tmp_path / "long.mp4"
    source.write_bytes(os.urandom(5 * CHUNK + 1000))
    sandbox.faults.add("503,method=PUT,bytes=-1,count=1")
    with pytest.raises(TemporaryFailure):
        harness.run(source, context={"verify_video": False,
                                     "policy": RetryPolicy(retries=0, sleep=lambda s: None)})
    seen = []

    def on_progress(done, total, **kw):
        seen.append((done, kw["rate"]))
        if len(seen) == 2:
            sandbox.faults.add("expire-session,method=PUT")
    harness.run(source, context={"verify_video": False, "on_progress": on_progress})
    assert [done for done, _ in seen] == [2 * CHUNK, 3 * CHUNK, CHUNK, 2 * CHUNK, 3 * CHUNK,
                                          4 * CHUNK, 5 * CHUNK, 5 * CHUNK + 1000]
    assert all(rate >= 0 for _, rate in seen), seen
    assert_one_video(sandbox, source)


def test_long_video_needs_a_channel_allowed_long_uploads(harness, sandbox, tmp_path):
    long = media.make_clip(tmp_path / "long.mp4", seconds=901, size=(64, 64), fps="1",
                           audio=None, color=None)
    sandbox.limits.long_uploads_status = "eligible"
    with pytest.raises(InvalidInput) as err:
        harness.run(long)
    assert "15.0 minutes long, but this channel may only upload videos up to 15 minutes " \
           "(longUploadsStatus: eligible)" in str(err.value)
    assert videos(sandbox) == [] and sessions(sandbox) == []
    sandbox.limits.long_uploads_status = "allowed"
    harness.run(long)
    assert_one_video(sandbox, long)
