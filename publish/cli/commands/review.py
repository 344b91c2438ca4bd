"""`capsule review`: write the proof of a capsule, or record its approval."""

from __future__ import annotations

import time
from pathlib import Path

import click

from config.i18n import _
from publish.cli.app import App


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False),
                default=Path("capsule.toml"))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Proof folder to write (index.html opens from disk); with --approve, the "
                   "proof that was looked at.")
@click.option("--approve", "approver", metavar="NAME",
              help="Record NAME's approval of the capsule as it is now (with -o: as that proof "
                   "shows it, refused if the capsule changed since).")
@click.option("--journal", "journal_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Journal database (default: the `journal` setting).")
@click.option("--json", "json_mode", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def review(app: App, manifest: Path, output: Path | None, approver: str | None,
           journal_file: Path | None, json_mode: bool) -> None:
    """Write a proof of what will be published, or sign it off.

    The proof folder holds the burned video with every caption track, the cues and their
    check findings, the metadata as YouTube shows it (title cut points, description fold,
    tags, schedule in Africa/Casablanca time), the thumbnail at YouTube's sizes and the plan
    with its quota cost. Nothing is sent anywhere. A channel with `require_approval = true`
    publishes only an approved capsule, unchanged since.

    \b
    Example:
      capsule review examples/capsule.toml -o review/
      capsule review examples/capsule.toml -o review/ --approve "Nadia Benali"
    """
    from config.manifest import load_manifest
    from publish import pipeline
    from publish import review as proofs
    from publish.cli.output import emit_json, info

    if output is None and approver is None:
        raise click.UsageError(_("give -o DIR to write a proof, or --approve NAME to "
                                 "sign off"))
    started = time.monotonic()
    settings = app.settings
    capsule = load_manifest(manifest, default_timezone=settings.timezone)
    if capsule.channel and not app.channel_name:
        app.channel_name = capsule.channel
    quiet = app.quiet or json_mode
    with app.journal(journal_file) as journal, \
            app.progress(_("burning"), json_mode=json_mode, unit=_("frames")) as burn_bar:
        env = pipeline.Env(
            journal=journal, service_factory=lambda: None, channel=app.channel.name,
            crf=int(settings.crf), preset=str(settings.preset),
            default_style=str(settings.subtitle_style),
            on_event=lambda message: info(message, quiet=quiet), burn_progress=burn_bar)
        scheduled = pipeline.scheduled_time(journal, capsule, env.channel)
        try:
            sections = proofs.prepare(capsule, env, burn=approver is None or output is None,
                                      scheduled=scheduled)
        except pipeline.PreflightFailed as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            raise
        if approver is not None:
            approval = proofs.approve(journal, capsule, sections, approver, proof=output)
            if json_mode:
                emit_json({"manifest": str(capsule.path), **approval.to_json()})
            else:
                click.echo(_("{path}: approved by {approved_by} on {local_time} "
                             "(Africa/Casablanca)").format(
                               path=capsule.path, approved_by=approval.approved_by,
                               local_time=approval.local_time))
            return
        assert output is not None
        proof = proofs.write_proof(capsule, sections, output, on_event=env.note)
    took = time.monotonic() - started
    if json_mode:
        emit_json({"manifest": str(capsule.path), "proof": str(proof.path / "index.html"),
                   "files": proof.files, "bytes": proof.bytes, "seconds": round(took, 2)})
        return
    info(_("proof written: {files} files, {size_mb:.1f} MB in {took:.1f} s").format(
             files=proof.files, size_mb=proof.bytes / 1e6, took=took),
         quiet=quiet)
    click.echo(str(proof.path / "index.html"))
