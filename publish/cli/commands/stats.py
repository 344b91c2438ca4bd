"""`capsule stats track|untrack|collect|show|export|report|schedule`: follow the reach of capsules.

Thin commands over publish/stats/: each opens the journal, calls one library function and
prints. Heavy libraries (googleapiclient, matplotlib) are imported inside the commands.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from config.i18n import _
from publish.cli.app import App

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(_("expected a date YYYY-MM-DD, got {value!r}").format(
                                     value=value), ctx,
                                 param) from None


def _video_ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    from publish.errors import InvalidInput
    from publish.stats.ids import video_id

    try:
        return [video_id(v) for v in values]
    except InvalidInput as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.group()
def stats() -> None:
    """Collect view statistics of tracked videos and turn the history into tables and reports.

    \b
    Example:
      capsule stats track https://youtu.be/dQw4w9WgXcQ
      capsule stats collect
      capsule stats report --campaign "Traite 2026" --lang fr -o report.html --pdf report.pdf
    """


@stats.command()
@click.argument("videos", nargs=-1, callback=_video_ids, metavar="[ID|URL...]")
@click.option("--title", help="A title to show in reports (a single video only).")
@click.option("--uploads", is_flag=True,
              help="Track every video of the channel's uploads playlist (needs a login; "
                   "videos already known, or untracked, are left as they are).")
@click.option("--campaign", metavar="NAME",
              help="The campaign the videos belong to (reports group by it).")
@click.option("--playlist", metavar="ID|URL",
              help="Track every video of this playlist; the campaign defaults to its title.")
@click.option("--capsule", "capsule_name", metavar="NAME",
              help="The capsule these videos are versions of (links a Short, languages…).")
@click.option("--variant", metavar="NAME", help="Which version: main, short, or a variant name.")
@click.option("--language", metavar="CODE", help="The version's language (ar, fr, zgh, en…).")
@click.pass_obj
def track(app: App, videos: list[str], title: str | None, uploads: bool, campaign: str | None,
          playlist: str | None, capsule_name: str | None, variant: str | None,
          language: str | None) -> None:
    """Track videos by id or URL (watch, youtu.be, shorts), a playlist, or every upload.

    \b
    Example:
      capsule stats track dQw4w9WgXcQ https://www.youtube.com/shorts/aBcDeFgHiJk
      capsule stats track --uploads
      capsule stats track --playlist PLxxxxxxxxxxxx --campaign "Traite 2026"
      capsule stats track aBcDeFgHiJk --campaign "Traite 2026" --capsule traite \\
          --variant short --language ar
    """
    from publish.cli.output import info
    from publish.errors import InvalidInput
    from publish.stats.store import track as track_video

    if not videos and not playlist and not uploads:
        raise click.UsageError(_("give video ids or URLs, --playlist ID, or --uploads"))
    if title and len(videos) > 1:
        raise InvalidInput(_("--title names one video; track the others separately"))
    if playlist:
        listed, campaign = _playlist(app, playlist, campaign)
        videos = [*videos, *(v for v in listed if v not in videos)]
    with app.journal() as journal:
        for vid in videos:
            added = track_video(journal, vid, source="manual", title=title, campaign=campaign,
                                capsule=capsule_name, variant=variant, language=language)
            click.echo(f"{vid}\t{'tracked' if added else 'already tracked'}"
                       + (f"\t{campaign}" if campaign else ""))
        if uploads:
            found = _discover(app, journal)
            for vid in found.added:
                click.echo(f"{vid}\ttracked")
            info(_("{seen} upload(s) on the channel, {added_count} newly tracked "
                   "({pages} page(s), {calls} API call(s))").format(
                     seen=found.seen, added_count=len(found.added), pages=found.pages,
                     calls=found.calls), quiet=app.quiet)


def _discover(app: App, journal: Any) -> Any:
    """Track the channel's uploads (publish/stats/discover.py) with the channel's login."""
    from publish.errors import AuthRequired
    from publish.stats.discover import track_uploads
    from publish.youtube.auth import account_credentials, account_for
    from publish.youtube.client import youtube_service

    account = account_for(app)
    auth = account_credentials(account, "public")
    if isinstance(auth, str):
        raise AuthRequired(_("channel {channel}: reading the channel's uploads needs a "
                             "login, an API key is not enough; run {login_hint}").format(
                               channel=account.channel, login_hint=account.login_hint('stats')))
    service = youtube_service(auth, endpoint=account.endpoints, timeout=account.timeout)
    try:
        return track_uploads(journal, service, channel=app.channel.name)
    finally:
        service.close()


def _playlist(app: App, playlist: str, campaign: str | None) -> tuple[list[str], str | None]:
    """The playlist's video ids (public read, charged to the ledger) and the campaign name."""
    from urllib.parse import parse_qs, urlsplit

    from publish.stats.campaign import playlist_videos
    from publish.youtube.quota import charge

    playlist_id = parse_qs(urlsplit(playlist).query).get("list", [playlist])[0].strip()
    youtube, _unused = _connect(app, False)
    with app.journal() as journal:
        title, ids = playlist_videos(
            youtube, playlist_id,
            on_call=lambda method, status: charge(journal, method, status=status,
                                                  channel=app.channel.name))
    if not ids:
        from publish.errors import NothingToDo

        raise NothingToDo(_("playlist {playlist_id} has no videos (or is private)").format(
                              playlist_id=playlist_id))
    return ids, campaign or title or playlist_id


@stats.command()
@click.argument("videos", nargs=-1, required=True, callback=_video_ids, metavar="ID|URL...")
@click.option("--purge", is_flag=True, help="Also delete the video's collected history.")
@click.pass_obj
def untrack(app: App, videos: list[str], purge: bool) -> None:
    """Stop collecting videos (their history stays unless --purge).

    \b
    Example:
      capsule stats untrack dQw4w9WgXcQ --purge
    """
    from publish.stats.store import untrack as untrack_videos

    with app.journal() as journal:
        count = untrack_videos(journal, videos, purge=purge)
    done = (_("purged {count} of {n_videos} video(s)") if purge
            else _("untracked {count} of {n_videos} video(s)"))
    click.echo(done.format(count=count, n_videos=len(videos)))


@stats.command()
@click.option("--analytics", is_flag=True,
              help="Also store YouTube Analytics: per day views, watch time, share viewed, "
                   "subscribers, shares, likes, traffic sources, devices; countries; retention "
                   "(needs a login with yt-analytics.readonly; only days not yet stored).")
@click.option("--uploads/--no-uploads", default=None,
              help="First track the channel's new uploads, whichever machine published them "
                   "(default: the `stats_discover_uploads` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print exactly one JSON line (for cron).")
@click.pass_obj
def collect(app: App, analytics: bool, uploads: bool | None, json_mode: bool) -> None:
    """Snapshot views, likes and comments of every tracked video (never prompts).

    Exit codes: 0 done, 4 login needed, 5 quota, 6 temporary failure, 7 another run is
    collecting, 8 no tracked video.

    \b
    Example:
      capsule stats collect --json >> ~/capsule-stats.log
    """
    from publish.cli.errors import exit_code_for
    from publish.cli.exitcodes import ExitCode
    from publish.cli.output import emit_json, info
    from publish.stats.collect import CollectResult
    from publish.stats.collect import collect as run_collect

    result = CollectResult()
    discover = bool(app.settings.stats_discover_uploads) if uploads is None else uploads
    found = None
    try:
        with app.journal() as journal, \
                app.progress(_("collecting"), json_mode=json_mode, unit=_("videos")) as progress:
            if discover:
                found = _discover(app, journal)
            run_collect(journal, lambda: _connect(app, analytics), channel=app.channel.name,
                        progress=progress, result=result)
    except Exception as exc:
        if json_mode:
            from publish.cli.errors import describe

            result.status = ExitCode(exit_code_for(exc)).name.lower()
            result.error = describe(exc)
            emit_json(_with_discovery(result.to_json(), found))
        raise
    if json_mode:
        emit_json(_with_discovery(result.to_json(), found))
        return
    if found is not None:
        info(_("{added_count} new upload(s) of the channel tracked").format(
                 added_count=len(found.added)), quiet=app.quiet)
    missing = (_(", {n} missing (deleted or private)").format(n=len(result.missing))
               if result.missing else "")
    extra = (_(", Analytics: {days} day rows, {countries} country rows, {sources} source rows, "
               "{retention} retention curve(s)").format(
                 days=result.analytics_days, countries=result.analytics_countries,
                 sources=result.analytics_sources, retention=result.analytics_retention)
             if analytics else "")
    info(_("collected {collected} of {tracked} video(s) via {method}{missing}{extra}; "
           "{api_calls} API call(s) in {duration_s:.1f} s").format(
             collected=result.collected, tracked=result.tracked, method=result.method,
             missing=missing, extra=extra, api_calls=result.api_calls,
             duration_s=result.duration_s),
         quiet=app.quiet)


def _with_discovery(data: dict[str, Any], found: Any) -> dict[str, Any]:
    return data if found is None else {**data, "discovered": found.to_json()}


def _connect(app: App, analytics: bool) -> tuple[Any, Any]:
    """The Data API service (API key or login) and, with --analytics, the Analytics one."""
    from publish.youtube.auth import account_credentials, account_for
    from publish.youtube.client import analytics_service, youtube_service

    account = account_for(app)
    auth = account_credentials(account, "stats" if analytics else "public")
    youtube = youtube_service(auth, endpoint=account.endpoints, timeout=account.timeout)
    reports = (analytics_service(auth, endpoint=account.endpoints, timeout=account.timeout)
               if analytics else None)
    return youtube, reports


@stats.command()
@click.option("--video", "videos", multiple=True, callback=_video_ids, metavar="ID|URL",
              help="Only this video (repeatable).")
@click.option("--since", callback=_since, metavar="DATE", help="From this day on (YYYY-MM-DD).")
@click.option("--json", "json_mode", is_flag=True, help="Print the rows as a JSON array.")
@click.pass_obj
def show(app: App, videos: list[str], since: date | None, json_mode: bool) -> None:
    """Show views per day, views gained per day, likes and comments.

    \b
    Example:
      capsule stats show --video dQw4w9WgXcQ --since 2026-11-01
    """
    from publish.cli.output import emit_json, info
    from publish.stats.store import daily_history

    with app.journal() as journal:
        rows = daily_history(journal, videos or None, since)
    if json_mode:
        emit_json([row.as_dict() for row in rows])
        return
    if not rows:
        info(_("no snapshots yet: run `capsule stats collect`"), quiet=app.quiet)
        return
    click.echo(f"{_('video'):<11}  {_('date'):<10}  {_('views'):>12}  {_('+/day'):>10}  "
               f"{_('likes'):>9}  {_('comments'):>8}  {_('title')}")
    for r in rows:
        change = "" if r.change_per_day is None else f"{r.change_per_day:+,.0f}" \
            if float(r.change_per_day).is_integer() else f"{r.change_per_day:+,.1f}"
        click.echo(f"{r.video_id:<11}  {r.day:<10}  {_n(r.views):>12}  {change:>10}  "
                   f"{_n(r.likes):>9}  {_n(r.comments):>8}  {r.title or ''}")


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


@stats.command()
@click.option("--csv", "fmt", flag_value="csv", help="Comma-separated values with a header.")
@click.option("--json", "fmt", flag_value="json", help="A JSON array of objects.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file (atomically) instead of stdout.")
@click.option("--video", "videos", multiple=True, callback=_video_ids, metavar="ID|URL",
              help="Only this video (repeatable).")
@click.option("--since", callback=_since, metavar="DATE", help="From this day on (YYYY-MM-DD).")
@click.pass_obj
def export(app: App, fmt: str | None, output: Path | None, videos: list[str],
           since: date | None) -> None:
    """Export every snapshot as CSV or JSON, columns in a fixed order.

    Columns: video_id, title, collected_at (UTC), views, likes, comments.

    \b
    Example:
      capsule stats export --csv -o views.csv
    """
    from config.atomic import write_text
    from publish.cli.output import info
    from publish.stats.store import snapshot_rows, to_csv, to_json

    if fmt is None:
        raise click.UsageError(_("choose a format: --csv or --json"))
    with app.journal() as journal:
        rows = snapshot_rows(journal, videos or None, since)
    text = to_csv(rows) if fmt == "csv" else to_json(rows)
    if output is None:
        click.echo(text, nl=False)
        return
    write_text(output, text)
    info(_("wrote {n_rows} snapshot(s) to {output}").format(
             n_rows=len(rows), output=output), quiet=app.quiet)


@stats.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file to write (self-contained: opens without network).")
@click.option("--campaign", metavar="NAME",
              help="Only this campaign's videos (default: every tracked video).")
@click.option("--since", callback=_since, metavar="DATE",
              help="First day of the period (default: 28 days before --until).")
@click.option("--until", callback=_since, metavar="DATE",
              help="Last day of the period (default: the last collected day).")
@click.option("--lang", type=click.Choice(["en", "fr", "ar"]), default="en", show_default=True,
              help="The report's language: headings, labels, numbers and dates.")
@click.option("--pdf", type=click.Path(path_type=Path, dir_okay=False),
              help="Also print the report to this PDF (needs Chromium).")
@click.option("--png", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the capsules chart as a PNG image.")
@click.pass_obj
def report(app: App, output: Path, campaign: str | None, since: date | None,
           until: date | None, lang: str, pdf: Path | None, png: Path | None) -> None:
    """Write a campaign report (HTML, and PDF) comparing the period with the one before.

    A summary (views, watch time, reach by country, best capsule, completion rate), then
    capsules, versions (Short vs main, Arabic vs French), countries, traffic sources and
    devices, each against the previous period of the same length. Watch time, countries and
    the rest need `collect --analytics`; without it the report shows the public view counts.

    \b
    Example:
      capsule stats report --campaign "Traite 2026" --since 2026-11-01 --until 2026-11-30 \\
          --lang ar -o rapport.html --pdf rapport.pdf
    """
    from publish.cli.output import info
    from publish.errors import InvalidInput
    from publish.stats.campaign import campaigns
    from publish.stats.campaign_report import write_campaign_report

    if since and until and since > until:
        raise click.BadParameter(_("--since {since} is after --until {until}").format(
                                     since=since, until=until),
                                 param_hint="--since")
    with app.journal() as journal:
        if campaign is not None and campaign not in dict(campaigns(journal)):
            known = ", ".join(name for name, _ in campaigns(journal)) or _("none yet")
            raise InvalidInput(_("no tracked video belongs to campaign {campaign!r} "
                                 "(known: {known}); add some with `capsule stats track "
                                 "--campaign`").format(campaign=campaign, known=known))
        summary = write_campaign_report(journal, output, campaign=campaign, since=since,
                                        until=until, lang=lang, pdf_path=pdf, png_path=png)
    extra = "".join(f" and {p}" for p in (summary.pdf_path, summary.png_path) if p)
    info(_("wrote {html_path}{extra} ({videos} video(s), {views:,} views in the period)").format(
             html_path=summary.html_path, extra=extra, videos=summary.videos,
             views=summary.views), quiet=app.quiet)


@stats.command()
@click.option("--cron", "kind", flag_value="cron", help="Print a crontab line.")
@click.option("--systemd", "kind", flag_value="systemd",
              help="Print a systemd user service and timer.")
@click.option("--every", default="6h", show_default=True, metavar="INTERVAL",
              help="15m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d.")
@click.option("--log", "log_file", type=click.Path(path_type=Path, dir_okay=False),
              help="cron: file the JSON lines are appended to (default: DATA_DIR/stats.log).")
@click.pass_obj
def schedule(app: App, kind: str | None, every: str, log_file: Path | None) -> None:
    """Print a cron line or systemd units that run `stats collect --json` unattended.

    \b
    Example:
      (crontab -l; capsule stats schedule --cron --every 6h) | crontab -
    """
    from publish.stats.schedule import (
        capsule_executable,
        collect_command,
        cron_entry,
        parse_every,
        systemd_text,
        systemd_units,
    )

    if kind is None:
        raise click.UsageError(_("choose --cron or --systemd"))
    interval = parse_every(every)
    command = collect_command(capsule_executable(), _global_args(app))
    if kind == "cron":
        log_path = (log_file or app.settings.data_path / "stats.log").expanduser().absolute()
        click.echo(cron_entry(interval, command, log_path), nl=False)
    else:
        click.echo(systemd_text(systemd_units(interval, command)), nl=False)


def _global_args(app: App) -> list[str]:
    """The global options of this run that the scheduled run must repeat."""
    args = []
    if app.config_path is not None:
        args += ["--config", str(app.config_path.expanduser().absolute())]
    if app.channel_name:
        args += ["--channel", app.channel_name]
    if app.endpoint_flag:
        args += ["--endpoint", app.endpoint_flag]
    if app.sandbox:
        args.append("--sandbox")
    # cron and systemd do not see this shell's CAPSULE_* variables: repeat where data lives
    # (an --endpoint flag is already repeated above).
    for key in ("data_dir", "journal", "endpoint"):
        value = app.settings.values[key]
        if value.value is not None and not value.origin.startswith(
                ("default", "file:", "flag:--endpoint")):
            args += ["--set", f"{key}={value.value}"]
    return args
