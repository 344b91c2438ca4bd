"""How burned subtitles look: outline or box, colours, size from the frame height, user font.

Defaults follow the BBC subtitle guidelines (§8, §9): white text, a Latin line 7.5% of the
height of a landscape or square frame (4.2% of a vertical one), an outline of 8% of the em
(at least 6%) or one box per line at 75% opacity (at least 60%) with 0.5 em of padding left
and right and no gap between the boxes of a cue. A declared text region (on-screen text in the
source) sends the cues that would cover it to the other edge (BBC §10).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from config.i18n import _

from .errors import CaptionsError
from .markup import parse_color

KINDS = ("outline", "box")
MIN_OUTLINE = 0.06  # em
MIN_BOX_OPACITY = 0.60
LANDSCAPE_LINE_HEIGHT = 0.075  # of the frame height: BBC 7–8% for 16:9, 4:3, 1:1
VERTICAL_LINE_HEIGHT = 0.042  # BBC 3.9–4.5% for 9:16

_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0), "yellow": (255, 255, 0),
            "cyan": (0, 255, 255), "green": (0, 255, 0)}


class StyleError(CaptionsError):
    """A style name or override that cannot be used (unknown key, value out of range)."""


def parse_colour(text: str) -> tuple[int, int, int]:
    """`#rrggbb`, `rrggbb`, `#rgb` or a name; the subtitle palette's names (white, black,
    yellow, cyan and a bright green) win over the HTML ones that markup.parse_color knows."""
    value = text.strip().lower()
    if value in _COLOURS:
        return _COLOURS[value]
    rgb = parse_color(value)
    if rgb is None:
        raise StyleError(_("colour {text!r} is not #rrggbb or one of {_COLOURS}").format(
                             text=text, _COLOURS=', '.join(_COLOURS)))
    return rgb


@dataclass(frozen=True)
class Style:
    """Everything the renderer needs to know about the look of a cue."""

    kind: str = "outline"  # outline | box
    color: tuple[int, int, int] = (255, 255, 255)
    outline_color: tuple[int, int, int] = (0, 0, 0)
    outline: float = 0.08  # outline width, fraction of the em
    box_color: tuple[int, int, int] = (0, 0, 0)
    box_opacity: float = 0.75
    padding: float = 0.5  # box padding left and right, em
    line_height: float | None = None  # Latin line height / frame height; None: by aspect ratio
    floor: float = 0.8  # the shrink rule may go down to this fraction of the size
    font: Path | None = None  # a user font, tried first
    arabic: str = "arabic"  # arabic (Noto Sans Arabic) | naskh (Noto Naskh Arabic)
    bold: bool = False
    # A band of the frame (top, bottom as fractions of its height) holding on-screen text
    # (a lower third, a caption burned in the source): cues move to the other edge rather
    # than cover it. Written text_region=0.8-1 (or 80%-100%).
    text_region: tuple[float, float] | None = None
    # A Short: cues kept clear of what the Shorts player draws over the video (layout.SHORTS_UI).
    shorts: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StyleError(_("style {kind!r} is unknown: use outline or box").format(
                                 kind=self.kind))
        if self.outline < MIN_OUTLINE:
            raise StyleError(_("outline={outline:g} is too thin to read over a bright "
                               "frame: use at least {MIN_OUTLINE:g} (fraction of the em)").format(
                                 outline=self.outline, MIN_OUTLINE=MIN_OUTLINE))
        if not MIN_BOX_OPACITY <= self.box_opacity <= 1:
            raise StyleError(_("box_opacity={box_opacity:g} must be from "
                               "{MIN_BOX_OPACITY:g} to 1 so text stays readable").format(
                                 box_opacity=self.box_opacity, MIN_BOX_OPACITY=MIN_BOX_OPACITY))
        if not 0 <= self.padding <= 2:
            raise StyleError(_("padding={padding:g} must be from 0 to 2 (em)").format(
                                 padding=self.padding))
        if self.line_height is not None and not 0.02 <= self.line_height <= 0.15:
            raise StyleError(_("line_height={line_height:g} must be from 0.02 to 0.15 "
                               "(fraction of the frame height; 0.075 is the BBC's 7.5%)").format(
                                 line_height=self.line_height))
        if not 0.3 <= self.floor <= 1:
            raise StyleError(_("floor={floor:g} must be from 0.3 to 1 (fraction of the "
                               "size)").format(floor=self.floor))
        if self.arabic not in ("arabic", "naskh"):
            raise StyleError(_("arabic={arabic!r} is unknown: use arabic or naskh").format(
                                 arabic=self.arabic))
        if self.text_region is not None:
            top, bottom = self.text_region
            if not 0 <= top < bottom <= 1:
                raise StyleError(_("text_region={top:g}-{bottom:g} must be two fractions "
                                   "of the frame height, top first, e.g. "
                                   "text_region=0.8-1").format(top=top, bottom=bottom))
        if self.font is not None and not Path(self.font).is_file():
            raise StyleError(_("font file {font} does not exist: give the path of a "
                               ".ttf/.otf").format(font=self.font))

    @classmethod
    def from_name(cls, name: str) -> Style:
        """The named preset: "outline" (white, black outline) or "box" (white on a black box)."""
        if name not in KINDS:
            raise StyleError(_("style {name!r} is unknown: use outline or box").format(name=name))
        return cls(kind=name)

    @classmethod
    def parse(cls, spec: str | None) -> Style:
        """A preset name and/or `key=value` overrides: "box", "box,box_opacity=0.9",
        "outline=0.1,color=#ffff00", "font=~/fonts/MyFont.ttf"."""
        style = cls()
        if not spec:
            return style
        changes: dict[str, object] = {}
        fields = {f.name for f in dataclasses.fields(cls)}
        for i, item in enumerate(part.strip() for part in spec.split(",")):
            if not item:
                continue
            if "=" not in item:
                if i == 0:
                    changes["kind"] = item
                    if item not in KINDS:
                        raise StyleError(_("style {item!r} is unknown: use outline or box").format(
                                             item=item))
                    continue
                raise StyleError(_("style override {item!r} is not key=value").format(item=item))
            key, raw = (s.strip() for s in item.split("=", 1))
            key = key.replace("-", "_").replace("colour", "color")
            if key not in fields:
                raise StyleError(_("style key {key!r} is unknown: use one of {sorted}").format(
                                     key=key, sorted=', '.join(sorted(fields))))
            changes[key] = _convert(key, raw)
        return dataclasses.replace(style, **changes)

    def line_fraction(self, frame_w: int, frame_h: int) -> float:
        """The Latin line height as a fraction of the frame height for this frame shape."""
        if self.line_height is not None:
            return self.line_height
        return VERTICAL_LINE_HEIGHT if frame_w / frame_h < 0.8 else LANDSCAPE_LINE_HEIGHT


def _convert(key: str, raw: str) -> object:
    try:
        if key.endswith("color"):
            return parse_colour(raw)
        if key in ("outline", "box_opacity", "padding", "line_height", "floor"):
            return float(raw.rstrip("%")) / 100 if raw.endswith("%") else float(raw)
        if key == "font":
            return Path(raw).expanduser()
        if key == "text_region":
            top, sep, bottom = raw.partition("-")
            if not sep:
                raise ValueError(raw)
            return tuple(float(v.strip().rstrip("%")) / (100 if v.strip().endswith("%") else 1)
                         for v in (top, bottom))
        if key == "bold":
            if raw.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "yes", "1")
    except ValueError:
        raise StyleError(_("style {key}={raw!r} is not a valid value").format(
                             key=key, raw=raw)) from None
    return raw
