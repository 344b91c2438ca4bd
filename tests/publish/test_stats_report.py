"""The HTML report: self-contained, charts drawn (checked in a real headless Chromium from a
screenshot), the PNG chart, written atomically."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from publish.cli import main
from publish.journal import Journal
from publish.stats.report import GROWTH_COLOR, SERIES_COLORS, load_report_data
from publish.stats.store import CountryViews, Snapshot, save_analytics, save_snapshots, track

A, B, C = "aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def color_pixels(image: Image.Image, hex_color: str, tolerance: int = 10) -> np.ndarray:
    """(x, y) rows of every pixel within `tolerance` of a colour."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    near = (np.abs(pixels - np.array(rgb(hex_color), dtype=np.int16)) <= tolerance).all(axis=2)
    ys, xs = np.nonzero(near)
    return np.column_stack([xs, ys])


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Three capsules over 40 days (one Arabic title, one never titled) + Analytics countries."""
    root = tmp_path_factory.mktemp("report")
    with Journal(root / "data" / "journal.sqlite") as j:
        track(j, A, title="Reconnaître la traite <des êtres humains>")
        track(j, B, title="الاتجار بالبشر")
        track(j, C, source="manual")
        start = date(2026, 10, 1)
        for d in range(40):
            at = f"{start + timedelta(days=d)}T06:07:00Z"
            save_snapshots(j, at, [Snapshot(A, 50 * d * d, d, d // 3),
                                   Snapshot(B, 400 * d, 2 * d, d),
                                   Snapshot(C, 30 * d + 5, None, 1)])
        save_analytics(j, "t", [], [
            CountryViews(A, "MA", 52000, 900.0, "2026-10-01", "2026-11-09"),
            CountryViews(B, "MA", 9000, 100.0, "2026-10-01", "2026-11-09"),
            CountryViews(A, "FR", 7000, 80.0, "2026-10-01", "2026-11-09")])
    return root


def test_report_data(history):
    with Journal(history / "data" / "journal.sqlite") as j:
        data = load_report_data(j, since=date(2026, 11, 1))
    assert [(v.video_id, v.views, v.gained) for v in data.videos] == [
        (A, 76050, 76050 - 50 * 31 * 31), (B, 15600, 15600 - 400 * 31),
        (C, 1175, 1175 - (30 * 31 + 5))]
    assert list(data.series) == [A, B, C]
    assert data.series[A][0] == (date(2026, 11, 1), 50 * 31 * 31)
    assert data.growth[0] == (date(2026, 11, 1), 50 * (31 * 31 - 30 * 30) + 400 + 30)
    assert data.countries == [("MA", 61000), ("FR", 7000)]


@pytest.fixture(scope="module")
def written(history):
    runner = CliRunner()
    env = {"CAPSULE_CONFIG": str(history / "none.toml"),
           "CAPSULE_DATA_DIR": str(history / "data")}
    out = history / "out"
    result = runner.invoke(main, ["stats", "report", "-o", str(out / "report.html"), "--png",
                                  str(out / "chart.png")], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "3 capsule(s)" in result.stderr
    return out


def test_report_is_self_contained(written):
    text = (written / "report.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in written.iterdir()) == ["chart.png", "report.html"]
    assert text.count("<svg") == 4  # views, growth, top capsules, countries
    assert "<script" not in text and "<link" not in text and "<img" not in text
    # Nothing to fetch: the only URLs are XML namespace names.
    urls = set(re.findall(r"https?://[^\s\"')<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
                    "http://purl.org/dc/elements/1.1/", "http://creativecommons.org/ns#",
                    "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert "Reconnaître la traite &lt;des êtres humains&gt;" in text
    assert '<td dir=auto>الاتجار بالبشر</td>' in text
    # Two charts in one page must not share element ids.
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


def test_png_chart_shows_the_series(written):
    image = Image.open(written / "chart.png")
    assert image.format == "PNG" and image.width >= 1200
    assert len(color_pixels(image, SERIES_COLORS[0])) > 1500
    assert len(color_pixels(image, SERIES_COLORS[1])) > 1500


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed here (apt-get install "
                                                "chromium; CI installs it)")
def test_report_renders_in_headless_chromium(written, tmp_path):
    shot = tmp_path / "shot.png"
    page = (written / "report.html").resolve().as_uri()
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", page],
        check=True, capture_output=True, timeout=90)
    image = Image.open(shot)
    assert image.size == (1280, 2000)
    line = color_pixels(image, SERIES_COLORS[0])
    bars = color_pixels(image, GROWTH_COLOR)
    # The first capsule's line is drawn across the main chart (the first figure on the page)...
    assert len(line) > 800
    xs, ys = line[:, 0], line[:, 1]
    assert xs.max() - xs.min() > 600 and ys.max() < 900
    # ...and the daily growth bars below it.
    assert len(bars) > 2000
    assert bars[:, 1].min() > ys.min()
