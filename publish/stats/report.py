"""The statistics report: one self-contained HTML file (inline SVG charts, inline CSS, no script,
nothing fetched when it opens) and, for slides and e-mails, the main chart as a PNG.

Charts are drawn by matplotlib's object API (no pyplot state, Agg canvas). Chart labels use
matplotlib's default font, which has no Arabic or Tifinagh shaping: capsules whose titles need it
are labelled by video id in charts, and by their full title in the HTML tables, where the browser
shapes the text.
"""

from __future__ import annotations

import html
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from config.atomic import write_bytes, write_text
from publish.journal import Journal

SERIES_COLORS = ("#1f6fb4", "#e4572e", "#2a9d43", "#8e44ad", "#d4a017", "#17a2b8", "#c2185b",
                 "#5d6d7e")
"""Line colours, first = the most viewed capsule; the browser test looks for the first one."""
GROWTH_COLOR = "#66a61e"
BAR_COLOR = "#355c7d"
COUNTRY_COLOR = "#d95f02"
TOP_SERIES = 8  # lines in the main chart
TOP_BARS = 10  # capsules in the top chart
TOP_COUNTRIES = 15

# YouTube changed how it counts views (youtube-api.md §8): marked on the main chart.
COUNTING_CHANGES = ((date(2025, 3, 31), "Shorts counted on play"),
                    (date(2026, 8, 27), "views counted at playback start"))


@dataclass(frozen=True)
class VideoTotals:
    video_id: str
    title: str | None
    state: str | None  # tracked | missing | untracked | None (history of an unknown video)
    views: int | None
    likes: int | None
    comments: int | None
    gained: int | None  # views gained within the report period
    last_collected: str


@dataclass
class ReportData:
    generated_at: str
    since: date | None
    videos: list[VideoTotals]  # most viewed first
    series: dict[str, list[tuple[date, int]]]  # the top capsules' daily views
    growth: list[tuple[date, int]]  # views gained per day, all capsules
    countries: list[tuple[str, int]] = field(default_factory=list)
    last_collection: str | None = None

    @property
    def total_views(self) -> int:
        return sum(v.views or 0 for v in self.videos)


@dataclass(frozen=True)
class ReportSummary:
    html_path: Path
    png_path: Path | None
    videos: int
    days: int
    total_views: int


# Data ----------------------------------------------------------------------------------------

def load_report_data(journal: Journal, since: date | None = None,
                     now: datetime | None = None) -> ReportData:
    """Everything the report shows, from ONE ordered pass over the snapshots.

    Window functions over the whole history took 4x longer than this pass on 365,000 rows
    (benchmarks/stats.py): per video, the day's last snapshot, the first one in the period
    and the latest one all fall out of rows sorted by (video_id, collected_at).
    """
    conn = journal.conn
    since_text = since.isoformat() if since else ""
    known = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT video_id, title, state FROM tracked_videos")}
    videos: list[VideoTotals] = []
    daily_by_video: dict[str, list[tuple[str, int]]] = {}
    growth: dict[str, int] = {}
    rows = conn.execute("SELECT video_id, collected_at, views, likes, comments "
                        "FROM stat_snapshots ORDER BY video_id, collected_at")
    for vid, group in itertools.groupby(rows, key=lambda r: r[0]):
        snaps = list(group)
        last = snaps[-1]
        baseline = next((r[2] for r in snaps if r[1] >= since_text and r[2] is not None), None)
        days: dict[str, int] = {}
        for _, at, views, _, _ in snaps:
            if views is not None:
                days[at[:10]] = views  # the day's last snapshot wins
        daily = list(days.items())
        for (_, before), (day, after) in itertools.pairwise(daily):
            if day >= since_text:
                growth[day] = growth.get(day, 0) + after - before
        daily_by_video[vid] = [(d, v) for d, v in daily if d >= since_text]
        title, state = known.get(vid, (None, None))
        gained = None if last[2] is None or baseline is None else last[2] - baseline
        videos.append(VideoTotals(vid, title, state, last[2], last[3], last[4], gained, last[1]))
    videos.sort(key=lambda v: (-(v.views or 0), v.video_id))
    series = {v.video_id: [(date.fromisoformat(d), n) for d, n in daily_by_video[v.video_id]]
              for v in videos[:TOP_SERIES]}
    countries = [(c, int(v or 0)) for c, v in conn.execute(
        "SELECT country, sum(views) AS views FROM analytics_countries GROUP BY country "
        "ORDER BY views DESC, country")]
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    last_collection = max((v.last_collected for v in videos), default=None)
    return ReportData(stamp, since, videos, series,
                      [(date.fromisoformat(d), g) for d, g in sorted(growth.items())],
                      countries, last_collection)


# Charts --------------------------------------------------------------------------------------

def _label(video: VideoTotals, width: int = 38) -> str:
    """The title when the chart font can draw it (Latin-based scripts), else the video id."""
    title = (video.title or "").strip()
    if not title or any(ord(ch) >= 0x0370 for ch in title):
        return video.video_id
    return title if len(title) <= width else title[: width - 1] + "…"


def _figure(width: float = 10.0, height: float = 4.2):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _style(ax, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _thousands(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda x, _pos: f"{x:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _dates(ax) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def views_chart(data: ReportData):
    """The main chart: cumulative views of the most viewed capsules, one line each."""
    fig, ax = _figure()
    by_id = {v.video_id: v for v in data.videos}
    drawn = 0
    for i, (vid, points) in enumerate(data.series.items()):
        if not points:
            continue
        days, views = zip(*points, strict=True)
        ax.plot(days, views, color=SERIES_COLORS[i % len(SERIES_COLORS)], linewidth=2.6,
                label=_label(by_id[vid]), marker="o" if len(points) == 1 else None)
        drawn += 1
    all_days = [d for pts in data.series.values() for d, _ in pts]
    if all_days:
        for when, what in COUNTING_CHANGES:
            if min(all_days) <= when <= max(all_days):
                ax.axvline(when, color="#999999", linestyle="--", linewidth=1)
                ax.annotate(f"YouTube: {what}", (when, 1), xycoords=("data", "axes fraction"),
                            xytext=(4, -12), textcoords="offset points", fontsize=8,
                            color="#666666")
        _dates(ax)
    _style(ax, "Views over time (most viewed capsules)")
    _thousands(ax)
    if drawn:
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no snapshots yet", ha="center", va="center", transform=ax.transAxes)
    return fig


def growth_chart(data: ReportData):
    fig, ax = _figure(height=3.4)
    if data.growth:
        days, gained = zip(*data.growth, strict=True)
        if len(days) <= 60:
            ax.bar(days, gained, color=GROWTH_COLOR, width=0.8)
        else:  # one filled step shape draws (and weighs) far less than hundreds of bars
            ax.fill_between(days, gained, step="mid", color=GROWTH_COLOR, linewidth=0)
        _dates(ax)
    else:
        ax.text(0.5, 0.5, "needs snapshots on two different days", ha="center", va="center",
                transform=ax.transAxes)
    _style(ax, "Views gained per day (all capsules)")
    _thousands(ax)
    return fig


def top_chart(data: ReportData):
    top = [v for v in data.videos if v.views][:TOP_BARS]
    fig, ax = _figure(height=0.9 + 0.38 * max(len(top), 1))
    if top:
        labels = [_label(v, 48) for v in reversed(top)]
        ax.barh(labels, [v.views for v in reversed(top)], color=BAR_COLOR)
        ax.tick_params(axis="y", labelsize=9)
    _style(ax, "Top capsules by views")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    _thousands(ax, "x")
    return fig


def countries_chart(data: ReportData):
    top = data.countries[:TOP_COUNTRIES]
    fig, ax = _figure(height=0.9 + 0.32 * len(top))
    ax.barh([c for c, _ in reversed(top)], [v for _, v in reversed(top)], color=COUNTRY_COLOR)
    _style(ax, "Views by country (YouTube Analytics)")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    _thousands(ax, "x")
    return fig


def svg_of(fig, salt: str) -> str:
    """A figure as an inline <svg> element (text drawn as paths: no font needed to view it).

    The salt keeps the element ids of several charts in one page from colliding.
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg",
                    metadata={"Date": None, "Creator": None, "Type": None, "Format": None})
    text = buf.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = text[text.index("<svg"):]
    # Element ids (glyphs, clip paths) are per document in HTML: prefix them per chart.
    text = re.sub(r'\bid="([^"]+)"', rf'id="{salt}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{salt}-\1"', text)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{salt}-\1)", text)


def png_of(fig, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.meta { color: #666; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1.2rem; min-width: 10rem; }
.card b { display: block; font-size: 1.5rem; }
figure { margin: 1.5rem 0; } figure svg { width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #eee; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #b00020; }
"""


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def render_html(data: ReportData, charts: Sequence[tuple[str, str]]) -> str:
    """The report page from its data and its charts [(caption, <svg…>)]."""
    e = html.escape
    period = f"since {data.since.isoformat()}" if data.since else "whole history"
    cards = [("capsules", _n(len(data.videos))), ("views", _n(data.total_views)),
             ("likes", _n(sum(v.likes or 0 for v in data.videos))),
             ("comments", _n(sum(v.comments or 0 for v in data.videos))),
             ("views gained", _n(sum(v.gained or 0 for v in data.videos)))]
    rows = []
    for rank, v in enumerate(data.videos, 1):
        state = {"missing": "deleted or private", "untracked": "untracked"}.get(v.state or "", "")
        rows.append(
            f"<tr><td class=n>{rank}</td><td dir=auto>{e(v.title or '')}</td>"
            f"<td><code>{e(v.video_id)}</code></td><td class=n>{_n(v.views)}</td>"
            f"<td class=n>{_n(v.gained)}</td><td class=n>{_n(v.likes)}</td>"
            f"<td class=n>{_n(v.comments)}</td><td class=missing>{e(state)}</td></tr>")
    figures = "\n".join(f'<figure aria-label="{e(caption)}">{svg}</figure>'
                        for caption, svg in charts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Capsule views report — {e(data.generated_at)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Capsule views report</h1>
<p class="meta">Generated {e(data.generated_at)} · {e(period)} · last collection
{e(data.last_collection or "never")}</p>
<div class="cards">
{"".join(f'<div class="card"><b>{value}</b>{e(name)}</div>' for name, value in cards)}
</div>
{figures}
<h2>All capsules</h2>
<table>
<thead><tr><th class=n>#</th><th>Title</th><th>Video</th><th class=n>Views</th>
<th class=n>Gained</th><th class=n>Likes</th><th class=n>Comments</th><th></th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def write_report(journal: Journal, html_path: Path, *, png_path: Path | None = None,
                 since: date | None = None, now: datetime | None = None) -> ReportSummary:
    """Build the report from the journal and write it (and the PNG) atomically."""
    data = load_report_data(journal, since, now)
    main_fig = views_chart(data)
    charts = [("Views over time", svg_of(main_fig, "views")),
              ("Views gained per day", svg_of(growth_chart(data), "growth")),
              ("Top capsules", svg_of(top_chart(data), "top"))]
    if data.countries:
        charts.append(("Views by country", svg_of(countries_chart(data), "countries")))
    if png_path is not None:
        write_bytes(png_path, png_of(main_fig))
    write_text(html_path, render_html(data, charts))
    days = len({d for pts in data.series.values() for d, _ in pts} | {d for d, _ in data.growth})
    return ReportSummary(Path(html_path), Path(png_path) if png_path else None,
                         len(data.videos), days, data.total_views)
