"""The fault plan: what goes wrong on the next matching requests (reliability.md fault matrix).

A fault matches by HTTP method and a glob on the URL path, fires `count` times, then is gone.
Kinds (spec text for `--fault`, `KIND[:ARG][,key=value…]`):

    503 / 500 / 429 / 401     reply with that status (Google's body); `bytes=N` first stores N
                              bytes of an upload chunk (-1: all of it)
    rate-limit                403 rateLimitExceeded (the client retries it)
    drop:N                    read N body bytes (stored if an upload chunk), close, no reply
    short-range:N             keep only N bytes of this upload chunk, answer 308 with the true
                              (shorter) Range; 0 at offset 0 means no Range header at all
    lose-reply                handle the request fully (e.g. store the final chunk), then close
                              without replying
    stall:SECONDS             wait before handling the request
    slow:BYTES_PER_SECOND     read the request body at that rate (an uplink slower than the
                              client's timeout); an upload chunk is stored as it arrives, and
                              what the client sent before giving up is still read and kept
    expire-session            the upload session of this request is gone: 404 from now on
    invalid-grant             /token answers 400 invalid_grant
    invalid-client            /token answers 401 invalid_client

Keys: `method=PUT`, `path=/upload/*` (glob on the path, no query), `count=N` (default 1).
Example: `--fault 503,method=PUT,count=2` or `--fault drop:100000,path=/upload/*`.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("status", "rate-limit", "drop", "short-range", "lose-reply", "stall", "slow",
         "expire-session", "invalid-grant", "invalid-client")
_ARG_FIELD = {"drop": "bytes", "short-range": "bytes", "stall": "seconds", "slow": "bytes"}
_TOKEN_ONLY = ("invalid-grant", "invalid-client")
_CHUNK_ONLY = ("short-range",)
_SESSION_ONLY = ("expire-session",)


class FaultSpecError(ValueError):
    """A fault description that cannot be understood; the message says what is expected."""


@dataclass
class Fault:
    """One planned failure; see the module docstring for the kinds."""

    kind: str
    status: int = 503
    bytes: int = 0
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; expected a status code or "
                                 f"one of {', '.join(KINDS[1:])}")
        if self.kind == "status" and not 400 <= int(self.status) <= 599:
            raise FaultSpecError(f"fault status {self.status} is not an HTTP error (400-599)")
        if self.count < 1:
            raise FaultSpecError("fault count must be at least 1")
        if self.kind == "slow" and self.bytes < 1:
            raise FaultSpecError("fault slow needs a rate of at least 1 byte per second "
                                 "(slow:BYTES_PER_SECOND)")
        if self.method:
            self.method = self.method.upper()
        if self.path is None and self.kind in _TOKEN_ONLY:
            self.path = "/token"

    def matches(self, method: str, path: str, *, is_chunk: bool, is_session: bool) -> bool:
        if self.method and self.method != method.upper():
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path):
            return False
        if self.kind in _CHUNK_ONLY and not is_chunk:
            return False
        return not (self.kind in _SESSION_ONLY and not is_session)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        known = {k: data[k] for k in ("kind", "status", "bytes", "seconds", "method", "path",
                                      "count") if k in data}
        try:
            if str(known.get("kind", "")).isdigit():
                known["status"], known["kind"] = int(known["kind"]), "status"
            return cls(**known)
        except TypeError as exc:
            raise FaultSpecError(f"bad fault {data!r}: {exc}") from exc


def parse_fault(spec: str) -> Fault:
    """`503,method=PUT,count=2` → Fault; raises FaultSpecError naming the bad piece."""
    head, *options = [piece.strip() for piece in spec.split(",") if piece.strip()] or [""]
    kind, _, arg = head.partition(":")
    fields: dict[str, Any] = {}
    if kind.isdigit():
        fields.update(kind="status", status=int(kind))
    else:
        fields["kind"] = kind
    try:
        if arg:
            if kind not in _ARG_FIELD:
                raise FaultSpecError(f"fault {kind!r} takes no ':' argument (in {spec!r})")
            field = _ARG_FIELD[kind]
            fields[field] = float(arg) if field == "seconds" else int(arg)
        for option in options:
            key, sep, value = option.partition("=")
            if not sep or key not in ("method", "path", "count", "bytes", "seconds"):
                raise FaultSpecError(f"bad fault option {option!r} in {spec!r}; expected "
                                     "method=, path=, count=, bytes= or seconds=")
            fields[key] = (int(value) if key in ("count", "bytes")
                           else float(value) if key == "seconds" else value)
    except ValueError as exc:
        if isinstance(exc, FaultSpecError):
            raise
        raise FaultSpecError(f"bad number in fault {spec!r}") from exc
    return Fault(**fields)


class FaultPlan:
    """Thread-safe queue of faults; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.fired: list[dict[str, Any]] = []  # what fired, for tests and `sandbox status`

    def add(self, fault: Fault | str | dict[str, Any]) -> Fault:
        if isinstance(fault, str):
            fault = parse_fault(fault)
        elif isinstance(fault, dict):
            fault = Fault.from_dict(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(f)) for f in self._faults]

    def take(self, method: str, path: str, *, is_chunk: bool = False,
             is_session: bool = False) -> Fault | None:
        """The fault for this request, if any (its count goes down by one)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, is_chunk=is_chunk, is_session=is_session):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    fired = Fault(**{**asdict(fault), "count": 1})
                    self.fired.append({**fired.to_dict(), "request": f"{method} {path}"})
                    return fired
        return None
