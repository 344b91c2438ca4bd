"""The journal on real SQLite files: pragmas, migrations, locking, disk full, unwritable folder."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from publish.errors import Busy
from publish.journal import MIGRATIONS, Journal, JournalError, source_lock


def make_row(journal: Journal, **overrides) -> int:
    fields = {"channel": "", "source_path": "/v.mp4", "size": 10, "mtime_ns": 1,
              "sha256": "ab" * 32, "metadata": {"title": "t"}, "chunk_size": 262144}
    fields.update(overrides)
    return journal.create_upload(**fields)


def test_pragmas_and_schema(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        c = journal.conn
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert c.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert journal.conn.isolation_level is None
        assert journal.schema_version() == MIGRATIONS[-1][0]
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"uploads", "api_calls", "steps", "schema_version"} <= tables


def test_migrations_apply_once_and_in_order(tmp_path, monkeypatch):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    extra = [*MIGRATIONS, (len(MIGRATIONS) + 1, "CREATE TABLE later (x INTEGER)")]
    monkeypatch.setattr("publish.journal.MIGRATIONS", extra)
    with Journal(path) as journal:
        assert journal.schema_version() == len(extra)
        versions = [r[0] for r in journal.conn.execute("SELECT version FROM schema_version")]
        assert versions == [v for v, _ in extra]
    with Journal(path) as journal:  # re-opening applies nothing twice
        assert journal.conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == \
            len(extra)


def test_writes_wait_for_a_competing_writer_instead_of_failing(tmp_path):
    """Regression (row 23): writes start with BEGIN IMMEDIATE, so they wait on the busy handler."""
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    make_row(journal)  # blocks until the other writer commits, then succeeds
    assert time.monotonic() - started >= 0.4
    release.join()
    assert journal.conn.execute("SELECT count(*) FROM uploads").fetchone()[0] == 1


def test_sqlite_full_rolls_back_and_names_the_file(tmp_path):
    """Row 25: SQLITE_FULL → explicit ROLLBACK, nothing half-recorded, one clear line."""
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    upload_id = make_row(journal)
    pages = journal.conn.execute("PRAGMA page_count").fetchone()[0]
    journal.conn.execute(f"PRAGMA max_page_count = {pages}")
    full = pytest.raises(JournalError, match=r"j\.sqlite: disk full while writing the journal")
    with full, journal.write() as c:
        c.execute("UPDATE uploads SET state = 'done', video_id = 'v1' WHERE id = ?",
                  (upload_id,))
        c.execute("INSERT INTO steps (upload_id, step, key, state, result_json, "
                  "updated_at) VALUES (?, 'big', '', 'done', ?, 'now')",
                  (upload_id, "x" * 200_000))
    assert not journal.conn.in_transaction
    row = journal.upload(upload_id)
    assert (row.state, row.video_id) == ("new", None)  # the first statement was rolled back too


def test_journal_under_a_file_is_refused(tmp_path):
    """Row 30: the journal folder cannot exist (a file is in the way) → path and reason."""
    blocker = tmp_path / "state"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(JournalError) as err:
        Journal(blocker / "journal.sqlite")
    assert str(err.value) == (f"{blocker}: cannot hold the journal: it is a file, not a "
                              "folder; choose another path with --journal")


def test_unwritable_folder_is_refused_before_anything(tmp_path):
    """Row 30: a folder that cannot hold the journal → one line naming the path and reason."""
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(JournalError) as err:
            Journal(locked / "state" / "journal.sqlite")
        assert str(err.value).startswith(f"{locked}")
        assert "permission denied" in str(err.value) or "not writable" in str(err.value)
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(JournalError, match="the journal folder is not writable"):
            Journal(ro / "journal.sqlite")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(("journal", "reason"), [
    ("/proc/self/journal.sqlite", "/proc/self: the journal folder is not writable"),
    ("/sys/capsule-journal/journal.sqlite", "/sys/capsule-journal: cannot create the journal "
                                            "folder: "),
])
def test_unwritable_folder_is_refused_even_for_root(journal, reason):
    """Row 30 where chmod cannot reach (CI runs as root): kernel file systems refuse root."""
    if not Path("/proc/self").is_dir() or not Path("/sys").is_dir():
        pytest.skip("needs Linux /proc and /sys")
    with pytest.raises(JournalError) as err:
        Journal(journal)
    message = str(err.value)
    assert message.startswith(reason) and message.endswith("with --journal")
    assert "\n" not in message


def test_steps_are_recorded_and_read_back(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        uid = make_row(journal)
        assert journal.step(uid, "caption", "fr") is None
        journal.record_step(uid, "caption", "fr", "done", {"id": "c1"})
        assert journal.step(uid, "caption", "fr") == {"id": "c1"}
        journal.record_step(uid, "caption", "fr", "done", {"id": "c2"})
        assert journal.step(uid, "caption", "fr") == {"id": "c2"}


def test_source_lock_is_exclusive_and_freed(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    busy = pytest.raises(Busy, match="another capsule run is uploading this video")
    with source_lock(journal, "k"):
        with busy, source_lock(journal, "k"):
            pass
        with source_lock(journal, "other"):
            pass
    with source_lock(journal, "k"):
        pass


def test_a_file_that_is_not_a_journal_is_refused_and_its_connection_closed(tmp_path,
                                                                           monkeypatch):
    bogus = tmp_path / "journal.sqlite"
    bogus.write_bytes(b"not a database\n" * 300)
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def remember(*args, **kwargs):
        opened.append(connect(*args, **kwargs))
        return opened[-1]
    monkeypatch.setattr(sqlite3, "connect", remember)
    with pytest.raises(JournalError) as err:
        Journal(bogus)
    assert str(err.value) == (f"{bogus}: cannot open the journal: file is not a database; "
                              "run `capsule journal check`")
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        opened[0].execute("SELECT 1")
