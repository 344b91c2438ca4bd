"""--limit-rate: the upload's average rate is capped, across chunks and across a resume, and the
server still gets exactly the file (issue 18)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from config.rates import parse_rate
from publish.youtube.throttle import Throttle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media
from upload_helpers import Harness, assert_one_video, sha256

RATE = 4_000_000


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A real video of about 20 MB (lossless noise: incompressible): 5 s at 4 MB/s."""
    path = tmp_path_factory.mktemp("rate") / "big.mp4"
    media._run(["-f", "lavfi", "-i", "color=c=gray:s=640x360:r=25:d=2",
                "-vf", "noise=alls=100:allf=t+u", "-c:v", "libx264", "-preset", "ultrafast",
                "-qp", "0", str(path)])
    assert 12_000_000 < path.stat().st_size < 40_000_000
    return path


@pytest.fixture
def harness(sandbox, tmp_path) -> Harness:
    sandbox.limits.processing_seconds = 0
    return Harness(sandbox, tmp_path)


def test_a_limited_upload_keeps_to_the_rate_and_its_bytes(harness, sandbox, big):
    size = big.stat().st_size
    started = time.monotonic()
    harness.run(big, context={"rate": RATE, "verify_video": False})
    took = time.monotonic() - started
    assert took == pytest.approx(size / RATE, rel=0.10)
    assert_one_video(sandbox, big)
    (log,) = sandbox.upload_log().values()
    assert log["sha256"] == sha256(big)


def test_the_limit_holds_across_an_interruption_and_a_resume(harness, sandbox, big):
    size = big.stat().st_size

    def stop_halfway(done, total, **_):
        if done >= size // 2:
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        harness.run(big, context={"rate": RATE, "on_progress": stop_halfway,
                                  "verify_video": False})
    first = time.monotonic() - started
    started = time.monotonic()
    harness.run(big, context={"rate": RATE, "verify_video": False})
    second = time.monotonic() - started
    assert first + second == pytest.approx(size / RATE, rel=0.10)
    assert_one_video(sandbox, big)
    (log,) = sandbox.upload_log().values()
    assert log["sha256"] == sha256(big)


def test_rates_are_read_as_officers_write_them():
    assert parse_rate("4M") == 4_000_000
    assert parse_rate("500K") == 500_000
    assert parse_rate("1.5MiB") == 1_572_864
    with pytest.raises(ValueError, match=r"like 500K, 2M or 1\.5M"):
        parse_rate("fast")


def test_the_throttle_paces_in_small_pieces_without_bursts():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(1_000_000, clock=lambda: now[0], sleep=sleep)
    assert throttle.piece == 125_000
    for _ in range(40):
        throttle.take(throttle.piece)
    assert now[0] == pytest.approx(5.0, rel=0.01)  # 5 MB at 1 MB/s
    assert max(slept) <= 0.2  # never a long silence on the socket
    assert Throttle(None).piece == 1024 * 1024
