"""Cues are placed without drawing, then drawn by the burn while ffmpeg encodes (issue 11).

The planning pass (captions.render.iter_placements) gives every cue's box from the fonts'
metrics; `draw` must paint inside that box without losing ink, and the burn must start
ffmpeg before drawing any cue, draw each once and keep only the cues still showing.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import weakref
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from captions import render
from captions.burn import burn_overlays
from captions.model import Cue, Span, Track
from captions.render import iter_placements, render_overlays
from captions.style import Style

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

RED, GREEN = (255, 0, 0), (0, 255, 0)
FR = ["Ensemble contre la traite", "jpgqy ÀÉÎ « Ça » ?", "Appelez le numéro vert\nc'est gratuit"]
AR = ["اتصلوا بالرقم 0800 00 88 00 مجانًا", "إِنَّ مَعَ الْعُسْرِ يُسْرًا", "ONUDC: تقرير سنة 2024"]
ZGH = ["ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ̇ ⵣ̇", "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ"]


def track(language: str, texts: list[str], *, step: int = 1000, length: int = 1300) -> Track:
    """Cues `step` ms apart, each `length` long (longer than `step`: neighbours overlap and
    stack), every third at the top, one with bold, italic and coloured spans."""
    cues = []
    for i in range(6):
        text = texts[i % len(texts)]
        lines = [[Span(line)] for line in text.split("\n")]
        if i == 4:
            lines = [[Span("Gras ", bold=True), Span("penché ", italic=True),
                      Span(text.split()[0], color=RED)]]
        cues.append(Cue(i + 1, i * step, i * step + length, lines, top=i % 3 == 2))
    return Track(None, language, cues)


def ink_on_whole_canvas(placement) -> tuple:
    """The cue drawn on its whole canvas (no box), cropped to its ink, and where that lands."""
    cue = placement.cue
    setter = render._Typesetter(cue.language, cue.style, cue.size)
    measured = render._measure(cue.set_lines, setter, cue.style)
    whole = dataclasses.replace(measured, box=(0, 0, *measured.canvas))
    image, (x, y) = render._paint(whole, cue.language, cue.style)
    return image, cue.x + x - measured.box[0], cue.y + y - measured.box[1]


@pytest.mark.parametrize("kind", ["outline", "box"])
def test_planned_boxes_hold_exactly_what_is_drawn(kind):
    """Arabic with numbers, Tifinagh with combining marks, two tracks, cues colliding inside a
    track, top cues, on three frame shapes: every drawn cue lies inside its planned box, the
    box cut no ink, its top and bottom are the ink's to a pixel, and the preview is the same."""
    style = Style(kind=kind)
    for (w, h), languages in (((640, 360), ("fr", "ar")), ((360, 640), ("ar", "zgh")),
                              ((320, 240), ("zgh", "fr"))):
        texts = {"fr": FR, "ar": AR, "zgh": ZGH}
        tracks = [track(lang, texts[lang], step=1000 + 200 * k)
                  for k, lang in enumerate(languages)]
        placements = list(iter_placements(tracks, w, h, style))
        assert len(placements) == 12
        drawn = [p.draw() for p in placements]
        preview = render_overlays(tracks, w, h, style)
        assert [(o.x, o.y, o.image.tobytes()) for o in drawn] == [
            (o.x, o.y, o.image.tobytes()) for o in preview]
        for p, o in zip(placements, drawn, strict=True):
            what = (w, h, p.track_index, p.cue_index)
            assert p.x <= o.x and o.x + o.image.width <= p.x + p.width, what
            assert p.y <= o.y and o.y + o.image.height <= p.y + p.height, what
            assert o.y - p.y <= 1 and p.y + p.height - (o.y + o.image.height) <= 1, what
            whole, x, y = ink_on_whole_canvas(p)
            assert (x, y) == (o.x, o.y) and whole.tobytes() == o.image.tobytes(), what
        for a in placements:  # boxes showing at the same time never meet
            for b in placements:
                if a is not b and a.start_ms < b.end_ms and b.start_ms < a.end_ms:
                    assert (a.x + a.width <= b.x or b.x + b.width <= a.x
                            or a.y + a.height <= b.y or b.y + b.height <= a.y), (
                        (w, h), a.track_index, a.cue_index, b.track_index, b.cue_index)


def _ffmpeg_children() -> list[int]:
    """ffmpeg processes whose parent is this test process (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == os.getpid() and b"ffmpeg" in cmdline:
            found.append(int(entry.name))
    return found


class Watched:
    """A real placement whose drawing is noted: whether the burn's ffmpeg already runs, and
    how many cues drawn before are still held in memory."""

    def __init__(self, placement, log: list, images: list) -> None:
        self.placement, self.log, self.images = placement, log, images

    def __getattr__(self, name):
        return getattr(self.placement, name)

    def draw(self):
        alive = sum(ref() is not None for ref in self.images)
        self.log.append((self.placement.track_index, self.placement.cue_index,
                         bool(_ffmpeg_children()), alive))
        overlay = self.placement.draw()
        self.images.append(weakref.ref(overlay.image))
        return overlay


def _most_at_once(placements) -> int:
    return max(sum(q.start_ms <= p.start_ms < q.end_ms for q in placements) for p in placements)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("piped", [True, False], ids=["named-pipes", "written-first"])
def test_ffmpeg_starts_before_cues_are_drawn_each_once_and_dropped(tmp_path, monkeypatch,
                                                                   piped):
    """Two tracks of overlapping cues and top cues (two lanes) over 6 s: with named pipes, no
    cue is drawn before ffmpeg runs, each is drawn once, and at each drawing the cues still held
    are at most those a lane shows at once. Without them (Windows), the pictures are written
    first, each cue still drawn once. The burned frames are the preview's."""
    if not piped:
        monkeypatch.delattr(os, "mkfifo")
    src = media.make_clip(tmp_path / "src.mp4", seconds=6, audio=None)
    tracks = [track("fr", FR, step=900, length=1200), track("ar", AR, step=1000, length=900)]
    style = Style()
    placements = list(iter_placements(tracks, 320, 180, style))
    log: list = []
    images: list = []
    out = tmp_path / "out.mp4"
    result = burn_overlays(src, [Watched(p, log, images) for p in placements], out,
                           preset="ultrafast", crf=8)
    assert result.cues_burned == len(placements) == 12
    assert Counter((t, c) for t, c, _, _ in log) == Counter(
        (p.track_index, p.cue_index) for p in placements)  # each drawn once
    # named pipes: ffmpeg runs before the first cue is drawn; written first: before it runs
    assert [running for _, _, running, _ in log] == [piped] * len(log)
    top = [p for p in placements if p.y + p.height / 2 < 90]  # the burn's two lanes
    bottom = [p for p in placements if p.y + p.height / 2 >= 90]
    assert top and bottom
    assert max(alive for _, _, _, alive in log) <= _most_at_once(top) + _most_at_once(bottom)

    frames = media.decode_frames(out)
    source = media.decode_frames(src)
    overlays = render_overlays(tracks, 320, 180, style)
    from PIL import Image

    for n in range(0, len(frames), 7):
        preview = np.asarray(render.composite(Image.fromarray(source[n]), overlays, n * 40))
        assert np.abs(frames[n].astype(int) - preview.astype(int)).mean() < 2.5, n
        shown = [o for o in overlays if o.start_ms <= n * 40 < o.end_ms]
        if shown:
            assert np.abs(frames[n].astype(int) - source[n].astype(int)).mean() > 0.5, n
