"""Driving a sandbox that runs in another process, through its `/_sandbox/` control API."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from config.i18n import _
from publish.sandbox.errors import SandboxRefused, SandboxUnreachable
from publish.sandbox.server import running

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def sandbox_url(state: Path, url: str | None = None) -> str:
    """The control base URL: `url` if given, else the sandbox `serve` runs for `state`."""
    if url:
        return url.rstrip("/") + "/"
    found = running(state)
    if found is None:
        raise SandboxUnreachable(_("no sandbox is running with state {state}; start one "
                                   "with `capsule sandbox serve`").format(state=state))
    return found.url


def control(base: str, verb: str, route: str, body: dict[str, Any] | None = None,
            timeout: float = 10.0) -> Any:
    """One control request; the sandbox's 4xx become InvalidInput, no answer TemporaryFailure."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + "_sandbox/" + route, data=data, method=verb,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", "")
        except ValueError:
            detail = ""
        if isinstance(detail, dict):
            detail = detail.get("message", "")
        raise SandboxRefused(_("sandbox at {base} refused {verb} {route}: "
                               "{detail_or_exc_reason}").format(
                                 base=base, verb=verb, route=route,
                                 detail_or_exc_reason=detail or exc.reason)) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SandboxUnreachable(_("sandbox at {base} did not answer ({reason}); is it "
                                   "running? (`capsule sandbox serve`)").format(
                                     base=base, reason=reason)) from exc


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `2h`, `1d` (may be negative) → seconds."""
    found = _DURATION.match(text)
    if not found:
        raise SandboxRefused(_("duration {text!r}: expected a number with an optional "
                               "unit s, m, h or d (e.g. 2h)").format(text=text))
    return float(found.group(1)) * _UNITS[found.group(2)]
