"""A variant's segment and frame (captions/reframe.py) and the Shorts-safe layout."""

from __future__ import annotations

import numpy as np
import pytest

from captions.burn import burn
from captions.layout import geometry, shorts_clear_area
from captions.model import Cue, Span, Track
from captions.reframe import Cut, Frame, ReframeError, cut_track, output_info
from captions.style import Style
from captions.video import extract_frame, probe
from tests.media import decode_frames, make_clip


def cue(index: int, start: int, end: int, text: str) -> Cue:
    return Cue(index, start, end, [[Span(text)]])


def test_cut_shifts_clips_and_leaves_out_what_cannot_be_read():
    track = Track(None, "fr", [
        cue(1, 0, 1_500, "avant"),  # wholly before the cut
        cue(2, 1_800, 3_000, "Ensemble contre la traite des personnes"),  # 0.5 s left of 39 chars
        cue(3, 1_000, 4_000, "Oui"),  # 1 s left of 3 chars: readable
        cue(4, 5_000, 6_000, "au milieu"),
        cue(5, 9_000, 12_000, "Vous n'êtes pas seule"),  # 1 s left of 21 chars at 17/s: 1.24 s
        cue(6, 12_000, 13_000, "après"),
    ])
    cut, dropped = cut_track(track, Cut(2_500, 10_000), max_cps=17.0)
    assert [(c.index, c.start, c.end) for c in cut.cues] == [(3, 0, 1_500), (4, 2_500, 3_500)]
    assert dropped == [2, 5]
    faster, dropped = cut_track(track, Cut(2_500, 10_000), max_cps=25.0)  # 21 chars: 0.84 s
    assert [c.index for c in faster.cues] == [3, 4, 5] and dropped == [2]


def test_a_clipped_cue_shorter_than_a_flash_is_left_out():
    track = Track(None, "ar", [cue(1, 0, 2_000, "لا")])
    assert cut_track(track, Cut(1_300), max_cps=20.0)[1] == [1]  # 0.7 s < 0.833 s
    assert [c.end for c in cut_track(track, Cut(1_100), max_cps=20.0)[0].cues] == [900]


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (1080, 1920)), ("1:1", (1080, 1080)),
                                              ("4:5", (1080, 1350)), ("16:9", (640, 360))])
def test_frame_sizes(aspect, size, tmp_path):
    info = probe(make_clip(tmp_path / "c.mp4", seconds=0.4, size=(640, 360), audio=None))
    assert Frame(aspect).size(info) == size
    assert Frame(aspect).narrow == (aspect != "16:9")


def test_frame_and_cut_errors_say_what_to_use(tmp_path):
    with pytest.raises(ReframeError, match='aspect \'3:2\' is unknown: use "16:9", "9:16"'):
        Frame("3:2")
    with pytest.raises(ReframeError, match="fit 'zoom' is unknown: use crop, blur or pad"):
        Frame("9:16", "zoom")
    info = probe(make_clip(tmp_path / "c.mp4", seconds=2.0, audio=None))
    with pytest.raises(ReframeError, match=r"end 0:03 is past the end of the video \(0:02\)"):
        Cut(0, 3_000).check(info)
    with pytest.raises(ReframeError, match=r"end 0:01 is not after start 0:01\.5"):
        Cut(1_500, 1_000).check(info)


def test_crop_focus_picks_the_side_of_the_picture(tmp_path):
    """A source whose left half is red and right half blue: x = 0 keeps red, x = 1 blue."""
    clip = make_clip(tmp_path / "halves.mp4", seconds=0.4, size=(320, 180), audio=None,
                     pattern="color=c=red", color=None)
    info = probe(clip)
    left = np.asarray(extract_frame(clip, 0, info=info, frame=Frame("9:16", "crop", 0.0)))
    assert left.shape == (1920, 1080, 3)
    pad = np.asarray(extract_frame(clip, 0, info=info, frame=Frame("9:16", "pad")))
    # pad: the whole 16:9 picture 1080 wide (608 high), black above and below
    assert pad[100, 540].max() < 30 and pad[960, 540, 0] > 200
    assert pad[1919 - 100, 540].max() < 30
    blur = np.asarray(extract_frame(clip, 0, info=info, frame=Frame("9:16", "blur")))
    assert blur[100, 540, 0] > 200  # the blurred, enlarged copy fills the bars: red, not black


def test_one_pass_cut_reframe_burn_keeps_audio_in_step(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=4.0, size=(320, 180), fps="10",
                     pattern="color=c=gray")
    track = Track(None, "fr", [cue(1, 2_000, 3_000, "Bonjour")])
    cut = Cut(1_000, 3_500)
    shifted, _ = cut_track(track, cut, probe(clip))
    out = tmp_path / "short.mp4"
    result = burn(clip, [shifted], out, style=Style(shorts=True), cut=cut,
                  frame=Frame("9:16", "blur"), preset="ultrafast")
    info = probe(out)
    assert (info.width, info.height, info.frames) == (1080, 1920, 25)
    assert info.audio is not None and info.audio.codec == "aac"
    assert info.duration_ms == pytest.approx(2_500, abs=60)
    assert result.cues_burned == 1 and result.audio == "aac"  # re-encoded with the cut
    frames = decode_frames(out)
    def ink(frame):  # white text or its black outline on the grey
        level = frame.astype(int).mean(axis=2)
        return np.nonzero(((level > 200) | (level < 40)).any(axis=1))[0]

    assert ink(frames[9]).size == 0  # the cue starts at 1.0 s of the cut: frame 10
    rows = ink(frames[10])
    assert rows.size and rows.max() < shorts_clear_area(1080, 1920)[3]
    assert ink(frames[20]).size == 0  # and ends at 2.0 s


def test_shorts_area_keeps_clear_of_the_player(tmp_path):
    plain, short = geometry(1080, 1920), geometry(1080, 1920, True)
    assert short.safe[3] == 1440 < plain.safe[3]  # above the title, channel and buttons
    assert short.safe[2] <= 918 and short.max_width <= short.safe[2] - short.safe[0]
    # A square Short sits in the middle of the 9:16 screen: less of it is covered.
    assert geometry(1080, 1080, True).safe[3] == 1020
    wide = output_info(probe(make_clip(tmp_path / "c.mp4", seconds=0.4, audio=None)), None,
                       Frame("16:9"))
    assert (wide.width, wide.height) == (320, 180)
