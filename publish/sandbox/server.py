"""`SandboxServer`: a local, stateful YouTube for rehearsals and tests (loopback only).

    with SandboxServer(tmp_path, port=0) as sandbox:   # starts a background thread
        tokens = sandbox.mint_token(["youtube.upload", "youtube.force-ssl"])
        ... build clients against sandbox.url ...
        sandbox.faults.add("503,method=PUT")            # the next chunk PUT fails
        sandbox.clock.advance(86400)                     # tomorrow: quota is back

The same controls exist over HTTP under `/_sandbox/` (see `control`), which is how
`capsule sandbox fault|clock|status` drive a sandbox running in another process.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from config.atomic import write_text
from config.i18n import _
from publish.discovery import ANALYTICS_DOC, DATA_API_DOC, discovery_document
from publish.sandbox.api import YouTubeApi
from publish.sandbox.calls import Call
from publish.sandbox.clock import SandboxClock
from publish.sandbox.discovery import Discovery
from publish.sandbox.errors import ApiError
from publish.sandbox.faults import Fault, FaultPlan
from publish.sandbox.handler import SandboxHandler
from publish.sandbox.oauth import OAuthServer
from publish.sandbox.quota import Limits, QuotaLedger
from publish.sandbox.store import Store, sha256_file

log = logging.getLogger("capsule.sandbox")

DEFAULT_PORT = 8765
DEFAULT_CLIENT_ID = "capsule-sandbox.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "capsule-sandbox-secret"
DEFAULT_API_KEY = "capsule-sandbox-key"
PUT_LOG_SIZE = 500  # byte-log entries kept per upload session (the latest)
CAPSULE_SCOPES = ("youtube.upload", "youtube.force-ssl", "youtube.readonly",
                  "yt-analytics.readonly")


@functools.cache
def _discovery() -> Discovery:
    return Discovery()  # parsing 400 KB of JSON once per process is enough


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a restarted sandbox takes its port back at once

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def close_connections(self) -> None:
        """End keep-alive connections too: a stopped sandbox must not answer anything."""
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-reply is business as usual here (faults, timeouts).
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class SandboxServer:
    """A YouTube Data API v3 + Analytics v2 + OAuth emulator over a state folder."""

    def __init__(self, state_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                 seed: int = 0, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET, api_key: str = DEFAULT_API_KEY,
                 limits: Limits | None = None, clock: SandboxClock | None = None,
                 faults: Iterable[Fault | str | dict[str, Any]] = ()) -> None:
        if not _is_loopback(host):
            raise ValueError(_("the sandbox listens on loopback only, not {host!r}").format(
                                 host=host))
        self.host, self.port = host, port
        self.state_dir = Path(state_dir)
        self.store = Store(self.state_dir, seed)
        self.clock = clock or SandboxClock()
        self.limits = limits or Limits()
        self.client_id, self.client_secret, self.api_key = client_id, client_secret, api_key
        self.faults = FaultPlan()
        for fault in faults:
            self.faults.add(fault)
        self.discovery = _discovery()
        self.oauth = OAuthServer(self.store, self.clock, self.limits, client_id, client_secret)
        self.api = YouTubeApi(self.store, self.clock, self.limits)
        self.quota = QuotaLedger(self.store, self.clock, self.limits)
        self.traffic: collections.deque[tuple[str, str, int]] = collections.deque(maxlen=1000)
        self.stopping = threading.Event()
        self._session_locks: dict[str, threading.Lock] = {}
        self._session_locks_guard = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle -----------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Listen and serve in a background thread; writes `client_secrets.json`."""
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self.api.base_url = self.url.rstrip("/")
        try:
            self.write_client_secrets()
        except BaseException:
            self._httpd.server_close()  # no thread serves it yet: free the port now
            self._httpd = None
            raise
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"sandbox:{self.port}", daemon=True)
        self._thread.start()
        log.info("sandbox listening on %s (state %s)", self.url, self.state_dir)
        return self

    def serve_forever(self) -> None:
        """Block until `stop()` is called from another thread or a signal handler."""
        if self._thread is None:
            self.start()
        self.stopping.wait()

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.close_connections()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL with a trailing slash: `CAPSULE_ENDPOINT` for a client."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def client_secrets(self) -> dict[str, Any]:
        """The OAuth client in Google's installed-app `client_secrets.json` format."""
        return {"installed": {
            "client_id": self.client_id, "client_secret": self.client_secret,
            "project_id": "capsule-sandbox", "auth_uri": self.url + "o/oauth2/auth",
            "token_uri": self.url + "token", "redirect_uris": ["http://localhost"],
            "auth_provider_x509_cert_url": self.url + "oauth2/v1/certs"}}

    def write_client_secrets(self) -> Path:
        path = self.state_dir / "client_secrets.json"
        write_text(path, json.dumps(self.client_secrets(), indent=2) + "\n", mode=0o600)
        return path

    # Test helpers (also behind the control API) ---------------------------------------------

    def mint_token(self, scopes: Iterable[str], *, expires_in: int | None = None,
                   refresh: bool = True) -> dict[str, Any]:
        """Access (+ refresh) token for `scopes` (`youtube.upload` or full URLs)."""
        return self.oauth.mint(list(scopes), expires_in=expires_in, refresh=refresh)

    def revoke(self, token: str) -> None:
        self.oauth.revoke(token)

    def credentials(self, scopes: Iterable[str] = CAPSULE_SCOPES, *,
                    expires_in: int | None = None):
        """google-auth Credentials for `scopes`, refreshable against this sandbox."""
        from google.oauth2.credentials import Credentials

        minted = self.mint_token(scopes, expires_in=expires_in)
        return Credentials(minted["access_token"], refresh_token=minted["refresh_token"],
                           token_uri=self.url + "token", client_id=self.client_id,
                           client_secret=self.client_secret, scopes=minted["scope"].split())

    def youtube(self, *scopes: str, key: str | None = None, timeout: float = 15):
        """A Data API client on this sandbox: OAuth with `scopes` (default: capsule's), or an
        API key for public reads."""
        auth = key if key is not None else self.credentials(scopes or CAPSULE_SCOPES)
        return self._service(DATA_API_DOC, auth, timeout)

    def analytics(self, *scopes: str, timeout: float = 15):
        """An Analytics v2 client on this sandbox (OAuth with `scopes`, default capsule's)."""
        return self._service(ANALYTICS_DOC, self.credentials(scopes or CAPSULE_SCOPES), timeout)

    def _service(self, doc_name: str, auth: Any, timeout: float):
        """The unmodified Google client on this sandbox, built from the bundled document."""
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build_from_document

        http = httplib2.Http(timeout=timeout)
        # Resumable uploads answer 308 without Location: not a redirect (googleapis #803).
        http.redirect_codes = frozenset(http.redirect_codes) - {308}
        doc = discovery_document(doc_name, self.url)
        if isinstance(auth, str):
            return build_from_document(doc, http=http, developerKey=auth)
        return build_from_document(
            doc, http=google_auth_httplib2.AuthorizedHttp(auth, http=http))

    def live_session(self, upload_id: str) -> dict[str, Any] | None:
        """The upload session, or None when unknown, expired or past its lifetime."""
        with self.store.lock:
            session = self.store["sessions"].get(upload_id)
        if session is None or session.get("expired"):
            return None
        if self.clock.timestamp() > session["created"] + self.limits.session_lifetime_seconds:
            return None
        return session

    def session_lock(self, upload_id: str) -> threading.Lock:
        """The lock that serializes the chunks of one upload session (offset checked under it)."""
        with self._session_locks_guard:
            return self._session_locks.setdefault(upload_id, threading.Lock())

    def expire_session(self, upload_id: str | None = None) -> list[str]:
        """Make one session (or every unfinished one) answer 404 from now on."""
        with self.store.change() as data:
            ids = [upload_id] if upload_id else [
                k for k, v in data["sessions"].items() if v.get("result") is None]
            for name in ids:
                if name not in data["sessions"]:
                    raise KeyError(_("no upload session {name}").format(name=name))
                data["sessions"][name]["expired"] = True
        return ids

    def commit_session(self, upload_id: str) -> tuple[int, Any]:
        """Every byte arrived: build the resource (video, caption, thumbnail) once."""
        with self.store.lock:
            session = self.store["sessions"][upload_id]
            if session.get("result") is not None:
                return 200, session["result"]
            media = self.store.path("sessions", upload_id)
            digest = sha256_file(media)
            method = self.discovery.methods[session["method"]]
            call = Call(method=method, params=session["params"], body=session["body"],
                        media=media, media_type=session.get("type"),
                        extra={"slug": session.get("slug")})
            _, commit = self.api.uploads[method.id]
            try:
                result = commit(call)
            except ApiError as exc:
                with self.store.change():
                    session["error"] = exc.body()
                media.unlink(missing_ok=True)
                return exc.code, exc.body()
            with self.store.change() as data:
                session["result"] = result
                data["uploads_log"][upload_id]["sha256"] = digest
            return 200, result

    def log_put(self, upload_id: str, entry: dict[str, Any]) -> None:
        """Append to the byte log of a session this sandbox opened (others are not logged)."""
        with self.store.change() as data:
            record = data["uploads_log"].get(upload_id)
            if record is None:
                return
            entry["offset"] = self.store.file_size("sessions", upload_id) if record.get(
                "sha256") is None else None
            record["puts"].append(entry)
            del record["puts"][:-PUT_LOG_SIZE]  # state.json is rewritten on every change

    def saw(self, verb: str, path: str, status: int | None = None, *,
            wait: float = 3.0) -> bool:
        """Whether a request was served (logged just after its reply: waits up to `wait` s)."""
        deadline = time.monotonic() + wait
        while True:
            if any(v == verb and p == path and status in (None, s) for v, p, s in self.traffic):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def upload_log(self, upload_id: str | None = None) -> dict[str, Any]:
        """The server byte log: per session, every PUT (range, received, stored, outcome)
        and the SHA-256 of the completed media."""
        with self.store.lock:
            log_data = self.store["uploads_log"]
            return json.loads(json.dumps(log_data[upload_id] if upload_id else log_data))

    def video_file(self, video_id: str) -> Path:
        """The stored bytes of an uploaded video (to compare with the source)."""
        return self.store.path("media", video_id)

    def add_video(self, media: Path | str, *, title: str, file_name: str | None = None,
                  privacy: str = "private") -> str:
        """A video uploaded as the owner would from the website (or from another machine),
        without spending quota: its bytes are a copy of `media`; returns its id."""
        import shutil

        method = self.discovery.methods["youtube.videos.insert"]
        staged = self.store.path("sessions", "added-" + secrets.token_hex(8))
        shutil.copyfile(media, staged)
        call = Call(method=method, params={"part": ["snippet", "status"]},
                    body={"snippet": {"title": title, "categoryId": "22"},
                          "status": {"privacyStatus": privacy}},
                    media=staged, media_type="video/mp4", extra={"slug": file_name})
        with self.store.lock:
            return self.api.commit_video(call)["id"]

    def delete_video(self, video_id: str) -> None:
        """Delete a video as its owner would on the website: it vanishes from every list."""
        self.api.delete_video(video_id)

    def status(self) -> dict[str, Any]:
        with self.store.lock:
            data = self.store.data
            counts = {name: len(data[name]) for name in ("videos", "captions", "playlists",
                                                         "playlistItems", "sessions")}
        return {"url": self.url, "state_dir": str(self.state_dir), "pid": os.getpid(),
                "channel": dict(self.api.channel), "clock": self.clock.to_dict(),
                "quota": self.quota.usage(), "limits": self.limits.to_dict(),
                "faults": [f.to_dict() for f in self.faults.pending()],
                "fired": list(self.faults.fired), "counts": counts}

    # Control API (`/_sandbox/…`) ------------------------------------------------------------

    def control(self, verb: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """One control request → (status, JSON reply). Raises KeyError/ValueError on misuse.

        GET  status | uploads[/<id>] | faults | clock | limits
        POST tokens {scopes, expires_in?, refresh?} | revoke {token}
        POST faults {faults: [...]} or one fault {kind, …} or {spec: "503,method=PUT"}
        DELETE faults
        POST clock {now: RFC 3339} | {advance: seconds} | {run: true}
        POST limits {name: value, …} | quota/reset
        POST videos/<id>/delete | sessions/<id>/expire | sessions/expire
        """
        route = path.removeprefix("/_sandbox/").strip("/")
        key = (verb, route)
        if key == ("GET", "status"):
            return 200, self.status()
        if verb == "GET" and route.split("/")[0] == "uploads":
            upload_id = route.partition("/")[2] or None
            return 200, self.upload_log(upload_id)
        if key == ("GET", "faults"):
            return 200, {"faults": [f.to_dict() for f in self.faults.pending()],
                         "fired": list(self.faults.fired)}
        if key == ("POST", "faults"):
            specs = body.get("faults") or ([body["spec"]] if "spec" in body else [body])
            added = [self.faults.add(spec).to_dict() for spec in specs]
            return 200, {"added": added}
        if key == ("DELETE", "faults"):
            self.faults.clear()
            return 200, {"faults": []}
        if key == ("POST", "tokens"):
            return 200, self.mint_token(body["scopes"], expires_in=body.get("expires_in"),
                                        refresh=body.get("refresh", True))
        if key == ("POST", "revoke"):
            self.revoke(body["token"])
            return 200, {}
        if route == "clock" and verb in ("GET", "POST"):
            if "now" in body:
                self.clock.set(datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00")))
            if "advance" in body:
                self.clock.advance(float(body["advance"]))
            if body.get("run"):
                self.clock.run()
            return 200, self.clock.to_dict()
        if route == "limits" and verb in ("GET", "POST"):
            self.limits.update(body)
            return 200, self.limits.to_dict()
        if key == ("POST", "quota/reset"):
            self.quota.reset_today()
            return 200, self.quota.usage()
        parts = route.split("/")
        if verb == "POST" and len(parts) == 3 and parts[0] == "videos" and parts[2] == "delete":
            self.delete_video(parts[1])
            return 200, {"deleted": parts[1]}
        if verb == "POST" and parts[0] == "sessions" and parts[-1] == "expire":
            return 200, {"expired": self.expire_session(parts[1] if len(parts) == 3 else None)}
        return 404, {"error": f"unknown control request {verb} {path}"}


@dataclass(frozen=True)
class Running:
    """A sandbox that `capsule sandbox serve` keeps running for a state folder."""

    url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


def running(state: Path) -> Running | None:
    """The sandbox a `sandbox serve` keeps running with this state folder, if it answers."""
    try:
        info = json.loads((state / "server.json").read_text(encoding="utf-8"))
        url, pid = str(info["url"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _process_alive(pid) or not _accepts_connections(url):
        return None
    client_id = client_secret = None
    try:
        secrets_file = json.loads((state / "client_secrets.json").read_text(encoding="utf-8"))
        entry = secrets_file.get("installed") or {}
        client_id, client_secret = entry.get("client_id"), entry.get("client_secret")
    except (OSError, ValueError, AttributeError):
        pass
    return Running(url.rstrip("/") + "/", client_id, client_secret)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accepts_connections(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=2):
            return True
    except OSError:
        return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
