"""The campaign report a partner can read: one self-contained HTML page and the same page as PDF.

HTML: inline CSS, charts as inline SVG, the bundled Noto faces embedded (subset to the page's
characters with fontTools), no script, nothing fetched: it opens offline and reads the same on
any machine. `dir="rtl"` when the report is in Arabic; every title cell `dir="auto"`, so an
Arabic title reads right-to-left in a French report and a French one left-to-right in an
Arabic report.

PDF: headless Chromium prints that very page (`--print-to-pdf`). Chosen over a pure-Python PDF
(matplotlib's PDF backend, reportlab) because the PDF must carry the same content as the HTML:
tables, Arabic paragraphs and mixed-direction cells need a real text-layout engine (Chromium
shapes with HarfBuzz), and printing the page we already write keeps one source for both.
Chromium is found as `chromium`/`chromium-browser`/`google-chrome` or `CAPSULE_CHROMIUM`.

Day one (a single collection, no Analytics) shows numbers, not a time axis: the daily chart
needs two days. Over years, the daily line is drawn with its 7-day mean and month ticks.
"""

from __future__ import annotations

import base64
import html
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from captions.fonts import FONT_DIR
from config.atomic import write_bytes, write_text
from config.i18n import _
from publish.errors import CapsuleError
from publish.journal import Journal
from publish.stats import charts
from publish.stats.campaign import CampaignData, Group, load_campaign
from publish.stats.vocabulary import Words

TOP_CAPSULES = 12
TOP_ROWS = 10  # countries, traffic sources in the charts

_FACES = (  # (bundled file, weight, unicode-range or None for the default face)
    ("NotoSans-Regular.ttf", 400, None),
    ("NotoSans-Bold.ttf", 700, None),
    ("NotoSansArabic-Regular.ttf", 400, "U+0600-06FF, U+0750-077F, U+08A0-08FF, U+FB50-FDFF, "
                                        "U+FE70-FEFF"),
    ("NotoSansArabic-Bold.ttf", 700, "U+0600-06FF, U+0750-077F, U+08A0-08FF, U+FB50-FDFF, "
                                     "U+FE70-FEFF"),
    ("NotoSansTifinagh-Regular.ttf", 400, "U+2D30-2D7F"),
)


class ReportError(CapsuleError):
    """The PDF cannot be printed (no Chromium, or it failed): names what to install or do."""


@dataclass(frozen=True)
class CampaignReportSummary:
    html_path: Path
    pdf_path: Path | None
    png_path: Path | None
    videos: int
    views: int
    day_one: bool


# Fonts ---------------------------------------------------------------------------------------

def font_faces(text: str) -> str:
    """@font-face rules embedding the bundled faces, each subset to the characters of `text`."""
    from fontTools import subset
    from fontTools.ttLib import TTFont


    chars = set(text) | set("0123456789 .,:;%+-—–()")
    rules = []
    for name, weight, ranges in _FACES:
        font = TTFont(FONT_DIR / name, lazy=True)
        cmap = font.getBestCmap()
        wanted = {ord(c) for c in chars if ord(c) in cmap}
        if not wanted:
            continue
        options = subset.Options()
        # Arabic keeps every feature (joining: init, medi, fina, rlig…). Latin and Tifinagh
        # need none to read right (accented letters are precomposed glyphs): dropping their
        # layout tables saves most of a second of subsetting Noto Sans's GPOS.
        if "Arabic" in name:
            options.layout_features = ["*"]
        else:
            options.layout_features = []
            options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        options.hinting = False
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        extra = f" unicode-range: {ranges};" if ranges else ""
        rules.append(f"@font-face {{ font-family: 'Capsule Noto'; font-weight: {weight}; "
                     f"src: url(data:font/ttf;base64,{data}) format('truetype');{extra} }}")
    return "\n".join(rules)


# Charts --------------------------------------------------------------------------------------

def version_label(group: Group, words: Words) -> str:
    variant, _, language = group.key.partition("\t")
    parts = [words.variant(variant)]
    if language:
        parts.append(words.language_name(language))
    return " · ".join(parts)


def day_one(data: CampaignData) -> bool:
    """Only one day of public counters and no Analytics: figures as of that day, no axis."""
    return not data.has_analytics and data.snapshot_days < 2


def build_charts(data: CampaignData, words: Words) -> list[tuple[str, object]]:
    """(key, figure) of every chart the data supports, the capsules chart first."""
    first_day = day_one(data)
    out = []
    capsules = data.capsules(words.lang)[:TOP_CAPSULES]
    if capsules:
        if first_day:
            lifetime = {v.video_id: v.lifetime_views or 0 for v in data.videos}
            values = [sum(lifetime[v] for v in g.videos) for g in capsules]
            out.append(("capsules", charts.bar_chart(
                words["capsules"] + " — " + words["lifetime_views"],
                [g.label for g in capsules], values, None, words)))
        else:
            out.append(("capsules", charts.bar_chart(
                words["capsules"] + " — " + words["period_views"], [g.label for g in capsules],
                [g.current.views for g in capsules], [g.previous.views for g in capsules],
                words)))
    if len(data.daily) >= 2:
        out.append(("daily", charts.daily_chart(words["daily_views"], data.daily,
                                                data.previous_daily,
                                                data.since - data.previous_since, words)))
    versions = data.versions()
    if len(versions) > 1 and not first_day:
        out.append(("versions", charts.bar_chart(
            words["versions"], [version_label(g, words) for g in versions],
            [g.current.views for g in versions], [g.previous.views for g in versions], words)))
    for key, table, name in (("countries", data.countries, words.country),
                             ("traffic", data.traffic, words.traffic),
                             ("devices", data.devices, words.device)):
        rows = [(k, v) for k, v in table.items() if v[0] or v[1]][:TOP_ROWS]
        if rows:
            out.append((key, charts.bar_chart(
                words[key], [name(k) for k, _ in rows], [v[0] for _, v in rows],
                [v[1] for _, v in rows], words)))
    if data.retention:
        groups = {g.key: g for g in versions}
        curves = []
        for (variant, language), points in sorted(data.retention.items()):
            group = groups.get(f"{variant}\t{language}")
            name = version_label(group, words) if group else words.variant(variant)
            curves.append((name, points))
        out.append(("retention", charts.retention_chart(words["retention"], curves, words)))
    return out


# HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: 'Capsule Noto', sans-serif; margin: 2rem auto; max-width: 1050px;
       color: #222; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.25rem; }
.meta { color: #555; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
         gap: .8rem; margin: 1.2rem 0; }
.card { border: 1px solid #d8dde3; border-radius: 8px; padding: .7rem 1rem; }
.card b { display: block; font-size: 1.45rem; } .card small { color: #555; display: block; }
.note { background: #f4f6f8; border-radius: 6px; padding: .6rem 1rem; color: #333; }
figure { margin: 1.2rem 0; break-inside: avoid; } figure svg { width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .6rem 0 1.2rem;
        break-inside: auto; }
tr { break-inside: avoid; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #e6e9ec; text-align: start; }
td.n, th.n { text-align: end; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; } th { font-weight: 600; font-size: .85em; vertical-align: bottom; }
code { font-size: .85em; }
@page { size: A4; margin: 14mm 12mm; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; }
               h2 { break-after: avoid; } table { font-size: 8.5pt; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _num(words: Words, value: float | None, digits: int = 0) -> str:
    return f"<bdi>{_e(words.number(value, digits))}</bdi>"


def _pct(words: Words, value: float | None) -> str:
    return f"<bdi>{_e(words.percent(value))}</bdi>"


def _change(words: Words, now: float | None, before: float | None) -> str:
    return f'<bdi dir="ltr">{_e(words.change(now, before))}</bdi>'


def _summary(data: CampaignData, words: Words) -> str:
    total = data.total()
    previous = data.total("previous")
    capsules = data.capsules(words.lang)
    first = day_one(data)
    if first:
        lifetime = {v.video_id: v.lifetime_views or 0 for v in data.videos}
        best = max(capsules, key=lambda g: sum(lifetime[v] for v in g.videos), default=None)
    else:
        best = capsules[0] if capsules and capsules[0].current.views else None
    reach = [(k, v[0]) for k, v in data.countries.items() if v[0]][:3]
    all_country = sum(v[0] for v in data.countries.values()) or 0
    reach_text = " · ".join(
        f"{_e(words.country(k))} <bdi>{_e(words.percent(v / all_country, 0))}</bdi>"
        for k, v in reach) if reach else "—"
    cards = [
        (words["lifetime_views"], _num(words, data.lifetime_views()), ""),
        (words["period_views"], "—" if first else _num(words, total.views),
         "" if first else f'{_e(words["previous"])}: {_num(words, previous.views)} '
                          f'({_change(words, total.views, previous.views)})'),
        (words["watch_time"], _num(words, total.minutes / 60, 1) if data.has_analytics else "—",
         f'{_e(words["previous"])}: {_num(words, previous.minutes / 60, 1)}'
         if data.has_analytics else ""),
        (words["reach"], reach_text, ""),
        (words["best"], f'<span dir="auto">{_e(best.label)}</span>' if best else "—", ""),
        (words["completion"], _pct(words, total.completion), ""),
        (words["average_viewed"], _pct(words, total.average_viewed), ""),
        (words["subscribers"], _num(words, total.subscribers) if data.has_analytics else "—",
         ""),
    ]
    out = ['<div class="cards">']
    for name, value, small in cards:
        out.append(f'<div class="card">{_e(name)}<b>{value}</b>'
                   + (f"<small>{small}</small>" if small else "") + "</div>")
    out.append("</div>")
    if first:
        when = words.date(date.fromisoformat(data.last_collection[:10])) \
            if data.last_collection else "—"
        out.append(f'<p class="note">{_e(words["one_snapshot"].format(when=when))}</p>')
    elif not data.has_analytics:
        out.append(f'<p class="note">{_e(words["no_analytics"])}</p>')
    return "\n".join(out)


def _group_table(groups: list[Group], words: Words, first_column: str, label,
                 analytics: bool, *, reach: bool = False) -> str:
    """Views against the previous period, watch time, share viewed, completion, lifetime;
    with `reach`, the first country (and how many watched to the end there) and source."""
    rows = []
    for g in groups:
        hours = _num(words, g.current.minutes / 60, 1) if analytics else "—"
        extra = ""
        if reach:
            country, source = g.top("countries"), g.top("traffic")
            where = (f"{_e(words.country(country[0]))} <bdi>{_e(words.percent(country[2], 0))}"
                     "</bdi>" if country else "—")
            finished = _num(words, g.finished_in(country[0])) if country else "—"
            came = (f"{_e(words.traffic(source[0]))} <bdi>{_e(words.percent(source[2], 0))}"
                    "</bdi>" if source else "—")
            extra = f"<td>{where}</td><td class=n>{finished}</td><td>{came}</td>"
        rows.append(
            f'<tr><td dir="auto">{_e(label(g))}</td>'
            f'<td class=n>{_num(words, g.current.views)}</td>'
            f'<td class=n>{_num(words, g.previous.views)}</td>'
            f'<td class=n>{_change(words, g.current.views, g.previous.views)}</td>'
            f'<td class=n>{hours}</td>'
            f'<td class=n>{_pct(words, g.current.average_viewed)}</td>'
            f'<td class=n>{_pct(words, g.current.completion)}</td>{extra}'
            f'<td class=n>{_num(words, g.lifetime_views)}</td></tr>')
    reach_head = (f'<th>{_e(words["top_country"])}</th><th class=n>'
                  f'{_e(words["finished_there"])}</th><th>{_e(words["top_source"])}</th>'
                  if reach else "")
    return (f'<table><thead><tr><th>{_e(first_column)}</th><th class=n>{_e(words["views"])}</th>'
            f'<th class=n>{_e(words["previous"])}</th><th class=n>{_e(words["change"])}</th>'
            f'<th class=n>{_e(words["watch_time"])}</th>'
            f'<th class=n>{_e(words["average_viewed"])}</th>'
            f'<th class=n>{_e(words["completion"])}</th>{reach_head}'
            f'<th class=n>{_e(words["lifetime_views"])}</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _pair_table(table: dict[str, tuple[float, float]], words: Words, first_column: str,
                name) -> str:
    rows = [f'<tr><td>{_e(name(k))}</td><td class=n>{_num(words, now)}</td>'
            f'<td class=n>{_num(words, before)}</td>'
            f'<td class=n>{_change(words, now, before)}</td></tr>'
            for k, (now, before) in table.items() if now or before]
    if not rows:
        return ""
    return (f'<table><thead><tr><th>{_e(first_column)}</th><th class=n>{_e(words["views"])}</th>'
            f'<th class=n>{_e(words["previous"])}</th><th class=n>{_e(words["change"])}</th>'
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_html(data: CampaignData, figures: list[tuple[str, str]], words: Words,
                generated: datetime) -> str:
    """The report page: summary first, then capsules, versions, countries, sources, videos."""
    svgs = dict(figures)
    name = data.campaign or words["all_videos"]
    previous = (f'{words.date(data.previous_since)} – {words.date(data.previous_until)}')
    meta = (f'{_e(words["period"])}: <bdi>{_e(words.date(data.since))} – '
            f'{_e(words.date(data.until))}</bdi> · {_e(words["previous"])}: '
            f'<bdi>{_e(previous)}</bdi><br>{_e(words["generated"])} '
            f'<bdi>{_e(words.date(generated.date()))} {generated:%H:%M} UTC</bdi> · '
            f'{_e(words["last_collection"])}: <bdi>{_e(data.last_collection or "—")}</bdi>')

    def figure(key: str) -> str:
        return f'<figure id="chart-{key}">{svgs[key]}</figure>' if key in svgs else ""

    sections = [f"<h2>{_e(words['summary'])}</h2>", _summary(data, words), figure("daily"),
                f"<h2>{_e(words['capsules'])}</h2>", figure("capsules"),
                _group_table(data.capsules(words.lang), words, words["capsule"], lambda g: g.label,
                             data.has_analytics)]
    versions = data.versions()
    if len(versions) > 1:
        sections += [f"<h2>{_e(words['versions'])}</h2>", figure("versions"),
                     _group_table(versions, words, words["version"],
                                  lambda g: version_label(g, words), data.has_analytics,
                                  reach=data.has_analytics),
                     figure("retention")]
    else:
        sections.append(figure("retention"))
    for key, table, column, namer in (
            ("countries", data.countries, words["country"], words.country),
            ("traffic", data.traffic, words["source"], words.traffic),
            ("devices", data.devices, words["device"], words.device)):
        body = _pair_table(table, words, column, namer)
        if body:
            sections += [f"<h2>{_e(words[key])}</h2>", figure(key), body]
            if key == "countries":
                sections.append(f'<p class="meta">{_e(words["countries_note"])}</p>')
    rows = []
    for v in data.videos:
        state = words["missing"] if v.state == "missing" else ""
        version = version_label(Group((v.variant or "main") + "\t" + (v.language or ""), ""),
                                words)
        rows.append(
            f'<tr><td dir="auto">{_e(v.title or "")}</td><td><code>{_e(v.video_id)}</code></td>'
            f'<td>{_e(version)}</td><td class=n>{_num(words, v.current.views)}</td>'
            f'<td class=n>{_num(words, v.lifetime_views)}</td>'
            f'<td class=n>{_pct(words, v.completion)}</td><td>{_e(state)}</td></tr>')
    sections += [f"<h2>{_e(words['video'])}</h2>",
                 f'<table><thead><tr><th>{_e(words["capsule"])}</th><th>{_e(words["video"])}</th>'
                 f'<th>{_e(words["version"])}</th><th class=n>{_e(words["period_views"])}</th>'
                 f'<th class=n>{_e(words["lifetime_views"])}</th>'
                 f'<th class=n>{_e(words["completion"])}</th><th></th></tr></thead><tbody>'
                 + "".join(rows) + "</tbody></table>"]
    body = "\n".join(s for s in sections if s)
    head_text = f"{words['title']} — {name}"
    page_text = head_text + meta + "".join(s for s in sections if s and not s.startswith(
        "<figure"))
    return f"""<!DOCTYPE html>
<html lang="{words.lang}" dir="{'rtl' if words.rtl else 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(head_text)}</title>
<style>
{font_faces(html.unescape(page_text))}
{_CSS}
</style>
</head>
<body>
<h1>{_e(words['title'])} — <span dir="auto">{_e(name)}</span></h1>
<p class="meta">{meta}</p>
{body}
</body>
</html>
"""


# PDF -----------------------------------------------------------------------------------------

def chromium() -> str | None:
    found = os.environ.get("CAPSULE_CHROMIUM")
    if found:
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120) -> None:
    """Print the written HTML page to PDF with headless Chromium (written atomically)."""
    browser = chromium()
    if browser is None:
        raise ReportError(_("--pdf needs Chromium to print the report: install it "
                            "(apt-get install chromium) or set CAPSULE_CHROMIUM to its "
                            "path; the HTML report {html_path} is written").format(
                              html_path=html_path))
    with tempfile.TemporaryDirectory(prefix="capsule-pdf-") as tmp:
        out = Path(tmp) / "report.pdf"
        try:
            done = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", f"--user-data-dir={Path(tmp) / 'profile'}",
                 "--no-pdf-header-footer", f"--print-to-pdf={out}",
                 Path(html_path).resolve().as_uri()],
                capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(_("Chromium ({browser}) could not print {html_path}: {exc}").format(
                                  browser=browser, html_path=html_path, exc=exc)) from exc
        if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise ReportError(f"Chromium ({browser}) failed to print {html_path} "
                              f"(exit {done.returncode}) {detail[0]}".strip())
        write_bytes(pdf_path, out.read_bytes())


# Entry point ---------------------------------------------------------------------------------

def write_campaign_report(journal: Journal, html_path: Path, *, campaign: str | None = None,
                          since: date | None = None, until: date | None = None,
                          lang: str = "fr", pdf_path: Path | None = None,
                          png_path: Path | None = None,
                          now: datetime | None = None) -> CampaignReportSummary:
    """Load the period, draw the charts, write HTML (and PDF, PNG of the capsules chart)."""
    words = Words(lang)
    data = load_campaign(journal, campaign, since, until)
    figures = build_charts(data, words)
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    page = render_html(data, [(k, charts.svg_of(f, k)) for k, f in figures], words, generated)
    write_text(html_path, page)
    if png_path is not None and figures:
        write_bytes(png_path, charts.png_of(figures[0][1]))
    if pdf_path is not None:
        print_pdf(Path(html_path), pdf_path)
    return CampaignReportSummary(Path(html_path), Path(pdf_path) if pdf_path else None,
                                 Path(png_path) if png_path and figures else None,
                                 len(data.videos), data.total().views, day_one(data))
