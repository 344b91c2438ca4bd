"""normalize_track: the exact SRT YouTube caption tracks receive; write_srt: atomic, UTF-8, LF."""

from __future__ import annotations

import os
import stat

import pytest

from captions.errors import SubtitleCheckError
from captions.normalize import normalize_track, write_srt
from captions.reading import track_from_text


def normalize(text: str, language: str = "fr", fmt: str = "srt", **kwargs) -> str:
    return normalize_track(track_from_text(text, fmt, path="in.srt", language=language), **kwargs)


def test_golden_french_file():
    source = (
        "2\r\n00:00:05,000 --> 00:00:07,000\r\n- Oui ?\r\n- Non !\r\n\r\n"
        "1\r\n-00:00:01,000 --> 00:00:02,000\r\n{\\an8}Bonjour, <i>vous êtes en danger ?</i> "
        "Appelez le <font color=\"yellow\">numéro vert</font> : « 5050 ».\r\n\r\n"
        "3\r\n00:00:07,100 --> 00:00:09,000\r\nMerci 🙏 &amp; <b>à bientôt</b>\r\n\r\n"
        "4\r\n00:00:09,500 --> 00:00:10,000\r\n\r\n"
    )
    assert normalize(source) == (
        "1\n00:00:00,000 --> 00:00:02,000\n"
        "{\\an8}Bonjour, <i>vous êtes en danger\u202f?</i>\n"
        "Appelez le <font color=\"#ffff00\">numéro vert</font>\u00a0: «\u00a05050\u00a0».\n"
        "\n"
        "2\n00:00:05,000 --> 00:00:07,020\n- Oui\u202f?\n- Non\u202f!\n"
        "\n"
        "3\n00:00:07,100 --> 00:00:09,000\nMerci & <b>à bientôt</b>\n"
    )


def test_golden_arabic_webvtt():
    source = ("WEBVTT\n\nNOTE rien\n\n00:01.000 --> 00:04.000 line:5%\n"
              "<i>ONUDC: تقرير سنة 2024</i> عن الاتجار بالبشر في المنطقة وما يجب فعله.\n")
    assert normalize(source, language="ar", fmt="vtt") == (
        "1\n00:00:01,000 --> 00:00:04,000\n"
        "{\\an8}ONUDC: تقرير سنة 2024 عن الاتجار\n"
        "بالبشر في المنطقة وما يجب فعله.\n"
    )


def test_chaining_closes_small_gaps_to_exactly_two_frames():
    source = ("1\n00:00:01,000 --> 00:00:02,000\nUn\n\n"       # gap 300 ms -> 80 ms
              "2\n00:00:02,300 --> 00:00:03,000\nDeux\n\n"     # gap 20 ms -> 80 ms
              "3\n00:00:03,020 --> 00:00:04,000\nTrois\n\n"    # gap 600 ms: a pause, kept
              "4\n00:00:04,600 --> 00:00:05,000\nQuatre\n")
    out = normalize(source)
    times = [line for line in out.split("\n") if "-->" in line]
    assert times == ["00:00:01,000 --> 00:00:02,220", "00:00:02,300 --> 00:00:02,940",
                     "00:00:03,020 --> 00:00:04,000", "00:00:04,600 --> 00:00:05,000"]
    at_24 = normalize(source, fps=24000 / 1001)
    assert "00:00:01,000 --> 00:00:02,217" in at_24  # 2 frames = 83 ms


def test_overlaps_are_kept_and_cues_sorted():
    source = ("1\n00:00:03,000 --> 00:00:06,000\nDeux\n\n"
              "2\n00:00:01,000 --> 00:00:05,000\nUn\n")
    assert normalize(source) == ("1\n00:00:01,000 --> 00:00:05,000\nUn\n\n"
                                 "2\n00:00:03,000 --> 00:00:06,000\nDeux\n")


def test_rewrap_keeps_styles_across_the_new_break():
    source = ("1\n00:00:01,000 --> 00:00:06,000\n<i>Ensemble contre la traite\ndes êtres "
              "humains,</i> <font color=#00ffff><b>agissons</b> maintenant</font>\n")
    assert normalize(source).split("\n")[2:4] == [
        "<i>Ensemble contre la traite</i>",
        "<i>des êtres humains,</i> <font color=\"#00ffff\"><b>agissons</b> maintenant</font>"]


def test_text_that_would_read_as_markup_is_escaped():
    source = "1\n00:00:01,000 --> 00:00:03,000\n&lt;i&gt; n'est pas une balise &amp;amp;\n"
    assert normalize(source).split("\n")[2] == "&lt;i> n'est pas une balise &amp;amp;"


def test_english_keeps_plain_spaces():
    out = normalize("1\n00:00:01,000 --> 00:00:03,000\nAre you in danger ?\n", language="en")
    assert out.split("\n")[2] == "Are you in danger ?"


def test_unrecoverable_times_stop_normalization_with_the_line():
    with pytest.raises(SubtitleCheckError) as caught:
        normalize("1\n00:00:05,000 --> 00:00:04,000\nÀ l'envers\n")
    assert str(caught.value) == ("in.srt:2: cue 1: ends at 00:00:04,000, not after its start "
                                 "(00:00:05,000); fix the timing line before normalizing")
    with pytest.raises(SubtitleCheckError, match=r"^in.srt:2: cue 1: unparsable timing line"):
        normalize("1\n00:00:19werwer,580 --> 00:00:21,000\nPerdu\n")
    with pytest.raises(SubtitleCheckError, match="not after its start"):
        normalize("1\n-00:00:03,000 --> -00:00:01,000\nAvant le début\n")


def test_empty_track_gives_empty_text():
    assert normalize("1\n00:00:01,000 --> 00:00:02,000\n\n") == ""


def test_write_srt_is_atomic_utf8_lf(tmp_path):
    target = tmp_path / "out.srt"
    target.write_text("old", encoding="utf-8")
    write_srt(target, "1\r\n00:00:01,000 --> 00:00:02,000\r\nمرحبا\r\n")
    assert target.read_bytes() == "1\n00:00:01,000 --> 00:00:02,000\nمرحبا\n".encode()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.srt"]


def test_write_srt_leaves_nothing_behind_on_failure(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        write_srt(tmp_path / "out.srt", "\udc80 lone surrogate")
    assert list(tmp_path.iterdir()) == []


def test_write_srt_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        write_srt(tmp_path / "absent" / "out.srt", "")
    assert caught.value.filename == str(tmp_path / "absent")
