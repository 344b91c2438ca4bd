"""`capsule captions check|normalize`: find every problem of subtitle files, write clean SRT."""

from __future__ import annotations

import re
from pathlib import Path

import click

from config.i18n import N_, _, ngettext
from publish.cli.exitcodes import ExitCode

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

_LANG_HELP = N_("Language of the subtitles (fr, ar, zgh, en); default: from the file name or "
                "text.")
_ENCODING_HELP = N_("Text encoding when the file is not UTF-8 (e.g. cp1256 for old Arabic "
                    "files).")
STYLE_HELP = N_("outline or box, then key=value overrides (default: setting subtitle_style).")


def resolve_style(app, spec: str | None):
    """The Style from --style, else from the subtitle_style setting; a bad one is an error
    naming where it was written (the flag, or the settings file and line)."""
    from captions.style import Style, StyleError
    from publish.errors import InvalidInput

    if spec:
        where = "--style"
    else:
        value = app.settings.values["subtitle_style"]
        spec, origin = value.value, value.origin
        kind, _, rest = origin.partition(":")
        where = {"file": f"{rest}: subtitle_style", "env": rest,
                 "flag": rest}.get(kind, "subtitle_style")
    try:
        return Style.parse(spec)
    except StyleError as exc:
        raise InvalidInput(f"{where}: {exc.detail}") from None


@click.group()
def captions() -> None:
    """Check subtitle files (SRT, WebVTT, ASS) and write clean SRT.

    \b
    Example:
      capsule captions check subs/capsule.fr.srt subs/capsule.ar.srt --video capsule.mp4
    """


@captions.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--video", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The video the subtitles go with (its length, frame rate and shape).")
@click.option("--lang", "language", metavar="LANG", help=_LANG_HELP)
@click.option("--encoding", metavar="NAME", help=_ENCODING_HELP)
@click.option("--max-cps", type=click.FloatRange(min=1), metavar="N",
              help="Reading-speed limit in characters per second "
                   "(default: 17 for fr, en and zgh, 20 for ar).")
@click.option("--style", "style_spec", metavar="STYLE",
              help="outline or box, then key=value overrides (default: setting "
                   "subtitle_style). Its font counts for coverage; with --video, every cue is "
                   "laid out as the burn will draw it.")
@click.option("--json", "json_mode", is_flag=True, help="Print every finding as one JSON document.")
@click.pass_context
def check(ctx: click.Context, files: tuple[Path, ...], video: Path | None, language: str | None,
          encoding: str | None, max_cps: float | None, style_spec: str | None,
          json_mode: bool) -> None:
    """Report timing, text and font problems of subtitle files, with file, line and cue.

    Errors (the output would be wrong) exit with code 3; warnings are style advice.
    With --video, a cue that cannot fit the frame (a word too wide even shrunk) is an error.

    \b
    Example:
      capsule captions check capsule.ar.srt --video capsule.mp4
      capsule captions check *.srt --json
    """
    from captions.checking import Limits, check_files

    limits = Limits() if max_cps is None else Limits(cps={}, default_cps=max_cps)
    style = resolve_style(ctx.obj, style_spec)
    reports = check_files(files, video=video, language=language, encoding=encoding,
                          limits=limits, style=style,
                          default_language=ctx.obj.settings.subtitle_language)
    errors = sum(f.is_error for r in reports for f in r.findings)
    warnings = sum(not f.is_error for r in reports for f in r.findings)
    if json_mode:
        from publish.cli.output import emit_json

        emit_json({"files": [r.as_dict() for r in reports], "errors": errors,
                   "warnings": warnings})
    else:
        for report in reports:
            if report.language_rule in ("the text", "the setting subtitle_language"):
                click.echo(report.describe_language())  # a guess: the officer should know
            for finding in report.findings:
                click.echo(str(finding))
        click.echo(_("{errors}, {warnings} in {files}").format(
            errors=ngettext("{n} error", "{n} errors", errors).format(n=errors),
            warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
            files=ngettext("{n} file", "{n} files", len(reports)).format(n=len(reports))))
    if errors:
        ctx.exit(ExitCode.INVALID_INPUT)


@captions.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The SRT file to write (`-` for standard output).")
@click.option("--lang", "language", metavar="LANG", help=_LANG_HELP)
@click.option("--encoding", metavar="NAME", help=_ENCODING_HELP)
@click.option("--fps", type=click.FloatRange(min=1), default=25.0, show_default=True,
              help="Frame rate used to close small gaps to exactly 2 frames.")
@click.option("--bidi-marks", is_flag=True,
              help="Put LEFT-TO-RIGHT MARKs around numbers, addresses and hashtags inside "
                   "right-to-left lines, so YouTube shows them in order (capsule's uploads "
                   "always do).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.pass_obj
def normalize(app, source: Path, output: Path, language: str | None, encoding: str | None,
              fps: float, bidi_marks: bool, force: bool) -> None:
    """Write clean UTF-8 SRT for YouTube: ordered valid times, SRT markup, re-wrapped lines.

    \b
    Example:
      capsule captions normalize capsule.ar.srt -o youtube/capsule.ar.srt
    """
    from captions.normalize import normalize_track, write_srt
    from captions.reading import read_track
    from publish.errors import InvalidInput

    to_stdout = str(output) == "-"
    if not to_stdout and output.exists() and not force:
        raise InvalidInput(_("{output} already exists; pass --force to overwrite it").format(
                               output=output))
    text = normalize_track(read_track(source, encoding=encoding, language=language,
                                      default_language=app.settings.subtitle_language),
                           fps=fps, bidi_marks=bidi_marks)
    if to_stdout:
        click.echo(text, nl=False)
        return
    write_srt(output, text)
    if not (app and app.quiet):
        cues = len(re.findall(r"(?m)^\d{2,}:\d{2}:\d{2},\d{3} --> ", text))
        click.echo(ngettext("wrote {output} ({n} cue)", "wrote {output} ({n} cues)", cues).format(
            output=output, n=cues), err=True)
