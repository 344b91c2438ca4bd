"""Measure: the quota cost (and wall time) of the channel check per upload, on the sandbox.

For channels holding 0, 49, 120, 500 and 800 earlier uploads, runs one `capsule upload` of a
new 1 s clip through the CLI against a fresh sandbox and reads the journal's ledger: the check's
calls are the channels.list, playlistItems.list and videos.list of that run (a plain upload makes
no other list call). The anchor is the same upload with `duplicate_check = false` in the same run
(its wall time), so the printed ratio is the check's time overhead.

    python benchmarks/channel_check.py [--sizes 0,49,120,500,800]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from publish.cli import main  # noqa: E402
from publish.sandbox import SandboxServer  # noqa: E402
from publish.youtube.auth import save_token  # noqa: E402
from tests.media import make_clip  # noqa: E402

CHECK_METHODS = ("channels.list", "playlistItems.list", "videos.list")


def one_run(folder: Path, clip: Path, earlier: int, check: bool) -> tuple[dict, float]:
    folder.mkdir(parents=True)
    with SandboxServer(folder / "sandbox") as sandbox:
        sandbox.limits.channel_uploads_per_day = 10_000
        other = make_clip(folder / "other.mp4", seconds=1, audio=None)
        for n in range(earlier):
            sandbox.add_video(other, title=f"earlier {n}", file_name="other.mp4")
        data = folder / "data"
        config = folder / "config.toml"
        config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n'
                          f"duplicate_check = {'true' if check else 'false'}\n"
                          "duplicate_settle_seconds = 1\n", encoding="utf-8")
        save_token(sandbox.credentials(), data / "tokens" / "default.json")
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["--config", str(config), "upload", str(clip),
                                           "--title", "New capsule", "--not-made-for-kids",
                                           "--no-synthetic-media"])
        wall = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(f"upload failed: {result.stderr}")
        conn = sqlite3.connect(data / "journal.sqlite")
        rows = conn.execute("SELECT method, count(*), sum(units) FROM api_calls GROUP BY "
                            "method").fetchall()
        conn.close()
    return {m: (n, u) for m, n, u in rows if m in CHECK_METHODS}, wall


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,49,120,500,800")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clip = make_clip(root / "new.mp4", seconds=1)
        _, anchor = one_run(root / "anchor", clip, 0, check=False)
        print(f"anchor: upload without the check, empty channel: {anchor:.2f} s")
        print(f"{'earlier uploads':>15}  {'calls':<44} {'units':>5}  {'wall/anchor':>11}")
        for size in (int(s) for s in args.sizes.split(",")):
            calls, wall = one_run(root / f"n{size}", clip, size, check=True)
            text = ", ".join(f"{n} {m}" for m, (n, _) in sorted(calls.items()))
            units = sum(u for _, u in calls.values())
            print(f"{size:>15}  {text:<44} {units:>5}  {wall / anchor:>10.2f}x")


if __name__ == "__main__":
    main_()
