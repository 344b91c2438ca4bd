"""Benchmark: view statistics at the commission's scale and beyond.

1. 10,000 tracked videos on a local sandbox (created through its Python store API, not by
   uploading): `collect` must use at most 201 Data API calls; its wall time is printed against
   the bare API calls' time (the same batchGetStats requests made directly with the same
   client), so the overhead of parsing, the ledger and SQLite shows as a ratio.
2. The campaign report (HTML, all charts) over 1,000 videos x 365 days of snapshots and
   Analytics rows (daily metrics, traffic sources and devices per day, countries per month,
   retention; generated directly), for the whole year and for the last 28 days, each against
   the period before: under 5 s and under 300 MB peak memory, measured in a fresh process.
3. `stats show` for one video: answered from the (video_id, collected_at) index in under 50 ms;
   the query plan is printed and checked.

Exit status 1 when a target is missed.

    python benchmarks/stats.py [--collect-videos 10000] [--videos 1000] [--days 365] [--runs 3]
                               [--keep DIR]
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

from publish.journal import Journal
from publish.sandbox import DEFAULT_API_KEY, SandboxClock, SandboxServer
from publish.stats.collect import BATCH_SIZE, collect
from publish.stats.store import daily_history, daily_history_sql
from publish.youtube.client import youtube_service

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
    calls_target = -(-videos // BATCH_SIZE) + 1  # one batch per 50 ids, one fallback call
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
        ok = result.api_calls <= calls_target and result.collected == videos
        print(f"target <= {calls_target} Data API calls: {'ok' if ok else 'MISSED'}")
        return ok


REPORT_CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from publish.journal import Journal
from publish.stats.campaign_report import write_campaign_report
root = Path(sys.argv[2])
started = time.perf_counter()
with Journal(root / "journal.sqlite") as journal:
    summary = write_campaign_report(journal, root / "report.html", campaign="Bench",
                                    since=date.fromisoformat(sys.argv[3]), until=None,
                                    lang="fr",
                                    png_path=root / "capsules.png")
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "videos": summary.videos, "views": summary.views,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate_history(journal: Journal, videos: int, days: int) -> list[str]:
    """Snapshots and Analytics rows for `videos` x `days`, straight into SQLite."""
    rng = random.Random(11)
    ids = [f"v{i:010d}" for i in range(videos)]
    start = date(2026, 11, 20) - timedelta(days=days - 1)
    day_names = [(start + timedelta(days=d)).isoformat() for d in range(days)]
    with journal.write() as c:
        c.executemany(
            "INSERT INTO tracked_videos (video_id, source, title, added_at, campaign, capsule, "
            "variant, language) VALUES (?, 'capsule', ?, '2025-11-01T00:00:00Z', 'Bench', ?, "
            "?, ?)",
            [(v, f"Capsule {i // 4}" if i % 2 else f"الكبسولة {i // 4}", f"c{i // 4}",
              "short" if i % 4 == 3 else "main", ("ar", "fr", "zgh", "ar")[i % 4])
             for i, v in enumerate(ids)])
        for vid in ids:
            rate = rng.uniform(2, 400)
            views = 0
            snaps, daily, sources = [], [], []
            months: dict[str, list] = {}  # countries per calendar month, as collected
            for day in day_names:
                gained = int(rate * rng.uniform(0.5, 1.5))
                views += gained
                snaps.append((vid, f"{day}T06:07:00Z", views, views // 40, views // 400))
                daily.append((vid, day, gained, gained * 0.6, 36.0, 45.0, gained // 100,
                               gained // 400, gained // 200, gained // 40, 1, day))
                for value, share in (("YT_SEARCH", 0.3), ("RELATED_VIDEO", 0.5),
                                     ("EXT_URL", 0.2)):
                    sources.append((vid, day, "traffic", value, int(gained * share),
                                    gained * share * 0.6))
                for value, share in (("MOBILE", 0.8), ("DESKTOP", 0.2)):
                    sources.append((vid, day, "device", value, int(gained * share),
                                    gained * share * 0.6))
                month = months.setdefault(day[:7], [day, day, 0])
                month[1] = day
                month[2] += gained
            geo = [(vid, country, int(total * share), total * share * 0.6, first, last, last)
                   for first, last, total in months.values()
                   for country, share in (("MA", 0.6), ("FR", 0.3), ("DZ", 0.1))]
            c.executemany("INSERT INTO stat_snapshots VALUES (?, ?, ?, ?, ?)", snaps)
            c.executemany(
                "INSERT INTO analytics_daily (video_id, day, views, minutes_watched, "
                "average_view_duration, average_view_percentage, subscribers_gained, "
                "subscribers_lost, shares, likes, final, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", daily)
            c.executemany("INSERT INTO analytics_sources VALUES (?, ?, ?, ?, ?, ?)", sources)
            c.executemany("INSERT OR IGNORE INTO analytics_source_values VALUES (?, ?)",
                          {(kind, value) for _, _, kind, value, _, _ in sources})
            c.executemany("INSERT INTO analytics_countries VALUES (?, ?, ?, ?, ?, ?, ?)", geo)
            c.executemany("INSERT INTO analytics_retention VALUES (?, ?, ?, ?, ?, ?)",
                          [(vid, r / 100, 1 - r / 150, 0.5, day_names[-1], day_names[-1])
                           for r in range(1, 101)])
    return ids


def bench_report(root: Path, videos: int, days: int) -> bool:
    import json
    import subprocess

    folder = root / "report"
    journal_path = folder / "journal.sqlite"
    with Journal(journal_path) as journal:
        started = time.perf_counter()
        ids = generate_history(journal, videos, days)
        print(f"generated {videos:,} videos x {days} days (snapshots, Analytics daily, "
              f"sources, countries, retention) in {time.perf_counter() - started:.1f} s "
              f"({journal_path.stat().st_size / 1e6:.0f} MB journal)")

    report_ok = True
    last = date(2026, 11, 20)
    for label, since in (("the whole year", last - timedelta(days=days - 1)),
                         ("the last 28 days", last - timedelta(days=27))):
        done = subprocess.run([sys.executable, "-c", REPORT_CHILD,
                               str(Path(__file__).resolve().parents[1]), str(folder),
                               since.isoformat()], capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        size = (folder / "report.html").stat().st_size
        ok = figures["seconds"] < 5 and figures["max_rss_mb"] < 300
        report_ok = report_ok and ok
        print(f"campaign report over {figures['videos']} videos, {label} against the period "
              f"before: {figures['seconds']:.2f} s in a fresh process, peak "
              f"{figures['max_rss_mb']:.0f} MB ({size / 1e3:.0f} kB HTML); target < 5 s and "
              f"< 300 MB: {'ok' if ok else 'MISSED'}")

    with Journal(journal_path) as journal:
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
    show_ms = statistics.median(times) * 1000
    show_ok = indexed and len(shown) == days and show_ms < 50
    print(f"stats show for one video: {len(shown)} rows in {show_ms:.1f} ms (median of 5); "
          f"index used: {'yes' if indexed else 'NO'}; target < 50 ms: "
          f"{'ok' if show_ok else 'MISSED'}")
    return report_ok and show_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collect-videos", type=int, default=10000)
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="capsule-stats-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        ok = bench_collect(root, args.collect_videos, args.runs)
        ok = bench_report(root, args.videos, args.days) and ok
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
