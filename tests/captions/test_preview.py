"""Preview frames and contact sheets over a real (tiny) video, drawn by the burn's renderer."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from captions.model import Cue, Span, Track
from captions.preview import (
    PreviewError,
    clock,
    contact_sheet,
    parse_time,
    preview_frame,
    save_png,
)
from captions.render import render_overlays
from captions.style import Style
from captions.video import extract_frame

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return media.make_clip(tmp_path_factory.mktemp("preview") / "clip.mp4", seconds=2,
                           audio=None)


def track(language: str, *texts: str, top: bool = False) -> Track:
    cues = [Cue(i + 1, i * 600, i * 600 + 500, [[Span(text)]], top=top)
            for i, text in enumerate(texts)]
    return Track(None, language, cues)


FR = track("fr", "Bonjour à tous", "Vous êtes en danger ?", "Appelez le 5757")
AR = track("ar", "ONUDC: تقرير سنة 2024.", "مرحبا", "إِنَّ مَعَ الْعُسْرِ يُسْرًا")


@pytest.mark.parametrize(("text", "ms"), [
    ("12.5", 12500), ("12", 12000), ("00:00:12.5", 12500), ("00:00:12,500", 12500),
    ("1:02.25", 62250), ("01:00:00", 3_600_000), ("0,5", 500)])
def test_parse_time(text, ms):
    assert parse_time(text) == ms


@pytest.mark.parametrize("text", ["abc", "00:61:00", "-1", "1:2:3:4", ""])
def test_parse_time_rejects(text):
    with pytest.raises(PreviewError, match="is not seconds"):
        parse_time(text)


def test_clock():
    assert clock(62_250) == "00:01:02.250"


def test_preview_draws_the_cue_on_the_real_frame(clip):
    shot = preview_frame(clip, [FR, AR], Style(), at_ms=300)
    raw = np.asarray(extract_frame(clip, 300), dtype=np.int16)
    got = np.asarray(shot.image, dtype=np.int16)
    assert shot.image.size == (320, 180) and shot.overlays == 2
    overlays = [o for o in render_overlays([FR, AR], 320, 180, Style()) if o.start_ms == 0]
    for o in overlays:  # pixels differ exactly where the cues are, nowhere else
        region = (slice(o.y, o.y + o.image.height), slice(o.x, o.x + o.image.width))
        assert np.abs(got[region] - raw[region]).sum() > 0
    outside = np.ones((180, 320), bool)
    for o in overlays:
        outside[o.y:o.y + o.image.height, o.x:o.x + o.image.width] = False
    assert np.array_equal(got[outside], raw[outside])


def test_preview_of_a_cue_shows_its_midpoint(clip):
    shot = preview_frame(clip, [FR], Style(), cue=2)
    assert shot.t_ms == 850 and shot.overlays == 1
    with pytest.raises(PreviewError, match=r"no cue 9.*1 to 3"):
        preview_frame(clip, [FR], Style(), cue=9)


def test_a_time_past_the_end_is_an_error(clip):
    with pytest.raises(PreviewError, match=r"time 2\.000 s is past the end .*2\.000 s"):
        preview_frame(clip, [FR], Style(), at_ms=2000)


def test_a_cue_past_the_end_shows_the_last_frame(clip):
    late = Track(None, "fr", [Cue(1, 1800, 5000, [[Span("Tard")]])])
    shot = preview_frame(clip, [late], Style(), cue=1)
    assert shot.t_ms == 3400 and shot.overlays == 1
    last = np.asarray(extract_frame(clip, 1960), dtype=np.int16)
    assert np.array_equal(np.asarray(shot.image, dtype=np.int16)[:100], last[:100])


def test_a_moment_without_cues_is_the_raw_frame(clip):
    shot = preview_frame(clip, [FR], Style(), at_ms=550)
    assert shot.overlays == 0
    assert shot.image.tobytes() == extract_frame(clip, 550).tobytes()


def test_contact_sheet_has_one_tile_per_cue(clip):
    seen = []
    sheet, tiles, cues = contact_sheet(clip, [FR], Style(), columns=2, tile_width=160,
                                       progress=lambda done, total: seen.append((done, total)))
    assert (tiles, cues) == (3, 3) and seen[-1] == (3, 3)
    assert sheet.size == (8 + 2 * (160 + 8), 8 + 2 * (90 + 28 + 8))
    # every tile holds a picture (not the sheet's background)
    a = np.asarray(sheet)
    for i in range(3):
        row, col = divmod(i, 2)
        x, y = 8 + col * 168, 8 + row * 126
        assert a[y:y + 90, x:x + 160].std() > 10


def test_aligned_cues_of_two_tracks_share_a_tile(clip):
    sheet, tiles, cues = contact_sheet(clip, [FR, AR], Style(), columns=3, tile_width=160)
    assert (tiles, cues) == (3, 6)
    alone, _, _ = contact_sheet(clip, [FR, track("ar", "مرحبا")], Style(), columns=3,
                                tile_width=160)
    assert alone.size == sheet.size  # the Arabic cue shares the first tile
    shifted = Track(None, "ar", [Cue(1, 100, 700, [[Span("مرحبا")]])])
    _, tiles, cues = contact_sheet(clip, [FR, shifted], Style(), tile_width=160)
    assert (tiles, cues) == (4, 4)


def test_contact_sheet_without_text_is_an_error(clip):
    with pytest.raises(PreviewError, match="no cue with text"):
        contact_sheet(clip, [track("fr", " ")], Style())


def test_save_png_is_atomic_and_leaves_no_temp(tmp_path):
    image = Image.new("RGB", (4, 3), (1, 2, 3))
    out = save_png(image, tmp_path / "a.png")
    assert Image.open(out).size == (4, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
    with pytest.raises(PreviewError, match="cannot write there"):
        save_png(image, tmp_path / "missing" / "a.png")


def test_each_tile_is_the_burned_frame_at_the_cue_midpoint_with_a_label(clip):
    from captions.render import composite

    sheet, tiles, _ = contact_sheet(clip, [FR], Style(), columns=3, tile_width=160)
    assert tiles == 3
    overlays = render_overlays([FR], 320, 180, Style())
    a = np.asarray(sheet, dtype=np.int16)
    for i, cue in enumerate(FR.cues):
        middle = (cue.start + cue.end) // 2
        expected = composite(extract_frame(clip, middle), overlays, middle).resize(
            (160, 90), Image.Resampling.LANCZOS)
        x = 8 + i * 168
        assert np.array_equal(a[8:98, x:x + 160], np.asarray(expected, dtype=np.int16))
        label = a[98:126, x:x + 160]
        assert (label > 200).any()  # "#N  start – end" is written under the tile


def test_the_preview_shows_the_cues_the_burn_puts_on_that_frame(clip):
    """--at 1.03 fetches frame 25 (shown from 1.000 s at 25 fps): the burn puts a cue on it
    when start <= 1.000 < end, whatever happens between 1.000 and 1.030."""
    raw = extract_frame(clip, 1030)
    starts_after = Track(None, "fr", [Cue(1, 1010, 1500, [[Span("Plus tard")]])])
    shot = preview_frame(clip, [starts_after], Style(), at_ms=1030)
    assert shot.overlays == 0 and shot.image.tobytes() == raw.tobytes()
    ends_after = Track(None, "fr", [Cue(1, 500, 1010, [[Span("Encore là")]])])
    shot = preview_frame(clip, [ends_after], Style(), at_ms=1030)
    assert shot.overlays == 1 and shot.image.tobytes() != raw.tobytes()
