"""`capsule journal check|rebuild`: the journal's health, and a way out when it is damaged."""

from __future__ import annotations

from pathlib import Path

import click

from config.i18n import _
from publish.cli.app import App

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


@click.group()
def journal() -> None:
    """Check the journal, or rebuild it from the channel when it is damaged or lost.

    \b
    Example:
      capsule journal check
      capsule journal rebuild capsules/*/capsule.toml
    """


@journal.command()
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.pass_obj
def check(app: App, journal_file: Path | None) -> None:
    """Run SQLite's integrity check on the journal and say what to do.

    Exit codes: 0 the journal is sound, 3 it is damaged (rebuild it), 8 there is no journal
    yet.

    \b
    Example:
      capsule journal check
    """
    from publish.errors import NothingToDo
    from publish.journal_rebuild import JournalDamaged
    from publish.journal_rebuild import check as integrity

    path = app.journal_path(journal_file)
    health = integrity(path)
    if not health.exists:
        raise NothingToDo(_("{path}: no journal yet (the first upload creates it)").format(
                              path=path))
    if not health.ok:
        more = (_(" (+{n} more)").format(n=len(health.problems) - 1)
                if len(health.problems) > 1 else "")
        raise JournalDamaged(
            _("{path}: the journal is damaged (SQLite: {problem}{more}); run "
              "`capsule journal rebuild MANIFEST…` to move it aside and rebuild it from "
              "the channel").format(path=path, problem=health.problems[0], more=more))
    click.echo(_("{path}: the journal is sound (SQLite integrity check: ok)").format(path=path))


@journal.command()
@click.argument("manifests", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--channel", "channel_name", metavar="NAME",
              help="Channel whose uploads are read (default: the global --channel).")
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print what was recorded as JSON.")
@click.pass_obj
def rebuild(app: App, manifests: tuple[Path, ...], channel_name: str | None,
            journal_file: Path | None, json_mode: bool) -> None:
    """Rebuild the journal from the channel: videos, caption tracks, playlists, statistics.

    A damaged journal is first moved aside (renamed JOURNAL.damaged-YYYYmmddTHHMMSS, never
    deleted). Each MANIFEST's video is recognised among the channel's uploads by the rules of
    the check before an upload; `capsule publish MANIFEST` then resumes or has nothing to do.

    \b
    Example:
      capsule journal rebuild capsules/*/capsule.toml
    """
    from config.manifest import load_manifest
    from publish import pipeline
    from publish.cli.output import emit_json, info
    from publish.journal_rebuild import fresh_journal
    from publish.journal_rebuild import rebuild as run_rebuild
    from publish.youtube.channel_check import settings_from

    if channel_name:
        app.channel_name = channel_name
    settings = app.settings
    checked = []
    for manifest in manifests:
        capsule = load_manifest(manifest, default_timezone=settings.timezone)
        if capsule.channel and not app.channel_name:
            app.channel_name = capsule.channel
        try:
            checked += [pipeline.preflight(video, default_style=settings.subtitle_style)
                        for video in capsule.videos()]
        except pipeline.PreflightFailed as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            raise

    def say(message: str) -> None:
        info(message, quiet=app.quiet or json_mode)

    opened, moved = fresh_journal(app.journal_path(journal_file))
    if moved is not None:
        say(_("the damaged journal was moved to {moved} (kept, not deleted)").format(moved=moved))
    with opened as journal:
        env = pipeline.Env(journal=journal, service_factory=lambda: None,
                           channel=app.channel.name, crf=int(settings.crf),
                           preset=str(settings.preset))
        report = run_rebuild(journal, app.youtube("publish"), checked, env,
                             window=settings_from(settings).window, on_event=say)
    report.moved_to = moved
    if json_mode:
        emit_json(report.to_json())
        return
    for item in report.manifests:
        what = item.note or ", ".join(["upload", *item.steps])
        click.echo(f"{item.manifest}\t{item.video_id or '-'}\t{what}")
    if not manifests:
        info(_("no manifest given: nothing was read from the channel; give the capsules' "
               "manifests to rebuild their publications"), quiet=app.quiet)
        return
    spent = ", ".join(f"{u} {p}" for p, u in report.quota.items()) or _("nothing")
    info(_("read {channel_videos} upload(s) of the channel; quota spent: {spent}").format(
             channel_videos=report.channel_videos, spent=spent),
         quiet=app.quiet)
