"""`capsule sandbox serve|fault|clock|limits|status`: the local YouTube for rehearsals and tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import click

from config.i18n import _
from publish.cli.app import App

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

DEFAULT_PORT = 8765  # publish.sandbox.DEFAULT_PORT; repeated so --help never imports it


def _state_dir(app: App, state: Path | None) -> Path:
    return state if state is not None else Path(app.settings.data_path) / "sandbox"


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(_("expected NAME=VALUE, got {item!r}").format(
                                         item=item), param_hint=what)
        pairs[key.strip()] = value.strip()
    return pairs


_state_option = click.option("--state", type=click.Path(path_type=Path, file_okay=False),
                             help="Sandbox state folder (default: <data dir>/sandbox).")
_url_option = click.option("--url", metavar="URL",
                           help="Sandbox base URL (default: the one serving --state).")
_json_option = click.option("--json", "json_mode", is_flag=True, help="Print JSON.")


@click.group()
def sandbox() -> None:
    """Run and steer the local YouTube sandbox (no quota spent, nothing public).

    \b
    Example:
      capsule sandbox serve --port 8765
      capsule sandbox fault 503,method=PUT
    """


@sandbox.command()
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Loopback address to bind (127.0.0.1, ::1 or localhost).")
@_state_option
@click.option("--client-id", default=None, help="OAuth client id the sandbox accepts.")
@click.option("--client-secret", default=None, help="OAuth client secret the sandbox accepts.")
@click.option("--api-key", default=None, help="API key accepted for public reads.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of ids and simulated views (a new state folder only).")
@click.option("--fault", "faults", multiple=True, metavar="SPEC",
              help="Planned fault, e.g. 503,method=PUT,count=2 (repeatable; see "
                   "`capsule sandbox fault --help`).")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE",
              help="Set a limit, e.g. daily_units=500 or processing_seconds=5 (repeatable).")
@_json_option
@click.pass_obj
def serve(app: App, port: int, host: str, state: Path | None, client_id: str | None,
          client_secret: str | None, api_key: str | None, seed: int, faults: tuple[str, ...],
          limits: tuple[str, ...], json_mode: bool) -> None:
    """Serve the sandbox until Ctrl-C, printing the settings that point capsule at it.

    \b
    Example:
      capsule sandbox serve --state /tmp/yt --limit processing_seconds=5
    """
    from config.atomic import write_text
    from publish.errors import Busy, InvalidInput
    from publish.sandbox import (
        DEFAULT_API_KEY,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        FaultSpecError,
        Limits,
        SandboxServer,
    )
    from publish.sandbox.server import running as running_sandbox

    folder = _state_dir(app, state)
    running = running_sandbox(folder)
    if running is not None:  # two servers on one state folder would overwrite each other
        raise Busy(_("a sandbox already serves {folder} at {url}; stop it first or "
                     "choose another --state").format(folder=folder, url=running.url))
    settings = Limits()
    try:
        settings.update(_pairs(limits, "--limit"))
        server = SandboxServer(folder, host=host, port=port, seed=seed,
                               client_id=client_id or DEFAULT_CLIENT_ID,
                               client_secret=client_secret or DEFAULT_CLIENT_SECRET,
                               api_key=api_key or DEFAULT_API_KEY, limits=settings, faults=faults)
    except (FaultSpecError, KeyError, ValueError) as exc:
        raise InvalidInput(str(exc).strip("'\"")) from exc
    try:
        server.start()
    except OSError as exc:
        if exc.filename:  # writing client_secrets.json failed, not the bind: name the file
            raise
        raise InvalidInput(_("cannot listen on {host}:{port} ({strerror}); choose "
                             "another --port").format(
                               host=host, port=port, strerror=exc.strerror)) from exc
    marker = folder / "server.json"
    try:
        write_text(marker, json.dumps({"url": server.url, "pid": os.getpid()}) + "\n")
        _announce(server, json_mode)
        signal.signal(signal.SIGTERM, lambda *_: server.stopping.set())
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        marker.unlink(missing_ok=True)
        server.stop()


def _announce(server: Any, json_mode: bool) -> None:
    secrets_file = server.state_dir / "client_secrets.json"
    info = {"url": server.url, "endpoint": server.url, "state_dir": str(server.state_dir),
            "client_secrets": str(secrets_file), "client_id": server.client_id,
            "client_secret": server.client_secret, "api_key": server.api_key,
            "pid": os.getpid()}
    if json_mode:
        click.echo(json.dumps(info), nl=True)
        return
    click.echo(_("Sandbox listening on {url} (state in {state_dir})\n\nPoint capsule at "
                 "it, either per command with --sandbox, or with:\n  export "
                 "CAPSULE_ENDPOINT={url}\n  client_secrets: {secrets_file}\n    (client "
                 "id {client_id}, client secret {client_secret}; sandbox-only values)\n  "
                 "api_key: {api_key}\nThen `capsule auth login` signs in at once (the "
                 "sandbox approves itself).\nStop with Ctrl-C.").format(
                   url=server.url, state_dir=server.state_dir, secrets_file=secrets_file,
                   client_id=server.client_id, client_secret=server.client_secret,
                   api_key=server.api_key))


@sandbox.command()
@click.argument("specs", nargs=-1, metavar="[SPEC]...")
@click.option("--clear", is_flag=True, help="Remove every planned fault first.")
@_state_option
@_url_option
@_json_option
@click.pass_obj
def fault(app: App, specs: tuple[str, ...], clear: bool, state: Path | None, url: str | None,
          json_mode: bool) -> None:
    """Plan faults for the next matching requests of a running sandbox (no SPEC: list them).

    SPEC is KIND[:ARG][,method=M][,path=GLOB][,count=N][,bytes=N]. Kinds: an HTTP status
    (503, 500, 429, 401), rate-limit, drop:BYTES, short-range:BYTES, lose-reply,
    stall:SECONDS, slow:BYTES_PER_SECOND, expire-session, invalid-grant, invalid-client.

    \b
    Example:
      capsule sandbox fault 503,method=PUT,count=2 drop:100000,path=/upload/*
    """
    from publish.errors import InvalidInput
    from publish.sandbox import FaultSpecError, parse_fault
    from publish.sandbox.remote import control, sandbox_url

    try:
        planned = [parse_fault(spec).to_dict() for spec in specs]
    except FaultSpecError as exc:
        raise InvalidInput(str(exc)) from exc
    base = sandbox_url(_state_dir(app, state), url)
    if clear:
        control(base, "DELETE", "faults")
    if planned:
        control(base, "POST", "faults", {"faults": planned})
    reply = control(base, "GET", "faults")
    if json_mode:
        click.echo(json.dumps(reply, indent=2))
        return
    for item in reply["faults"]:
        click.echo(_describe_fault(item))
    if not reply["faults"]:
        click.echo(_("no faults planned"))


def _describe_fault(item: dict[str, Any]) -> str:
    kind = str(item["status"]) if item["kind"] == "status" else item["kind"]
    where = " ".join(x for x in (item.get("method") or "ANY", item.get("path") or "*"))
    extra = (f" bytes={item['bytes']}" if item.get("bytes") else "") + (
        f" seconds={item['seconds']}" if item.get("seconds") else "")
    return _("{kind}{extra} on {where} (x{count})").format(kind=kind, extra=extra, where=where,
                                                          count=item["count"])


@sandbox.command()
@click.option("--set", "when", metavar="WHEN", help="Freeze the clock at an RFC 3339 instant.")
@click.option("--advance", metavar="DURATION", help="Move the clock by 90s, 15m, 2h, 1d…")
@click.option("--run", is_flag=True, help="Let a frozen clock tick again.")
@_state_option
@_url_option
@_json_option
@click.pass_obj
def clock(app: App, when: str | None, advance: str | None, run: bool, state: Path | None,
          url: str | None, json_mode: bool) -> None:
    """Show or move the sandbox clock (quota day, processing, views, token expiry).

    \b
    Example:
      capsule sandbox clock --advance 1d
    """
    from publish.sandbox.remote import control, parse_duration, sandbox_url

    body: dict[str, Any] = {}
    if when:
        body["now"] = when
    if advance:
        body["advance"] = parse_duration(advance)
    if run:
        body["run"] = True
    reply = control(sandbox_url(_state_dir(app, state), url), "POST", "clock", body)
    if json_mode:
        click.echo(json.dumps(reply))
    else:
        line = (_("{now} (frozen; quota day {pacific_day} Pacific)") if reply["frozen"]
                else _("{now} (running; quota day {pacific_day} Pacific)"))
        click.echo(line.format(now=reply["now"], pacific_day=reply["pacific_day"]))


@sandbox.command()
@click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")
@_state_option
@_url_option
@_json_option
@click.pass_obj
def limits(app: App, values: tuple[str, ...], state: Path | None, url: str | None,
           json_mode: bool) -> None:
    """Show or set the limits of a running sandbox (quota pools, upload limits, delays).

    \b
    Example:
      capsule sandbox limits daily_units=200 daily_upload_calls=2
    """
    from publish.sandbox.remote import control, sandbox_url

    reply = control(sandbox_url(_state_dir(app, state), url), "POST", "limits",
                    _pairs(values, "NAME=VALUE"))
    if json_mode:
        click.echo(json.dumps(reply, indent=2))
        return
    for key, value in reply.items():
        click.echo(f"{key} = {value}")


@sandbox.command()
@_state_option
@_url_option
@_json_option
@click.pass_obj
def status(app: App, state: Path | None, url: str | None, json_mode: bool) -> None:
    """Show a running sandbox: URL, clock, quota used today, planned faults, contents.

    \b
    Example:
      capsule sandbox status --json
    """
    from publish.sandbox.remote import control, sandbox_url

    reply = control(sandbox_url(_state_dir(app, state), url), "GET", "status")
    if json_mode:
        click.echo(json.dumps(reply, indent=2))
        return
    quota = ", ".join(f"{name} {q['used']}/{q['limit']}" for name, q in reply["quota"].items())
    counts = ", ".join(f"{n} {name}" for name, n in reply["counts"].items())
    click.echo(_("url: {url}\nstate: {state_dir}\nchannel: {title} ({id})\nclock: {now} "
                 "(quota day {pacific_day})\nquota today: {quota}\ncontents: "
                 "{counts}\nfaults planned: {n_faults}, fired: {fired_count}").format(
                   url=reply['url'], state_dir=reply['state_dir'],
                   title=reply['channel']['title'], id=reply['channel']['id'],
                   now=reply['clock']['now'], pacific_day=reply['clock']['pacific_day'],
                   quota=quota, counts=counts, n_faults=len(reply['faults']),
                   fired_count=len(reply['fired'])))
