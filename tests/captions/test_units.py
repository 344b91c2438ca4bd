"""Numbers, dates, hashtags and addresses inside Arabic cues keep their order and stay whole
(issue 17): found by captions.units, isolated by the layout, checked on the renderer's pixels."""

from __future__ import annotations

import numpy as np
import pytest

from captions.model import Cue, Span
from captions.render import render_cue
from captions.style import Style
from captions.units import LRI, LRM, NBSP, PDI, find_units, mark, protect

HELPLINE = "الرقم الأخضر 0800 00 88 00 مجاني، بدعم من ONUDC والاتحاد الأوروبي."


def cue(text: str) -> Cue:
    return Cue(1, 0, 3000, [[Span(line)] for line in text.split("\n")])


@pytest.mark.parametrize("text, kind, unit", [
    (HELPLINE, "number", "0800 00 88 00"),
    ("اتصلوا على +212 5 37 00 00 00 الآن", "number", "+212 5 37 00 00 00"),
    ("شارك #BlueHeart اليوم", "tag", "#BlueHeart"),
    ("تابعوا @UNODC", "tag", "@UNODC"),
    ("النسبة 27.14 بالمئة", "number", "27.14"),
    ("أكثر من 1 500 ضحية", "number", "1 500"),
    ("ارتفاع 50 % هذا العام", "percent", "50 %"),
    ("راسلونا contact@cnlcte.ma فورًا", "email", "contact@cnlcte.ma"),
    ("زوروا https://cnlcte.ma/aide للمزيد", "url", "https://cnlcte.ma/aide"),
    ("يوم 29/07/2026 على الساعة 14:30", "date", "29/07/2026"),
    ("على الساعة 14:30", "time", "14:30"),
    ("صدر في 25 غشت 2016 القانون", "date-words", "25 غشت 2016"),
    ("le 30 juillet 2026 à Rabat", "date-words", "30 juillet 2026"),
    ("الرقم ٠٨٠٠ ٠٠ ٨٨ ٠٠ مجاني", "number", "٠٨٠٠ ٠٠ ٨٨ ٠٠"),
])
def test_units_are_found(text, kind, unit):
    assert (kind, unit) in [(u.kind, u.text) for u in find_units(text)]


def test_protect_isolates_left_to_right_units_and_keeps_them_whole():
    text, source = protect("شارك #BlueHeart و 0800 00 88 00 يوم 25 غشت 2016")
    assert f"{LRI}#BlueHeart{PDI}" in text
    assert f"{LRI}0800{NBSP}00{NBSP}88{NBSP}00{PDI}" in text
    assert f"25{NBSP}غشت{NBSP}2016" in text and f"{LRI}25" not in text
    assert len(source) == len(text)


def test_marks_for_youtube_use_left_to_right_marks_only_in_right_to_left_text():
    assert mark(HELPLINE) == HELPLINE.replace("0800 00 88 00", f"{LRM}0800 00 88 00{LRM}")
    assert mark("Appelez le 0800 00 88 00") == "Appelez le 0800 00 88 00"


def _alpha(image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)[:, :, 3] / 255


def _best_match(template: np.ndarray, image: np.ndarray) -> float:
    """Highest normalized correlation of `template` over `image` (FFT; both alpha maps)."""
    th, tw = template.shape
    ih, iw = image.shape
    if th > ih or tw > iw:
        return 0.0
    t = template - template.mean()
    shape = (ih + th, iw + tw)
    corr = np.fft.irfft2(np.fft.rfft2(image, shape) * np.conj(np.fft.rfft2(t, shape)), shape)
    corr = corr[: ih - th + 1, : iw - tw + 1]
    ones = np.ones_like(template)
    win = np.fft.irfft2(np.fft.rfft2(image, shape) * np.conj(np.fft.rfft2(ones, shape)), shape)
    win2 = np.fft.irfft2(np.fft.rfft2(image ** 2, shape) * np.conj(np.fft.rfft2(ones, shape)),
                         shape)
    n = th * tw
    local = win2[: ih - th + 1, : iw - tw + 1] - win[: ih - th + 1, : iw - tw + 1] ** 2 / n
    denom = np.sqrt(np.clip(local, 1e-9, None) * (t ** 2).sum())
    return float((corr / denom).max())


@pytest.mark.parametrize("frame", [(1920, 1080), (1080, 1920)])
def test_the_helpline_number_reads_left_to_right_on_one_line(frame):
    """In 16:9 and 9:16 frames the drawn cue holds the number exactly as the same renderer
    draws it alone, left to right — and not the groups reversed, as an unprotected layout
    would draw them."""
    w, h = frame
    style = Style()
    full = render_cue(cue(HELPLINE), "ar", w, h, style)
    (line,) = [t for t in full.lines if "0800" in t]
    assert all(group in line for group in ("0800", "88"))  # never split across lines
    alone = render_cue(cue("0800 00 88 00"), "ar", w, h, style)
    reversed_groups = render_cue(cue(f"{LRI}00 88 00 0800{PDI}"), "ar", w, h, style)
    image = _alpha(full.image)
    right = _best_match(_alpha(alone.image), image)
    wrong = _best_match(_alpha(reversed_groups.image), image)
    assert right > 0.97, right
    assert right - wrong > 0.05, (right, wrong)


@pytest.mark.parametrize("text, unit, scrambled", [
    ("شارك #BlueHeart اليوم", "#BlueHeart", "BlueHeart#"),
    ("النسبة 27.14 بالمئة", "27.14", "14.27"),
    ("راسلونا contact@cnlcte.ma فورًا", "contact@cnlcte.ma", "cnlcte.ma@contact"),
    ("زوروا https://cnlcte.ma/aide للمزيد", "https://cnlcte.ma/aide", "aide/cnlcte.ma//:https"),
])
def test_hashtags_decimals_addresses_are_drawn_intact(text, unit, scrambled):
    style = Style()
    full = _alpha(render_cue(cue(text), "ar", 1920, 1080, style).image)
    right = _best_match(_alpha(render_cue(cue(f"{LRI}{unit}{PDI}"), "ar", 1920, 1080,
                                          style).image), full)
    wrong = _best_match(_alpha(render_cue(cue(f"{LRI}{scrambled}{PDI}"), "ar", 1920, 1080,
                                          style).image), full)
    assert right > 0.97 and right - wrong > 0.03, (right, wrong)


def test_a_date_in_words_stays_on_one_line_in_a_narrow_frame():
    text = "صدر القانون رقم 27.14 المتعلق بمكافحة الاتجار بالبشر في 25 غشت 2016 بالمغرب"
    rendered = render_cue(cue(text), "ar", 720, 1280, Style())
    assert len(rendered.lines) >= 2
    assert any("25" in t and "غشت" in t and "2016" in t for t in rendered.lines)


def test_an_author_break_inside_the_number_is_rewrapped_around_it():
    rendered = render_cue(cue("اتصلوا بالرقم الأخضر 0800 00\n88 00 مجانًا"), "ar", 1920, 1080,
                          Style())
    assert any("0800" in t and "88" in t for t in rendered.lines)


SRT_AR = (f"1\n00:00:01,000 --> 00:00:04,000\n{HELPLINE}\n\n"
          "2\n00:00:05,000 --> 00:00:07,000\nشارك #BlueHeart\n")


def test_normalized_srt_carries_the_marks(tmp_path):
    from captions.normalize import normalize_track
    from captions.reading import track_from_text

    track = track_from_text(SRT_AR, "srt", language="ar")
    marked = normalize_track(track, bidi_marks=True)
    assert f"{LRM}0800 00 88 00{LRM}" in marked and f"{LRM}#BlueHeart{LRM}" in marked
    assert LRM not in normalize_track(track)


def test_captions_check_names_the_cue_and_the_unit(tmp_path):
    from captions.checking import check_files

    path = tmp_path / "spot.ar.srt"
    path.write_text(SRT_AR, encoding="utf-8")
    (report,) = check_files([path])
    units = [f for f in report.findings if f.code == "bidi-unit"]
    assert [(f.cue, f.severity) for f in units] == [(1, "warning"), (2, "warning")]
    assert str(units[0]) == (
        f"{path}:2: cue 1: warning: '0800 00 88 00': the bidi algorithm reverses its groups and "
        "a line break could split it; capsule keeps it whole and left to right when burning, "
        "and marks it for YouTube (captions normalize --bidi-marks)")
    assert units[0].as_dict()["code"] == "bidi-unit"
