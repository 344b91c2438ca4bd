"""Reading: decoding, formats, the SRT/WebVTT scanner, ASS through pysubs2, markup, language."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from captions.errors import SubtitleReadError
from captions.language import (
    LanguageUnknownError,
    guess_language,
    language_from_name,
    language_from_text,
)
from captions.markup import find_emoji, parse_color, parse_markup
from captions.model import Span
from captions.reading import decode_bytes, detect_format, parse_text, parse_timing, read_track

ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 1920

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,\
2,10,10,10,1
Style: Haut,Arial,20,&H0000FFFF,&H000000FF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,2,\
8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\i1}Bonjour{\\i0}\\Nle \
{\\c&H0000FF&}monde{\\r} <i>x</i> &amp;
Comment: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,une note
Dialogue: 0,0:00:0x.00,0:00:02.50,Haut,,0,0,0,,cassé
Dialogue: 0,0:00:03.00,0:00:04.50,Haut,,0,0,0,,en\\hhaut
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- decoding ---------------------------------------------------------------------------------

def test_bad_byte_names_its_line():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\n"
    data += "é".encode("latin-1") + b"\n"
    with pytest.raises(SubtitleReadError) as caught:
        decode_bytes(data, path="x.srt")
    assert caught.value.line == 7
    assert str(caught.value).startswith("x.srt:7: byte 0xE9 is not valid UTF-8; pass --encoding")


def test_utf16_without_bom_is_refused_not_guessed():
    with pytest.raises(SubtitleReadError, match=r"NUL bytes.*--encoding utf-16-le"):
        decode_bytes("1\n00:00:01,000 --> 00:00:02,000\nA\n".encode("utf-16-le"))


def test_unknown_encoding_is_a_clear_error():
    with pytest.raises(SubtitleReadError, match="unknown encoding 'klingon'"):
        decode_bytes(b"abc", "klingon")


def test_explicit_utf8_still_drops_a_bom_and_utf32_bom_is_read():
    assert decode_bytes(b"\xef\xbb\xbfabc", "utf-8")[0] == "abc"
    assert decode_bytes("abc".encode("utf-32"))[:2] == ("abc", "utf-32")


def test_utf8_file_decoded_as_cp1256_on_request_warns():
    _, used, findings = decode_bytes("مرحبا".encode(), "cp1256")
    assert used == "cp1256"
    assert [f.code for f in findings] == ["encoding-mismatch"]


def test_unreadable_path(tmp_path):
    with pytest.raises(SubtitleReadError, match="cannot read the file"):
        read_track(tmp_path / "absent.srt", language="fr")


def test_errors_keep_their_attributes_when_pickled():
    error = SubtitleReadError("bad", path="a.srt", line=3)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.line, copy.path) == ("a.srt:3: bad", 3, Path("a.srt"))


# --- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "expected"), [
    ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\nA\n", "srt"),
    ("a.txt", "WEBVTT\n\n00:01.000 --> 00:02.000\nA\n", "vtt"),
    ("a.srt", "\ufeffWEBVTT\n", "vtt"),
    ("a.txt", "[Script Info]\nScriptType: v4.00+\n", "ass"),
    ("a.txt", "[Script Info]\nScriptType: v4.00\n", "ssa"),
    ("a.sub", "00:00:01,000 --> 00:00:02,000\n", "srt"),
])
def test_detect_format(name, text, expected):
    assert detect_format(name, text) == expected


def test_unknown_format_is_refused():
    with pytest.raises(SubtitleReadError, match="expected SRT"):
        detect_format("notes.txt", "just some text")


@pytest.mark.parametrize(("line", "expected"), [
    ("00:00:01,000 --> 00:00:02,500", (1000, 2500)),
    ("  00:00:01.000-->00:00:02.500  X1:10 X2:20", (1000, 2500)),
    ("100:00:00,000 --> 101:00:00,000", (360_000_000, 363_600_000)),  # hours >= 100
    ("00:01.000 --> 00:02.000 line:0", (1000, 2000)),  # WebVTT without hours
])
def test_parse_timing(line, expected):
    timing = parse_timing(line)
    assert (timing.start, timing.end) == expected


@pytest.mark.parametrize(("line", "reason"), [
    ("00:00:19werwer,580 --> 00:00:21,000", "expected HH:MM:SS,mmm"),
    ("00:00:01,000 --> 00:00:02,000abc", "unexpected 'abc' after the end time"),
    ("00:61:01,000 --> 00:00:02,000", "minutes and seconds go up to 59"),
    ("00:00:01,0000 --> 00:00:02,000", "more than 3 digits"),
])
def test_parse_timing_reasons(line, reason):
    assert reason in parse_timing(line)


def test_missing_webvtt_header_and_stray_text_are_reported():
    findings: list = []
    cues = parse_text("00:01.000 --> 00:02.000\nA\n", "vtt", findings=findings)
    assert [c.text for c in cues] == ["A"]
    assert [(f.code, f.line) for f in findings] == [("missing-header", 1)]
    findings = []
    cues = parse_text("titre du fichier\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n", "srt",
                      findings=findings)
    assert [c.text for c in cues] == ["A"]
    assert [(f.code, f.line, f.message) for f in findings] == [
        ("stray-text", 1, "text outside any cue ignored: 'titre du fichier'")]


def test_unicode_digits_are_text_not_cue_numbers():
    findings: list = []
    cues = parse_text("1\n00:00:01,000 --> 00:00:02,000\n²\n00:00:03,000 --> 00:00:04,000\n",
                      "srt", findings=findings)
    assert [c.text for c in cues] == ["²\n00:00:03,000 --> 00:00:04,000"]
    assert [f.code for f in findings] == ["timing-in-text"]


def test_vtt_cue_settings_and_timing_line_without_blank():
    findings: list = []
    cues = parse_text("WEBVTT\n\n00:01.000 --> 00:02.000 line:3\nA\n00:03.000 --> 00:04.000 "
                      "line:-1\nB\n", "vtt", findings=findings)
    assert [(c.text, c.top) for c in cues] == [("A", True), ("B", False)]
    assert [(f.code, f.line) for f in findings] == [("missing-blank-line", 5)]


def test_ass_through_pysubs2_with_line_numbers():
    findings: list = []
    cues = parse_text(ASS, "ass", path="s.ass", findings=findings)
    assert [(c.index, c.start, c.end, c.source_line, c.top) for c in cues] == [
        (1, 1000, 2500, 12, False), (3, 3000, 4500, 15, True)]
    assert cues[0].lines == [[Span("Bonjour", italic=True)],
                             [Span("le "), Span("monde", color=(255, 0, 0)),
                              Span(" <i>x</i> &amp;")]]  # HTML is literal in ASS
    assert cues[1].lines == [[Span("en\u00a0haut", bold=True, color=(255, 255, 0))]]
    assert [str(f) for f in findings] == [
        "s.ass:14: cue 2: error: unparsable time '0:00:0x.00' (expected H:MM:SS.cc); fix it, "
        "this cue is left out until then"]



def test_ass_events_without_a_format_line_keep_their_numbers_and_lines():
    """pysubs2 reads events in its fixed field order when [Events] has no Format line: the
    pre-scan must too, or cue numbers count the comments and line numbers are lost."""
    text = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
            "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,note\n"
            "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Bonjour\n"
            "Dialogue: 0,0:00:0x.00,0:00:03.00,Default,,0,0,0,,cassé\n")
    findings: list = []
    cues = parse_text(text, "ass", path="s.ass", findings=findings)
    assert [(c.index, c.source_line, c.text) for c in cues] == [(1, 6, "Bonjour")]
    assert [(f.code, f.line, f.cue) for f in findings] == [("unparsable-timing", 7, 2)]


def test_ass_events_pysubs2_counts_differently_are_numbered_without_comments():
    """A lower-case `dialogue:` is an event to the pre-scan, not to pysubs2: the numbering then
    comes from pysubs2's events, and comments still take no cue number."""
    text = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
            "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,note\n"
            "dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,ignoré\n"
            "Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,Bonjour\n")
    cues = parse_text(text, "ass", path="s.ass")
    assert [(c.index, c.source_line, c.text) for c in cues] == [(1, None, "Bonjour")]


def test_fields_pysubs2_cannot_parse_are_findings_not_printed_warnings(recwarn):
    text = ASS.replace("1,2,2,2,10,10,10,1", "1,2,2,x,10,10,10,1")  # Default alignment
    text = text.replace("Dialogue: 0,0:00:03.00", "Dialogue: z,0:00:03.00")
    findings: list = []
    cues = parse_text(text, "ass", path="s.ass", findings=findings)
    assert len(cues) == 2 and len(recwarn) == 0
    assert [str(f) for f in findings if f.code == "ass-field"] == [
        "s.ass: warning: failed to parse alignment, using default; fix that field of the Style "
        "or Dialogue lines",
        "s.ass: warning: failed to parse layer, using default; fix that field of the Style or "
        "Dialogue lines"]


# --- markup -----------------------------------------------------------------------------------

def test_nested_and_stray_tags():
    markup = parse_markup("<b>gras <i>et italique</i></b></u> <u>souligné</u> <blink>x</blink>")
    assert markup.lines == [[Span("gras ", bold=True), Span("et italique", italic=True, bold=True),
                             Span(" souligné x")]]


def test_font_colours_mapped_or_dropped():
    markup = parse_markup('<font color="Red">a</font> <font color=#0f0>b</font> '
                          '<font color="chartreuse-ish">c</font> <font face="Arial">d</font>')
    assert markup.lines == [[Span("a", color=(255, 0, 0)), Span(" "),
                             Span("b", color=(0, 255, 0)), Span(" c d")]]
    assert parse_color("#FFFF00") == (255, 255, 0)
    assert parse_color("nope") is None


def test_override_blocks_in_srt():
    markup = parse_markup("{\\an2}{\\pos(10,20)}bas {\\b1}gras{\\b0}")
    assert markup.top is False
    assert markup.lines == [[Span("bas "), Span("gras", bold=True)]]
    assert parse_markup("{\\an9}x").top is True
    assert parse_markup("texte {avec accolades}").lines == [[Span("texte {avec accolades}")]]


def test_italic_never_on_arabic_or_tifinagh_text_even_in_a_french_track():
    markup = parse_markup("<i>mot كلمة ⵜⴰ</i>")
    assert markup.lines == [[Span("mot كلمة ⵜⴰ", italic=False)]]


def test_emoji_detection_spares_arabic_joiners_and_keycaps_keep_digit():
    assert find_emoji("لا\u200dنعم") == []
    assert find_emoji("1\ufe0f\u20e3 🇲🇦 ♫") == ["\ufe0f\u20e3", "🇲🇦", "♫"]
    assert parse_markup("appel 1\ufe0f\u20e3 🇲🇦 ici").lines == [[Span("appel 1 ici")]]


def test_spaces_collapsed_and_lines_trimmed():
    markup = parse_markup("  deux   espaces <i> ici </i> \n\n  ligne  ")
    assert markup.lines == [[Span("deux espaces "), Span("ici", italic=True)], [],
                            [Span("ligne")]]


# --- language ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("capsule.ar.srt", "ar"), ("ar.srt", "ar"), ("fr-FR.vtt", "fr"), ("capsule.tzm.srt", "zgh"),
    ("capsule.ber.srt", "zgh"), ("capsule_en.srt", "en"), ("capsule.srt", None),
    ("campagne-en-route.srt", None), ("the.srt", None),
])
def test_language_from_name(name, expected):
    assert language_from_name(name) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("مرحبا بكم ONUDC", "ar"), ("ⵜⴰⵎⴰⵣⵉⵖⵜ", "zgh"),
    ("Vous êtes en danger ? Appelez le numéro vert.", "fr"),
    ("You are not alone: call the hotline.", "en"), ("Bonjour", None), ("2024", None),
])
def test_language_from_text(text, expected):
    assert language_from_text(text) == expected


def test_language_order_and_unknown(tmp_path):
    assert guess_language("capsule.en.srt", "Vous êtes en danger et vous le savez") == "en"
    with pytest.raises(LanguageUnknownError) as caught:
        guess_language("capsule.srt", "Bonjour")
    assert str(caught.value) == (
        "capsule.srt: cannot tell the language from the file name or the text; pass --lang fr, "
        "ar, zgh or en (or name the file like capsule.fr.srt)")
    path = write(tmp_path, "x.srt", "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n")
    assert read_track(path, language="fr-FR").language == "fr"
