"""The campaign report: comparisons equal sums computed here from the raw rows, day one has no
time axis, the page is self-contained, and an Arabic and a Tifinagh title read back from the
chart PNG and from the printed PDF (tesseract for Arabic, template matching for Tifinagh)."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from PIL import Image

from publish.cli import main
from publish.journal import Journal
from publish.stats.campaign import load_campaign
from publish.stats.campaign_report import build_charts, write_campaign_report
from publish.stats.charts import SS
from publish.stats.store import (
    CountryViews,
    DailyAnalytics,
    RetentionPoint,
    Snapshot,
    SourceViews,
    save_analytics,
    save_snapshots,
    track,
)
from publish.stats.vocabulary import Words
from tests.publish.ocr import PDFTOPPM, PDFTOTEXT, TESSERACT, best_match, ocr, pdf_pages, pdf_text

ARABIC = "الاتجار بالبشر"
TIFINAGH = "ⴰⵎⵓⵔⵙ ⵏ ⵉⵎⴷⴰⵏⵏ"
FRENCH = "La traite des êtres humains"
SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 14)
PREVIOUS = date(2026, 10, 18)
# video: (capsule, variant, language, title, campaign)
VIDEOS = {
    "aaaaaaaaaaa": ("traite", "main", "ar", ARABIC, "Traite"),
    "bbbbbbbbbbb": ("traite", "short", "ar", "الاتجار بالبشر — قصير", "Traite"),
    "ccccccccccc": ("traite", "main", "fr", FRENCH, "Traite"),
    "ddddddddddd": ("amurs", "main", "zgh", TIFINAGH, "Traite"),
    "eeeeeeeeeee": ("other", "main", "fr", "Autre campagne", "Autre"),
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def views_of(vid: str, day: date) -> int:
    return 10 * (ord(vid[0]) - 96) + (day.toordinal() % 7) * 3 + (day.day % 5)


def raw_rows():
    """The Analytics rows the journal will hold (28 days: the period and the one before)."""
    daily, countries, sources = [], [], []
    for vid in VIDEOS:
        for i in range(28):
            day = PREVIOUS + timedelta(days=i)
            views = views_of(vid, day)
            daily.append(DailyAnalytics(vid, day.isoformat(), views, views * 0.5, 20.0,
                                        40.0 + i % 3, 2, 1, 1, 3))
            ma = views * 2 // 3
            for country, n in (("MA", ma), ("FR", views - ma)):
                countries.append(CountryViews(vid, country, n, n * 0.5, day.isoformat(),
                                              day.isoformat()))
            search = views // 4
            for value, n in (("YT_SEARCH", search), ("SHORTS" if vid[0] == "b" else "EXT_URL",
                                                     views - search)):
                sources.append(SourceViews(vid, day.isoformat(), "traffic", value, n, n * 0.5))
    retention = [RetentionPoint(vid, r / 100, 1 - r / 200 - (ord(vid[0]) - 97) / 20, 0.5)
                 for vid in VIDEOS for r in range(1, 101)]
    return daily, countries, sources, retention


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign")
    with Journal(root / "data" / "journal.sqlite") as j:
        for vid, (capsule, variant, language, title, campaign) in VIDEOS.items():
            track(j, vid, title=title, campaign=campaign, capsule=capsule, variant=variant,
                  language=language)
        daily, countries, sources, retention = raw_rows()
        save_analytics(j, "2026-11-17T00:00:00Z", daily, countries, sources, retention)
        for d in (0, 14, 27):
            day = PREVIOUS + timedelta(days=d)
            save_snapshots(j, f"{day}T06:00:00Z",
                           [Snapshot(v, 1000 + 100 * d, 5, 1) for v in VIDEOS])
    return root


def in_period(day: str, since: date, until: date) -> bool:
    return since.isoformat() <= day <= until.isoformat()


def test_campaign_comparison_equals_independent_sums(journal_dir):
    with Journal(journal_dir / "data" / "journal.sqlite") as j:
        data = load_campaign(j, "Traite", SINCE, UNTIL)
    daily, countries, sources, _ = raw_rows()
    members = {v for v, spec in VIDEOS.items() if spec[4] == "Traite"}
    assert {v.video_id for v in data.videos} == members
    assert (data.previous_since, data.previous_until) == (PREVIOUS, SINCE - timedelta(days=1))

    def sums(key, rows, since, until):
        out = defaultdict(int)
        for r in rows:
            if r.video_id in members and in_period(r.day if hasattr(r, "day") else r.start_day,
                                                   since, until):
                out[key(r)] += r.views
        return dict(out)

    for which, (since, until) in (("current", (SINCE, UNTIL)),
                                  ("previous", (PREVIOUS, SINCE - timedelta(days=1)))):
        by_capsule = sums(lambda r: VIDEOS[r.video_id][0], daily, since, until)
        assert {g.key: getattr(g, which).views for g in data.capsules()} == by_capsule
        by_version = sums(lambda r: f"{VIDEOS[r.video_id][1]}\t{VIDEOS[r.video_id][2]}", daily,
                          since, until)
        assert {g.key: getattr(g, which).views for g in data.versions()} == by_version
        assert data.total(which).views == sum(by_capsule.values())
        minutes = sum(r.minutes_watched for r in daily
                      if r.video_id in members and in_period(r.day, since, until))
        assert data.total(which).minutes == pytest.approx(minutes)
        index = 0 if which == "current" else 1
        assert {k: v[index] for k, v in data.countries.items()} == pytest.approx(
            sums(lambda r: r.country, countries, since, until))
        assert {k: v[index] for k, v in data.traffic.items() if v[index]} == sums(
            lambda r: r.value, sources, since, until)
    # The Arabic main version vs the French one; the Short's own traffic source.
    versions = {g.key: g for g in data.versions()}
    assert versions["main\tar"].current.views == sum(
        views_of("aaaaaaaaaaa", SINCE + timedelta(days=i)) for i in range(14))
    assert data.traffic["SHORTS"][0] == sum(
        r.views for r in sources if r.value == "SHORTS" and in_period(r.day, SINCE, UNTIL))
    # Completion: each video's end-of-curve share, weighted by its views in the period.
    ends = {v: 1 - 0.5 - (ord(v[0]) - 97) / 20 for v in members}
    weights = {v: sum(r.views for r in daily if r.video_id == v and in_period(r.day, SINCE,
                                                                               UNTIL))
               for v in members}
    assert data.total().completion == pytest.approx(
        sum(ends[v] * weights[v] for v in members) / sum(weights.values()))
    assert [d for d, _ in data.daily] == [SINCE + timedelta(days=i) for i in range(14)]
    # "How many in Morocco watched the Arabic version to the end, and where did they come from?"
    arabic = versions["main\tar"]
    in_morocco = sum(r.views for r in countries if r.video_id == "aaaaaaaaaaa"
                     and r.country == "MA" and in_period(r.start_day, SINCE, UNTIL))
    assert arabic.top("countries")[:2] == ("MA", in_morocco)
    assert arabic.finished_in("MA") == pytest.approx(in_morocco * ends["aaaaaaaaaaa"])
    assert arabic.top("traffic")[0] == "EXT_URL"


def test_day_one_report_shows_numbers_without_a_time_axis(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        track(j, "aaaaaaaaaaa", title=ARABIC, campaign="Traite")
        track(j, "ddddddddddd", title=TIFINAGH, campaign="Traite")
        save_snapshots(j, "2026-11-20T06:00:00Z", [Snapshot("aaaaaaaaaaa", 120, 3, 1),
                                                   Snapshot("ddddddddddd", 45, 1, 0)])
        data = load_campaign(j, "Traite")
        assert [key for key, _ in build_charts(data, Words("en"))] == ["capsules"]
        summary = write_campaign_report(j, tmp_path / "r.html", campaign="Traite", lang="fr",
                                        png_path=tmp_path / "c.png")
    assert summary.day_one
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="chart-daily"' not in page and 'id="chart-capsules"' in page
    assert "Une seule collecte" in page and "20 nov. 2026" in page
    assert "<b><bdi>165</bdi></b>" in page  # views since publication: 120 + 45


def test_report_page_is_self_contained_and_right_to_left(journal_dir):
    out = journal_dir / "out"
    env = {"CAPSULE_CONFIG": str(journal_dir / "none.toml"),
           "CAPSULE_DATA_DIR": str(journal_dir / "data")}
    result = CliRunner().invoke(main, [
        "stats", "report", "--campaign", "Traite", "--since", "2026-11-01", "--until",
        "2026-11-14", "--lang", "ar", "-o", str(out / "ar.html"), "--png", str(out / "c.png")],
        env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    page = (out / "ar.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in page and "تقرير الحملة" in page
    assert f'<td dir="auto">{ARABIC}</td>' in page and f'<td dir="auto">{TIFINAGH}</td>' in page
    assert "<script" not in page and "<link" not in page
    urls = set(re.findall(r"https?://[^\s\"')<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
                    "http://purl.org/dc/elements/1.1/", "http://creativecommons.org/ns#",
                    "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert page.count("@font-face") == 5  # Latin, Arabic (2 weights each), Tifinagh
    for key in ("daily", "capsules", "versions", "countries", "traffic", "retention"):
        assert f'id="chart-{key}"' in page, key
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    bad = CliRunner().invoke(main, ["stats", "report", "--campaign", "Nope", "-o",
                                    str(out / "x.html")], env=env)
    assert bad.exit_code == 3 and "no tracked video belongs to campaign 'Nope'" in bad.stderr


def reference(text: str, points: float = 10, dpi: int = 150) -> Image.Image:
    """A label as the chart draws it: captions' renderer, scaled to the PNG's resolution."""
    from captions.label import render_label

    image = render_label(text, points * SS)
    scale = dpi / 72 / SS
    return image.resize((round(image.width * scale), round(image.height * scale)),
                        Image.LANCZOS)


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and TESSERACT and PDFTOPPM and PDFTOTEXT),
                    reason="needs chromium, tesseract-ocr(-ara) and poppler-utils (.ci/run "
                           "installs them)")
def test_arabic_and_tifinagh_titles_read_back_from_chart_and_pdf(journal_dir, tmp_path):
    with Journal(journal_dir / "data" / "journal.sqlite") as j:
        write_campaign_report(j, tmp_path / "r.html", campaign="Traite", since=SINCE,
                              until=UNTIL, lang="ar", pdf_path=tmp_path / "r.pdf",
                              png_path=tmp_path / "capsules.png")
    chart = Image.open(tmp_path / "capsules.png")
    # Arabic: tesseract reads the joined, right-to-left title off the chart PNG…
    assert ARABIC in ocr(tmp_path / "capsules.png")
    # …Tifinagh (no OCR model exists): the chart holds the shaped label, not boxes.
    assert best_match(chart, reference(TIFINAGH)) > 0.85
    assert best_match(chart, reference(TIFINAGH[::-1])) < 0.75
    # The PDF's text layer gives both titles back (read from the French edition: in a
    # right-to-left page pdftotext returns left-to-right runs in visual order; and it spells
    # the lam-alef ligature of "الاتجار" in visual order, so that word is left to OCR) …
    with Journal(journal_dir / "data" / "journal.sqlite") as j:
        write_campaign_report(j, tmp_path / "fr.html", campaign="Traite", since=SINCE,
                              until=UNTIL, lang="fr", pdf_path=tmp_path / "fr.pdf")
    text = " ".join(pdf_text(tmp_path / "fr.pdf").split())  # cells wrap: one line
    assert "بالبشر" in text and TIFINAGH in text and FRENCH in text
    assert "Rapport de campagne" in text and "Regardé jusqu’au bout" in text
    # … and OCR of the Arabic edition's first printed page reads the Arabic title
    # (page 1: the summary names the best capsule)
    [page] = pdf_pages(tmp_path / "r.pdf", tmp_path, last=1)
    assert ARABIC in ocr(page)
