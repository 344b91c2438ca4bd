"""The 25 cases of the edge-case corpus (shared/reference/subtitles.md), reading and checking side.

Pixel sides (16 direction, 18 clipping, 20 fallback size, 21 mark attachment) are covered by
the render tests, and the ffmpeg path escaping of case 25 by the burn tests; here each case
checks that text, times and controls arrive intact and that problems are reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from captions.checking import VideoFacts, check_track, count_characters
from captions.errors import SubtitleReadError
from captions.model import Span
from captions.normalize import normalize_track
from captions.reading import parse_text, read_track, track_from_text

BASIC = "1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous\n\n2\n00:00:04,000 --> 00:00:06,500\n" \
        "Ensemble contre la traite\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def summary(track) -> list[tuple[int, int, str]]:
    return [(cue.start, cue.end, cue.text) for cue in track.cues]


def codes(findings) -> list[tuple[str, str, int | None, int | None]]:
    return [(f.severity, f.code, f.line, f.cue) for f in findings]


def test_corpus_01_bom(tmp_path):
    plain = read_track(write(tmp_path, "plain.fr.srt", BASIC))
    srt = read_track(write(tmp_path, "bom.fr.srt", b"\xef\xbb\xbf" + BASIC.encode()))
    assert summary(srt) == summary(plain)
    assert "\ufeff" not in srt.cues[0].text
    vtt_text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nBonjour à tous\n"
    vtt = read_track(write(tmp_path, "bom.fr.vtt", b"\xef\xbb\xbf" + vtt_text.encode()))
    assert vtt.format == "vtt"
    assert summary(vtt) == [(1000, 3000, "Bonjour à tous")]
    assert vtt.findings == []


def test_corpus_02_crlf_file_and_string(tmp_path):
    crlf = BASIC.replace("\n", "\r\n")
    from_file = read_track(write(tmp_path, "crlf.fr.srt", crlf))
    from_string = parse_text(crlf, "srt")
    assert summary(from_file) == summary(read_track(write(tmp_path, "lf.fr.srt", BASIC)))
    assert [c.text for c in from_string] == ["Bonjour à tous", "Ensemble contre la traite"]
    assert not any("\r" in cue.text for cue in [*from_file.cues, *from_string])
    assert [c.source_line for c in from_string] == [2, 6]


def test_corpus_03_no_blank_line_between_cues():
    text = "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n2\n00:00:03,000 --> 00:00:04,000\nSalut\n"
    findings: list = []
    cues = parse_text(text, "srt", findings=findings)
    assert [(c.index, c.start, c.text) for c in cues] == [(1, 1000, "Bonjour"), (2, 3000, "Salut")]
    assert codes(findings) == [("warning", "missing-blank-line", 4, 2)]


def test_corpus_04_final_double_and_inner_blank_lines():
    text = ("1\n00:00:01,000 --> 00:00:02,000\nPremière\n\n\n\n"
            "2\n00:00:03,000 --> 00:00:05,000\nDeux\n\nlignes\n\n"
            "3\n00:00:06,000 --> 00:00:07,000\nDernière sans ligne vide")
    findings: list = []
    cues = parse_text(text, "srt", findings=findings)
    assert [c.text for c in cues] == ["Première", "Deux\nlignes", "Dernière sans ligne vide"]
    assert codes(findings) == [("warning", "blank-in-cue", 11, 2)]


def test_corpus_05_dot_milliseconds_equal_comma():
    comma = parse_text("1\n00:00:01,250 --> 00:00:02,000\nA\n", "srt")
    dot = parse_text("1\n00:00:01.250 --> 00:00:02.000\nA\n", "srt")
    assert [(c.start, c.end) for c in dot] == [(c.start, c.end) for c in comma] == [(1250, 2000)]


def test_corpus_06_short_fields_flagged_and_read_as_decimal():
    findings: list = []
    cues = parse_text("1\n0:0:1,5 --> 0:0:3,25\nCourt\n", "srt", findings=findings)
    assert (cues[0].start, cues[0].end) == (1500, 3250)  # 1.5 s (pysubs2), not 1.005 s (srt)
    assert codes(findings) == [("warning", "short-milliseconds", 2, 1)]
    assert "read as 00:00:01,500 --> 00:00:03,250" in findings[0].message


def test_corpus_07_negative_time_and_end_before_start():
    text = ("1\n-00:00:01,000 --> 00:00:02,000\nNégatif\n\n"
            "2\n00:00:05,000 --> 00:00:04,000\nÀ l'envers\n")
    track = track_from_text(text, "srt", path="c.srt", language="fr")
    assert [(c.start, c.end) for c in track.cues] == [(-1000, 2000), (5000, 4000)]  # never +1 s
    found = check_track(track, uncovered=lambda t, lang: set())
    errors = [f for f in found if f.is_error]
    assert codes(errors) == [("error", "negative-time", 2, 1), ("error", "end-before-start", 6, 2)]
    assert str(errors[0]) == ("c.srt:2: cue 1: error: negative time -00:00:01,000; "
                              "times start at 00:00:00,000")
    assert str(errors[1]) == ("c.srt:6: cue 2: error: ends at 00:00:04,000, before it starts "
                              "(00:00:05,000); fix the timing line")


def test_corpus_08_garbled_timestamp_reported_not_merged():
    text = ("1\n00:00:17,000 --> 00:00:18,000\nAvant\n\n"
            "2\n00:00:19werwer,580 --> 00:00:21,000\nPerdu\n\n"
            "3\n00:00:22,000 --> 00:00:23,000\nAprès\n")
    track = track_from_text(text, "srt", path="g.srt", language="fr")
    assert summary(track) == [(17000, 18000, "Avant"), (22000, 23000, "Après")]
    assert [c.index for c in track.cues] == [1, 3]
    assert codes(track.findings) == [("error", "unparsable-timing", 6, 2)]
    assert str(track.findings[0]) == (
        "g.srt:6: cue 2: error: unparsable timing line '00:00:19werwer,580 --> 00:00:21,000' "
        "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm); fix it, this cue is left out until then")


def test_corpus_09_overlap_both_kept_and_reported():
    text = "1\n00:00:01,000 --> 00:00:05,000\nUn\n\n2\n00:00:03,000 --> 00:00:06,000\nDeux\n"
    track = track_from_text(text, "srt", language="fr")
    assert [c.text for c in track.cues] == ["Un", "Deux"]
    found = [f for f in check_track(track, uncovered=lambda t, lang: set()) if f.code == "overlap"]
    assert codes(found) == [("warning", "overlap", 6, 2)]
    assert found[0].message == ("overlaps cue 1 (which ends at 00:00:05,000); "
                                "both would be on screen at once")


def test_corpus_10_cue_past_video_end():
    text = ("1\n00:00:01,800 --> 00:00:05,000\nTardif\n\n"
            "2\n00:00:02,500 --> 00:00:03,000\nAprès la fin\n")
    track = track_from_text(text, "srt", language="fr")
    found = check_track(track, video=VideoFacts(duration_ms=2000), uncovered=lambda t, lang: set())
    by_code = {f.code: f for f in found}
    assert by_code["late-end"].severity == "warning"
    assert by_code["late-end"].message == ("ends at 00:00:05,000, after the video ends "
                                           "(00:00:02,000); it will be cut there")
    assert (by_code["past-video-end"].severity, by_code["past-video-end"].cue) == ("error", 2)


def test_corpus_11_empty_and_whitespace_cues():
    text = ("1\n00:00:01,000 --> 00:00:02,000\n\n"
            "2\n00:00:03,000 --> 00:00:04,000\n   \n\n"
            "3\n00:00:05,000 --> 00:00:06,000\nTexte\n")
    track = track_from_text(text, "srt", language="fr")
    assert [c.text for c in track.cues] == ["", "", "Texte"]
    assert [c.lines for c in track.cues[:2]] == [[], []]
    found = check_track(track, uncovered=lambda t, lang: set())
    assert codes(f for f in found if f.code == "empty-cue") == [
        ("warning", "empty-cue", 2, 1), ("warning", "empty-cue", 5, 2)]
    assert normalize_track(track) == "1\n00:00:05,000 --> 00:00:06,000\nTexte\n"


def test_corpus_12_text_that_looks_like_structure():
    text = ("1\n00:00:01,000 --> 00:00:02,000\n2024\n\n"
            "2\n00:00:03,000 --> 00:00:05,000\nRendez-vous\n10:30:00,000 --> 11:00:00,000\n")
    findings: list = []
    cues = parse_text(text, "srt", findings=findings)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (1000, 2000, "2024"), (3000, 5000, "Rendez-vous\n10:30:00,000 --> 11:00:00,000")]
    assert codes(findings) == [("warning", "timing-in-text", 8, 2)]


def test_corpus_13_markup():
    text = ('1\n00:00:01,000 --> 00:00:03,000\n'
            '{\\an8}<i>Texte</i> <font color="#ffff00">jaune</font>\n')
    fr = track_from_text(text, "srt", language="fr").cues[0]
    assert fr.top is True
    assert fr.lines == [[Span("Texte", italic=True), Span(" "),
                         Span("jaune", color=(255, 255, 0))]]
    ar = track_from_text(text.replace("Texte", "نص"), "srt", language="ar").cues[0]
    assert ar.lines == [[Span("نص "), Span("jaune", color=(255, 255, 0))]]  # no italic
    assert "<" not in fr.text and "{" not in fr.text


def test_corpus_14_entities():
    cue = parse_text("1\n00:00:01,000 --> 00:00:02,000\nA &amp; B &lt;3 &nbsp;fin\n", "srt")[0]
    assert cue.text == "A & B <3\u00a0fin"  # one visible space, and it does not break


def test_corpus_15_cp1256_and_utf16(tmp_path):
    arabic = "1\n00:00:01,000 --> 00:00:03,000\nمرحبا، 2024!\n"
    path = write(tmp_path, "old.ar.srt", arabic.encode("cp1256"))
    with pytest.raises(SubtitleReadError) as caught:
        read_track(path)
    assert str(caught.value) == (
        f"{path}:3: byte 0xE3 is not valid UTF-8; pass --encoding with the file's encoding "
        "(e.g. --encoding cp1256 for old Arabic files)")
    decoded = read_track(path, encoding="cp1256")
    assert decoded.cues[0].text == "مرحبا، 2024!"
    assert decoded.encoding == "cp1256"
    utf16 = read_track(write(tmp_path, "u16.ar.srt", arabic.encode("utf-16")))
    assert utf16.cues[0].text == "مرحبا، 2024!"
    assert utf16.encoding == "utf-16"


def test_corpus_16_arabic_starting_with_latin_acronym(tmp_path):
    line = "ONUDC: تقرير سنة 2024 عن الاتجار بالبشر."
    path = write(tmp_path, "rapport.srt", f"1\n00:00:01,000 --> 00:00:05,000\n{line}\n")
    track = read_track(path)
    assert track.language == "ar"  # from the script, not from the first (Latin) letter
    assert track.cues[0].text == line  # logical order kept; the renderer sets RTL from `ar`


def test_corpus_17_existing_bidi_controls_kept_not_counted():
    line = "\u202bONUDC: تقرير.\u202c\u200f"
    track = track_from_text(f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n", "srt", language="ar")
    assert track.cues[0].text == line
    assert count_characters(line) == len("ONUDC: تقرير.")


def test_corpus_18_vocalised_arabic_counts_base_letters():
    line = "إِنَّ مَعَ الْعُسْرِ يُسْرًا"
    track = track_from_text(f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n", "srt", language="ar")
    assert track.cues[0].text == line
    assert count_characters(line) == len("إن مع العسر يسرا")


def test_corpus_19_tatweel_joiners_and_arabic_punctuation():
    line = "الـ\"برونكس\"، هل\u200d؟ لا\u200cنعم"
    track = track_from_text(f"1\n00:00:01,000 --> 00:00:03,000\n{line}\n", "srt", language="ar")
    assert track.cues[0].text == line  # ZWJ/ZWNJ are not emoji joiners: kept
    assert track.findings == []
    long_line = "هذه جملة طويلة جدا لكي تلتف على سطرين في الترجمة المكتوبة هل فهمت ؟"
    out = normalize_track(track_from_text(
        f"1\n00:00:01,000 --> 00:00:06,000\n{long_line}\n", "srt", language="ar"))
    lines = out.split("\n")[2:-1]
    assert len(lines) == 2
    assert not any(line.startswith(("؟", "،", "؛")) for line in lines)


def test_corpus_20_latin_and_percent_in_arabic_are_covered():
    track = track_from_text("1\n00:00:01,000 --> 00:00:04,000\nتقرير ONUDC: 45% من الضحايا\n",
                            "srt", language="ar")
    assert not [f for f in check_track(track) if f.code == "uncovered-character"]


def test_corpus_21_tifinagh_with_mark():
    text = "1\n00:00:01,000 --> 00:00:03,000\n<i>ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ\u0307 2024</i>\n"
    track = track_from_text(text, "srt", path="capsule.srt")
    assert track.language == "zgh"
    assert track.cues[0].lines == [[Span("ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ\u0307 2024", italic=False)]]
    assert count_characters(track.cues[0].text) == len("ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ 2024")
    assert not [f for f in check_track(track) if f.code == "uncovered-character"]


def test_corpus_22_emoji_removed_and_reported():
    text = "1\n00:00:01,000 --> 00:00:03,000\nMerci 👩🏽‍⚕️ ✅ à vous\n"
    track = track_from_text(text, "srt", path="e.srt", language="fr")
    assert track.cues[0].text == "Merci à vous"
    assert [str(f) for f in track.findings] == [
        "e.srt:2: cue 1: warning: emoji removed: 👩🏽\u200d⚕️ ✅ (not drawn; say it in words)"]


def test_corpus_23_break_hazards():
    word = "a" * 60
    url = "www.exemple-tres-long.ma/campagne"
    text = (f"1\n00:00:01,000 --> 00:00:06,000\nLe mot {word} est long\n\n"
            f"2\n00:00:07,000 --> 00:00:12,000\nVisitez {url} pour en savoir plus aujourd'hui\n\n"
            "3\n00:00:13,000 --> 00:00:18,000\nSi vous avez besoin d'aide maintenant, "
            "vous êtes en danger ?\n")
    track = track_from_text(text, "srt", language="fr")
    out = normalize_track(track)
    lines = [line for line in out.split("\n") if line and "-->" not in line
             and not line.isdigit()]
    assert word in lines and url in " ".join(lines)  # never cut inside a word or URL
    assert all(len(line) <= 42 for line in lines if word not in line)
    assert not any(line.startswith(("?", "!", ":", ";", "\u202f")) for line in lines)
    assert "danger\u202f?" in out


def test_corpus_24_webvtt_extras():
    text = ("WEBVTT\n\nNOTE une note\nsur deux lignes\n\nSTYLE\n::cue { color: yellow }\n\n"
            "intro\n00:00:01.000 --> 00:00:02.000 align:start line:10%\n"
            "<00:00:01.000><c>mot</c> <00:00:01.500><c.jaune>suivant</c>\n\n"
            "00:00:03.000 --> 00:00:04.000 line:90%\nen bas\n")
    findings: list = []
    cues = parse_text(text, "vtt", findings=findings)
    assert [(c.start, c.end, c.text, c.top) for c in cues] == [
        (1000, 2000, "mot suivant", True), (3000, 4000, "en bas", False)]
    assert findings == []


def test_corpus_25_path_with_quote_colon_and_spaces(tmp_path):
    # The ffmpeg filter escaping is the burn side's test; reading must open the right file.
    folder = tmp_path / "C:\\Capsules"
    folder.mkdir()
    path = write(folder, "l'ONUDC 08:30.srt", BASIC)
    track = read_track(path, language="fr")
    assert track.path == path
    assert summary(track)[0] == (1000, 3000, "Bonjour à tous")
