"""The one place that builds YouTube clients: Data API v3 and Analytics v2, Google or a sandbox.

Services are built from the bundled discovery documents with their root URL rewritten, because
`client_options.api_endpoint` moves plain calls but leaves uploads on https (youtube-api.md §1).
Every request goes through `CapsuleHttp`: an explicit socket timeout, 308 not treated as a
redirect (resumable uploads answer 308 without `Location`), a user agent naming capsule, and
redacted debug logging. Google's libraries are imported inside functions: `capsule --help`
must not pay for them.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httplib2

from config.i18n import _
from publish import __version__
from publish.discovery import ANALYTICS_DOC, DATA_API_DOC, discovery_document
from publish.errors import (
    AuthRequired,
    CapsuleError,
    InvalidInput,
    QuotaExhausted,
    TemporaryFailure,
)
from publish.redaction import redact

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

log = logging.getLogger("capsule.http")

USER_AGENT = f"capsule/{__version__}"
DEFAULT_TIMEOUT = 60.0



@dataclass(frozen=True)
class Endpoints:
    """Where every YouTube call goes: Google's servers, or one base URL for all of them."""

    base: str | None = None  # None means Google

    @property
    def is_google(self) -> bool:
        return self.base is None

    def _at(self, path: str) -> str:
        return str(self.base).rstrip("/") + "/" + path

    @property
    def data_root(self) -> str:
        return "https://youtube.googleapis.com/" if self.base is None else self._at("")

    @property
    def analytics_root(self) -> str:
        return "https://youtubeanalytics.googleapis.com/" if self.base is None else self._at("")

    @property
    def auth_uri(self) -> str:
        return ("https://accounts.google.com/o/oauth2/auth" if self.base is None
                else self._at("o/oauth2/auth"))

    @property
    def token_uri(self) -> str:
        return "https://oauth2.googleapis.com/token" if self.base is None else self._at("token")

    @property
    def revoke_uri(self) -> str:
        return "https://oauth2.googleapis.com/revoke" if self.base is None else self._at("revoke")

    def describe(self) -> str:
        return "YouTube (Google)" if self.base is None else self.base


def normalize_endpoint(url: str) -> str:
    """`http://127.0.0.1:8765` and `http://127.0.0.1:8765/` name the same base."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(_("endpoint {url!r}: expected an http:// or https:// URL").format(
                               url=url))
    return url.rstrip("/") + "/"


@dataclass(frozen=True)
class Target:
    """The server a command talks to; for the sandbox, also its built-in OAuth client."""

    endpoints: Endpoints
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    embedded: bool = False


def configured_endpoint(settings: Any, channel: str | None = None) -> str | None:
    """`--endpoint`/`CAPSULE_ENDPOINT`/settings file first, then the channel's own endpoint."""
    if settings.values["endpoint"].origin != "default":
        return settings.endpoint
    return settings.channel(channel).endpoint


class CapsuleHttp(httplib2.Http):
    """httplib2 with a socket timeout, no 308 redirect, capsule's user agent and safe logging."""

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        if not timeout or timeout <= 0:
            timeout = DEFAULT_TIMEOUT  # timeout=None would block forever on a dead socket
        super().__init__(timeout=timeout)
        # A resumable upload answers 308 "Resume Incomplete" without a Location header;
        # followed as a redirect it raises RedirectMissingLocation (googleapis #803).
        self.redirect_codes = frozenset(self.redirect_codes) - {308}

    def request(self, uri: str, method: str = "GET", body: Any = None,
                headers: dict[str, str] | None = None, *args: Any, **kwargs: Any):
        headers = dict(headers or {})
        agent = next((k for k in headers if k.lower() == "user-agent"), None)
        if agent is None:
            headers["user-agent"] = USER_AGENT
        elif USER_AGENT not in headers[agent]:
            headers[agent] = f"{USER_AGENT} {headers[agent]}"
        response, content = super().request(uri, method, body, headers, *args, **kwargs)
        log.debug("%s %s -> %s", method, redact(uri), response.status)
        return response, content


def youtube_service(auth: Credentials | str, *, endpoint: Endpoints | str | None = None,
                    timeout: float | None = DEFAULT_TIMEOUT):
    """The Data API v3 client; `auth` is OAuth credentials, or an API key for public reads."""
    ends = _as_endpoints(endpoint)
    return _service(DATA_API_DOC, None if ends.is_google else ends.data_root, auth, timeout)


def analytics_service(auth: Credentials | str, *, endpoint: Endpoints | str | None = None,
                      timeout: float | None = DEFAULT_TIMEOUT):
    """The Analytics v2 client (`reports().query`); needs OAuth (an API key cannot read it)."""
    ends = _as_endpoints(endpoint)
    return _service(ANALYTICS_DOC, None if ends.is_google else ends.analytics_root, auth, timeout)


def authorized_http(credentials: Credentials, timeout: float | None = DEFAULT_TIMEOUT):
    """An httplib2-compatible object that signs requests and refreshes the token on 401."""
    import google_auth_httplib2

    return google_auth_httplib2.AuthorizedHttp(credentials, http=CapsuleHttp(timeout))


def _as_endpoints(endpoint: Endpoints | str | None) -> Endpoints:
    if isinstance(endpoint, Endpoints):
        return endpoint
    return Endpoints(normalize_endpoint(endpoint) if endpoint else None)


def _service(doc_name: str, root: str | None, auth: Credentials | str,
             timeout: float | None):
    from googleapiclient.discovery import build_from_document

    doc = discovery_document(doc_name, root)
    if isinstance(auth, str):
        return build_from_document(doc, http=CapsuleHttp(timeout), developerKey=auth)
    return build_from_document(doc, http=authorized_http(auth, timeout))


# Error translation ---------------------------------------------------------------------------

_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded",
                  "rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded"}
_AUTH_REASONS = {"authError", "insufficientPermissions", "invalid_grant", "invalid_client"}
_NETWORK_ERRORS = (socket.timeout, TimeoutError, ConnectionError, ssl.SSLError, socket.gaierror,
                   httplib2.HttpLib2Error)
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN,
                   errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED,
                   errno.EPIPE}


def error_reason(exc: Exception) -> str | None:
    """The API's reason (`quotaExceeded`, `invalidTitle`…) from an HttpError, if it has one."""
    body = _error_body(exc)
    errors = body.get("errors") or []
    if errors and isinstance(errors[0], dict) and errors[0].get("reason"):
        return str(errors[0]["reason"])
    status = body.get("status")
    return str(status) if status else None


def _error_body(exc: Exception) -> dict[str, Any]:
    content = getattr(exc, "content", b"")
    try:
        data = json.loads(content.decode("utf-8") if isinstance(content, bytes) else content)
    except (ValueError, AttributeError, TypeError):
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def login_command(channel: str | None, scopes: str | None = None) -> str:
    """The exact command that fixes a missing or refused login."""
    parts = ["capsule auth login"]
    if channel:
        parts.append(f"--channel {channel}")
    if scopes:
        parts.append(f"--scopes {scopes}")
    return "`" + " ".join(parts) + "`"


def api_error(exc: BaseException, *, doing: str, channel: str | None = None) -> BaseException:
    """Turn a client-library or network exception into a typed capsule error (one line).

    Use as `except Exception as exc: raise api_error(exc, doing="uploading x.mp4") from exc`.
    Exceptions that are not about the API (a bug, a KeyboardInterrupt) come back unchanged.
    """
    from google.auth import exceptions as auth_exceptions
    from googleapiclient.errors import HttpError, MediaUploadSizeError, UnacceptableMimeTypeError

    if isinstance(exc, CapsuleError):
        return exc
    if isinstance(exc, HttpError):
        return _http_error(exc, doing, channel)
    if isinstance(exc, MediaUploadSizeError | UnacceptableMimeTypeError):
        return InvalidInput(_("{doing}: {short} (refused before sending)").format(
                                doing=doing, short=_short(exc)))
    if isinstance(exc, auth_exceptions.RefreshError):
        return refresh_error(exc, doing=doing, channel=channel)
    if isinstance(exc, (auth_exceptions.TransportError, *_NETWORK_ERRORS)):
        return TemporaryFailure(_("{doing}: network error ({short}); run again later").format(
                                    doing=doing, short=_short(exc)))
    if isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS:
        return TemporaryFailure(_("{doing}: network error ({short}); run again later").format(
                                    doing=doing, short=_short(exc)))
    return exc


def refresh_error(exc: BaseException, *, doing: str, channel: str | None) -> CapsuleError:
    """A refused token refresh: revoked or expired login, or an unreachable token server."""
    text = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    if getattr(exc, "retryable", False) and "invalid_grant" not in text:
        return TemporaryFailure(_("{doing}: the token server did not answer ({short}); "
                                  "run again later").format(doing=doing, short=_short(exc)))
    reason = text.split(":", 1)[0].strip() or "refused"
    return AuthRequired(_("{doing}: the saved login was refused ({redact}: revoked or "
                          "expired); run {login_command}").format(
                            doing=doing, redact=redact(reason),
                            login_command=login_command(channel)))


def _http_error(exc: Any, doing: str, channel: str | None) -> CapsuleError:
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason = error_reason(exc) or getattr(exc.resp, "reason", "") or "error"
    message = " ".join(str(_error_body(exc).get("message") or "").split())[:200]
    detail = f"{reason} ({status})" + (f": {redact(message)}" if message else "")
    if reason == "insufficientPermissions":
        return AuthRequired(_("{doing}: {detail}; the login lacks a scope, run "
                              "{login_command}").format(
                                doing=doing, detail=detail,
                                login_command=login_command(channel, 'all')))
    if status == 401 or reason in _AUTH_REASONS:
        return AuthRequired(_("{doing}: {detail}; run {login_command}").format(
                                doing=doing, detail=detail, login_command=login_command(channel)))
    if reason in _QUOTA_REASONS or status == 429:
        when = ("after midnight Pacific time" if reason in {"quotaExceeded", "dailyLimitExceeded"}
                else "in about 24 hours" if reason in {"uploadLimitExceeded",
                                                       "uploadRateLimitExceeded"}
                else "in a few minutes")
        return QuotaExhausted(_("{doing}: {detail}; retry {when}").format(
                                  doing=doing, detail=detail, when=when))
    if status >= 500 or status in (408,):
        return TemporaryFailure(_("{doing}: {detail}; the server failed, run again later").format(
                                    doing=doing, detail=detail))
    if status in (400, 404, 409, 411, 413, 415, 422):
        return InvalidInput(f"{doing}: {detail}")
    return CapsuleError(f"{doing}: {detail}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text)[:160]
