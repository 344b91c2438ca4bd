"""Each check rule: what is reported, with which severity, line, cue and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from captions.checking import Limits, VideoFacts, check_files, check_track, count_characters
from captions.layout import geometry
from captions.model import Cue, Span, Track
from captions.reading import track_from_text
from captions.style import Style

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def nothing_uncovered(text: str, language: str) -> set[str]:
    return set()


def track(*cues: tuple[int, int, str], language: str = "fr") -> Track:
    made = [Cue(index=n, start=s, end=e, lines=[[Span(t)] for t in text.split("\n")],
                source_line=n * 4 - 2) for n, (s, e, text) in enumerate(cues, 1)]
    return Track(path=None, language=language, cues=made)


def found(t: Track, **kwargs) -> list[tuple[str, str, int | None]]:
    kwargs.setdefault("uncovered", nothing_uncovered)
    return [(f.severity, f.code, f.cue) for f in check_track(t, **kwargs)]


def messages(t: Track, code: str, **kwargs) -> list[str]:
    kwargs.setdefault("uncovered", nothing_uncovered)
    return [f.message for f in check_track(t, **kwargs) if f.code == code]


def test_a_clean_track_has_no_findings():
    assert found(track((1000, 3000, "Bonjour à tous"), (3080, 5000, "Ensemble"))) == []


def test_no_cues_is_an_error():
    assert found(track()) == [("error", "no-cues", None)]


def test_duration_bounds():
    t = track((0, 832, "Oui"), (1000, 1833, "Non"), (2000, 9001, "Long"), (10000, 17000, "Sept"))
    assert found(t) == [("warning", "too-short", 1), ("warning", "too-long", 3)]
    assert messages(t, "too-short") == ["shown for 0.832 s, under 0.833 s: too short to read"]
    assert messages(t, "too-long") == ["shown for 7.001 s, over 7 s: split it"]


def test_reading_speed_per_language():
    text = "a" * 36  # 36 characters in 2 s = 18 cps: over 17 (fr), under 20 (ar)
    assert found(track((0, 2000, text), language="fr")) == [("warning", "reading-speed", 1)]
    assert found(track((0, 2000, text), language="ar")) == []
    assert messages(track((0, 2000, text)), "reading-speed") == [
        "reading speed 18.0 characters/s is above 17 for fr: shorten the text or show it longer"]
    assert found(track((0, 2000, "a" * 34))) == []  # exactly 17 cps is allowed


def test_reading_speed_is_configurable():
    assert found(track((0, 2000, "a" * 36)), limits=Limits(cps={"fr": 18})) == []
    assert found(track((0, 2000, "a" * 30)), limits=Limits(cps={}, default_cps=10)) == [
        ("warning", "reading-speed", 1)]


def test_reading_speed_ignores_marks_and_bidi_controls():
    vocalised = "إِنَّ مَعَ الْعُسْرِ يُسْرًا"  # 16 visible characters, 27 code points
    assert count_characters(vocalised) == 16
    assert found(track((0, 1300, vocalised + "\u200f"), language="ar")) == []
    assert found(track((0, 1300, vocalised + " يسرا" * 3), language="ar")) == [
        ("warning", "reading-speed", 1)]


def test_words_need_time():
    t = track((0, 900, "un deux trois quatre"))  # 20 characters in 0.9 s: fast, not over 17?
    assert ("warning", "reading-speed", 1) in found(t)
    slow_words = track((0, 1000, "a b c d"))  # 7 cps but 4 words in 1 s
    assert found(slow_words) == [("warning", "too-short-for-words", 1)]
    assert messages(slow_words, "too-short-for-words") == ["4 words in 1 s: allow at least 1.2 s"]


def test_line_length_and_line_count():
    ok = "a" * 42
    assert found(track((0, 6000, f"{ok}\n{ok}"), language="ar")) == []
    t = track((0, 7000, "a" * 43 + "\nb\nc"), language="ar")
    assert found(t) == [("warning", "line-too-long", 1), ("warning", "too-many-lines", 1)]
    assert messages(t, "line-too-long") == [
        "line 1 has 43 characters (limit 42): it will be re-wrapped"]
    assert messages(t, "too-many-lines") == ["3 lines (limit 2): split the cue"]


def test_three_lines_allowed_on_vertical_video():
    t = track((0, 3000, "un\ndeux\ntrois"))
    vertical = VideoFacts(duration_ms=10_000, fps=30, width=1080, height=1920)
    assert found(t, video=vertical) == []
    assert found(t, video=VideoFacts(duration_ms=10_000)) == [("warning", "too-many-lines", 1)]


@pytest.mark.parametrize(("gap", "fps", "expected"), [
    (40, 25, [("warning", "small-gap", 2)]), (0, 25, [("warning", "small-gap", 2)]),
    (80, 25, []), (40, 50, []), (83, 24000 / 1001, []), (82, 24000 / 1001,
                                                         [("warning", "small-gap", 2)]),
])
def test_gaps_under_two_frames(gap, fps, expected):
    t = track((0, 2000, "Un"), (2000 + gap, 4000, "Deux"))
    assert found(t, video=VideoFacts(duration_ms=10_000, fps=fps)) == expected


def test_gap_message_names_frames_and_milliseconds():
    t = track((0, 2000, "Un"), (2040, 4000, "Deux"))
    assert messages(t, "small-gap") == [
        "starts 40 ms after cue 1 ends; leave at least 2 frames (80 ms at 25 fps)"]


def test_overlap_is_reported_against_the_cue_still_showing():
    t = track((0, 6000, "Long"), (1000, 2000, "Court"), (3000, 4000, "Encore"))
    assert found(t) == [("warning", "overlap", 2), ("warning", "overlap", 3)]
    assert messages(t, "overlap")[1] == ("overlaps cue 1 (which ends at 00:00:06,000); both "
                                         "would be on screen at once")


def test_video_end():
    t = track((0, 1500, "Un"), (1800, 3000, "Deux"), (2000, 2900, "Trois"))
    result = found(t, video=VideoFacts(duration_ms=2000))
    assert ("warning", "late-end", 2) in result
    assert ("error", "past-video-end", 3) in result
    assert messages(t, "past-video-end", video=VideoFacts(duration_ms=2000)) == [
        "starts at 00:00:02,000, after the video ends (00:00:02,000): it would never be shown"]


def test_zero_duration_is_an_error():
    t = track((1000, 1000, "Rien"))
    assert found(t) == [("error", "end-before-start", 1)]
    assert messages(t, "end-before-start") == [
        "ends when it starts (00:00:01,000): zero duration; fix the timing line"]


def test_emoji_in_a_track_built_in_code():
    assert found(track((0, 2000, "Bravo 🎉"))) == [("warning", "emoji", 1)]


def test_uncovered_characters_use_the_bundled_fonts():
    t = track((0, 3000, "Caractère 漢 inconnu"))
    result = check_track(t)
    assert [(f.severity, f.code) for f in result] == [("error", "uncovered-character")]
    assert result[0].message == ("no bundled font can draw '漢' (U+6F22); remove it or add a "
                                 "font that has it to the style (font=PATH)")


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")
def test_a_user_font_in_the_style_covers_characters():
    t = track((0, 3000, "Pour toujours ∞"))
    assert [f.code for f in check_track(t)] == ["uncovered-character"]
    assert check_track(t, style=Style(font=DEJAVU)) == []


def test_coverage_follows_the_styles_arabic_face():
    """U+08A1 is in Noto Sans Arabic, not in Noto Naskh Arabic: with arabic=naskh the burn
    could not draw it, so the checker reports it (and does not stop at the layout check)."""
    t = track((0, 3000, "كلمة \u08a1"), language="ar")
    assert check_track(t, style=Style()) == []
    video = VideoFacts(duration_ms=10_000, width=320, height=180)
    result = check_track(t, video=video, style=Style(arabic="naskh"))
    assert [(f.severity, f.code) for f in result] == [("error", "uncovered-character")]
    assert "U+08A1" in result[0].message

def test_with_a_video_and_a_style_every_cue_is_laid_out_for_the_frame():
    small = VideoFacts(duration_ms=10_000, width=320, height=180)
    t = track((0, 3000, "m" * 40), (4000, 7000, "Un mot court"))
    assert found(t, video=small) == []  # no style: no layout check
    result = check_track(t, video=small, style=Style(), uncovered=nothing_uncovered)
    assert [(f.severity, f.code, f.cue) for f in result] == [("error", "does-not-fit", 1)]
    assert result[0].message == (
        f"the word '{'m' * 40}' is wider than a line ({geometry(320, 180).max_width - 2} px); "
        "shorten it or add a space where it may break (even at 80% of the normal size)")


def test_findings_of_reading_come_first_in_line_order():
    text = ("1\n00:00:01,000 --> 00:00:01,500\nNon\n\n"
            "2\n00:00:19werwer,580 --> 00:00:21,000\nPerdu\n")
    t = track_from_text(text, "srt", path="f.srt", language="fr")
    assert [str(f) for f in check_track(t, uncovered=nothing_uncovered)] == [
        "f.srt:2: cue 1: warning: shown for 0.5 s, under 0.833 s: too short to read",
        "f.srt:6: cue 2: error: unparsable timing line '00:00:19werwer,580 --> 00:00:21,000' "
        "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it, this cue is left out until then",
    ]


def test_check_files_turns_read_errors_into_findings(tmp_path):
    bad = tmp_path / "old.ar.srt"
    bad.write_bytes("1\n00:00:01,000 --> 00:00:03,000\nمرحبا\n".encode("cp1256"))
    good = tmp_path / "ok.fr.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:03,000\nBonjour\n", encoding="utf-8")
    reports = check_files([bad, good])
    assert [(r.path.name, r.language, r.cues) for r in reports] == [
        ("old.ar.srt", None, 0), ("ok.fr.srt", "fr", 1)]
    assert [(f.code, f.line) for f in reports[0].findings] == [("unreadable", 3)]
    assert reports[1].findings == []
    assert check_files([bad], encoding="cp1256")[0].findings == []
    unnamed = tmp_path / "capsule.srt"
    unnamed.write_text("1\n00:00:01,000 --> 00:00:03,000\nBonjour\n", encoding="utf-8")
    assert [f.code for f in check_files([unnamed])[0].findings] == ["language-unknown"]
