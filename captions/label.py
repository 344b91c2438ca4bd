"""One line of text as an RGBA image, shaped like a cue: for labels that other tools cannot shape.

Charting libraries draw text glyph by glyph (matplotlib has no Arabic joining nor right-to-left
order, and no font fallback to Tifinagh). A label drawn here goes through the same typesetter as
a burned cue — bundled Noto faces, per-script fallback, raqm shaping, bidi runs — so an Arabic
title is joined and ordered, a Tifinagh one has its glyphs, a French one its accents.
"""

from __future__ import annotations

import math
import unicodedata

from .fonts import ensure_raqm, face, pil_font
from .render import _Typesetter
from .style import Style


def language_of(text: str) -> str:
    """The paragraph language from the first strong letter: ar, zgh or fr (Latin)."""
    for ch in text:
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            return "ar"
        if "\u2d30" <= ch <= "\u2d7f":
            return "zgh"
        if unicodedata.bidirectional(ch) == "L":
            return "fr"
    return "fr"


def render_label(text: str, size: float, color: tuple[int, int, int] = (34, 34, 34), *,
                 bold: bool = False, language: str | None = None):
    """`text` on one line at `size` px (Latin x-height scale, as cues), transparent background.

    The image spans the line's full ascent and descent (not just its ink), so labels of one
    chart share a baseline and a height whatever their letters.
    """
    from PIL import Image, ImageDraw

    ensure_raqm()
    language = language or language_of(text)
    setter = _Typesetter(language, Style(bold=bold), size)
    pieces = setter.plan(text, tuple((False, False, None) for _ in text))
    ascent = max([face("latin").ascent * size]
                 + [face(p.key).ascent * p.size for p in pieces])
    descent = max([face("latin").descent * size]
                  + [face(p.key).descent * p.size for p in pieces])
    width = sum(p.width for p in pieces)
    pad = math.ceil(0.15 * size)
    image = Image.new("RGBA", (max(1, math.ceil(width) + 2 * pad),
                               math.ceil(ascent + descent) + 2 * pad), (*color, 0))
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    x = float(pad)
    baseline = round(pad + ascent)
    for piece in pieces:
        draw.text((x, baseline), piece.text, fill=255, anchor="ls",
                  font=pil_font(piece.key, piece.size), direction=piece.direction,
                  language=language)
        x += piece.width
    image.putalpha(mask)
    return image
