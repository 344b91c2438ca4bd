"""The renderer, measured on real pixels: placement, clipping, bidi order, shaping, legibility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from captions import fonts
from captions.errors import LayoutError
from captions.fonts import face, pil_font, split_runs
from captions.layout import NO_LINE_START, geometry, visible_length
from captions.model import Cue, Span, Track
from captions.render import base_size, composite, render_cue, render_overlays
from captions.style import Style, StyleError

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
WHITE = (255, 255, 255)
ONUDC = "ONUDC: تقرير سنة 2024 عن الاتجار بالبشر."
MEDIUM_FR = "Ensemble contre la traite des êtres humains, appelez le numéro vert"
MEDIUM_AR = "معا ضد الاتجار بالبشر، اتصلوا بالرقم الأخضر المجاني الآن"


def make_cue(text: str, index: int = 1, start: int = 0, end: int = 2000, *, top: bool = False,
             **span) -> Cue:
    return Cue(index, start, end, [[Span(line, **span)] for line in text.split("\n")], top=top)


def rgba(image) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8)


def colour_xs(image, colour) -> np.ndarray:
    """x of the pixels drawn fully opaque in exactly `colour`."""
    a = rgba(image)
    mask = (a[..., 3] == 255) & np.all(a[..., :3] == colour, axis=-1)
    return np.nonzero(mask)[1]


def colour_ys(image, colour) -> np.ndarray:
    a = rgba(image)
    mask = (a[..., 3] == 255) & np.all(a[..., :3] == colour, axis=-1)
    return np.nonzero(mask)[0]


def frame_box(rendered) -> tuple[int, int, int, int]:
    return (rendered.x, rendered.y, rendered.x + rendered.image.width,
            rendered.y + rendered.image.height)


def reference_alpha(text: str, key: str, size: float, stroke: int, *,
                    direction: str | None, language: str = "ar") -> np.ndarray:
    """The same text drawn straight with Pillow on an oversized canvas, alpha composed as the
    renderer does (outline under fill), cropped to its ink."""
    font = pil_font(key, size)
    canvas = (int(size * 40) + 400, int(size * 6) + 400)
    fill, outline = Image.new("L", canvas), Image.new("L", canvas)
    at = (200, int(size * 3) + 200)
    common = dict(font=font, anchor="ls", direction=direction, language=language)
    ImageDraw.Draw(outline).text(at, text, fill=255, stroke_width=stroke, stroke_fill=255,
                                 **common)
    ImageDraw.Draw(fill).text(at, text, fill=255, **common)
    s = np.asarray(outline).astype(np.float32) / 255
    f = np.asarray(fill).astype(np.float32) / 255
    alpha = np.rint((f + s * (1 - f)) * 255).astype(np.uint8)
    ys, xs = np.nonzero(alpha)
    return alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def stroke_px(style: Style, size: float) -> int:
    return max(1, round(style.outline * size))


# -- placement ------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(320, 180), (180, 320), (240, 180), (200, 200)])
@pytest.mark.parametrize("kind", ["outline", "box"])
@pytest.mark.parametrize(("language", "text"), [("fr", MEDIUM_FR), ("ar", MEDIUM_AR)])
def test_ink_inside_safe_area_width_and_line_limits(size, kind, language, text):
    w, h = size
    geo = geometry(w, h)
    rendered = render_cue(make_cue(text), language, w, h, Style(kind=kind))
    x0, y0, x1, y1 = frame_box(rendered)
    sx0, sy0, sx1, sy1 = geo.safe
    assert sx0 <= x0 and sy0 <= y0 and x1 <= sx1 and y1 <= sy1
    limit = 0.68 if w / h >= 1.5 else 0.90
    assert x1 - x0 <= limit * w
    assert 1 <= len(rendered.lines) <= (3 if h > w * 1.25 else 2)
    assert all(line[0] not in NO_LINE_START for line in rendered.lines)
    assert all(visible_length(line) <= 42 for line in rendered.lines)
    assert " ".join(rendered.lines).split() == text.split()  # no word broken or lost
    # the image is cropped to its ink: nothing transparent around it
    assert rendered.image.getchannel("A").getbbox() == (0, 0, *rendered.image.size)


def test_bottom_by_default_and_top_with_an8():
    geo = geometry(320, 180)
    bottom = render_cue(make_cue("Bonjour"), "fr", 320, 180, Style())
    top = render_cue(make_cue("Bonjour", top=True), "fr", 320, 180, Style())
    assert frame_box(bottom)[3] == geo.safe[3]
    assert top.y == geo.safe[1]


def test_latin_line_height_is_7_5_percent_at_1080p():
    cue = Cue(1, 0, 1000, [[Span("HHHH HHHH", color=RED)], [Span("HHHH HHHH", color=GREEN)]])
    rendered = render_cue(cue, "fr", 1920, 1080, Style())
    pitch = colour_ys(rendered.image, GREEN).min() - colour_ys(rendered.image, RED).min()
    assert 0.07 <= pitch / 1080 <= 0.08
    assert rendered.size * 1.362 / 1080 == pytest.approx(0.075, abs=0.001)


def test_vertical_frames_use_the_vertical_line_height():
    assert base_size(Style(), 1080, 1920) * 1.362 / 1920 == pytest.approx(0.042, abs=0.001)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_line_is_centred_within_one_percent(language):
    first, second = ("Appelez le numéro vert", "tout de suite") if language == "fr" else (
        "اتصلوا بالرقم الأخضر", "الآن")
    cue = Cue(1, 0, 1000, [[Span(first, color=RED)], [Span(second, color=GREEN)]])
    rendered = render_cue(cue, language, 640, 360, Style())
    assert rendered.lines == (first, second)
    for colour in (RED, GREEN):
        xs = colour_xs(rendered.image, colour) + rendered.x
        centre = (xs.min() + xs.max() + 1) / 2
        assert abs(centre - 320) <= 0.01 * 640


def _boxes_intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_two_tracks_never_overlap():
    fr = Track(None, "fr", [make_cue("Ensemble contre la traite\ndes êtres humains", 1, 0, 3000),
                            make_cue("Court", 2, 3000, 5000),
                            make_cue("En haut", 3, 5000, 6000, top=True)])
    ar = Track(None, "ar", [make_cue(ONUDC, 1, 500, 3500),
                            make_cue("إِنَّ مَعَ الْعُسْرِ يُسْرًا", 2, 3500, 5500),
                            make_cue("في الأعلى", 3, 5000, 6000, top=True)])
    overlays = render_overlays([fr, ar], 640, 360, Style())
    assert len(overlays) == 6
    geo = geometry(640, 360)
    for o in overlays:
        box = (o.x, o.y, o.x + o.image.width, o.y + o.image.height)
        assert geo.safe[0] <= box[0] and geo.safe[1] <= box[1]
        assert box[2] <= geo.safe[2] and box[3] <= geo.safe[3]
    for a in overlays:
        for b in overlays:
            if a.track_index < b.track_index and a.start_ms < b.end_ms and b.start_ms < a.end_ms:
                box_a = (a.x, a.y, a.x + a.image.width, a.y + a.image.height)
                box_b = (b.x, b.y, b.x + b.image.width, b.y + b.image.height)
                assert not _boxes_intersect(box_a, box_b), (a.cue_index, b.cue_index)
    # the second track does not jump: all its bottom cues share one bottom edge
    bottoms = {o.y + o.image.height for o in overlays if o.track_index == 1 and o.cue_index < 3}
    assert len(bottoms) == 1


def test_a_slot_alone_reserves_room_for_the_first_track():
    alone = render_cue(make_cue("Bonjour"), "fr", 320, 180, Style(), slot=1)
    first = render_cue(make_cue("Deux lignes\nde texte"), "fr", 320, 180, Style())
    assert alone.y + alone.image.height <= first.y


# -- no clipping ----------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "text"), [
    ("fr", "jpgqy"), ("fr", "ÉÇ"), ("fr", "ENSEMBLE CONTRE LA TRAITE"),
    ("ar", "إِنَّ مَعَ الْعُسْرِ يُسْرًا"), ("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ ⴰ̇ ⵣ̇")])
def test_zero_ink_lost_against_an_oversized_canvas(language, text):
    style = Style()
    rendered = render_cue(make_cue(text), language, 640, 360, style)
    [(_, key)] = split_runs(text, language)
    size = rendered.size * face(key).scale
    direction = "rtl" if language == "ar" else "ltr"
    expected = reference_alpha(text, key, size, stroke_px(style, rendered.size),
                               direction=direction, language=language)
    alpha = rgba(rendered.image)[..., 3]
    assert np.count_nonzero(alpha) == np.count_nonzero(expected)
    assert np.array_equal(alpha, expected)


# -- bidi, shaping, script --------------------------------------------------------------------

def test_arabic_is_rtl_with_the_final_dot_leftmost_and_onudc_rightmost():
    cue = Cue(1, 0, 1000, [[Span("ONUDC", color=RED), Span(": تقرير سنة "), Span("2", color=BLUE),
                            Span("02"), Span("4", color=YELLOW), Span(" عن الاتجار بالبشر"),
                            Span(".", color=GREEN)]])
    rendered = render_cue(cue, "ar", 640, 360, Style())
    xs = np.concatenate([colour_xs(rendered.image, c) for c in (WHITE, RED, BLUE, YELLOW, GREEN)])
    assert colour_xs(rendered.image, GREEN).min() == xs.min()  # "." leftmost
    assert colour_xs(rendered.image, RED).max() == xs.max()  # ONUDC rightmost
    assert colour_xs(rendered.image, BLUE).max() < colour_xs(rendered.image, YELLOW).min()


def test_single_face_line_is_pixel_equal_to_a_direction_rtl_reference():
    text = "تقرير سنة 2024 عن الاتجار بالبشر."
    style = Style()
    rendered = render_cue(make_cue(text), "ar", 640, 360, style)
    size = rendered.size * face("arabic").scale
    stroke = stroke_px(style, rendered.size)
    expected = reference_alpha(text, "arabic", size, stroke, direction="rtl")
    assert np.array_equal(rgba(rendered.image)[..., 3], expected)
    assert not np.array_equal(
        rgba(rendered.image)[..., 3],
        reference_alpha(text, "arabic", size, stroke, direction="ltr"))


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")
def test_onudc_sentence_equals_the_rtl_reference_not_pillow_s_guess():
    style = Style(font=DEJAVU)
    rendered = render_cue(make_cue(ONUDC), "ar", 640, 360, style)
    key = fonts.user_key(DEJAVU)
    size = rendered.size * face(key).scale
    stroke = stroke_px(style, rendered.size)
    alpha = rgba(rendered.image)[..., 3]
    assert np.array_equal(alpha, reference_alpha(ONUDC, key, size, stroke, direction="rtl"))
    guessed = reference_alpha(ONUDC, key, size, stroke, direction=None)  # Pillow: LTR
    assert alpha.shape != guessed.shape or not np.array_equal(alpha, guessed)


def test_arabic_letters_join():
    style = Style()
    word = render_cue(make_cue("مرحبا"), "ar", 640, 360, style)
    stroke = stroke_px(style, word.size)
    letters = [render_cue(make_cue(ch), "ar", 640, 360, style).image.width - 2 * stroke
               for ch in "مرحبا"]
    assert word.image.width - 2 * stroke < 0.9 * sum(letters)
    # and raqm shapes differently from Pillow's basic layout (which leaves letters isolated)
    size = word.size * face("arabic").scale
    basic = ImageFont.truetype(str(face("arabic").path), size, layout_engine=ImageFont.Layout.BASIC)
    raqm = pil_font("arabic", size)
    assert basic.getlength("مرحبا") != raqm.getlength("مرحبا", direction="rtl")


def test_tifinagh_mark_is_attached_without_dotted_circle():
    plain = render_cue(make_cue("ⴰ"), "zgh", 640, 360, Style())
    marked = render_cue(make_cue("ⴰ̇"), "zgh", 640, 360, Style())
    assert abs(marked.image.width - plain.image.width) <= 1  # no ◌ beside it
    assert marked.image.height > plain.image.height  # the dot sits above
    assert rgba(marked.image)[..., 3].sum() > rgba(plain.image)[..., 3].sum()


@pytest.mark.parametrize(("language", "text"), [("ar", "تقرير ONUDC"), ("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ ONUDC")])
def test_no_italics_for_arabic_or_tifinagh(language, text):
    upright = render_cue(make_cue(text), language, 640, 360, Style())
    italic = render_cue(make_cue(text, italic=True), language, 640, 360, Style())
    assert upright.image.tobytes() == italic.image.tobytes()


def test_italics_for_french():
    upright = render_cue(make_cue("Texte"), "fr", 640, 360, Style())
    italic = render_cue(make_cue("Texte", italic=True), "fr", 640, 360, Style())
    assert upright.image.tobytes() != italic.image.tobytes()


def test_bidi_controls_are_honoured_and_never_drawn():
    def pixels(text, language):
        return render_cue(make_cue(text), language, 640, 360, Style()).image.tobytes()

    assert pixels("\u200fتقرير سنة", "ar") == pixels("تقرير سنة", "ar")
    assert pixels("Le \u202bتقرير\u202c fin", "fr") == pixels("Le تقرير fin", "fr")
    # corpus 17: a cue already wrapped in RLE…PDF is not reversed a second time
    assert pixels("\u202bتقرير سنة 2024.\u202c", "ar") == pixels("تقرير سنة 2024.", "ar")
    assert pixels("\u202bONUDC: تقرير 45%.\u202c", "ar") == pixels("ONUDC: تقرير 45%.", "ar")


def test_arabic_punctuation_and_joining_controls():
    """Corpus 19: ، and ؟ sit on the left of their words; ZWJ/ZWNJ change the joining."""
    cue = Cue(1, 0, 1000, [[Span('الـ"برونكس"'), Span("،", color=RED), Span(" هل"),
                            Span("؟", color=GREEN)]])
    rendered = render_cue(cue, "ar", 640, 360, Style())
    xs = np.concatenate([colour_xs(rendered.image, c) for c in (WHITE, RED, GREEN)])
    assert colour_xs(rendered.image, GREEN).min() == xs.min()  # ؟ ends the line, on the left

    def width(text):
        return render_cue(make_cue(text), "ar", 640, 360, Style()).image.width

    assert width("ب\u200dب") < width("ب\u200cب")  # ZWJ joins, ZWNJ keeps apart


def test_tifinagh_runs_left_to_right_with_latin_digits():
    cue = Cue(1, 0, 1000, [[Span("ⵜ", color=RED), Span("ⴰⵎⴰⵣⵉⵖⵜ "), Span("2024", color=GREEN)]])
    rendered = render_cue(cue, "zgh", 640, 360, Style())
    assert colour_xs(rendered.image, RED).max() < colour_xs(rendered.image, WHITE).min()
    assert colour_xs(rendered.image, WHITE).max() < colour_xs(rendered.image, GREEN).min()


# -- legibility -------------------------------------------------------------------------------

def _luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


@pytest.mark.parametrize("kind", ["outline", "box"])
@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0), (128, 128, 128)])
def test_contrast_at_least_4_5_to_1(kind, background):
    rendered = render_cue(make_cue("Bonjour HELLO"), "fr", 640, 360, Style(kind=kind))
    frame = Image.new("RGB", (640, 360), background)
    out = np.asarray(composite(frame, [_as_overlay(rendered)], 0))
    a = rgba(rendered.image)
    core = np.zeros((360, 640), bool)
    sub = (a[..., 3] == 255) & np.all(a[..., :3] == WHITE, axis=-1)
    core[rendered.y:rendered.y + sub.shape[0], rendered.x:rendered.x + sub.shape[1]] = sub
    ring = _dilate(core, 2) & ~_dilate(core, 1)
    text_l = np.median(_luminance(out[core]))
    ring_l = np.percentile(_luminance(out[ring]), 90)
    assert (text_l + 0.05) / (ring_l + 0.05) >= 4.5


def _as_overlay(rendered, start=0, end=1000):
    from captions.render import Overlay

    return Overlay(rendered.image, rendered.x, rendered.y, start, end, 1, 0)


def test_box_lines_touch_and_have_half_an_em_of_padding():
    style = Style(kind="box")
    rendered = render_cue(make_cue("Appelez le numéro\nvert"), "fr", 640, 360, style)
    a = rgba(rendered.image)
    assert (a[..., 3] >= round(0.6 * 255)).any(axis=1).all()  # no transparent row
    text_xs = colour_xs(rendered.image, WHITE)
    assert text_xs.min() >= round(0.5 * rendered.size) - 1
    assert a.shape[1] - 1 - text_xs.max() >= round(0.5 * rendered.size) - 1


def test_outline_is_at_least_6_percent_of_the_em():
    assert Style().outline >= 0.06
    with pytest.raises(StyleError, match=r"outline=0\.05"):
        Style(outline=0.05)
    with pytest.raises(StyleError, match=r"box_opacity=0\.5"):
        Style(box_opacity=0.5)


def test_style_names_and_overrides():
    assert Style.from_name("box").kind == "box"
    style = Style.parse("box,box_opacity=0.9,color=#ffff00,line_height=8%")
    assert (style.kind, style.box_opacity, style.color, style.line_height) == (
        "box", 0.9, YELLOW, 0.08)
    assert Style.parse("outline=0.1").outline == 0.1
    with pytest.raises(StyleError, match="unknown"):
        Style.parse("shadow")
    with pytest.raises(StyleError, match="'size' is unknown"):
        Style.parse("outline,size=3")
    with pytest.raises(StyleError, match="does not exist"):
        Style.parse("font=/nonexistent/font.ttf")


# -- rules of the renderer --------------------------------------------------------------------

def _word_needing_shrink(style: Style, w: int, h: int) -> tuple[str, str]:
    """A word too wide at the normal size but fine at 85%, and one too wide even at the floor."""
    size = base_size(style, w, h)
    limit = geometry(w, h).max_width
    font = pil_font("latin", size)
    small = pil_font("latin", size * 0.85)
    for n in range(5, 80):
        word = "m" * n
        if (font.getlength(word) + 2 * stroke_px(style, size) > limit
                and small.getlength(word) + 2 * stroke_px(style, size * 0.85) <= limit):
            return word, "m" * (2 * n)
    raise AssertionError("no word length found")


def test_a_word_too_wide_shrinks_the_cue_down_to_the_floor():
    style = Style()
    fits, too_long = _word_needing_shrink(style, 320, 180)
    rendered = render_cue(make_cue(fits), "fr", 320, 180, style)
    normal = base_size(style, 320, 180)
    assert style.floor * normal <= rendered.size < normal
    assert rendered.image.width <= geometry(320, 180).max_width
    with pytest.raises(LayoutError, match=r"cue 9: the word 'm+' is wider.*80%") as caught:
        render_cue(make_cue(too_long, index=9), "fr", 320, 180, style)
    assert caught.value.cue == 9


def test_render_overlays_errors_name_the_file_line_and_cue():
    cue = Cue(3, 0, 1000, [[Span("m" * 80)]], source_line=9)
    with pytest.raises(LayoutError) as caught:
        render_overlays([Track(Path("capsule.fr.srt"), "fr", [cue])], 320, 180, Style())
    assert str(caught.value).startswith("capsule.fr.srt:9: cue 3: the word 'mmm")


def test_empty_and_emoji_only_cues_draw_nothing():
    assert render_cue(make_cue("  "), "fr", 320, 180, Style()) is None
    assert render_cue(make_cue("✅🎵"), "fr", 320, 180, Style()) is None
    track = Track(None, "fr", [make_cue(""), make_cue("Texte", 2)])
    assert [o.cue_index for o in render_overlays([track], 320, 180, Style())] == [2]


def test_emoji_are_removed_before_rendering():
    with_emoji = render_cue(make_cue("Attention ✅"), "fr", 320, 180, Style())
    without = render_cue(make_cue("Attention"), "fr", 320, 180, Style())
    assert with_emoji.image.tobytes() == without.image.tobytes()
    # across styled spans (a cue built in code, e.g. a thumbnail title): words stay apart
    spans = Cue(1, 0, 1000, [[Span("Merci ✅ "), Span("à vous", bold=True)]])
    plain = Cue(1, 0, 1000, [[Span("Merci "), Span("à vous", bold=True)]])
    got = render_cue(spans, "fr", 640, 360, Style())
    assert got.lines == ("Merci à vous",)
    assert got.image.tobytes() == render_cue(plain, "fr", 640, 360, Style()).image.tobytes()


def test_rendering_is_deterministic():
    cue = make_cue(ONUDC)
    first = render_cue(cue, "ar", 640, 360, Style(kind="box"))
    pil_font.cache_clear()
    second = render_cue(cue, "ar", 640, 360, Style(kind="box"))
    assert (first.x, first.y) == (second.x, second.y)
    assert first.image.tobytes() == second.image.tobytes()


def test_composite_shows_a_cue_only_while_start_le_t_lt_end():
    rendered = render_cue(make_cue("Bonjour"), "fr", 320, 180, Style())
    overlay = _as_overlay(rendered, 1000, 2000)
    frame = Image.new("RGB", (320, 180), (128, 128, 128))
    assert composite(frame, [overlay], 999).tobytes() == frame.tobytes()
    assert composite(frame, [overlay], 1000).tobytes() != frame.tobytes()
    assert composite(frame, [overlay], 2000).tobytes() == frame.tobytes()


def test_overlapping_cues_of_one_track_stack_instead_of_overprinting():
    """Corpus 9 / checklist 9: both overlapping cues stay readable (as libass stacks them)."""
    geo = geometry(640, 360)
    gap = math.ceil(0.3 * 0.075 * 360)  # 30% of a Latin line between stacked blocks
    fr = Track(None, "fr", [make_cue("Un", 1, 0, 5000), make_cue("Deux", 2, 3000, 6000),
                            make_cue("Trois", 3, 6000, 7000)])
    ar = Track(None, "ar", [make_cue("مرحبا", 1, 0, 7000)])
    overlays = render_overlays([fr, ar], 640, 360, Style())
    by = {(o.track_index, o.cue_index): o for o in overlays}
    first, second, third, arabic = by[0, 1], by[0, 2], by[0, 3], by[1, 1]
    assert first.y + first.image.height == geo.safe[3] == third.y + third.image.height
    assert second.y + second.image.height + gap <= first.y  # above cue 1, not over it
    # the next track clears the whole stack, with the same gap
    assert arabic.y + arabic.image.height + gap <= second.y


def test_read_markup_never_reaches_pixels():
    """Checklist 3: tags, override blocks and entities are parsed, never drawn."""
    from captions.reading import track_from_text

    source = ("1\n00:00:01,000 --> 00:00:03,000\n"
              "{\\an8}<b></b>A &amp; B &lt;3 <font color=\"nope\">fin</font>\n")
    read = track_from_text(source, "srt", language="fr").cues[0]
    plain = make_cue("A & B <3 fin", top=True)
    got = render_cue(read, "fr", 640, 360, Style())
    expected = render_cue(plain, "fr", 640, 360, Style())
    assert got.image.tobytes() == expected.image.tobytes()
    assert (got.x, got.y) == (expected.x, geometry(640, 360).safe[1])  # {\an8}: at the top


def test_at_most_42_characters_a_line_even_when_narrow_letters_would_fit():
    text = "il lit ici, il lit ici, il lit ici, il lit ici"  # 46 characters, 1/3 of 1080p wide
    rendered = render_cue(make_cue(text), "fr", 1920, 1080, Style())
    assert rendered.lines == ("il lit ici, il lit ici,", "il lit ici, il lit ici")
    assert rendered.image.width < 0.3 * 1920  # the width alone would have allowed one line
    # an author's line of 46 characters is re-flowed too; one long word keeps its own line
    word = "www." + "il" * 22 + ".ma"
    assert render_cue(make_cue(f"Voir {word}"), "fr", 1920, 1080, Style()).lines == (
        "Voir", word)


def test_latin_acronym_and_digits_keep_their_order_inside_arabic():
    cue = Cue(1, 0, 1000, [[Span("تقرير "), Span("O", color=RED), Span("NUD"),
                            Span("C", color=GREEN), Span(" سنة "), Span("2", color=BLUE),
                            Span("02"), Span("4", color=YELLOW)]])
    image = render_cue(cue, "ar", 640, 360, Style()).image
    assert colour_xs(image, RED).max() < colour_xs(image, GREEN).min()  # O before C
    assert colour_xs(image, BLUE).max() < colour_xs(image, YELLOW).min()  # 2 before 4
    assert colour_xs(image, YELLOW).max() < colour_xs(image, RED).min()  # 2024 left of ONUDC


def test_cues_move_off_a_declared_text_region():
    """Checklist 20: a declared text region sends cues to the other edge; ink never meets it."""
    style = Style.parse("outline,text_region=80%-100%")
    assert style.text_region == (0.8, 1.0)
    track = Track(None, "fr", [make_cue("En bas d'habitude", 1, 0, 1000),
                               make_cue("Déjà en haut", 2, 1000, 2000, top=True)])
    geo = geometry(640, 360)
    for o in render_overlays([track], 640, 360, style):
        assert o.y == geo.safe[1]  # both at the top
        assert o.y + o.image.height <= 0.8 * 360
    lower = Style.parse("box,text_region=0-0.25")  # a title in the upper quarter
    [o1, o2] = render_overlays([track], 640, 360, lower)
    assert o1.y + o1.image.height == o2.y + o2.image.height == geo.safe[3]
    with pytest.raises(LayoutError, match=r"^capsule.fr.srt:5: cue 1: the cue covers the "
                                          r"style's text_region at the top and at the bottom"):
        render_overlays([Track(Path("capsule.fr.srt"), "fr", [Cue(1, 0, 1000, [[Span("Oui")]],
                                                                  source_line=5)])],
                        640, 360, Style.parse("text_region=0-1"))
    with pytest.raises(StyleError, match=r"text_region=0\.9-0\.2 must be two fractions"):
        Style.parse("text_region=0.9-0.2")
    with pytest.raises(StyleError, match="style text_region='bas' is not a valid value"):
        Style.parse("text_region=bas")
