"""`capsule upload` (one video, resumable, never twice) and `capsule quota` (today's spend)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from config.i18n import _
from publish.cli.app import App
from publish.cli.commands.options import limit_rate_option

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


def _pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value:
            raise click.BadParameter(_("expected LANG=VALUE, got {item!r}").format(
                                         item=item), ctx, param)
        out.append((key.strip(), value))
    return out


def _time_ms(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise click.BadParameter(_("expected seconds or [HH:]MM:SS(.mmm), got {value!r}").format(
                                     value=value),
                                 ctx, param) from None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    if not math.isfinite(seconds) or seconds < 0 or len(parts) > 3:
        raise click.BadParameter(_("expected seconds or [HH:]MM:SS(.mmm), got {value!r}").format(
                                     value=value),
                                 ctx, param)
    return round(seconds * 1000)


@click.command()
@click.argument("video", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--metadata", "metadata_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Metadata file (TOML or JSON); flags override its fields.")
@click.option("--title", help="Title (1-100 characters, no < or >).")
@click.option("--description", help="Description (at most 5000 bytes).")
@click.option("--description-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the description from a UTF-8 file.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--category", help="Category id or name (e.g. 29 or 'Nonprofits & Activism').")
@click.option("--privacy", type=click.Choice(["public", "unlisted", "private"]),
              help="Privacy (default private).")
@click.option("--publish-at", help="Scheduled publication (RFC 3339; Africa/Casablanca when "
              "no offset is given); needs --privacy private.")
@click.option("--made-for-kids/--not-made-for-kids", default=None,
              help="Audience declaration (required, here or in the metadata file).")
@click.option("--synthetic-media/--no-synthetic-media", default=None,
              help="Realistic altered or synthetic content declaration (required).")
@click.option("--license", "license_", type=click.Choice(["youtube", "creativeCommon"]),
              help="Licence (default youtube).")
@click.option("--embeddable/--not-embeddable", default=None, help="Allow embedding.")
@click.option("--public-stats/--no-public-stats", default=None,
              help="Show the view count publicly.")
@click.option("--language", help="Language of the title and description (e.g. fr).")
@click.option("--audio-language", help="Language spoken in the video.")
@click.option("--localized-title", multiple=True, callback=_pairs, metavar="LANG=TEXT",
              help="Title in another language (repeatable).")
@click.option("--localized-description", multiple=True, callback=_pairs, metavar="LANG=TEXT",
              help="Description in another language (repeatable).")
@click.option("--recording-date", help="When it was recorded (RFC 3339 or YYYY-MM-DD).")
@click.option("--notify/--no-notify", default=None,
              help="Notify subscribers (default yes).")
@click.option("--caption", "captions", multiple=True, callback=_pairs, metavar="LANG=FILE",
              help="A caption track (SRT, VTT, ASS…; sent as UTF-8 SRT). Repeatable.")
@click.option("--thumbnail", type=click.Path(path_type=Path, dir_okay=False),
              help="Custom thumbnail (JPEG or PNG, 16:9, at least 640 wide).")
@click.option("--thumbnail-at", callback=_time_ms, metavar="TIME",
              help="Use the frame at TIME (seconds or MM:SS) as the thumbnail.")
@click.option("--thumbnail-title", metavar="TEXT", help="Title drawn on the --thumbnail-at frame.")
@click.option("--playlist", metavar="ID|TITLE", help="Add the video to this playlist.")
@click.option("--create-playlist", is_flag=True,
              help="Create the --playlist (titled so) when the channel has none by that name.")
@click.option("--wait", is_flag=True, help="Wait until YouTube has processed the video.")
@click.option("--restart", is_flag=True,
              help="Abandon an unfinished upload of this file and start it again from zero.")
@click.option("--force-duplicate", is_flag=True,
              help="Upload even if the channel already has this video (found by the channel "
                   "check before the first byte).")
@limit_rate_option
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: DATA_DIR/journal.sqlite).")
@click.option("--json", "json_mode", is_flag=True,
              help="Print the video resource and the quota spent as JSON.")
@click.pass_obj
def upload(app: App, video: Path, metadata_file: Path | None, json_mode: bool,
           journal_file: Path | None, **flags: Any) -> None:
    """Upload one video with its metadata; resumes an interrupted upload, never uploads twice.

    Before a first upload the channel's own uploads are checked for the same video (exit 8
    when found, the video recorded in the journal); the video is tracked for statistics.

    \b
    Example:
      capsule upload capsule.mp4 --metadata meta.toml --caption fr=fr.srt --caption ar=ar.srt \\
        --thumbnail-at 00:03 --playlist "Campagne 2026" --create-playlist --wait
    """
    from publish.cli.output import emit_json, info, warn
    from publish.stats.store import track
    from publish.youtube.channel_check import DuplicateOnChannel, settings_from
    from publish.youtube.metadata import load_metadata
    from publish.youtube.upload import RetryPolicy, UploadContext, UploadJob, run_upload

    metadata = load_metadata(metadata_file, _overrides(flags))
    settings = app.settings
    job = UploadJob(
        video=video, metadata=metadata,
        captions=[(lang, Path(p)) for lang, p in flags["captions"]],
        thumbnail=flags["thumbnail"], thumbnail_at_ms=flags["thumbnail_at"],
        thumbnail_title=flags["thumbnail_title"], playlist=flags["playlist"],
        create_playlist=flags["create_playlist"], wait=flags["wait"],
        restart=flags["restart"], channel=app.channel.name,
        force_duplicate=flags["force_duplicate"])
    journal = app.journal(journal_file)
    with journal, app.progress(_("uploading {name}").format(name=video.name), json_mode=json_mode,
                               unit="B") as progress:
        ctx = UploadContext(
            journal=journal, service_factory=app.youtube, chunk_size=int(settings.chunk_size),
            policy=RetryPolicy(retries=int(settings.retries)), limits=app.quota_limits,
            on_progress=progress, on_event=lambda m: info(m, quiet=app.quiet or json_mode),
            channel_check=settings_from(settings),
            rate=flags["limit_rate"] or settings.upload_rate)
        try:
            outcome = run_upload(job, ctx)
        except DuplicateOnChannel as exc:  # the channel's copy is followed like our own
            track(journal, exc.video_id, source="capsule", title=metadata.title)
            raise
        track(journal, outcome.video_id, source="capsule", title=metadata.title)
    for note in outcome.warnings:
        warn(note)
    url = app.watch_url(outcome.video_id)
    if json_mode:
        emit_json(outcome.to_json(url))
        return
    click.echo(f"{outcome.video_id}\t{url}")
    if outcome.processing:
        p = outcome.processing
        reason = f" ({p['reason']})" if p.get("reason") else ""
        info(_("processing: {upload_status}{reason}; privacy applied: {privacy}").format(
                 upload_status=p['upload_status'], reason=reason, privacy=p.get('privacy')),
             quiet=app.quiet)
    spent = ", ".join(f"{units} {pool}" for pool, units in outcome.quota_spent.items())
    info(_("quota spent: {spent}").format(
             spent=spent or _('nothing')), quiet=app.quiet)


def _overrides(flags: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields given as flags (None means "not given": the file's value stays)."""
    out: dict[str, Any] = {}
    simple = {"title": "title", "description": "description", "category": "category",
              "privacy": "privacy", "publish_at": "publish_at", "made_for_kids": "made_for_kids",
              "synthetic_media": "synthetic_media", "license_": "license",
              "embeddable": "embeddable", "public_stats": "public_stats_viewable",
              "language": "default_language", "audio_language": "default_audio_language",
              "recording_date": "recording_date", "notify": "notify_subscribers"}
    for flag, name in simple.items():
        if flags.get(flag) is not None:
            out[name] = flags[flag]
    if flags.get("description_file") is not None:
        path = flags["description_file"]
        try:
            out["description"] = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(_("{path}: cannot read it as UTF-8 text ({exc})").format(
                                         path=path, exc=exc),
                                     param_hint="--description-file") from exc
    if flags.get("tags"):
        out["tags"] = list(flags["tags"])
    localized: dict[str, dict[str, str]] = {}
    for lang, text in flags.get("localized_title") or []:
        localized.setdefault(lang, {})["title"] = text
    for lang, text in flags.get("localized_description") or []:
        localized.setdefault(lang, {})["description"] = text
    if localized:
        out["localizations"] = localized
    return out


@click.command()
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: DATA_DIR/journal.sqlite).")
@click.option("--json", "json_mode", is_flag=True, help="Print the spend as JSON.")
@click.pass_obj
def quota(app: App, journal_file: Path | None, json_mode: bool) -> None:
    """Show today's quota spend (Pacific day) per pool and what remains.

    \b
    Example:
      capsule quota --json
    """
    from publish.cli.output import emit_json
    from publish.youtube import quota as ledger

    with app.journal(journal_file) as journal:
        day = ledger.pacific_day()
        rows = ledger.report(journal, app.quota_limits, day=day)
    if json_mode:
        emit_json({"day": day, "timezone": ledger.PACIFIC.key,
                   "pools": [r.to_json() for r in rows]})
        return
    click.echo(_("quota day {day} (resets at midnight Pacific time)").format(day=day))
    click.echo(f"{_('pool'):<12} {_('spent'):>7} {_('limit'):>7} {_('remaining'):>9}")
    for r in rows:
        click.echo(f"{r.pool:<12} {r.spent:>7} {r.limit:>7} {r.remaining:>9}")
