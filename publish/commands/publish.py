"""`capsule init`, `capsule publish` and `capsule status`: a capsule as one publication."""

from __future__ import annotations

from pathlib import Path

import click

from publish.cli import App


@click.command()
@click.argument("video", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("subtitles", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("capsule.toml"), show_default=True, help="Manifest to write.")
@click.option("--force", is_flag=True, help="Replace an existing manifest.")
@click.pass_obj
def init(app: App, video: Path, subtitles: tuple[Path, ...], output: Path, force: bool) -> None:
    """Write a commented capsule manifest for VIDEO and its SUBTITLES.

    Languages are guessed from the file names (fr.srt, capsule.ar.vtt), else from the text;
    the video's size and duration are read from the file.

    \b
    Example:
      capsule init blue-heart.mp4 subs/fr.srt subs/capsule.ar.srt -o capsule.toml
    """
    from publish.manifest_init import write_manifest

    path = write_manifest(video, list(subtitles), output, force=force)
    click.echo(str(path))
