"""The HTTP side of the sandbox: one request handler for OAuth, the APIs, uploads and control.

HTTP/1.1 keep-alive with a Content-Length on every reply. Request bodies are read in pieces
under a socket timeout, and upload bytes go to disk as they arrive: when a client disconnects
mid-chunk (or a fault cuts it), what was received is kept and the next status query reports it
(youtube-api.md E0, E2; reliability.md fault matrix). Chunks of one upload session are
serialized by a per-session lock with the offset checked under it, so a stale request still
arriving after its client gave up can never interleave with the client's resend.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from publish.sandbox import errors, watch
from publish.sandbox.calls import Call
from publish.sandbox.errors import ApiError, OAuthError
from publish.sandbox.faults import Fault
from publish.sandbox.fields import apply_mask, parse_mask

if TYPE_CHECKING:
    from publish.sandbox.server import SandboxServer

log = logging.getLogger("capsule.sandbox")

PUBLIC_METHODS = frozenset({
    "youtube.videos.list", "youtube.videos.batchGetStats", "youtube.playlists.list",
    "youtube.playlistItems.list", "youtube.channels.list", "youtube.videoCategories.list",
    "youtube.i18nLanguages.list"})
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_QUERY_RANGE = re.compile(r"^bytes \*/(\d+|\*)$")
_PIECE = 64 * 1024
VIEWER_PATHS = frozenset({"/watch", "/channel", "/videoplayback", "/api/timedtext"})


class _Closed(Exception):
    """The connection must be closed without a reply (drop faults, cut bodies)."""


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "capsule-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    wbufsize = 1 << 16  # one write per reply; handle_one_request flushes it

    @property
    def sandbox(self) -> SandboxServer:
        return self.server.sandbox  # type: ignore[attr-defined]

    def setup(self) -> None:
        self.timeout = self.sandbox.limits.body_timeout_seconds
        super().setup()

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # The path only: queries may carry an API key or an access token.
        log.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = lambda self: self._dispatch()

    # Body and reply -------------------------------------------------------------------------

    def _read(self, sink: Callable[[bytes], None] | None = None,
              limit: int | None = None) -> tuple[bytes, int, bool]:
        """Read up to `limit` body bytes in pieces → (data unless sunk, count, all read)."""
        length = max(0, int(self.headers.get("Content-Length") or 0)) - self._consumed
        want = length if limit is None or limit < 0 else min(length, limit)
        got, pieces = 0, []
        rate = self._slow  # bytes per second under a `slow` fault, else 0 (full speed)
        size = max(1, min(_PIECE, rate // 10)) if rate else _PIECE
        started = time.monotonic()
        while got < want:
            if rate:
                ahead = got / rate - (time.monotonic() - started)
                if ahead > 0 and self.sandbox.stopping.wait(ahead):
                    break  # the sandbox is stopping: what arrived is kept
            try:
                piece = self.rfile.read1(min(size, want - got))
            except OSError:  # socket timeout or reset: keep what arrived
                break
            if not piece:
                break
            got += len(piece)
            if sink is None:
                pieces.append(piece)
            else:
                sink(piece)
        self._consumed += got
        complete = got == want
        if not complete:
            self.close_connection = True
        return b"".join(pieces), got, complete

    def _drain(self) -> bool:
        """Discard the rest of the body so the connection can be reused."""
        _, _, complete = self._read(sink=lambda _piece: None)
        return complete

    def _body_left(self) -> int:
        return max(0, int(self.headers.get("Content-Length") or 0)) - self._consumed

    def _reply(self, status: int, body: bytes = b"", *, headers: dict[str, str] | None = None,
               content_type: str = "application/json; charset=UTF-8") -> None:
        if self._body_left() and not self._drain():
            raise _Closed()  # the client never sent its whole body: nothing sane to say
        if self._lose_reply:
            raise _Closed()
        self.send_response(status, "Resume Incomplete" if status == 308 else None)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.sandbox.traffic.append((self.command, urlsplit(self.path).path, status))

    def _reply_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._reply(status, b"" if value is None else _json_bytes(value), headers=headers)

    # Dispatch -------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self.connection.settimeout(self.sandbox.limits.body_timeout_seconds)  # may have changed
        self._consumed = 0
        self._lose_reply = False
        self._slow = 0
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        session_id = query.get("upload_id", [None])[-1] if path.startswith("/upload/") else None
        content_range = self.headers.get("Content-Range", "")
        is_chunk = bool(session_id and _RANGE.match(content_range))
        fault = None
        if not path.startswith("/_sandbox/"):
            fault = self.sandbox.faults.take(self.command, path, is_chunk=is_chunk,
                                             is_session=bool(session_id))
        try:
            if fault is not None:
                self._fault_first(fault, session_id, is_chunk)
            if path.startswith("/_sandbox/"):
                self._control(path)
            elif path == "/o/oauth2/auth":
                self._authorize(query)
            elif path == "/token":
                self._token()
            elif path in ("/revoke", "/o/oauth2/revoke"):
                self._revoke(query)
            elif path.startswith("/vi/"):
                self._thumbnail_file(path)
            elif path in VIEWER_PATHS and self.command == "GET":
                self._viewer(path, query)
            elif session_id:
                self._session(session_id, fault if is_chunk else None)
            else:
                self._api(path, query)
        except ApiError as exc:
            self._reply_json(exc.code, exc.body(), exc.headers)
        except OAuthError as exc:
            self._reply_json(exc.code, exc.body())
        except _Closed:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a sandbox bug: say so like Google would, and keep serving
            log.exception("sandbox failed on %s %s", self.command, path)
            self.close_connection = True
            with contextlib.suppress(_Closed, OSError):
                self._reply_json(500, errors.server_error(500).body())

    def _fault_first(self, fault: Fault, session_id: str | None, is_chunk: bool) -> None:
        """Apply a fault before the request runs: raise its reply (or cut), or mark the
        request (lose-reply, expired session, stall done) and let it run."""
        log.info("fault %s on %s %s", fault.kind, self.command, self.path.split("?")[0])
        sandbox = self.sandbox
        if fault.kind == "stall":
            sandbox.stopping.wait(fault.seconds)
            return
        if fault.kind == "lose-reply":
            self._lose_reply = True
            return
        if fault.kind == "slow":
            self._slow = fault.bytes
            return
        if fault.kind == "expire-session":
            if session_id and sandbox.live_session(session_id) is not None:
                sandbox.expire_session(session_id)
            return
        if fault.kind == "invalid-grant":
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        if fault.kind == "invalid-client":
            raise OAuthError(401, "invalid_client", "Unauthorized")
        if is_chunk and fault.kind in ("status", "rate-limit", "drop", "short-range"):
            return  # the upload session applies it to the bytes it stores
        if fault.kind == "drop":
            self._read(sink=lambda _piece: None, limit=fault.bytes)
            raise _Closed()
        raise _chunk_error(fault)

    # OAuth ----------------------------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self._form_text(), keep_blank_values=True).items()}

    def _authorize(self, query: dict[str, list[str]]) -> None:
        location = self.sandbox.oauth.authorize({k: v[-1] for k, v in query.items()})
        self._reply(302, b"", headers={"Location": location}, content_type="text/html")

    def _token(self) -> None:
        form = self._form()
        basic = self.headers.get("Authorization", "")
        if basic.lower().startswith("basic "):  # client_secret_basic (requests-oauthlib's way)
            try:
                pair = base64.b64decode(basic[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                pair = ""
            client_id, _, secret = pair.partition(":")
            form.setdefault("client_id", unquote_plus(client_id))
            form.setdefault("client_secret", unquote_plus(secret))
        reply = self.sandbox.oauth.token(form)
        self._reply_json(200, reply, {"Cache-Control": "no-cache, no-store, max-age=0"})

    def _revoke(self, query: dict[str, list[str]]) -> None:
        form = self._form()
        token = form.get("token") or query.get("token", [""])[-1]
        self.sandbox.oauth.revoke(token)
        self._reply_json(200, {})

    def _viewer(self, path: str, query: dict[str, list[str]]) -> None:
        """The rehearsal pages and the media they play (publish/sandbox/watch.py)."""

        api = self.sandbox.api
        arg = {k: v[-1] for k, v in query.items()}
        page_type = "text/html; charset=utf-8"
        if path == "/videoplayback":
            with self.sandbox.store.lock:
                piece = watch.media_piece(api, arg.get("v", ""), self.headers.get("Range"))
            if piece is None:
                raise ApiError(404, "notFound", "No such video.", charge=False)
            self._reply_file(piece)
            return
        if path == "/api/timedtext":
            with self.sandbox.store.lock:
                vtt = watch.timedtext(api, arg.get("id", ""))
            if vtt is None:
                raise ApiError(404, "notFound", "No such caption track.", charge=False)
            self._reply(200, vtt, content_type="text/vtt; charset=utf-8")
            return
        with self.sandbox.store.lock:
            if path == "/channel":
                status, page = watch.channel_page(api)
            else:
                status, page = watch.watch_page(api, arg.get("v", ""), arg.get("hl"))
        self._reply(status, page.encode("utf-8"), content_type=page_type)

    def _reply_file(self, piece: Any) -> None:
        """A span of a stored file, streamed in pieces (never whole in memory)."""
        if self._body_left() and not self._drain():
            raise _Closed()
        self.send_response(piece.status)
        for key, value in piece.headers().items():
            self.send_header(key, value)
        self.send_header("Content-Type", piece.content_type)
        self.send_header("Content-Length", str(piece.length))
        self.end_headers()
        if piece.length:
            with open(piece.path, "rb") as fh:
                fh.seek(piece.start)
                left = piece.length
                while left:
                    block = fh.read(min(_PIECE, left))
                    if not block:
                        break
                    self.wfile.write(block)
                    left -= len(block)
        self.sandbox.traffic.append((self.command, urlsplit(self.path).path, piece.status))

    def _thumbnail_file(self, path: str) -> None:
        video_id = path.split("/")[2] if path.count("/") >= 3 else ""
        info = self.sandbox.store["thumbnails"].get(video_id)
        if info is None:
            raise ApiError(404, "notFound", "No thumbnail.", charge=False)
        data = self.sandbox.store.path("thumbnails", video_id).read_bytes()
        self._reply(200, data, content_type=info["type"])

    # Data and Analytics APIs ----------------------------------------------------------------

    def _api(self, path: str, query: dict[str, list[str]]) -> None:
        sandbox = self.sandbox
        verb = self.command
        override = self.headers.get("X-HTTP-Method-Override")
        if override and verb == "POST":  # long GETs arrive as POST + form body (§1)
            verb = override.upper()
            for key, values in parse_qs(self._form_text(), keep_blank_values=True).items():
                query.setdefault(key, []).extend(values)
        routed = sandbox.discovery.route(verb, path)
        if routed is None:
            status = 405 if sandbox.discovery.path_known(path) else 404
            raise ApiError(status, "notFound" if status == 404 else "methodNotAllowed",
                           f"The requested URL {path} was not found on this server."
                           if status == 404 else f"Method {verb} not allowed on {path}.",
                           charge=False)
        method, path_params, upload_url = routed
        if not sandbox.api.implemented(method.id):
            raise ApiError(501, "notImplemented", f"The sandbox does not emulate {method.id}.",
                           charge=False)
        owner = self._authenticate(method, query)
        charged = method.id.startswith("youtube.")
        call = Call(method=method, params={}, owner=owner,
                    extra={"path": path_params})
        try:
            call.params = params = sandbox.discovery.check(method, query)
            mask = parse_mask(params["fields"]) if params.get("fields") else None
            if charged:
                sandbox.quota.check(method.id)
            upload_type = params.get("uploadType") if upload_url else None
            if upload_type == "resumable":
                self._start_session(call)
                return
            self._read_request(call, upload_type, upload_url)
            call.extra["slug"] = _slug(self.headers.get("Slug"))
            with sandbox.store.lock:  # handlers run one at a time; bodies are read in parallel
                status, reply = sandbox.api.call(call)
        except ApiError as exc:
            if charged and exc.charge:
                sandbox.quota.spend(method.id, valid=False)
            raise
        finally:
            if call.media is not None:
                call.media.unlink(missing_ok=True)  # committed media was moved away already
        if charged:
            sandbox.quota.spend(method.id)
        if isinstance(reply, bytes):
            self._reply(status, reply, content_type="text/plain; charset=UTF-8")
            return
        if mask is not None and reply is not None:
            reply = apply_mask(reply, mask)
        self._reply_json(status, reply)

    def _form_text(self) -> str:
        data, _, complete = self._read(limit=1 << 20)
        if not complete:
            raise _Closed()
        return data.decode("utf-8", "replace")

    def _json_body(self) -> dict[str, Any] | None:
        """The JSON object sent as the body, None without a body; a cut body closes."""
        if not self._body_left():
            return None
        data, _, complete = self._read(limit=1 << 22)
        if not complete:
            raise _Closed()
        return _json_object(data)

    def _authenticate(self, method: Any, query: dict[str, list[str]]) -> bool:
        """True for the OAuth owner, False for an API-key read; raises the 401/403 replies."""
        sandbox = self.sandbox
        header = self.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else (
            (query.get("access_token") or query.get("oauth_token") or [""])[-1])
        if token:
            scopes = sandbox.oauth.scopes_of(token)
            if not scopes & method.scopes:
                raise errors.insufficient_scope()
            return True
        if "key" in query:
            if query["key"][-1] != sandbox.api_key:
                raise errors.invalid_key()
            if method.id not in PUBLIC_METHODS:
                raise errors.key_not_enough()
            return False
        raise errors.missing_credentials()

    def _read_request(self, call: Call, upload_type: str | None, upload_url: bool) -> None:
        """JSON body, or multipart (JSON + media) / simple media for upload URLs."""
        content_type = self.headers.get("Content-Type", "")
        if upload_url and upload_type == "multipart":
            data, _, complete = self._read(limit=self._media_limit(call))
            if not complete:
                raise _Closed()
            metadata, media, media_type = parse_multipart(data, content_type)
            call.body = _json_object(metadata)
            call.media = self._media_file(media)
            call.media_type = media_type
            return
        if upload_url:  # uploadType=media (or none): the body is the media
            path = self.sandbox.store.path("sessions", "simple-" + secrets.token_hex(8))
            with open(path, "wb") as fh:
                _, _, complete = self._read(sink=fh.write, limit=self._media_limit(call))
            call.media, call.media_type = path, content_type or None
            if not complete:
                raise _Closed()
            return
        call.body = self._json_body()

    def _media_limit(self, call: Call) -> int:
        return (call.method.max_media_bytes or 1 << 40) + (1 << 20)

    def _media_file(self, media: bytes | None) -> Any:
        if media is None:
            return None
        path = self.sandbox.store.path("sessions", "multipart-" + secrets.token_hex(8))
        path.write_bytes(media)
        return path

    # Resumable sessions ---------------------------------------------------------------------

    def _start_session(self, call: Call) -> None:
        sandbox = self.sandbox
        call.body = self._json_body()
        prepare, _ = sandbox.api.uploads[call.method.id]
        with sandbox.store.lock:
            prepare(call)
        total = self.headers.get("X-Upload-Content-Length")
        upload_id = "ADPycd" + secrets.token_urlsafe(40)
        with sandbox.store.change() as data:
            data["sessions"][upload_id] = {
                "method": call.method.id, "params": call.params, "body": call.body,
                "total": int(total) if total and total.isdigit() else None,
                "type": self.headers.get("X-Upload-Content-Type"),
                "slug": _slug(self.headers.get("Slug")),
                "created": sandbox.clock.timestamp(), "expired": False}
            data["uploads_log"][upload_id] = {"puts": [], "sha256": None}
        sandbox.store.path("sessions", upload_id).touch()
        sandbox.quota.spend(call.method.id)
        url = urlsplit(self.path)
        query = f"{url.query}&{urlencode({'upload_id': upload_id})}"
        location = f"{sandbox.url.rstrip('/')}{url.path}?{query}"
        self._reply(200, b"", headers={"Location": location, "X-GUploader-UploadID": upload_id},
                    content_type="text/html; charset=UTF-8")

    def _session(self, upload_id: str, fault: Fault | None) -> None:
        """A status query (`bytes */N`) or a chunk. Chunks of one session are serialized by a
        per-session lock, and the offset is checked under it: a chunk that does not start at
        the stored size (a stale request still arriving after its client gave up, or a racing
        one) stores nothing and is answered 308 with the true Range, as Google does (tus: 409).
        Status queries never wait for the lock: they report the bytes stored so far."""
        sandbox = self.sandbox
        header = self.headers.get("Content-Range", "")
        chunk = _RANGE.match(header)
        if chunk is None:  # a status query or an empty PUT
            session = self._live_session(upload_id)
            if session is not None:
                self._log_put(upload_id, "query", 0, 0)
                self._finish_or_resume(upload_id, session)
            return
        with sandbox.session_lock(upload_id):
            session = self._live_session(upload_id)
            if session is None:
                return
            offset = sandbox.store.file_size("sessions", upload_id)
            if int(chunk.group(1)) != offset:  # not where the stored bytes end: store nothing
                self._log_put(upload_id, "offset-mismatch", 0, 0)
                stored_chunk = None
            else:
                stored_chunk = self._store_chunk(upload_id, fault)
                # logged under the lock: the byte log is in the order bytes were stored
                self._log_put(upload_id, stored_chunk[0], *stored_chunk[1:])
        if stored_chunk is None:
            self._resume(offset)  # the body is drained outside the lock
            return
        outcome = stored_chunk[0]
        if outcome == "dropped":
            raise _Closed()
        if outcome != "stored" and fault is not None:
            raise _chunk_error(fault)
        self._finish_or_resume(upload_id, session)

    def _live_session(self, upload_id: str) -> dict[str, Any] | None:
        """The live, unfinished session; None once a finished one has been answered
        (its resource or its error, again); 404 when it is unknown or expired."""
        sandbox = self.sandbox
        session = sandbox.live_session(upload_id)
        if session is None:
            self._log_put(upload_id, 404, 0, 0)
            raise ApiError(404, "notFound", "Upload session not found or expired.",
                           charge=False)
        if session.get("result") is not None or session.get("error") is not None:
            self._log_put(upload_id, "completed", 0, 0)
            if session.get("result") is not None:
                self._reply_json(200, session["result"])
            else:
                self._reply_json(session["error"]["error"]["code"], session["error"])
            return None
        header = self.headers.get("Content-Range", "")
        found = _RANGE.match(header) or _QUERY_RANGE.match(header)
        declared = found.group(3 if _RANGE.match(header) else 1) if found else "*"
        if declared != "*" and session["total"] is None:
            with sandbox.store.change():
                session["total"] = int(declared)
        return session

    def _store_chunk(self, upload_id: str, fault: Fault | None) -> tuple[Any, int, int]:
        """Append the chunk body to the session file as it arrives → (outcome, received,
        stored); outcome is "stored", "dropped" (cut) or the status a fault answers. Faults
        that cut or refuse the chunk keep only their share of it; the others (lose-reply,
        stall, slow) store it whole."""
        keep = -1
        if fault is not None and fault.kind in ("drop", "short-range"):
            keep = fault.bytes
        elif fault is not None and fault.kind == "status":
            keep = fault.bytes if fault.bytes else 0
        elif fault is not None and fault.kind == "rate-limit":
            keep = 0
        stored = 0

        with open(self.sandbox.store.path("sessions", upload_id), "ab") as fh:
            def sink(piece: bytes) -> None:
                nonlocal stored
                if keep >= 0:
                    piece = piece[:max(0, keep - stored)]
                if piece:
                    fh.write(piece)
                    stored += len(piece)

            limit = fault.bytes if fault is not None and fault.kind == "drop" else None
            _, received, complete = self._read(sink=sink, limit=limit)
            fh.flush()
        if (fault is not None and fault.kind == "drop") or not complete:
            return "dropped", received, stored
        if fault is not None and fault.kind in ("status", "rate-limit"):
            return _chunk_error(fault).code, received, stored
        return "stored", received, stored

    def _finish_or_resume(self, upload_id: str, session: dict[str, Any]) -> None:
        sandbox = self.sandbox
        offset = sandbox.store.file_size("sessions", upload_id)
        if session["total"] is None or offset < session["total"]:
            self._resume(offset)
            return
        if offset > session["total"]:
            raise ApiError(400, "badContent", f"Received {offset} bytes, more than the "
                           f"declared {session['total']}.", charge=False)
        status, reply = sandbox.commit_session(upload_id)
        self._reply_json(status, reply)

    def _resume(self, offset: int) -> None:
        headers = {"Range": f"bytes=0-{offset - 1}"} if offset > 0 else {}
        self._reply(308, b"", headers=headers, content_type="text/html; charset=UTF-8")

    def _log_put(self, upload_id: str, outcome: Any, received: int, stored: int) -> None:
        self.sandbox.log_put(upload_id, {
            "range": self.headers.get("Content-Range"),
            "declared": int(self.headers.get("Content-Length") or 0),
            "received": received, "stored": stored, "outcome": outcome})

    # Control API ----------------------------------------------------------------------------

    def _control(self, path: str) -> None:
        body = self._json_body() or {}
        try:
            status, reply = self.sandbox.control(self.command, path, body)
        except (KeyError, ValueError, TypeError) as exc:
            status, reply = 400, {"error": str(exc).strip("'\"")}
        self._reply_json(status, reply)


def _slug(value: str | None) -> str | None:
    """The file name a client sends in the `Slug` header (percent-encoded UTF-8, RFC 5023);
    YouTube shows it as the video's original file name (`fileDetails.fileName`)."""
    if not value:
        return None
    from urllib.parse import unquote

    return unquote(value.strip()) or None


def _chunk_error(fault: Fault) -> ApiError:
    """The reply of a status or rate-limit fault."""
    return errors.rate_limited() if fault.kind == "rate-limit" else errors.server_error(
        fault.status)


def _json_object(data: bytes) -> dict[str, Any] | None:
    if not data.strip():
        return None
    try:
        value = json.loads(data)
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None
    if not isinstance(value, dict):
        raise ApiError(400, "parseError", "Parse Error")
    return value


def parse_multipart(data: bytes, content_type: str) -> tuple[bytes, bytes | None, str | None]:
    """`multipart/related` (LF or CRLF line endings) → (JSON part, media part, media type)."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/related") or not found:
        raise ApiError(400, "badContent", "Expected multipart/related with a boundary.",
                       charge=False)
    delimiter = b"\n--" + found.group(1).encode()
    sections = (b"\n" + data).split(delimiter)[1:]
    parts: list[tuple[dict[str, str], bytes]] = []
    for section in sections:
        if section.startswith(b"--"):
            break
        section = section[2:] if section.startswith(b"\r\n") else section[1:]
        head, sep, payload = section.partition(b"\n\n")
        if not sep:
            head, sep, payload = section.partition(b"\r\n\r\n")
        if payload.endswith(b"\r"):
            payload = payload[:-1]
        headers = {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts.append((headers, payload))
    if not parts:
        raise ApiError(400, "badContent", "Empty multipart body.", charge=False)
    metadata = parts[0][1]
    media = parts[1] if len(parts) > 1 else None
    return (metadata, media[1] if media else None,
            media[0].get("content-type") if media else None)
