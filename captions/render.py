"""THE renderer: one cue → one RGBA image and its place in the frame.

Preview, contact sheet and burn all place cues with `iter_placements` and draw each once with
its `draw` (`render_overlays` does both at once; the burn places every cue first and draws each
when the encode reaches it), so what an officer checks is what gets published.

How a cue becomes pixels:
1. emoji are removed, the text is wrapped (author breaks kept when they fit, else re-flowed;
   at most 42 characters and the frame shape's width a line, captions.layout) at a size from
   the frame height, shrunk down to the style's floor when a word is too wide;
2. each line is cut into runs by style, covering font and bidi level; runs are put in visual
   order (paragraph direction from the language), each shaped by raqm with its direction;
3. the pieces are set on a canvas from the fonts' metrics only (`_measure`): the ink's box
   (the fonts' ink boxes, which over-report by a pixel at most, and the box style's
   rectangles) is what placement, stacking and the burn's lanes use, before any drawing;
4. ink is drawn as 8-bit masks on that canvas (`_paint`), the masks are composited (box,
   outline, text colours) with straight alpha, and the canvas is cropped to its ink inside
   the box: the picture is always where the box says, nothing transparent is kept, and a
   test checks that the box never cuts ink.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from config.i18n import _

from . import bidi
from .errors import CaptionsError, LayoutError
from .fonts import ensure_raqm, face, pil_font, remove_emoji, script_of, split_runs
from .layout import (
    MAX_CHARS,
    NO_LINE_END,
    NO_LINE_START,
    Geometry,
    block_y,
    centred_x,
    geometry,
    is_rtl,
    visible_length,
    wrap_offsets,
)
from .model import Cue, Span, Track
from .style import Style
from .units import find_units, protect

SHRINK_STEP = 0.05
TRACK_GAP = 0.3  # space between stacked tracks, in Latin lines
_CharStyle = tuple[bool, bool, "tuple[int, int, int] | None"]  # bold, italic, colour


@dataclass(frozen=True)
class RenderedCue:
    """A cue's pixels (RGBA, straight alpha, cropped to its ink) and their top-left corner."""

    image: object  # PIL.Image.Image
    x: int
    y: int
    lines: tuple[str, ...] = ()  # the text of each drawn line, as wrapped
    size: float = 0.0  # the Latin font size used (px per em), after any shrinking


@dataclass(frozen=True)
class Overlay:
    """A rendered cue with the time it shows: frames with start_ms <= t < end_ms."""

    image: object  # PIL.Image.Image, RGBA
    x: int
    y: int
    start_ms: int
    end_ms: int
    cue_index: int
    track_index: int


@dataclass(frozen=True)
class _Piece:
    """A run of one line, in visual order: drawn in one call."""

    text: str
    key: str
    size: float
    direction: str
    color: tuple[int, int, int] | None
    width: float


def _flatten(cue: Cue, rtl: bool = False) -> tuple[list[str], list[list[Span]]]:
    """The cue's author lines (emoji removed, blank lines dropped) and one span per character.

    In a right-to-left cue, numbers, addresses, hashtags and dates are kept whole and in order
    (captions.units.protect); an author line break inside one is dropped so the cue re-wraps
    around it."""
    lines, spans = [], []
    for line in cue.lines:
        text, owner = "", []
        for span in line:
            for ch in remove_emoji(span.text).replace("\n", " "):
                if ch == " " and text.endswith(" "):
                    continue  # the spaces around a removed emoji, also across spans
                text += ch
                owner.append(span)
        lead = len(text) - len(text.lstrip())
        text_stripped = text.strip()
        if text_stripped:
            lines.append(text_stripped)
            spans.append(owner[lead:lead + len(text_stripped)])
    if rtl and lines:
        lines, spans = _protect_units(lines, spans)
    return lines, spans


def _protect_units(lines: list[str], spans: list[list[Span]]):
    """Isolate the cue's left-to-right units; join author lines that a unit runs across."""
    joined = " ".join(lines)
    owners = []
    for i, line_spans in enumerate(spans):
        if i:
            owners.append(line_spans[0])
        owners += line_spans
    breaks = set()
    at = 0
    for line in lines[:-1]:
        at += len(line)
        breaks.add(at)  # the joining space's index
        at += 1
    for unit in find_units(joined):
        if unit.kind != "latin":
            breaks -= set(range(unit.start, unit.end))
    out_lines, out_spans = [], []
    start = 0
    for cut in [*sorted(breaks), len(joined)]:
        text, source = protect(joined[start:cut])
        out_lines.append(text)
        out_spans.append([owners[start + k] for k in source])
        start = cut + 1
    return out_lines, out_spans


class _Typesetter:
    """Measures and plans lines of one cue at one size."""

    def __init__(self, language: str, style: Style, size: float) -> None:
        self.language = language
        self.rtl = is_rtl(language)
        self.style = style
        self.size = size
        self.italic_ok = script_of(language) == "latin"
        self._plans: dict[tuple[str, tuple[_CharStyle, ...]], tuple[_Piece, ...]] = {}

    def plan(self, text: str, styles: tuple[_CharStyle, ...]) -> tuple[_Piece, ...]:
        """The visual-order pieces of one line; `styles` gives (bold, italic, colour) per char."""
        key = (text, styles)
        if key not in self._plans:
            self._plans[key] = self._plan(text, styles)
        return self._plans[key]

    def _plan(self, text: str, styles: tuple[_CharStyle, ...]) -> tuple[_Piece, ...]:
        if not text:
            return ()
        keys: list[str] = []
        start = 0
        while start < len(text):  # one split_runs call per stretch of equal style
            end = start
            while end < len(text) and styles[end][:2] == styles[start][:2]:
                end += 1
            bold, italic = styles[start][:2]
            for run_text, key in split_runs(
                    text[start:end], self.language, self.style.font,
                    bold=bold or self.style.bold, italic=italic and self.italic_ok,
                    arabic=self.style.arabic):
                keys += [key] * len(run_text)
            start = end
        colours = [s[2] for s in styles]
        if len(set(keys)) == 1 and len(set(colours)) == 1:
            # One font: raqm lays out the whole line (bidi included, controls honoured).
            return (self._piece(text, keys[0], "rtl" if self.rtl else "ltr", colours[0]),)
        levels = bidi.levels(text, self.rtl)
        runs: list[list] = []  # [text, key, level, colour]
        for ch, key, level, colour in zip(text, keys, levels, colours, strict=True):
            if bidi.is_control(ch):
                continue
            if runs and runs[-1][1:] == [key, level, colour]:
                runs[-1][0] += ch
            else:
                runs.append([ch, key, level, colour])
        order = bidi.visual_order([run[2] for run in runs])
        return tuple(self._piece(runs[i][0], runs[i][1], "rtl" if runs[i][2] % 2 else "ltr",
                                 runs[i][3]) for i in order)

    def _piece(self, text: str, key: str, direction: str, colour) -> _Piece:
        size = self.size * face(key).scale
        font = pil_font(key, size)
        width = font.getlength(text, direction=direction, language=self.language)
        return _Piece(text, key, size, direction, colour, width)

    def width(self, text: str, styles) -> float:
        return sum(piece.width for piece in self.plan(text, styles))


def _char_styles(spans: list[Span]) -> tuple[tuple[bool, bool, tuple | None], ...]:
    return tuple(_char_style(span.bold, span.italic, span.color) for span in spans)


def _side(style: Style, size: float) -> float:
    """Ink beyond the text advance on each side: outline width or box padding."""
    return style.padding * size if style.kind == "box" else _stroke(style, size)


def _stroke(style: Style, size: float) -> int:
    return max(1, round(style.outline * size)) if style.kind == "outline" else 0


def _latin_line(size: float) -> tuple[float, float]:
    latin = face("latin")
    return latin.ascent * size, latin.descent * size


def base_size(style: Style, frame_w: int, frame_h: int) -> float:
    """The Latin font size (px per em) that gives the style's line height on this frame."""
    latin = face("latin")
    return style.line_fraction(frame_w, frame_h) * frame_h / (latin.ascent + latin.descent)


def _wrap(cue: Cue, language: str, style: Style, geo: Geometry):
    """Lines (text, styles) and the typesetter, at the largest size that fits (shrink rule)."""
    author_lines, author_spans = _flatten(cue, is_rtl(language))
    if not author_lines:
        return None, []
    size0 = base_size(style, geo.width, geo.height)
    authored_flat = "\n".join(author_lines)  # author breaks: preferred when re-flowing
    flat = authored_flat.replace("\n", " ")
    flat_styles: list[tuple[bool, bool, tuple | None]] = []  # the joining space: style before
    for i, spans in enumerate(author_spans):
        if i:
            flat_styles.append(flat_styles[-1])
        flat_styles += _char_styles(spans)
    factors = []
    factor = 1.0
    while factor > style.floor + 1e-9:
        factors.append(factor)
        factor = round(factor - SHRINK_STEP, 4)
    factors.append(style.floor)
    # 42 characters a line (Netflix), unless one word alone is longer: it cannot be cut
    max_chars = max(MAX_CHARS, *(visible_length(word) for word in flat.split()))
    authored = [(line, _char_styles(spans)) for line, spans in
                zip(author_lines, author_spans, strict=True)]
    authored_ok = (len(authored) <= geo.max_lines
                   and all(visible_length(t) <= max_chars for t, _ in authored)
                   and not any(bidi.strip_controls(t)[:1] in NO_LINE_START
                               for t, _ in authored[1:])
                   and not any(bidi.strip_controls(t)[-1:] in NO_LINE_END
                               for t, _ in authored[:-1]))
    error: LayoutError | None = None
    for factor in factors:
        setter = _Typesetter(language, style, size0 * factor)
        limit = geo.max_width - 2 * _side(style, setter.size)
        if authored_ok and all(setter.width(t, s) <= limit for t, s in authored):
            return setter, authored
        try:
            offsets = wrap_offsets(authored_flat, max_chars=max_chars, max_width_px=limit,
                                   max_lines=geo.max_lines, cue=cue.index, language=language,
                                   measure_span=functools.partial(_span_width, setter, flat,
                                                                  flat_styles))
        except LayoutError as exc:
            error = exc
            continue
        tuple_styles = tuple(flat_styles)
        return setter, [(flat[a:b], tuple_styles[a:b]) for a, b in offsets]
    assert error is not None
    raise LayoutError(_("{detail} (even at {floor:.0%} of the normal size)").format(
                          detail=error.detail, floor=style.floor),
                      cue=cue.index)


def _span_width(setter: _Typesetter, text: str, styles: list, start: int, end: int) -> float:
    return setter.width(text[start:end], tuple(styles[start:end]))


def _compose(masks, style: Style):
    """Straight-alpha RGBA from 8-bit masks, bottom to top: box, outline, text colours."""
    import numpy as np
    from PIL import Image

    layers = [(style.box_color, masks["box"], style.box_opacity),
              (style.outline_color, masks["stroke"], 1.0),
              *((colour, mask, 1.0) for colour, mask in masks["fill"].items())]
    rgb = alpha = None
    for colour, mask, opacity in layers:
        if not mask.any():
            continue
        layer = mask.astype(np.float32) / 255
        if opacity != 1.0:
            layer *= opacity
        paint = np.asarray(colour, np.float32)
        if alpha is None:  # the lowest layer: nothing under it to blend with
            rgb = np.broadcast_to(paint, (*mask.shape, 3))
            alpha = layer
            continue
        under = alpha * (1 - layer)
        out = layer + under
        safe = np.where(out > 0, out, 1)
        rgb = (paint * layer[..., None] + rgb * under[..., None]) / safe[..., None]
        alpha = out
    shape = masks["box"].shape
    if alpha is None:
        return Image.new("RGBA", (shape[1], shape[0]))
    pixels = np.empty((*shape, 4), np.uint8)
    pixels[..., :3] = np.clip(np.rint(rgb), 0, 255)
    pixels[..., 3] = np.rint(alpha * 255)
    return Image.fromarray(pixels)  # (h, w, 4) uint8 is RGBA


@dataclass(frozen=True)
class _Measured:
    """A cue's lines set on a canvas but not drawn: where each piece goes and the box its ink
    fills (from the fonts' metrics). Placement uses `box`; drawing fills it, never more."""

    placed: tuple[tuple[_Piece, float, int], ...]  # piece, x, baseline (canvas pixels)
    rects: tuple[tuple[float, float, float, float], ...]  # box style: one per line
    canvas: tuple[int, int]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 on the canvas (x1, y1 exclusive)
    axis: int  # x of the centre line on the canvas
    stroke: int


def _measure(lines, setter: _Typesetter, style: Style) -> _Measured:
    """Set the lines on a canvas with the fonts' metrics only (no pixels): the same numbers
    `_paint` draws with, so a cue's box is known before, and without, drawing it."""
    size = setter.size
    stroke = _stroke(style, size)
    pad = style.padding * size if style.kind == "box" else 0
    latin_ascent, latin_descent = _latin_line(size)
    placed = []  # (piece, x, baseline)
    boxes = []  # per line: text box (x0, y0, x1, y1) and ink box
    top = 0.0
    for text, styles in lines:
        pieces = setter.plan(text, styles)
        ascent = max([latin_ascent] + [face(p.key).ascent * p.size for p in pieces])
        descent = max([latin_descent] + [face(p.key).descent * p.size for p in pieces])
        # Whole-pixel origins: a line drawn here is pixel-identical to the same text drawn
        # anywhere else (a half-pixel shift would re-antialias every edge).
        baseline = round(top + ascent)
        width = sum(p.width for p in pieces)
        x = float(round(-width / 2))
        ink = [math.inf, math.inf, -math.inf, -math.inf]
        for piece in pieces:
            placed.append((piece, x, baseline))
            font = pil_font(piece.key, piece.size)
            x0, y0, x1, y1 = font.getbbox(piece.text, anchor="ls", direction=piece.direction,
                                          language=setter.language, stroke_width=stroke)
            ink = [min(ink[0], x + x0), min(ink[1], baseline + y0),
                   max(ink[2], x + x1), max(ink[3], baseline + y1)]
            x += piece.width
        boxes.append(((-width / 2, top, width / 2, top + ascent + descent), ink))
        top += ascent + descent
    rects = []
    for i, ((tx0, ty0, tx1, ty1), ink) in enumerate(boxes):
        y0 = min(ty0, ink[1]) if i == 0 else ty0
        y1 = max(ty1, ink[3]) if i == len(boxes) - 1 else ty1
        rects.append((min(tx0, ink[0]) - pad, y0, max(tx1, ink[2]) + pad, y1))
    inks = [ink for _, ink in boxes] + (rects if pad else [])
    extent = [min(b[0] for b in inks), min(b[1] for b in inks),
              max(b[2] for b in inks), max(b[3] for b in inks)]
    margin = math.ceil(0.5 * size) + stroke + 2  # room for any ink the boxes under-report
    ox, oy = margin - math.floor(extent[0]), margin - math.floor(extent[1])
    canvas = (math.ceil(extent[2]) + ox + margin, math.ceil(extent[3]) + oy + margin)
    rects = [(x0 + ox, y0 + oy, x1 + ox, y1 + oy) for x0, y0, x1, y1 in rects] if pad else []
    # The box: the text's ink by the fonts' metrics (whole pixels, outward) and the boxes'
    # rectangles as `_paint` rounds them.
    edges = [(math.floor(i[0] + ox), math.floor(i[1] + oy), math.ceil(i[2] + ox),
              math.ceil(i[3] + oy)) for _, i in boxes if math.isfinite(i[0])]
    edges += [(round(x0), round(y0), round(x1), round(y1)) for x0, y0, x1, y1 in rects]
    box = ((min(e[0] for e in edges), min(e[1] for e in edges),
            max(e[2] for e in edges), max(e[3] for e in edges)) if edges
           else (margin, margin, margin, margin))  # nothing to set: an empty box
    return _Measured(tuple((p, x + ox, b + oy) for p, x, b in placed), tuple(rects), canvas,
                     box, ox, stroke)


def _paint(measured: _Measured, language: str, style: Style):
    """Draw what `_measure` set: the RGBA image cropped to its ink inside the measured box
    (None when nothing is visible) and the crop's top-left corner on the canvas."""
    import numpy as np
    from PIL import Image, ImageDraw

    canvas, stroke = measured.canvas, measured.stroke
    box_mask = Image.new("L", canvas, 0)
    if measured.rects:
        box_draw = ImageDraw.Draw(box_mask)
        for x0, y0, x1, y1 in measured.rects:
            box_draw.rectangle((round(x0), round(y0), round(x1) - 1, round(y1) - 1), fill=255)
    stroke_mask = Image.new("L", canvas, 0)
    fills: dict[tuple[int, int, int], Image.Image] = {}
    for piece, x, baseline in measured.placed:
        font = pil_font(piece.key, piece.size)
        common = dict(font=font, anchor="ls", direction=piece.direction, language=language)
        if stroke:
            ImageDraw.Draw(stroke_mask).text((x, baseline), piece.text, fill=255,
                                             stroke_width=stroke, stroke_fill=255, **common)
        colour = tuple(piece.color) if piece.color else style.color
        fill = fills.setdefault(colour, Image.new("L", canvas, 0))
        ImageDraw.Draw(fill).text((x, baseline), piece.text, fill=255, **common)
    image = _compose({"box": np.asarray(box_mask), "stroke": np.asarray(stroke_mask),
                      "fill": {c: np.asarray(m) for c, m in fills.items()}}, style)
    # Ink outside the measured box would move the cue from where it was placed: the box
    # bounds the picture (the metrics over-report ink; a test checks nothing is ever cut).
    bbox = image.crop(measured.box).getchannel("A").getbbox()
    if bbox is None:
        return None, (0, 0)
    x0, y0 = measured.box[0] + bbox[0], measured.box[1] + bbox[1]
    return image.crop((x0, y0, measured.box[0] + bbox[2], measured.box[1] + bbox[3])), (x0, y0)


_CHAR_STYLES: dict[_CharStyle, _CharStyle] = {}


def _char_style(bold: bool, italic: bool, color) -> _CharStyle:
    """One shared tuple per distinct style: a placed cue keeps one per character."""
    key = (bool(bold), bool(italic), None if color is None else tuple(color))
    return _CHAR_STYLES.setdefault(key, key)


def layout_cue(cue: Cue, language: str, frame_w: int, frame_h: int,
               style: Style) -> tuple[tuple[str, ...], float]:
    """The lines a cue will be drawn on and its Latin font size, without drawing it.

    Raises LayoutError (a word too wide even at the style's floor size, too many lines) or
    FontCoverageError exactly as `render_cue` would; the checker uses it to report before a
    burn what the burn would refuse.
    """
    ensure_raqm()
    setter, lines = _wrap(cue, language, style, geometry(frame_w, frame_h, style.shorts))
    if not lines:
        return (), 0.0
    return tuple(text for text, _ in lines), setter.size


@dataclass(frozen=True)
class PlacedCue:
    """A cue set in lines and placed in the frame, not drawn yet.

    (x, y, width, height) is its box: the ink's extent by the fonts' metrics, placed by the
    layout rules. `draw` paints it there: the image (cropped to its ink) always lies inside
    the box, so whatever was planned from boxes (stacking, lanes) holds for the pixels.
    Small: the burn keeps one per cue and draws each only when the encode needs it.
    """

    x: int
    y: int
    width: int
    height: int
    language: str
    size: float  # the Latin font size used (px per em), after any shrinking
    style: Style
    set_lines: tuple[tuple[str, tuple[_CharStyle, ...]], ...]  # text and per-char styles

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(text for text, _ in self.set_lines)

    def draw(self) -> RenderedCue | None:
        """The cue's pixels where the layout put them; None when nothing is visible."""
        ensure_raqm()
        measured = _measure(self.set_lines, _Typesetter(self.language, self.style, self.size),
                            self.style)
        image, (cx, cy) = _paint(measured, self.language, self.style)
        if image is None:
            return None
        return RenderedCue(image, self.x + cx - measured.box[0], self.y + cy - measured.box[1],
                           self.lines, self.size)


def place_cue(cue: Cue, language: str, frame_w: int, frame_h: int, style: Style, *,
              slot: int = 0, reserved: int | None = None) -> PlacedCue | None:
    """Set and place one cue for a frame of this size, without drawing it; None when the
    cue has nothing to draw (see `render_cue`, which is this followed by `PlacedCue.draw`)."""
    ensure_raqm()
    geo = geometry(frame_w, frame_h, style.shorts)
    setter, lines = _wrap(cue, language, style, geo)
    if not lines:
        return None
    measured = _measure(lines, setter, style)
    bx0, by0, bx1, by1 = measured.box
    width, height = bx1 - bx0, by1 - by0
    if width <= 0 or height <= 0:
        return None
    if reserved is None:
        ascent, descent = _latin_line(base_size(style, frame_w, frame_h))
        reserved = slot * math.ceil(geo.max_lines * (ascent + descent) + _gap(geo, style))
    x = centred_x(frame_w, measured.axis - bx0)
    y = block_y(geo, 0, height, top=cue.top, reserved=reserved)
    sx0, sy0, sx1, sy1 = geo.safe
    if width > sx1 - sx0 or y < sy0 or y + height > sy1:
        message = (_("the cue does not fit inside the safe area of a {w}x{h} frame beside the "
                     "cues showing with it: shorten it or split it in two") if reserved
                   else _("the cue does not fit inside the safe area of a {w}x{h} frame: "
                          "shorten it or split it in two"))
        raise LayoutError(message.format(w=frame_w, h=frame_h), cue=cue.index)
    x = min(max(x, sx0), sx1 - width)
    return PlacedCue(x, y, width, height, language, setter.size, style, tuple(lines))


def render_cue(cue: Cue, language: str, frame_w: int, frame_h: int, style: Style, *,
               slot: int = 0, reserved: int | None = None) -> RenderedCue | None:
    """Render one cue for a frame of this size; None when the cue has nothing to draw.

    The image is centred, its ink at the bottom of the safe area (top with `cue.top`). Slot 1
    and above stack further in by `reserved` pixels; `render_overlays` computes that from the
    tallest cue of the slots below, so tracks never overlap (alone, a slot reserves the height
    of the most lines the frame allows, per slot below it).
    """
    placed = place_cue(cue, language, frame_w, frame_h, style, slot=slot, reserved=reserved)
    return placed.draw() if placed is not None else None


def _gap(geo: Geometry, style: Style) -> int:
    """Space between two stacked tracks: 30% of a Latin line, so that two languages read as
    two subtitles, not as one block of four lines (about 2% of a 16:9 frame's height)."""
    return math.ceil(TRACK_GAP * style.line_fraction(geo.width, geo.height) * geo.height)


@dataclass(frozen=True)
class Placement:
    """A placed cue with the time it shows (frames with start_ms <= t < end_ms): what the
    burn plans its lanes from before drawing anything. `draw()` gives its Overlay."""

    cue: PlacedCue
    start_ms: int
    end_ms: int
    cue_index: int
    track_index: int

    @property
    def x(self) -> int:
        return self.cue.x

    @property
    def y(self) -> int:
        return self.cue.y

    @property
    def width(self) -> int:
        return self.cue.width

    @property
    def height(self) -> int:
        return self.cue.height

    def draw(self) -> Overlay | None:
        rendered = self.cue.draw()
        if rendered is None:
            return None
        return Overlay(rendered.image, rendered.x, rendered.y, self.start_ms, self.end_ms,
                       self.cue_index, self.track_index)


def render_overlays(tracks: list[Track], frame_w: int, frame_h: int,
                    style: Style) -> list[Overlay]:
    """Every non-empty cue of every track rendered once, placed so that no two overlap
    (`iter_overlays`, kept in memory: for previews and short clips)."""
    return list(iter_overlays(tracks, frame_w, frame_h, style))


def iter_overlays(tracks: list[Track], frame_w: int, frame_h: int,
                  style: Style) -> Iterator[Overlay]:
    """Every non-empty cue of every track drawn once where `iter_placements` puts it."""
    for placement in iter_placements(tracks, frame_w, frame_h, style):
        overlay = placement.draw()
        if overlay is not None:
            yield overlay


def iter_placements(tracks: list[Track], frame_w: int, frame_h: int,
                    style: Style) -> Iterator[Placement]:
    """Every non-empty cue of every track set and placed so that no two overlap; nothing is
    drawn (the burn draws each cue when the encode reaches it, the preview at once).

    Track 0 sits at the edge (bottom, or top for `{\\an8}` cues); each later track stacks
    inward past the tallest stack of the tracks before it on the same edge, so its position
    does not jump from cue to cue. Inside a track, a cue that starts while another is still
    showing (an overlap the checker warns about) is stacked inward past it, as libass does,
    rather than drawn over it. A cue that would cover the style's `text_region` goes to the
    other edge. Errors name the track's file, the cue's line and number.
    """
    geo = geometry(frame_w, frame_h, style.shorts)
    gap = _gap(geo, style)
    taken = {False: 0, True: 0}  # edge (top?) → pixels used by earlier tracks

    def place(track_index: int, track: Track, placed: list, cue: Cue, edge: bool):
        """Place `cue` at `edge` (top?), past the cues of its track showing with it there."""
        offset = max((at + height + gap for start, end, height, top, at in placed
                      if top == edge and start < cue.end and cue.start < end),
                     default=0)
        moved = cue if edge == cue.top else dataclasses.replace(cue, top=edge)
        try:
            return place_cue(moved, track.language, frame_w, frame_h, style,
                             slot=track_index, reserved=taken[edge] + offset), offset
        except CaptionsError as exc:
            if exc.path is not None or track.path is None:
                raise
            raise type(exc)(exc.detail, path=track.path, line=cue.source_line,
                            cue=cue.index) from exc

    for track_index, track in enumerate(tracks):
        extent = {False: 0, True: 0}  # pixels this track uses on each edge
        # (start, end, height, top?, offset inside the track) of the cues still showing
        placed: list[tuple[int, int, int, bool, int]] = []
        for cue in sorted(track.cues, key=lambda c: (c.start, c.index)):
            placed = [p for p in placed if p[1] > cue.start]  # cues start in order
            edge = cue.top
            box, offset = place(track_index, track, placed, cue, edge)
            if box is None:
                continue
            if _covers_region(box, style, frame_h):  # on-screen text there: other edge
                edge = not edge
                box, offset = place(track_index, track, placed, cue, edge)
                if _covers_region(box, style, frame_h):
                    raise LayoutError(_("the cue covers the style's text_region at the "
                                        "top and at the bottom of the frame: shorten it "
                                        "or narrow the region"),
                                      path=track.path, line=cue.source_line, cue=cue.index)
            placed.append((cue.start, cue.end, box.height, edge, offset))
            extent[edge] = max(extent[edge], offset + box.height)
            yield Placement(box, cue.start, cue.end, cue.index, track_index)
        for edge in (False, True):
            if extent[edge]:
                taken[edge] += extent[edge] + gap


def _covers_region(box: PlacedCue, style: Style, frame_h: int) -> bool:
    """True when the cue's rows meet the style's declared text region."""
    if style.text_region is None:
        return False
    top, bottom = (round(f * frame_h) for f in style.text_region)
    return box.y < bottom and top < box.y + box.height


def composite(frame, overlays: list[Overlay], t_ms: int | Fraction):
    """The RGB frame with every overlay showing at `t_ms` (start <= t < end) drawn over it.

    For the picture the burn makes of frame n, pass the frame's own time, n/fps (a Fraction).
    """
    canvas = frame.convert("RGBA")
    for overlay in overlays:
        if overlay.start_ms <= t_ms < overlay.end_ms:
            canvas.alpha_composite(overlay.image, dest=(overlay.x, overlay.y))
    return canvas.convert("RGB")
