"""Benchmark: view statistics at the commission's scale and beyond.

1. 1,000 tracked videos on a local sandbox (created through its Python store API, not by
   uploading): `collect` must use at most 20 API calls and 20 quota units; its wall time is
   printed against the bare API calls' time (the same 20 batchGetStats requests made directly
   with the same client), so the overhead of parsing, the ledger and SQLite shows as a ratio.
2. A report over 1,000 videos x 365 daily snapshots (rows generated directly): its time.
3. `stats show` for one video: answered from the (video_id, collected_at) index; the query
   plan is printed and checked.

Exit status 1 when a target is missed.

    python benchmarks/stats.py [--videos 1000] [--days 365] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from publish.client import youtube_service
from publish.journal import Journal
from publish.sandbox import DEFAULT_API_KEY, SandboxClock, SandboxServer
from publish.stats.collect import BATCH_SIZE, collect
from publish.stats.report import write_report
from publish.stats.store import daily_history, daily_history_sql

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def add_videos(sandbox: SandboxServer, count: int) -> list[str]:
    """Public videos published 1 to 300 days ago, written straight into the sandbox state."""
    rng = random.Random(7)
    ids = []
    with sandbox.store.change() as data:
        for i in range(count):
            vid = sandbox.store.new_id(11)
            when = sandbox.clock.timestamp() - rng.uniform(1, 300) * 86400
            data["videos"][vid] = {
                "id": vid, "snippet": {"title": f"Capsule {i}", "categoryId": "29"},
                "status": {"privacyStatus": "public"}, "localizations": {},
                "recordingDetails": {}, "_uploaded": when, "_public_since": when,
                "_ever_public": True, "_size": 1000,
                "_probe": {"ok": True, "seconds": 30.0, "height": 720}}
            ids.append(vid)
    return ids


def bench_collect(root: Path, videos: int, runs: int) -> bool:
    with SandboxServer(root / "sandbox", clock=SandboxClock(frozen=NOW)) as sandbox:
        ids = add_videos(sandbox, videos)
        youtube = youtube_service(DEFAULT_API_KEY, endpoint=sandbox.url, timeout=30)
        collect_times, bare_times = [], []
        result = None
        for run in range(runs):
            journal_path = root / f"collect-{run}" / "journal.sqlite"
            with Journal(journal_path) as journal:
                with journal.write() as c:  # tracking is not what is measured
                    c.executemany("INSERT INTO tracked_videos (video_id, source, added_at) "
                                  "VALUES (?, 'capsule', ?)", [(v, "2026-01-01") for v in ids])
                started = time.perf_counter()
                result = collect(journal, lambda: (youtube, None))
                collect_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            for i in range(0, len(ids), BATCH_SIZE):
                youtube.videos().batchGetStats(id=ids[i:i + BATCH_SIZE],
                                               part=["snippet", "statistics"]).execute()
            bare_times.append(time.perf_counter() - started)
        assert result is not None
        units = sum(result.quota.values())
        median_collect = statistics.median(collect_times)
        median_bare = statistics.median(bare_times)
        print(f"collect: {videos} videos, {result.collected} snapshots, {result.api_calls} API "
              f"calls, {units} quota units ({result.quota}), method {result.method}")
        print(f"collect wall time {median_collect:.3f} s vs bare batchGetStats calls "
              f"{median_bare:.3f} s (median of {runs}): ratio {median_collect / median_bare:.2f}")
        ok = result.api_calls <= 20 and units <= 20 and result.collected == videos
        print(f"target <= 20 calls and <= 20 units: {'ok' if ok else 'MISSED'}")
        return ok


def bench_report(root: Path, videos: int, days: int) -> bool:
    rng = random.Random(11)
    journal_path = root / "report" / "journal.sqlite"
    with Journal(journal_path) as journal:
        ids = [f"v{i:010d}" for i in range(videos)]
        start = date(2026, 11, 20) - timedelta(days=days - 1)
        started = time.perf_counter()
        with journal.write() as c:
            c.executemany("INSERT INTO tracked_videos (video_id, source, title, added_at) "
                          "VALUES (?, 'capsule', ?, '2025-11-01T00:00:00Z')",
                          [(v, f"Capsule {i}") for i, v in enumerate(ids)])
            for vid in ids:
                rate = rng.uniform(2, 400)
                views = 0
                rows = []
                for d in range(days):
                    views += int(rate * rng.uniform(0.5, 1.5))
                    rows.append((vid, f"{start + timedelta(days=d)}T06:07:00Z", views,
                                 views // 40, views // 400))
                c.executemany("INSERT INTO stat_snapshots VALUES (?, ?, ?, ?, ?)", rows)
        print(f"generated {videos * days:,} snapshots in {time.perf_counter() - started:.1f} s "
              f"({journal_path.stat().st_size / 1e6:.0f} MB journal)")

        started = time.perf_counter()
        summary = write_report(journal, root / "report" / "report.html",
                               png_path=root / "report" / "chart.png")
        report_time = time.perf_counter() - started
        size = summary.html_path.stat().st_size
        print(f"report over {summary.videos} videos x {summary.days} days: {report_time:.2f} s "
              f"({size / 1e3:.0f} kB HTML, {summary.png_path.stat().st_size / 1e3:.0f} kB PNG)")

        vid = ids[videos // 2]
        sql, params = daily_history_sql([vid])
        plan = [row[3] for row in journal.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        print("stats show --video: EXPLAIN QUERY PLAN")
        for line in plan:
            print(f"  {line}")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            shown = daily_history(journal, [vid])
            times.append(time.perf_counter() - started)
        indexed = any("USING INDEX stat_snapshots_by_video (video_id=?)" in p for p in plan)
        print(f"stats show for one video: {len(shown)} rows in "
              f"{statistics.median(times) * 1000:.1f} ms (median of 5); "
              f"index used: {'yes' if indexed else 'NO'}")
        return indexed and len(shown) == days


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="capsule-stats-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        ok = bench_collect(root, args.videos, args.runs)
        ok = bench_report(root, args.videos, args.days) and ok
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
