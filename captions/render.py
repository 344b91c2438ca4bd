"""THE renderer: one cue → one RGBA image and its place in the frame.

Preview, contact sheet and burn all use `render_overlays` (each cue rendered once) and place
the images where it says, so what an officer checks is what gets published.

How a cue becomes pixels:
1. emoji are removed, the text is wrapped (author breaks kept when they fit, else re-flowed;
   at most 42 characters and the frame shape's width a line, captions.layout) at a size from
   the frame height, shrunk down to the style's floor when a word is too wide;
2. each line is cut into runs by style, covering font and bidi level; runs are put in visual
   order (paragraph direction from the language), each shaped by raqm with its direction;
3. ink is drawn as 8-bit masks on a canvas sized from the fonts' ink boxes plus a margin, the
   masks are composited (box, outline, text colours) with straight alpha, and the canvas is
   cropped to its ink: nothing can be clipped and nothing transparent is kept.
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
    return tuple((span.bold, span.italic, span.color) for span in spans)


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


def _draw(lines, setter: _Typesetter, style: Style):
    """The cue's RGBA image cropped to its ink, and the x of its centre line in that image."""
    import numpy as np
    from PIL import Image, ImageDraw

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

    box_mask = Image.new("L", canvas, 0)
    if style.kind == "box":
        box_draw = ImageDraw.Draw(box_mask)
        for x0, y0, x1, y1 in rects:
            box_draw.rectangle((round(x0 + ox), round(y0 + oy), round(x1 + ox) - 1,
                                round(y1 + oy) - 1), fill=255)
    stroke_mask = Image.new("L", canvas, 0)
    fills: dict[tuple[int, int, int], Image.Image] = {}
    for piece, x, baseline in placed:
        font = pil_font(piece.key, piece.size)
        xy = (x + ox, baseline + oy)
        common = dict(font=font, anchor="ls", direction=piece.direction,
                      language=setter.language)
        if stroke:
            ImageDraw.Draw(stroke_mask).text(xy, piece.text, fill=255, stroke_width=stroke,
                                             stroke_fill=255, **common)
        colour = tuple(piece.color) if piece.color else style.color
        fill = fills.setdefault(colour, Image.new("L", canvas, 0))
        ImageDraw.Draw(fill).text(xy, piece.text, fill=255, **common)
    image = _compose({"box": np.asarray(box_mask), "stroke": np.asarray(stroke_mask),
                      "fill": {c: np.asarray(m) for c, m in fills.items()}}, style)
    bbox = image.getchannel("A").getbbox()
    if bbox is None:
        return None, 0.0
    return image.crop(bbox), ox - bbox[0]


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


def render_cue(cue: Cue, language: str, frame_w: int, frame_h: int, style: Style, *,
               slot: int = 0, reserved: int | None = None) -> RenderedCue | None:
    """Render one cue for a frame of this size; None when the cue has nothing to draw.

    The image is centred, its ink at the bottom of the safe area (top with `cue.top`). Slot 1
    and above stack further in by `reserved` pixels; `render_overlays` computes that from the
    tallest cue of the slots below, so tracks never overlap (alone, a slot reserves the height
    of the most lines the frame allows, per slot below it).
    """
    ensure_raqm()
    geo = geometry(frame_w, frame_h, style.shorts)
    setter, lines = _wrap(cue, language, style, geo)
    if not lines:
        return None
    image, axis = _draw(lines, setter, style)
    if image is None:
        return None
    if reserved is None:
        ascent, descent = _latin_line(base_size(style, frame_w, frame_h))
        reserved = slot * math.ceil(geo.max_lines * (ascent + descent) + _gap(geo, style))
    x = centred_x(frame_w, axis)
    y = block_y(geo, 0, image.height, top=cue.top, reserved=reserved)
    sx0, sy0, sx1, sy1 = geo.safe
    if image.width > sx1 - sx0 or y < sy0 or y + image.height > sy1:
        message = (_("the cue does not fit inside the safe area of a {w}x{h} frame beside the "
                     "cues showing with it: shorten it or split it in two") if reserved
                   else _("the cue does not fit inside the safe area of a {w}x{h} frame: "
                          "shorten it or split it in two"))
        raise LayoutError(message.format(w=frame_w, h=frame_h), cue=cue.index)
    x = min(max(x, sx0), sx1 - image.width)
    return RenderedCue(image, x, y, tuple(text for text, _ in lines), setter.size)


def _gap(geo: Geometry, style: Style) -> int:
    """Space between two stacked tracks: 30% of a Latin line, so that two languages read as
    two subtitles, not as one block of four lines (about 2% of a 16:9 frame's height)."""
    return math.ceil(TRACK_GAP * style.line_fraction(geo.width, geo.height) * geo.height)


def render_overlays(tracks: list[Track], frame_w: int, frame_h: int,
                    style: Style) -> list[Overlay]:
    """Every non-empty cue of every track rendered once, placed so that no two overlap
    (`iter_overlays`, kept in memory: for previews and short clips)."""
    return list(iter_overlays(tracks, frame_w, frame_h, style))


def iter_overlays(tracks: list[Track], frame_w: int, frame_h: int,
                  style: Style) -> Iterator[Overlay]:
    """Every non-empty cue of every track rendered once, placed so that no two overlap.

    A generator that keeps only the cues still showing: the burn stores each image as it
    comes, so memory does not grow with the number of cues.

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
        """Render `cue` at `edge` (top?), past the cues of its track showing with it there."""
        offset = max((at + height + gap for start, end, height, top, at in placed
                      if top == edge and start < cue.end and cue.start < end),
                     default=0)
        moved = cue if edge == cue.top else dataclasses.replace(cue, top=edge)
        try:
            return render_cue(moved, track.language, frame_w, frame_h, style,
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
            rendered, offset = place(track_index, track, placed, cue, edge)
            if rendered is None:
                continue
            if _covers_region(rendered, style, frame_h):  # on-screen text there: other edge
                edge = not edge
                rendered, offset = place(track_index, track, placed, cue, edge)
                if _covers_region(rendered, style, frame_h):
                    raise LayoutError(_("the cue covers the style's text_region at the "
                                        "top and at the bottom of the frame: shorten it "
                                        "or narrow the region"),
                                      path=track.path, line=cue.source_line, cue=cue.index)
            overlay = Overlay(rendered.image, rendered.x, rendered.y, cue.start, cue.end,
                              cue.index, track_index)
            placed.append((cue.start, cue.end, rendered.image.height, edge, offset))
            extent[edge] = max(extent[edge], offset + rendered.image.height)
            yield overlay
        for edge in (False, True):
            if extent[edge]:
                taken[edge] += extent[edge] + gap


def _covers_region(rendered: RenderedCue, style: Style, frame_h: int) -> bool:
    """True when the cue's ink rows meet the style's declared text region."""
    if style.text_region is None:
        return False
    top, bottom = (round(f * frame_h) for f in style.text_region)
    return rendered.y < bottom and top < rendered.y + rendered.image.height


def composite(frame, overlays: list[Overlay], t_ms: int | Fraction):
    """The RGB frame with every overlay showing at `t_ms` (start <= t < end) drawn over it.

    For the picture the burn makes of frame n, pass the frame's own time, n/fps (a Fraction).
    """
    canvas = frame.convert("RGBA")
    for overlay in overlays:
        if overlay.start_ms <= t_ms < overlay.end_ms:
            canvas.alpha_composite(overlay.image, dest=(overlay.x, overlay.y))
    return canvas.convert("RGB")
