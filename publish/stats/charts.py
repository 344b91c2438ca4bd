"""The campaign report's charts: matplotlib for marks and numbers, capsule's renderer for words.

matplotlib draws text glyph by glyph: Arabic comes out unjoined and left-to-right, Tifinagh as
empty boxes. So no word is ever given to matplotlib here: titles, category labels and legends
are drawn by captions.label (raqm shaping, bidi, bundled Noto fonts) and placed as images;
matplotlib only draws bars, lines and the numbers on the axes (Latin digits, in every report
language). Layout is computed in inches from the label images, so nothing is clipped whatever
the length or script of a title.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, timedelta

from captions.label import render_label
from publish.stats.vocabulary import Words

SS = 4  # label images are drawn at 4 px per point: sharp in a 150-dpi PNG and in print
CURRENT = "#1f6fb4"
PREVIOUS = "#b8c7d9"
LINE_COLORS = ("#1f6fb4", "#e4572e", "#2a9d43", "#8e44ad", "#d4a017", "#17a2b8")
TEXT = (34, 34, 34)
MUTED = (102, 102, 102)
WIDTH_IN = 8.0


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def label_image(text: str, points: float, color=TEXT, bold: bool = False):
    """(RGBA array, width in, height in) of `text` at `points` (shaped by captions)."""
    import numpy as np


    image = render_label(text, points * SS, color, bold=bold)
    return np.asarray(image), image.width / SS / 72, image.height / SS / 72


def _place(fig, array, x: float, y: float, align: tuple[float, float]) -> None:
    """Put a label image with its `align` point (0-1, 0-1 of the image) at figure (x, y)."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    box = AnnotationBbox(OffsetImage(array, zoom=1 / SS, resample=True), (x, y),
                         xycoords="figure fraction", box_alignment=align, frameon=False,
                         pad=0)
    fig.add_artist(box)


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9, colors="#444444")


def _number_axis(ax, words: Words, axis: str) -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda x, _pos: words.number(x))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _title(fig, title: str, words: Words, height: float) -> float:
    """Draw the chart title at the top (right-aligned in Arabic); its height in inches."""
    array, _, h = label_image(title, 13, bold=True)
    x = 0.99 if words.rtl else 0.01
    _place(fig, array, x, 1 - 0.08 / height, (1 if words.rtl else 0, 1))
    return h + 0.12


def _legend(fig, entries: Sequence[tuple[str, str]], words: Words, y_in: float,
            height: float) -> None:
    """Colour swatches and shaped names in one row under the title."""
    from matplotlib.patches import Rectangle

    x_in = 0.15
    for color, text in entries:
        array, w, _ = label_image(text, 9, MUTED)
        y = 1 - y_in / height
        fig.add_artist(Rectangle((x_in / WIDTH_IN, y - 0.05 / height), 0.22 / WIDTH_IN,
                                 0.1 / height, color=color, transform=fig.transFigure))
        _place(fig, array, (x_in + 0.28) / WIDTH_IN, y, (0, 0.5))
        x_in += 0.28 + w + 0.3


def bar_chart(title: str, labels: Sequence[str], current: Sequence[float],
              previous: Sequence[float] | None, words: Words, *, percent: bool = False):
    """Horizontal bars, one per label (most first), the previous period as a lighter bar."""
    n = max(len(labels), 1)
    images = [label_image(text, 10) for text in labels]
    label_w = max([w for _, w, _ in images] + [0.5])
    label_w = min(label_w, WIDTH_IN * 0.45)
    row = 0.42 if previous is not None else 0.34
    top = 0.75 if previous is not None else 0.5
    height = top + 0.55 + row * n
    fig = _figure(WIDTH_IN, height)
    title_h = _title(fig, title, words, height)
    top = max(top, title_h + (0.3 if previous is not None else 0.05))
    height = top + 0.55 + row * n
    fig.set_size_inches(WIDTH_IN, height)
    left = label_w + 0.25
    ax = fig.add_axes([left / WIDTH_IN, 0.45 / height, 1 - (left + 0.35) / WIDTH_IN,
                       (row * n) / height])
    ys = list(range(len(labels)))[::-1]
    if previous is not None:
        ax.barh([y + 0.2 for y in ys], previous, height=0.38, color=PREVIOUS)
        ax.barh([y - 0.2 for y in ys], current, height=0.38, color=CURRENT)
        _legend(fig, [(CURRENT, words["this_period"]), (PREVIOUS, words["previous"])],
                words, title_h + 0.12, height)
    else:
        ax.barh(ys, current, height=0.6, color=CURRENT)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_yticks([])
    _style(ax)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    if percent:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: words.percent(x, 0)))
    else:
        _number_axis(ax, words, "x")
    bottom, span = 0.45 / height, (row * n) / height
    for y, (array, _, _) in zip(ys, images, strict=True):
        frac = bottom + span * (y + 0.6) / (len(labels) + 0.2)
        _place(fig, array, (left - 0.1) / WIDTH_IN, frac, (1, 0.5))
    return fig


def _date_axis(ax, days: Sequence[date], words: Words) -> None:
    """Date ticks in the report's language; Arabic as digits (matplotlib cannot shape words)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    span = (days[-1] - days[0]).days if days else 0
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)

    def fmt(x, _pos):
        d = mdates.num2date(x).date()
        if words.rtl:
            return f"{d.month}/{d.year}" if span > 400 else f"{d.day}/{d.month}"
        return words.month(d) if span > 400 else f"{d.day} {words.date(d).split(' ')[1]}"

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))


def daily_chart(title: str, daily: Sequence[tuple[date, int]],
                previous: Sequence[tuple[date, int]], shift: timedelta, words: Words):
    """Views per day, the previous period drawn on the same days (shifted) for comparison.

    Only called with two days or more; over a long period (year three) a thin daily line and
    its 7-day mean stay readable where bars would not.
    """
    height = 3.6
    fig = _figure(WIDTH_IN, height)
    title_h = _title(fig, title, words, height)
    ax = fig.add_axes([0.8 / WIDTH_IN, 0.45 / height, 1 - 1.1 / WIDTH_IN,
                       1 - (title_h + 0.45 + 0.45) / height])
    days = [d for d, _ in daily]
    views = [v for _, v in daily]
    entries = [(CURRENT, words["this_period"])]
    if previous and daily:  # the period before, moved by its length onto the current dates
        ax.plot([d + shift for d, _ in previous], [v for _, v in previous],
                color=PREVIOUS, linewidth=1.6, linestyle="--")
        entries.append((PREVIOUS, words["previous"]))
    if len(daily) > 60:
        ax.plot(days, views, color=CURRENT, linewidth=0.6, alpha=0.5)
        mean = [sum(views[max(0, i - 6):i + 1]) / len(views[max(0, i - 6):i + 1])
                for i in range(len(views))]
        ax.plot(days, mean, color=CURRENT, linewidth=2.2)
    else:
        ax.plot(days, views, color=CURRENT, linewidth=2.4, marker="o", markersize=3)
    _legend(fig, entries, words, title_h + 0.12, height)
    _style(ax)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_ylim(bottom=0)
    _number_axis(ax, words, "y")
    _date_axis(ax, days, words)
    return fig


def retention_chart(title: str, curves: Sequence[tuple[str, Sequence[tuple[float, float]]]],
                    words: Words):
    """Share of viewers still watching along the video, one line per version."""
    from matplotlib.ticker import FuncFormatter

    height = 3.6
    fig = _figure(WIDTH_IN, height)
    title_h = _title(fig, title, words, height)
    ax = fig.add_axes([0.8 / WIDTH_IN, 0.45 / height, 1 - 1.1 / WIDTH_IN,
                       1 - (title_h + 0.45 + 0.45) / height])
    entries = []
    for i, (name, points) in enumerate(curves):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        ax.plot([r for r, _ in points], [w for _, w in points], color=color, linewidth=2.2)
        entries.append((color, name))
    _legend(fig, entries, words, title_h + 0.12, height)
    _style(ax)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: words.percent(x, 0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: words.percent(x, 0)))
    return fig


def svg_of(fig, salt: str) -> str:
    """A figure as an inline <svg> (numbers as paths, labels as embedded PNG; ids salted)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": salt,
                                "svg.image_inline": True}):
        fig.savefig(buf, format="svg",
                    metadata={"Date": None, "Creator": None, "Type": None, "Format": None})
    text = buf.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{salt}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{salt}-\1"', text)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{salt}-\1)", text)


def png_of(fig, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
