"""The journal: one SQLite file recording uploads, their sessions, every API call and each step.

Migrations: `MIGRATIONS` is an ordered list of (version, SQL script). Version 1 holds the upload,
quota-ledger and step tables (owned by publish/youtube/upload.py and publish/youtube/quota.py).
Other parts (the stats helper) APPEND their own tables as the next number (2, 3, …); never
edit an applied one.

Concurrency (shared reference reliability.md §5): WAL, busy_timeout 5000 ms, synchronous=NORMAL,
autocommit mode with every write in an explicit `BEGIN IMMEDIATE` (a deferred read-then-write
fails at once with "database is locked"), explicit ROLLBACK when SQLite reports FULL/IOERR.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.i18n import _
from publish.errors import Busy, CapsuleError, InvalidInput

JOURNAL_NAME = "journal.sqlite"
BUSY_TIMEOUT_MS = 5000

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
    CREATE TABLE uploads (
        id              INTEGER PRIMARY KEY,
        channel         TEXT NOT NULL DEFAULT '',
        source_path     TEXT NOT NULL,
        source_size     INTEGER NOT NULL,
        source_mtime_ns INTEGER NOT NULL,
        source_sha256   TEXT NOT NULL,
        metadata_json   TEXT NOT NULL,
        chunk_size      INTEGER NOT NULL,
        session_uri     TEXT,
        confirmed_bytes INTEGER NOT NULL DEFAULT 0,
        final_sent      INTEGER NOT NULL DEFAULT 0,
        video_id        TEXT,
        state           TEXT NOT NULL,
        error           TEXT,
        resource_json   TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX uploads_by_source ON uploads (channel, source_sha256);
    CREATE INDEX uploads_by_path ON uploads (channel, source_path);
    CREATE UNIQUE INDEX uploads_video ON uploads (video_id) WHERE video_id IS NOT NULL;

    CREATE TABLE api_calls (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        pacific_day TEXT NOT NULL,
        channel     TEXT NOT NULL DEFAULT '',
        method      TEXT NOT NULL,
        pool        TEXT NOT NULL,
        units       INTEGER NOT NULL,
        status      TEXT NOT NULL,
        upload_id   INTEGER REFERENCES uploads (id)
    );
    CREATE INDEX api_calls_by_day ON api_calls (pacific_day, pool);

    CREATE TABLE steps (
        upload_id   INTEGER NOT NULL REFERENCES uploads (id),
        step        TEXT NOT NULL,
        key         TEXT NOT NULL DEFAULT '',
        state       TEXT NOT NULL,
        result_json TEXT,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (upload_id, step, key)
    );
    """),
    # 2: view statistics (publish/stats/store.py). A video stays in tracked_videos after
    # `untrack` (state 'untracked') so its history keeps its title; `--purge` deletes it all.
    (2, """
    CREATE TABLE tracked_videos (
        video_id      TEXT PRIMARY KEY,
        source        TEXT NOT NULL,
        title         TEXT,
        published_at  TEXT,
        added_at      TEXT NOT NULL,
        state         TEXT NOT NULL DEFAULT 'tracked',
        missing_since TEXT
    );

    CREATE TABLE stat_snapshots (
        video_id     TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        views        INTEGER,
        likes        INTEGER,
        comments     INTEGER
    );
    CREATE UNIQUE INDEX stat_snapshots_by_video ON stat_snapshots (video_id, collected_at);
    CREATE INDEX stat_snapshots_by_time ON stat_snapshots (collected_at);

    CREATE TABLE analytics_daily (
        video_id              TEXT NOT NULL,
        day                   TEXT NOT NULL,
        views                 INTEGER,
        minutes_watched       REAL,
        average_view_duration REAL,
        fetched_at            TEXT NOT NULL,
        PRIMARY KEY (video_id, day)
    );

    CREATE TABLE analytics_countries (
        video_id        TEXT NOT NULL,
        country         TEXT NOT NULL,
        views           INTEGER,
        minutes_watched REAL,
        start_day       TEXT NOT NULL,
        end_day         TEXT NOT NULL,
        fetched_at      TEXT NOT NULL,
        PRIMARY KEY (video_id, country)
    );
    """),
    # 3: audience depth and campaigns (publish/stats/analytics.py, publish/stats/campaign.py).
    # Daily rows gain the Analytics v2 metrics and a `final` flag (YouTube revises its latest
    # days: a partial row is asked for again). Country rows are kept per calendar month (the
    # geography report has no day dimension), traffic sources and device types per day (with
    # the list of values seen, so a report sums each with one scan and no sort), the
    # retention curve per video (WITHOUT ROWID: a report reads them per video and period, in
    # key order, with no second lookup). A tracked video names its campaign, capsule, variant and
    # language so versions of one capsule compare, and the Pacific days its Analytics rows are
    # final through (daily, countries), last checked on, and its retention curve was read on.
    (3, """
    ALTER TABLE analytics_daily ADD COLUMN average_view_percentage REAL;
    ALTER TABLE analytics_daily ADD COLUMN subscribers_gained INTEGER;
    ALTER TABLE analytics_daily ADD COLUMN subscribers_lost INTEGER;
    ALTER TABLE analytics_daily ADD COLUMN shares INTEGER;
    ALTER TABLE analytics_daily ADD COLUMN likes INTEGER;
    ALTER TABLE analytics_daily ADD COLUMN final INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX analytics_daily_by_day ON analytics_daily (day);

    ALTER TABLE analytics_countries RENAME TO analytics_countries_v2;
    CREATE TABLE analytics_countries (
        video_id        TEXT NOT NULL,
        country         TEXT NOT NULL,
        views           INTEGER,
        minutes_watched REAL,
        start_day       TEXT NOT NULL,
        end_day         TEXT NOT NULL,
        fetched_at      TEXT NOT NULL,
        PRIMARY KEY (video_id, start_day, country)
    ) WITHOUT ROWID;
    INSERT INTO analytics_countries SELECT video_id, country, views, minutes_watched,
        start_day, end_day, fetched_at FROM analytics_countries_v2;
    DROP TABLE analytics_countries_v2;

    CREATE TABLE analytics_sources (
        video_id        TEXT NOT NULL,
        day             TEXT NOT NULL,
        kind            TEXT NOT NULL,
        value           TEXT NOT NULL,
        views           INTEGER,
        minutes_watched REAL,
        PRIMARY KEY (video_id, kind, day, value)
    ) WITHOUT ROWID;
    CREATE TABLE analytics_source_values (
        kind  TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;

    CREATE TABLE analytics_retention (
        video_id    TEXT NOT NULL,
        ratio       REAL NOT NULL,
        watch_ratio REAL,
        relative    REAL,
        end_day     TEXT NOT NULL,
        fetched_at  TEXT NOT NULL,
        PRIMARY KEY (video_id, ratio)
    );

    ALTER TABLE tracked_videos ADD COLUMN campaign TEXT;
    ALTER TABLE tracked_videos ADD COLUMN capsule TEXT;
    ALTER TABLE tracked_videos ADD COLUMN variant TEXT;
    ALTER TABLE tracked_videos ADD COLUMN language TEXT;
    ALTER TABLE tracked_videos ADD COLUMN analytics_through TEXT;
    ALTER TABLE tracked_videos ADD COLUMN analytics_checked_on TEXT;
    ALTER TABLE tracked_videos ADD COLUMN countries_through TEXT;
    ALTER TABLE tracked_videos ADD COLUMN retention_on TEXT;
    CREATE INDEX tracked_videos_by_campaign ON tracked_videos (campaign);
    """),
    # 4: sign-off (publish/review.py). One row per `capsule review --approve`: who, when, and
    # the fingerprints of what was seen (picture, captions, metadata, thumbnail per publication).
    (4, """
    CREATE TABLE approvals (
        id                INTEGER PRIMARY KEY,
        manifest          TEXT NOT NULL,
        approved_by       TEXT NOT NULL,
        approved_at       TEXT NOT NULL,
        fingerprints_json TEXT NOT NULL
    );
    CREATE INDEX approvals_by_manifest ON approvals (manifest, id);
    """),
]

# Upload states: `new` (row claimed, no session), `session` (URI committed, bytes may be on the
# server), `done` (video id recorded), `failed` (a permanent error; the session may be reused),
# `abandoned` (replaced by a new session or by --restart; never resumed again).
ACTIVE_STATES = ("new", "session", "failed")


class JournalError(CapsuleError):
    """The journal cannot be opened or written (path and reason in the message)."""


@dataclass
class UploadRow:
    id: int
    channel: str
    source_path: str
    source_size: int
    source_mtime_ns: int
    source_sha256: str
    metadata_json: str
    chunk_size: int
    session_uri: str | None
    confirmed_bytes: int
    final_sent: bool
    video_id: str | None
    state: str
    error: str | None
    resource_json: str | None
    created_at: str
    updated_at: str

    @property
    def metadata(self) -> dict[str, Any]:
        return json.loads(self.metadata_json)

    @property
    def resource(self) -> dict[str, Any] | None:
        return json.loads(self.resource_json) if self.resource_json else None


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Journal:
    """A connection to the journal file; use `write()` for every write transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        _check_writable_dir(self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                        isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise JournalError(_("{path}: cannot open the journal: {exc}").format(
                                   path=self.path, exc=exc)) from exc
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.migrate()
        except BaseException as exc:
            self.conn.close()  # a refused file must not leave its connection open
            if isinstance(exc, sqlite3.DatabaseError):
                raise JournalError(_("{path}: cannot open the journal: {exc}; run "
                                     "`capsule journal check`").format(
                                       path=self.path, exc=exc)) from exc
            raise

    # ------------------------------------------------------------ plumbing
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE … COMMIT, explicit ROLLBACK on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Busy(_("{path}: the journal is locked by another capsule run for "
                             "more than {seconds} s; try again").format(
                               path=self.path, seconds=BUSY_TIMEOUT_MS // 1000)) from exc
            raise self._failure(exc) from exc
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            # SQLITE_FULL/IOERR may already have rolled back; ROLLBACK again is harmless then.
            with contextlib.suppress(sqlite3.Error):
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._failure(exc) from exc
            raise

    def _failure(self, exc: sqlite3.Error) -> JournalError:
        text = str(exc)
        if "full" in text.lower():
            return JournalError(_("{path}: disk full while writing the journal; nothing "
                                  "of this step was recorded: free some space and run "
                                  "again").format(path=self.path))
        return JournalError(_("{path}: journal write failed: {text}").format(
                                path=self.path, text=text))

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Apply every migration newer than the file's schema version, one transaction each."""
        with self.write() as c:
            c.execute("CREATE TABLE IF NOT EXISTS schema_version "
                      "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        current = self.schema_version()
        for version, script in MIGRATIONS:
            if version <= current:
                continue
            with self.write() as c:
                # Re-check inside the lock: a concurrent run may have just applied it.
                done = c.execute("SELECT 1 FROM schema_version WHERE version = ?",
                                 (version,)).fetchone()
                if done:
                    continue
                for statement in _statements(script):
                    c.execute(statement)
                c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                          (version, now_iso()))

    # ------------------------------------------------------------- uploads
    def upload(self, upload_id: int) -> UploadRow:
        row = self.conn.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        return UploadRow(**dict(row))

    def find_done(self, channel: str, sha256: str) -> UploadRow | None:
        """The finished upload of this content on this channel, if any."""
        row = self.conn.execute(
            "SELECT * FROM uploads WHERE channel = ? AND source_sha256 = ? AND state = 'done' "
            "ORDER BY id DESC LIMIT 1", (channel, sha256)).fetchone()
        return UploadRow(**dict(row)) if row else None

    def find_active(self, channel: str, *, sha256: str | None = None,
                    path: str | None = None) -> UploadRow | None:
        """The unfinished upload of this content (or of this path), if any."""
        placeholders = ", ".join("?" for _ in ACTIVE_STATES)
        column, value = ("source_sha256", sha256) if sha256 else ("source_path", path)
        row = self.conn.execute(
            f"SELECT * FROM uploads WHERE channel = ? AND {column} = ? "
            f"AND state IN ({placeholders}) ORDER BY id DESC LIMIT 1",
            (channel, value, *ACTIVE_STATES)).fetchone()
        return UploadRow(**dict(row)) if row else None

    def create_upload(self, *, channel: str, source_path: str, size: int, mtime_ns: int,
                      sha256: str, metadata: dict[str, Any], chunk_size: int) -> int:
        stamp = now_iso()
        with self.write() as c:
            cur = c.execute(
                "INSERT INTO uploads (channel, source_path, source_size, source_mtime_ns, "
                "source_sha256, metadata_json, chunk_size, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
                (channel, source_path, size, mtime_ns, sha256,
                 json.dumps(metadata, sort_keys=True, ensure_ascii=False), chunk_size,
                 stamp, stamp))
            return int(cur.lastrowid)

    def update_upload(self, upload_id: int, **fields: Any) -> None:
        """Set columns of one upload row (state, session_uri, video_id, …) and touch updated_at."""
        if "resource" in fields:
            fields["resource_json"] = json.dumps(fields.pop("resource"), ensure_ascii=False)
        if "metadata" in fields:
            fields["metadata_json"] = json.dumps(fields.pop("metadata"), sort_keys=True,
                                                 ensure_ascii=False)
        fields["updated_at"] = now_iso()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.write() as c:
            c.execute(f"UPDATE uploads SET {assignments} WHERE id = ?",
                      (*fields.values(), upload_id))

    # --------------------------------------------------------------- steps
    def step(self, upload_id: int, step: str, key: str = "") -> dict[str, Any] | None:
        """The recorded result of a finished step, or None when it has not completed."""
        row = self.conn.execute(
            "SELECT state, result_json FROM steps WHERE upload_id = ? AND step = ? AND key = ?",
            (upload_id, step, key)).fetchone()
        if row is None or row["state"] != "done":
            return None
        return json.loads(row["result_json"] or "{}")

    def record_step(self, upload_id: int, step: str, key: str, state: str,
                    result: dict[str, Any] | None = None) -> None:
        with self.write() as c:
            c.execute(
                "INSERT INTO steps (upload_id, step, key, state, result_json, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, step, key) DO UPDATE SET "
                "state = excluded.state, result_json = excluded.result_json, "
                "updated_at = excluded.updated_at",
                (upload_id, step, key, state,
                 json.dumps(result or {}, ensure_ascii=False), now_iso()))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _check_writable_dir(path: Path) -> None:
    """Fail before anything is uploaded when the journal's folder cannot hold it (row 30)."""
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise JournalError(_("{folder}: cannot hold the journal: it is a file, not a "
                             "folder; choose another path with --journal").format(folder=folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JournalError(_("{folder}: cannot create the journal folder: "
                             "{reason}; choose another with --journal").format(
                               folder=folder, reason=exc.strerror or exc)) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise JournalError(_("{folder}: the journal folder is not writable (permission "
                             "denied); fix its permissions or choose another with "
                             "--journal").format(folder=folder))
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise JournalError(_("{path}: the journal file is not writable (permission "
                             "denied); fix its permissions or choose another with "
                             "--journal").format(path=path))


@contextlib.contextmanager
def source_lock(journal: Journal, key: str) -> Iterator[None]:
    """An exclusive, non-blocking lock per source: a second run for it fails with Busy.

    A kernel lock (flock) is released when its process dies, even by SIGKILL, so a re-run after a
    crash never waits for a stale claim.
    """
    lock_dir = journal.path.parent / (journal.path.name + ".locks")
    try:
        lock_dir.mkdir(exist_ok=True)
        fd = os.open(lock_dir / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise JournalError(_("{lock_dir}: cannot create a lock file: {strerror}").format(
                               lock_dir=lock_dir, strerror=exc.strerror)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise Busy(_("another capsule run is uploading this video right now; "
                             "this run stops without uploading")) from exc
            raise
        yield
    finally:
        os.close(fd)


def open_journal(path: Path | str | None, data_dir: Path | str | None) -> Journal:
    """The journal at `path` (--journal) or `<data_dir>/journal.sqlite`."""
    if path is None:
        if data_dir is None:
            raise InvalidInput(_("no journal path: give --journal PATH or set data_dir"))
        path = Path(data_dir) / JOURNAL_NAME
    return Journal(path)
