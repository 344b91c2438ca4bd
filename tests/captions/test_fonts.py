"""Fonts: per-script chains, coverage from the cmaps, runs, size matching, no tofu, raqm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, features

from captions import fonts
from captions.errors import FontCoverageError, RendererUnavailable
from captions.fonts import (
    chain,
    face,
    pil_font,
    remove_emoji,
    script_of,
    split_runs,
    uncovered_characters,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Corpus cases 16–21: every one must be drawable with the bundled fonts.
CORPUS = [
    ("ar", "ONUDC: تقرير سنة 2024 عن الاتجار بالبشر."),
    ("ar", "\u202bتقرير\u202c \u200fسنة"),
    ("ar", "إِنَّ مَعَ الْعُسْرِ يُسْرًا"),
    ("ar", "الـ\"برونكس\"، هل؟ \u200dب\u200c"),
    ("ar", "ONUDC 45%"),
    ("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ̇ 2024 ONUDC"),
    ("fr", "Vous êtes en danger\u00a0? « Oui » ÉÇ jpgqy"),
]


def test_raqm_is_present_here():
    assert features.check("raqm")


def test_missing_raqm_fails_fast_with_the_fix(monkeypatch):
    monkeypatch.setattr(features, "check", lambda name: False)
    fonts.ensure_raqm.cache_clear()
    try:
        with pytest.raises(RendererUnavailable, match="libraqm"):
            fonts.ensure_raqm()
    finally:
        monkeypatch.undo()
        fonts.ensure_raqm.cache_clear()
        fonts.ensure_raqm()


@pytest.mark.parametrize(("language", "script"), [
    ("ar", "arabic"), ("ar-MA", "arabic"), ("zgh", "tifinagh"), ("tzm-Tfng", "tifinagh"),
    ("fr", "latin"), ("en", "latin")])
def test_script_of_language(language, script):
    assert script_of(language) == script


def test_chains_per_script_and_user_font_first():
    assert chain("fr") == ["latin", "arabic", "tifinagh"]
    assert chain("ar") == ["arabic", "latin", "tifinagh"]
    assert chain("zgh") == ["tifinagh", "latin", "arabic"]
    assert chain("ar", bold=True, arabic="naskh") == ["naskh-bold", "latin-bold", "tifinagh"]
    assert chain("fr", DEJAVU)[0] == fonts.user_key(DEJAVU)
    # no italics for Arabic or Tifinagh, even for the Latin words inside them
    assert chain("ar", italic=True)[:2] == ["arabic", "latin"]
    assert chain("zgh", italic=True)[:2] == ["tifinagh", "latin"]
    assert chain("fr", italic=True)[0] == "latin-italic"


def test_runs_use_the_first_covering_face():
    assert split_runs("ONUDC: تقرير 45%", "ar") == [
        ("ONUDC: ", "latin"), ("تقرير 45", "arabic"), ("%", "latin")]
    assert split_runs("ⵜⴰⵎⴰⵣⵉⵖⵜ 2024", "zgh") == [("ⵜⴰⵎⴰⵣⵉⵖⵜ ", "tifinagh"), ("2024", "latin")]
    assert split_runs("Bonjour", "fr") == [("Bonjour", "latin")]


def test_a_mark_stays_with_its_base():
    runs = split_runs("ⴰ̇ⵜ", "zgh")
    assert runs == [("ⴰ̇ⵜ", "tifinagh")]
    # U+0307 is not in the Arabic face: the mark goes to Noto Sans rather than to tofu
    assert split_runs("ب\u0307", "ar") == [("ب", "arabic"), ("\u0307", "latin")]


def test_uncovered_characters_ignores_spaces_controls_and_covered_marks():
    text = "ⴰ̇ \u200f\u202b\u2069\u00a0\u202f 2024"
    assert uncovered_characters(text, "zgh") == set()
    assert uncovered_characters("ONUDC 45% إِنَّ", "ar") == set()
    assert uncovered_characters("日本 ♫", "fr") == {"日", "本", "♫"}
    assert uncovered_characters("le mot تقرير", "fr") == set()  # quoted Arabic is drawable
    # a combining mark no face has is uncovered (U+0591 HEBREW ACCENT ETNAHTA)
    assert uncovered_characters("a\u0591", "fr") == {"\u0591"}


def test_split_runs_names_the_character_no_font_has():
    with pytest.raises(FontCoverageError, match=r"U\+65E5.*font=PATH") as caught:
        split_runs("日", "fr", cue=4)
    assert caught.value.cue == 4


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")
def test_user_font_covers_what_the_bundled_ones_lack():
    assert uncovered_characters("♫", "fr", DEJAVU) == set()
    assert split_runs("♫ la", "fr", DEJAVU) == [("♫ la", fonts.user_key(DEJAVU))]


def test_scales_match_letter_heights_not_ems():
    assert face("latin").scale == 1.0
    assert face("tifinagh").scale == pytest.approx(714 / 714)
    assert face("arabic").scale == pytest.approx(536 / 471, rel=1e-3)
    assert face("naskh").scale == pytest.approx(536 / 408, rel=1e-3)
    # line metrics: Latin from hhea (getmetrics), Arabic from its base letters
    assert face("latin").ascent + face("latin").descent == pytest.approx(1.362)
    assert face("arabic").ascent == pytest.approx(0.940)
    assert face("arabic").descent == pytest.approx(0.421)


def _ink_height(key: str, text: str, size: float) -> int:
    font = pil_font(key, size * face(key).scale)
    return -font.getbbox(text, anchor="ls")[1]


def test_scaled_scripts_look_the_same_size():
    """Arabic heh matches the Latin x-height; Tifinagh letters match the Latin caps (±1 px)."""
    size = 100
    assert abs(_ink_height("arabic", "ه", size) - _ink_height("latin", "x", size)) <= 1
    assert abs(_ink_height("tifinagh", "ⵜ", size) - _ink_height("latin", "H", size)) <= 1
    assert abs(_ink_height("naskh", "ه", size) - _ink_height("latin", "x", size)) <= 1


def _glyph(key: str, char: str) -> np.ndarray:
    font = pil_font(key, 40)
    image = Image.new("L", (80, 80))
    ImageDraw.Draw(image).text((10, 60), char, font=font, fill=255, anchor="ls")
    return np.asarray(image)


@pytest.mark.parametrize(("language", "text"), CORPUS)
def test_no_tofu_in_the_corpus(language, text):
    """Every drawn character differs from its face's .notdef box (and has a cmap entry)."""
    for run, key in split_runs(text, language):
        notdef = _glyph(key, "\U0010fffd")  # private use: no face maps it → .notdef
        for char in run:
            if char.isspace() or fonts._ignorable(char) or fonts._is_mark(char):
                continue
            assert ord(char) in face(key).coverage
            assert not np.array_equal(_glyph(key, char), notdef), (char, key)


def test_emoji_are_removed_with_their_joiners():
    assert remove_emoji("Attention 👩🏽\u200d⚕️ ✅ fin") == "Attention   fin"  # spaces: the caller's
    assert remove_emoji("Sans emoji  ici") == "Sans emoji  ici"
    assert remove_emoji("🎵") == ""
    assert remove_emoji("لا\u200dنعم") == "لا\u200dنعم"  # a ZWJ between letters is kept


def test_every_bundled_face_is_there_with_its_licence():
    licence = (fonts.FONT_DIR / "LICENSE-OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence.upper()
    for key, name in fonts.FILES.items():
        assert (fonts.FONT_DIR / name).is_file(), name
        assert face(key).coverage  # a real font with a cmap
    # the scripts the capsules are written in, regular, bold and italic Latin
    assert {"latin", "latin-bold", "latin-italic", "arabic", "tifinagh"} <= set(fonts.FILES)
