"""`capsule init`, `capsule publish` and `capsule status`: a capsule as one publication."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from config.i18n import N_, _, ngettext
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
@click.option("--short", metavar="START-END",
              help="Add a vertical Short cut from the video, e.g. 00:12-00:52.")
@click.option("--versions", metavar="LANG,…",
              help="Add one version per language (that language burned in, its metadata "
                   "first), e.g. ar,fr.")
@click.pass_obj
def init(app: App, video: Path, subtitles: tuple[Path, ...], output: Path, force: bool,
         short: str | None, versions: str | None) -> None:
    """Write a commented capsule manifest for VIDEO and its SUBTITLES.

    Languages are guessed from the file names (fr.srt, capsule.ar.vtt), else from the text;
    the video's size and duration are read from the file.

    \b
    Example:
      capsule init blue-heart.mp4 subs/fr.srt subs/capsule.ar.srt -o capsule.toml
      capsule init blue-heart.mp4 subs/fr.srt subs/ar.srt --short 00:12-00:52 --versions ar,fr
    """
    from publish.manifest_init import write_manifest

    langs = [v.strip() for v in (versions or "").split(",") if v.strip()]
    path = write_manifest(video, list(subtitles), output, force=force, short=short,
                          versions=langs)
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
@click.option("--only", metavar="NAME",
              help="Publish one video of the manifest: a variant's NAME, or main.")
@limit_rate_option
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print the final state of every step.")
@click.pass_obj
def publish(app: App, manifest: Path, dry_run: bool, new_version: bool, collect: bool,
            force_duplicate: bool, only: str | None, limit_rate: int | None,
            journal_file: Path | None, json_mode: bool) -> None:
    """Publish a capsule: burn, upload, caption tracks, thumbnail, playlist, statistics.

    Running it again finishes what is missing and never does anything twice; a changed
    title, description, tags or schedule updates the video in place. Before a first upload
    the channel's own uploads are checked for the same video (exit 8 when found). Each
    [variants.NAME] of the manifest (a Short, a language version) is a video of its own,
    published in the same run after the main video.

    \b
    Example:
      capsule publish capsule.toml --dry-run
      capsule publish capsule.toml --only short
      capsule --sandbox publish examples/capsule.toml --collect
    """
    PublishRun(app, manifest, journal_file, json_mode).execute(
        dry_run=dry_run, new_version=new_version, collect=collect,
        force_duplicate=force_duplicate, rate=limit_rate, only=only)


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status(app: App, manifest: Path | None, journal_file: Path | None, json_mode: bool) -> None:
    """Show each step of a capsule's publications, their video URLs and the quota spent.

    The main video and each variant of the manifest are listed. Without MANIFEST, list every
    publication in the journal.

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
                force_duplicate: bool = False, rate: int | None = None,
                only: str | None = None) -> None:
        from config.manifest import load_manifest
        from publish import pipeline
        from publish.cli.output import warn
        from publish.youtube.channel_check import DuplicateOnChannel, settings_from

        app = self.app
        settings = app.settings
        capsule = load_manifest(self.manifest, default_timezone=settings.timezone)
        if capsule.channel and not app.channel_name:
            app.channel_name = capsule.channel
        videos = capsule.videos(only)
        with app.journal(self.journal_file) as journal:
            scheduled = [pipeline.scheduled_time(journal, video, app.channel.name)
                         for video in videos]
        checked, problems = [], []
        for video, when in zip(videos, scheduled, strict=True):
            try:
                checked.append(pipeline.preflight(video, default_style=settings.subtitle_style,
                                                  scheduled=when))
            except pipeline.PreflightFailed as exc:
                problems += exc.problems
        if problems:  # one line each, then the summary from the boundary
            for problem in problems:
                click.echo(problem, err=True)
            raise pipeline.PreflightFailed(capsule.path, problems)
        for line in (w for c in checked for w in c.warnings):
            warn(line)
        for line in (n for c in checked for n in c.notes):
            self.say(line)
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
                from publish.review import ensure_approved, quick_check

                main = checked[0] if not checked[0].capsule.variant else quick_check(capsule, env)
                ensure_approved(journal, main, env)  # one sign-off covers every video
            plans = [pipeline.make_plan(c, env, new_version=new_version) for c in checked]
            if dry_run:
                app.youtube("publish")  # credentials and scopes, checked without a call
                pipeline.check_quota(plans, env)
                self.print_plans(plans, journal)
                return
            pending = [p for p in plans if any(s.state != "done" for s in p.steps)]
            if not pending and not collect:
                self.finish(plans, nothing=True)
                return
            pipeline.check_quota(pending, env)
            found = []  # videos the channel already had (another machine published them)
            for plan in plans:
                if plan not in pending:
                    self.say(_("{label}: every step is already done").format(
                                 label=plan.capsule.label))
                    continue
                if len(plans) > 1:
                    self.say(f"{plan.capsule.label}:")
                try:
                    pipeline.run_plan(plan, env)
                except DuplicateOnChannel as exc:
                    if len(plans) == 1:
                        raise
                    found.append(exc)  # recorded; the manifest's other videos still go on
                    self.say(f"{plan.capsule.label}: {exc}")
            if collect:
                self.collect(journal, env)
        if found:
            raise DuplicateOnChannel(
                ngettext("{path}: {n} of its videos ({ids}) was already on the channel and is "
                         "now in the journal; run again to finish its other steps",
                         "{path}: {n} of its videos ({ids}) were already on the channel and are "
                         "now in the journal; run again to finish their other steps",
                         len(found)).format(path=capsule.path, n=len(found),
                                            ids=", ".join(e.video_id for e in found)),
                found[0].video_id)
        self.finish(plans)

    def print_plans(self, plans: list[Any], journal: Any) -> None:
        from publish import pipeline
        from publish.cli.output import emit_json
        from publish.youtube import quota

        remaining = {r.pool: r.remaining for r in quota.report(journal, self.app.quota_limits)}
        total = pipeline.total_cost(plans)
        if self.json_mode:
            emit_json({**self._plan_json(plans[0]),
                       "variants": [self._plan_json(p) for p in plans[1:]],
                       "total_cost": total, "remaining": remaining})
            return
        for plan in plans:
            click.echo(_("plan for {label} (nothing was spent):").format(
                label=plan.capsule.label))
            for step in plan.steps:
                cost = ", ".join(f"{u} {p}" for p, u in step.cost.items()) or "-"
                click.echo(f"  {STATE_MARK[step.state]} {step.name:<12} "
                           f"{state_name(step.state):<8} {cost:<14} {step.detail}")
            if len(plans) > 1:
                click.echo(_("  cost: {units}").format(units=_units(plan.cost)))
        left = ", ".join(f"{remaining.get(p, 0)} {p}" for p in total) or "-"
        click.echo(_("quota: {units} (left today: {left})").format(units=_units(total),
                                                                     left=left))

    @staticmethod
    def _plan_json(plan: Any) -> dict[str, Any]:
        return {"manifest": str(plan.capsule.path), "variant": plan.capsule.variant or "main",
                "dry_run": True, "steps": [s.to_json() for s in plan.steps], "cost": plan.cost}

    def collect(self, journal: Any, env: Any) -> None:
        from publish.stats.collect import collect

        result = collect(journal, lambda: (self.app.youtube("public"), None),
                         channel=env.channel)
        self.say(_("statistics collected for {collected} video(s)").format(
                     collected=result.collected))

    def finish(self, plans: list[Any], *, nothing: bool = False) -> None:
        from publish.cli.output import emit_json

        results = []
        for plan in plans:
            pub = plan.publication
            video_id = pub.video_id if pub is not None else None
            results.append({"manifest": str(plan.capsule.path),
                            "variant": plan.capsule.variant or "main", "video_id": video_id,
                            "url": self.app.watch_url(video_id) if video_id else None,
                            "nothing_to_do": nothing or all(s.state == "done" and not s.result
                                                            for s in plan.steps),
                            "steps": [s.to_json() for s in plan.steps]})
        if self.json_mode:
            emit_json({**results[0], "variants": results[1:]})
        else:
            for r in results:  # the main video's line as always; a variant's names it
                click.echo(f"{r['video_id']}\t{r['url']}"
                           + (f"\t{r['variant']}" if len(results) > 1 else ""))
        if nothing:
            from publish.errors import NothingToDo

            ids = ", ".join(str(r["video_id"]) for r in results)
            raise NothingToDo(ngettext(
                "{path}: every step is already done (video {ids}); change the manifest to "
                "update it",
                "{path}: every step is already done (videos {ids}); change the manifest to "
                "update it", len(results)).format(path=plans[0].capsule.path, ids=ids))


def _units(cost: dict[str, int]) -> str:
    return ", ".join(f"{u} {p}" for p, u in cost.items()) or _("nothing")


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
        channel = app.channel_name or capsule.channel or app.channel.name
        reports = [pipeline.status(journal, video, channel) for video in capsule.videos()]
        reports[0]["approval"] = _approval(app, journal, capsule)
    for report in reports:
        report["url"] = app.watch_url(report["video_id"]) if report.get("video_id") else None
    if json_mode:
        emit_json({**reports[0], "variants": reports[1:]})
        return
    approval = reports[0]["approval"]
    if approval is not None:
        changed = ", ".join(approval["changed"])
        line = (_("approved by {who} on {when}; changed since: {changed}") if changed
                else _("approved by {who} on {when}; unchanged since"))
        click.echo(line.format(who=approval["approved_by"], when=approval["local_time"],
                               changed=changed))
    for report in reports:
        _print_status(report, manifest, several=len(reports) > 1)


def _print_status(report: dict[str, Any], manifest: Path, *, several: bool) -> None:
    name = f" [{report['variant']}]" if several else ""
    if not report["published"] and not report["steps"]:
        only = f" --only {report['variant']}" if several else ""
        click.echo(_("{manifest}{name}: not published yet (run `capsule publish "
                     "{manifest}{only}`)").format(manifest=manifest, name=name, only=only))
        return
    click.echo(_("{manifest}{name}  v{version}  video {video_id}").format(
                   manifest=report['manifest'], name=name, version=report['version'],
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
