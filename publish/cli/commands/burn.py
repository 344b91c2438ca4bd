"""`capsule burn`: subtitles burned into a video, checked first, written atomically."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from config.i18n import _, ngettext
from publish.cli.app import App
from publish.cli.commands.captions import STYLE_HELP, resolve_style
from publish.cli.commands.options import check_picture_source, load_variant, subtitle_inputs
from publish.cli.output import Progress

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
           "slower", "veryslow")


class _BurnBar(Progress):
    """The progress bar with encoding speed: frames/s and times real time."""

    speed: float = 0.0

    def __call__(self, done: int, total: int | None = None, **extra: Any) -> None:
        self.speed = extra.get("speed") or self.speed
        super().__call__(done, total)

    def _rate(self, item: Any) -> str:
        return f"{super()._rate(item)}, {self.speed:.2f}x"


def default_output(video: Path) -> Path:
    return video.with_name(f"{video.stem}.subtitled.mp4")


@click.command()
@subtitle_inputs(subs_required=False)
@click.option("--style", "style_spec", metavar="STYLE", help=STYLE_HELP)
@click.option("--crf", type=click.IntRange(1, 51), help="x264 quality (default: setting crf).")
@click.option("--preset", type=click.Choice(PRESETS),
              help="x264 speed/size trade-off (default: setting preset).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Output .mp4 (default: VIDEO.subtitled.mp4 beside the video).")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
@click.option("--variant", metavar="NAME",
              help="VIDEO is a capsule.toml: burn its variant NAME (cut, reframed, its tracks) "
                   "or main, by default into the file `capsule publish` uploads.")
@click.option("--json", "json_mode", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def burn(app: App, video: Path, subs: tuple[Path, ...], langs: tuple[str, ...],
         encoding: str | None, style_spec: str | None, crf: int | None, preset: str | None,
         output: Path | None, force: bool, variant: str | None, json_mode: bool) -> None:
    """Burn subtitles into a video, ready for YouTube (H.264, audio untouched).

    The subtitle files are checked first: any error stops the burn before anything is
    written. Each --subs file is stacked above the previous one. With --variant, VIDEO is
    a capsule manifest and everything comes from it; `capsule publish` then finds the burn
    done.

    \b
    Example:
      capsule burn capsule.mp4 --subs fr.srt --subs ar.srt -o capsule-fr-ar.mp4
      capsule burn capsule.toml --variant short
    """
    from captions.burn import burn as burn_video
    from captions.burn import check_output, load_checked_tracks
    from captions.video import probe

    if len(langs) > len(subs):
        raise click.UsageError(_("{n_langs} --lang for {n_subs} --subs: give one per file").format(
                                   n_langs=len(langs), n_subs=len(subs)))
    settings = app.settings
    crf = crf if crf is not None else settings.crf
    preset = preset or settings.preset
    check_picture_source(variant, subs, langs, encoding, style_spec)
    shape: dict[str, Any] = {}
    if variant is not None:
        checked = load_variant(app, video, variant)
        if output is None:  # the cached picture of `capsule publish`, with its fingerprint
            _burn_variant(app, checked, crf, preset, json_mode)
            return
        video, style = checked.capsule.video, checked.style
        tracks = [checked.tracks[lang] for lang in checked.capsule.burn]
        facts, warnings = checked.info, []
        shape = {"cut": checked.cut, "frame": checked.frame}
        check_output(video, output, force=force)
    else:
        output = output or default_output(video)
        style = resolve_style(app, style_spec)
        facts = probe(video)
        check_output(video, output, force=force)
        tracks, warnings = load_checked_tracks(
            subs, languages=langs, encoding=encoding, video=facts,
            default_language=app.settings.subtitle_language)
    if not app.quiet:
        for finding in warnings:
            click.echo(_("capsule: {finding}").format(
                           finding=finding), err=True)  # "file:line: cue N: warning: …"

    bar = _BurnBar("burning", _bar_enabled(app, json_mode), unit="frames")
    with bar, _term_as_interrupt():
        result = burn_video(video, tracks, output, style=style, crf=crf, preset=preset,
                            force=force, progress=bar, info=facts, **shape)
    _report(app, result, json_mode)


def _burn_variant(app: App, checked: Any, crf: int, preset: str, json_mode: bool) -> None:
    """Burn a manifest's video where `capsule publish` looks for it (skipped when current)."""
    from publish import pipeline
    from publish.cli.output import emit_json, info

    env = pipeline.Env(journal=None, service_factory=lambda: None, crf=crf, preset=preset,
                       default_style=str(app.settings.subtitle_style))
    picture_fp = pipeline._digest(pipeline.picture_inputs(checked, env))
    output = checked.capsule.burn_output
    if pipeline.burn_is_current(output, picture_fp):
        if json_mode:
            emit_json({"output": str(output), "current": True})
        else:
            info(_("{output} is current (nothing to burn)").format(output=output), quiet=app.quiet)
        return
    bar = _BurnBar("burning", _bar_enabled(app, json_mode), unit="frames")
    with bar, _term_as_interrupt():
        env.burn_progress = bar
        done = pipeline.burn_picture(checked, env, picture_fp)
    if json_mode:
        emit_json({**done, "current": False})
    else:
        info(_("burned {label} into {output}: {frames} frames, {cues} cues in "
               "{wall_s:.1f} s").format(
                 label=checked.capsule.label, output=output, frames=done['frames'],
                 cues=done['cues'], wall_s=done['wall_s']), quiet=app.quiet)


def _report(app: App, result: Any, json_mode: bool) -> None:
    from publish.cli.output import emit_json, info

    data = {
        "output": str(result.output), "duration_ms": result.duration_ms,
        "frames": result.frames, "cues_burned": result.cues_burned,
        "cues_clipped": result.cues_clipped, "wall_s": round(result.wall_s, 3),
        "output_bytes": result.output_bytes, "audio": result.audio,
    }
    if json_mode:
        emit_json(data)
        return
    from publish.cli.output import human_bytes

    clipped = (_(", {n} clipped at the end").format(n=result.cues_clipped)
               if result.cues_clipped else "")
    cues = ngettext("{n} cue", "{n} cues", result.cues_burned).format(n=result.cues_burned)
    info(_("burned {cues}{clipped} into {output}: {frames} frames, {seconds:.1f} s, "
           "{size} in {wall_s:.1f} s (audio: {audio})").format(
             cues=cues, clipped=clipped, output=result.output, frames=result.frames,
             seconds=result.duration_ms / 1000, size=human_bytes(result.output_bytes),
             wall_s=result.wall_s, audio=result.audio), quiet=app.quiet)


@contextlib.contextmanager
def _term_as_interrupt() -> Iterator[None]:
    """`kill` (SIGTERM, e.g. from a scheduler) cleans up like Ctrl-C: ffmpeg stopped, temp
    file removed. Python's default would exit at once and leave ffmpeg running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _bar_enabled(app: App, json_mode: bool) -> bool:
    from publish.cli.output import progress_allowed

    return progress_allowed(quiet=app.quiet, json_mode=json_mode)
