"""Options shared by the commands that read a video and its subtitle files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def subtitle_inputs(command: Callable[..., Any]) -> Callable[..., Any]:
    """VIDEO, --subs FILE (repeatable), --lang L (in order) and --encoding E."""
    for decorator in reversed((
        click.argument("video", type=click.Path(path_type=Path, dir_okay=False)),
        click.option("--subs", "subs", multiple=True, required=True, metavar="FILE",
                     type=click.Path(path_type=Path, dir_okay=False),
                     help="Subtitle file (SRT, WebVTT, ASS); repeat to stack languages."),
        click.option("--lang", "langs", multiple=True, metavar="L",
                     help="Language of each --subs file, in order (fr, ar, zgh, en…)."),
        click.option("--encoding", metavar="E",
                     help="Text encoding of the subtitle files (cp1256…)."),
    )):
        command = decorator(command)
    return command
