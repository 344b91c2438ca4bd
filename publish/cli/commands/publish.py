"""`capsule init`, `capsule publish` and `capsule status`: a capsule as one publication."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from config.i18n import N_, _
from publish.cli.app import App
from publish.cli.commands.options import limit_rate_option

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


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


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False),
                default=Path("capsule.toml"))
@click.option("--dry-run", is_flag=True,
              help="Run every check and print the plan with its quota cost; spend nothing.")
@click.option("--new-version", is_flag=True,
              help="The burned picture changed after publication: upload a new video and link "
                   "both in the journal.")
@click.option("--collect", is_flag=True,
              help="Collect the video's statistics once after publishing.")
@click.option("--force-duplicate", is_flag=True,
              help="Upload even if the channel already has this video (found by the channel "
                   "check before the first byte).")
@limit_rate_option
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print the final state of every step.")
@click.pass_obj
def publish(app: App, manifest: Path, dry_run: bool, new_version: bool, collect: bool,
            force_duplicate: bool, limit_rate: int | None, journal_file: Path | None,
            json_mode: bool) -> None:
    """Publish a capsule: burn, upload, caption tracks, thumbnail, playlist, statistics.

    Running it again finishes what is missing and never does anything twice; a changed
    title, description, tags or schedule updates the video in place. Before a first upload
    the channel's own uploads are checked for the same video (exit 8 when found).

    \b
    Example:
      capsule publish capsule.toml --dry-run
      capsule --sandbox publish examples/capsule.toml --collect
    """
    PublishRun(app, manifest, journal_file, json_mode).execute(
        dry_run=dry_run, new_version=new_version, collect=collect,
        force_duplicate=force_duplicate, rate=limit_rate)


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status(app: App, manifest: Path | None, journal_file: Path | None, json_mode: bool) -> None:
    """Show each step of a capsule's publication, its video URL and the quota it spent.

    Without MANIFEST, list every publication in the journal.

    \b
    Example:
      capsule status examples/capsule.toml
    """
    _show_status(app, manifest, journal_file, json_mode)


STATE_MARK = {"done": "✓", "pending": "·", "update": "↻", "running": "…", "skipped": "-"}
STATE_NAME = {"done": N_("done"), "pending": N_("pending"), "update": N_("update"),
              "running": N_("running"), "skipped": N_("skipped"), "failed": N_("failed")}


def state_name(state: str) -> str:
    """A step's state as the person reads it (the journal and --json keep the English)."""
    return _(STATE_NAME[state]) if state in STATE_NAME else state


class PublishRun:
    """The CLI side of a publication: builds the environment, shows steps, prints results."""

    def __init__(self, app: App, manifest: Path, journal_file: Path | None,
                 json_mode: bool) -> None:
        self.app, self.manifest, self.json_mode = app, manifest, json_mode
        self.journal_file = journal_file
        self.quiet = app.quiet or json_mode
        self._started: dict[str, float] = {}

    def say(self, message: str) -> None:
        from publish.cli.output import info

        info(message, quiet=self.quiet)

    def on_step(self, step: Any) -> None:
        if step.state == "running":
            self._started[step.name] = time.monotonic()
            self.say(f"{STATE_MARK['running']} {step.name:<12} {step.detail}")
            return
        took = time.monotonic() - self._started.pop(step.name, time.monotonic())
        self.say(f"{STATE_MARK.get(step.state, '?')} {step.name:<12} {step.detail} "
                 f"({took:.1f} s)")

    def execute(self, *, dry_run: bool, new_version: bool, collect: bool,
                force_duplicate: bool = False, rate: int | None = None) -> None:
        from config.manifest import load_manifest
        from publish import pipeline
        from publish.cli.output import warn
        from publish.youtube.channel_check import settings_from

        app = self.app
        settings = app.settings
        capsule = load_manifest(self.manifest, default_timezone=settings.timezone)
        if capsule.channel and not app.channel_name:
            app.channel_name = capsule.channel
        with app.journal(self.journal_file) as journal:
            scheduled = pipeline.scheduled_time(journal, capsule, app.channel.name)
        try:
            checked = pipeline.preflight(capsule, default_style=settings.subtitle_style,
                                         scheduled=scheduled)
        except pipeline.PreflightFailed as exc:
            for problem in exc.problems:  # one line each, then the summary from the boundary
                click.echo(problem, err=True)
            raise
        for line in checked.warnings:
            warn(line)
        burning = _("burning")
        with app.journal(self.journal_file) as journal, \
                app.progress(burning, json_mode=self.json_mode, unit=_("frames")) as burn_bar, \
                app.progress(_("uploading"), json_mode=self.json_mode, unit="B") as upload_bar:
            env = pipeline.Env(
                journal=journal, service_factory=lambda: app.youtube("publish"),
                channel=app.channel.name, chunk_size=int(settings.chunk_size),
                retries=int(settings.retries),
                limits=app.quota_limits,
                crf=int(settings.crf), preset=str(settings.preset),
                default_style=str(settings.subtitle_style), watch_url=app.watch_url,
                on_step=self.on_step, on_event=self.say,
                burn_progress=burn_bar, upload_progress=upload_bar,
                channel_check=settings_from(settings), force_duplicate=force_duplicate,
                rate=rate or settings.upload_rate)
            if app.channel.require_approval:
                from publish.review import ensure_approved

                ensure_approved(journal, checked, env)
            plan = pipeline.make_plan(checked, env, new_version=new_version)
            if dry_run:
                app.youtube("publish")  # credentials and scopes, checked without a call
                pipeline.check_quota(plan, env)
                self.print_plan(plan, journal)
                return
            pending = [s for s in plan.steps if s.state != "done"]
            if not pending and not collect:
                self.finish(plan, nothing=True)
                return
            if not pending:
                self.say(_("{path}: every step is already done").format(path=plan.capsule.path))
            pipeline.run_plan(plan, env)
            if collect:
                self.collect(journal, env)
        self.finish(plan)

    def print_plan(self, plan: Any, journal: Any) -> None:
        from publish.cli.output import emit_json
        from publish.youtube import quota

        remaining = {r.pool: r.remaining for r in quota.report(journal, self.app.quota_limits)}
        if self.json_mode:
            emit_json({"manifest": str(plan.capsule.path), "dry_run": True,
                       "steps": [s.to_json() for s in plan.steps], "cost": plan.cost,
                       "remaining": remaining})
            return
        click.echo(_("plan for {path} (nothing was spent):").format(path=plan.capsule.path))
        for step in plan.steps:
            cost = ", ".join(f"{u} {p}" for p, u in step.cost.items()) or "-"
            click.echo(f"  {STATE_MARK[step.state]} {step.name:<12} {state_name(step.state):<8} "
                       f"{cost:<14} {step.detail}")
        total = ", ".join(f"{u} {p}" for p, u in plan.cost.items()) or _("nothing")
        left = ", ".join(f"{remaining.get(p, 0)} {p}" for p in plan.cost) or "-"
        click.echo(_("quota: {total} (left today: {left})").format(total=total, left=left))

    def collect(self, journal: Any, env: Any) -> None:
        from publish.stats.collect import collect

        result = collect(journal, lambda: (self.app.youtube("public"), None),
                         channel=env.channel)
        self.say(_("statistics collected for {collected} video(s)").format(
                     collected=result.collected))

    def finish(self, plan: Any, *, nothing: bool = False) -> None:
        from publish.cli.output import emit_json

        pub = plan.publication
        video_id = pub.video_id if pub is not None else None
        url = self.app.watch_url(video_id) if video_id else None
        if self.json_mode:
            emit_json({"manifest": str(plan.capsule.path), "video_id": video_id, "url": url,
                       "nothing_to_do": nothing, "steps": [s.to_json() for s in plan.steps]})
        else:
            click.echo(f"{video_id}\t{url}")
        if nothing:
            from publish.errors import NothingToDo

            raise NothingToDo(_("{path}: every step is already done (video {video_id}); "
                                "change the manifest to update it").format(
                                  path=plan.capsule.path, video_id=video_id))


def _show_status(app: App, manifest: Path | None, journal_file: Path | None,
                 json_mode: bool) -> None:
    from config.manifest import load_manifest
    from publish import pipeline
    from publish.cli.output import emit_json
    from publish.publication import publications

    with app.journal(journal_file) as journal:
        if manifest is None:
            rows = [{"manifest": p.manifest, "version": p.version, "video_id": p.video_id,
                     "state": p.state, "url": app.watch_url(p.video_id) if p.video_id else None,
                     "updated_at": p.updated_at} for p in publications(journal)]
            if json_mode:
                emit_json(rows)
                return
            for r in rows:
                click.echo(f"{r['manifest']}\tv{r['version']}\t{r['state']}\t"
                           f"{r['video_id'] or '-'}\t{r['url'] or '-'}")
            return
        capsule = load_manifest(manifest)
        report = pipeline.status(journal, capsule, app.channel_name or capsule.channel
                                 or app.channel.name)
        report["approval"] = _approval(app, journal, capsule)
    report["url"] = app.watch_url(report["video_id"]) if report.get("video_id") else None
    if json_mode:
        emit_json(report)
        return
    approval = report["approval"]
    if approval is not None:
        changed = ", ".join(approval["changed"])
        line = (_("approved by {who} on {when}; changed since: {changed}") if changed
                else _("approved by {who} on {when}; unchanged since"))
        click.echo(line.format(who=approval["approved_by"], when=approval["local_time"],
                               changed=changed))
    if not report["published"] and not report["steps"]:
        click.echo(_("{manifest}: not published yet (run `capsule publish {manifest}`)").format(
                       manifest=manifest))
        return
    click.echo(_("{manifest}  v{version}  video {video_id}").format(
                   manifest=report['manifest'], version=report['version'],
                   video_id=report['video_id']))
    click.echo(_("url: {url}").format(url=report['url']))
    for step in report["steps"]:
        click.echo(f"  {STATE_MARK.get(step['state'], '·')} {step['step']:<12} "
                   f"{state_name(step['state']):<8} {step['updated_at']}")
    spent = ", ".join(f"{u} {p}" for p, u in report["quota_spent"].items()) or _("nothing")
    click.echo(_("quota spent: {spent}").format(spent=spent))


def _approval(app: App, journal: Any, capsule: Any) -> dict[str, Any] | None:
    """The last approval of the capsule and what changed since (none: approved as it is)."""
    from publish import pipeline, review
    from publish.cli.errors import one_line

    approval = review.latest_approval(journal, capsule.path)
    if approval is None:
        return None
    settings = app.settings
    env = pipeline.Env(journal=journal, service_factory=lambda: None,
                       crf=int(settings.crf), preset=str(settings.preset),
                       default_style=str(settings.subtitle_style))
    try:
        checked = review.quick_check(capsule, env)
        changed = review.changes(approval.fingerprints,
                                 review.current_fingerprints(checked, env))
    except Exception as exc:  # status must show, even if the capsule no longer checks
        changed = [_("cannot check ({reason})").format(reason=one_line(str(exc)))]
    return {**{k: v for k, v in approval.to_json().items() if k != "fingerprints"},
            "changed": changed}
