"""Layout as pure functions: geometry per frame shape, line breaking, bidi levels and order."""

from __future__ import annotations

import pytest

from captions import bidi
from captions.errors import LayoutError
from captions.layout import (
    NO_LINE_START,
    block_y,
    centred_x,
    geometry,
    is_rtl,
    visible_length,
    wrap_offsets,
    wrap_text,
)

LONG_FR = ("Chaque année, des milliers de femmes et d'enfants sont victimes de la traite "
           "des êtres humains au Maroc et dans le monde")


@pytest.mark.parametrize(("size", "shape", "safe", "widest", "lines"), [
    ((1920, 1080), "wide", (240, 54, 1680, 1026), 1305, 2),
    ((1080, 1920), "vertical", (54, 240, 1026, 1680), 972, 3),
    ((1440, 1080), "square", (72, 54, 1368, 1026), 1296, 2),
    ((1080, 1080), "square", (54, 54, 1026, 1026), 972, 2),
    ((320, 180), "wide", (40, 9, 280, 171), 217, 2),
])
def test_geometry_per_shape(size, shape, safe, widest, lines):
    geo = geometry(*size)
    assert (geo.shape, geo.safe, geo.max_width, geo.max_lines) == (shape, safe, widest, lines)


def test_one_line_when_it_fits():
    assert wrap_text("Bonjour à tous", "fr") == ["Bonjour à tous"]


def test_lines_are_at_most_42_characters_and_balanced():
    text = "Ensemble contre la traite des êtres humains, appelez le numéro vert"
    lines = wrap_text(text, "fr")
    assert len(lines) == 2
    assert all(len(line) <= 42 for line in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 10
    assert " ".join(lines) == text


def test_author_breaks_are_reflowed():
    assert wrap_text("Bonjour\nà tous", "fr") == ["Bonjour à tous"]


def test_no_line_starts_with_closing_punctuation():
    # a plain space before "?" is an allowed break point by position, never by rule
    text = "Si vous pensez que quelqu'un est en danger ? Appelez"
    for limit in range(20, 45):
        for line in wrap_text(text, "fr", max_chars=limit):
            assert line[0] not in NO_LINE_START


def test_nbsp_before_question_mark_never_breaks():
    text = "Vous êtes en danger\u00a0? Appelez le 5757 tout de suite"
    lines = wrap_text(text, "fr", max_chars=24)
    assert any(line.endswith("danger\u00a0?") or "danger\u00a0?" in line for line in lines)
    assert all(not line.startswith("?") for line in lines)


def test_arabic_punctuation_never_starts_a_line():
    text = "هل تعرف ضحية للاتجار بالبشر ؟ اتصل بالرقم الأخضر ، الآن"
    for limit in range(12, 40):
        for line in wrap_text(text, "ar", max_chars=limit):
            assert line[0] not in "؟،؛"


def test_never_breaks_inside_a_word():
    lines = wrap_text(LONG_FR, "fr")
    assert " ".join(lines).split() == LONG_FR.split()
    assert len(lines) == 3  # no max_lines: as many as needed (normalize mode)
    assert all(len(line) <= 42 for line in lines)


def test_a_word_longer_than_a_line_is_a_layout_error():
    with pytest.raises(LayoutError, match=r"long\.ma/campagne.*wider than a line"):
        wrap_text("Voir www.exemple-tres-long.ma/campagne", "fr", max_chars=20)
    with pytest.raises(LayoutError, match="42 characters") as caught:
        wrap_text("a" * 60, "fr", cue=7)
    assert caught.value.cue == 7


def test_too_much_text_for_the_allowed_lines():
    with pytest.raises(LayoutError, match="does not fit on 2 line"):
        wrap_text(LONG_FR, "fr", max_lines=2)


def test_pixel_mode_uses_the_measure():
    lines = wrap_text("aa bb cc dd", "fr", max_chars=None, max_width_px=50,
                      measure=lambda s: 10.0 * len(s))
    assert lines == ["aa bb", "cc dd"]
    offsets = wrap_offsets("aa bb cc dd", max_chars=None, max_width_px=50,
                           measure_span=lambda a, b: 10.0 * (b - a))
    assert offsets == [(0, 5), (6, 11)]


def test_no_lone_word_on_a_line_when_avoidable():
    lines = wrap_text("Appelez le numéro vert maintenant", "fr", max_chars=26)
    assert all(len(line.split()) > 1 for line in lines)


def test_visible_length_ignores_marks_and_controls():
    assert visible_length("إِنَّ") == 2
    assert visible_length("\u202bابc\u202c\u200f") == 3


def test_direction_comes_from_the_language():
    assert is_rtl("ar") and not is_rtl("fr") and not is_rtl("zgh")


def test_placement_helpers():
    geo = geometry(1920, 1080)
    assert centred_x(1920, 100.0) == 860
    assert block_y(geo, 0, 80, top=False) == 1026 - 80
    assert block_y(geo, 0, 80, top=True) == 54
    assert block_y(geo, 0, 80, top=False, reserved=100) == 1026 - 100 - 80


# -- bidi ---------------------------------------------------------------------------------

def _visual(text: str, rtl: bool) -> str:
    levels = bidi.levels(text, rtl)
    kept = [(ch, lv) for ch, lv in zip(text, levels, strict=True) if not bidi.is_control(ch)]
    order = bidi.visual_order([lv for _, lv in kept])
    return "".join(kept[i][0] for i in order)


def test_arabic_paragraph_starting_with_latin_is_rtl():
    text = "ONUDC: تقرير سنة 2024."
    levels = bidi.levels(text, rtl=True)
    assert levels[:5] == [2] * 5  # ONUDC is an LTR island in an RTL paragraph
    assert levels[-1] == 1  # the final "." follows the paragraph
    visual = _visual(text, rtl=True)
    assert visual.startswith(".")
    assert visual.endswith("ONUDC")
    assert "2024" in visual  # digits keep their order


def test_same_text_in_an_ltr_paragraph():
    assert _visual("ONUDC: abc", rtl=False) == "ONUDC: abc"
    assert _visual("abc تقرير", rtl=False) == "abc ريرقت"


def test_explicit_embedding_is_honoured():
    # RLO ... PDF forces right-to-left; RLE ... PDF orders runs right-to-left
    assert _visual("x \u202eabc\u202c y", rtl=False) == "x cba y"
    assert _visual("x \u202babc 12 تق\u202c y", rtl=False) == "x قت abc 12 y"
    # LRI ... PDI keeps a Latin phrase in order inside Arabic
    assert _visual("\u2066ab cd\u2069 تق", rtl=True) == "قت ab cd"
    # RLM at the start does not change an already-RTL paragraph
    assert _visual("\u200fتقرير", rtl=True) == _visual("تقرير", rtl=True)
