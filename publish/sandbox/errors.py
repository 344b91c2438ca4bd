"""The error replies the sandbox sends, shaped like Google's (youtube-api.md §9, E1).

Handlers raise `ApiError` (Data/Analytics API body `{"error": {code, message, errors[], status}}`)
or `OAuthError` (token endpoint body `{"error", "error_description"}`); the HTTP layer turns
them into replies. Nothing here prints.
"""

from __future__ import annotations

from typing import Any

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 409: "ALREADY_EXISTS", 413: "INVALID_ARGUMENT",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
           503: "UNAVAILABLE"}

AUTH_MESSAGE = ("Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.")


class SandboxError(Exception):
    """Base of what the sandbox raises to its own HTTP layer."""


class SandboxRefused(SandboxError):
    """A request to drive the sandbox (a fault, a clock move, a duration) was refused."""


class SandboxUnreachable(SandboxError):
    """No sandbox answers where one was expected; start one with `capsule sandbox serve`."""


class SandboxStateError(SandboxError):
    """The state folder holds something that is not (or no longer) a sandbox state."""


class ApiError(SandboxError):
    """A Google API error reply: HTTP status, reason, domain and message."""

    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global",
                 location: str | None = None, location_type: str | None = None,
                 headers: dict[str, str] | None = None, charge: bool = True) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})
        self.charge = charge  # invalid requests still cost quota (§6); quota refusals do not

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "domain": self.domain,
                                "reason": self.reason}
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        if self.code in _STATUS:
            error["status"] = _STATUS[self.code]
        return {"error": error}


class OAuthError(SandboxError):
    """An OAuth endpoint error: `{"error": ..., "error_description": ...}`."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(f"{code} {error}: {description}")
        self.code = code
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


# The replies every test and client meets; one function each so the wording lives in one place.

def auth_error() -> ApiError:
    return ApiError(401, "authError", AUTH_MESSAGE, location="Authorization",
                    location_type="header", charge=False,
                    headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                 'error="invalid_token"'})


def missing_credentials() -> ApiError:
    return ApiError(403, "forbidden", "The request is missing a valid API key.", charge=False)


def key_not_enough() -> ApiError:
    return ApiError(401, "required",
                    "API keys are not supported by this API. Expected OAuth2 access token or "
                    "other authentication credentials that assert a principal.",
                    location="Authorization", location_type="header", charge=False)


def invalid_key() -> ApiError:
    return ApiError(400, "badRequest", "API key not valid. Please pass a valid API key.",
                    charge=False)


def insufficient_scope() -> ApiError:
    return ApiError(403, "insufficientPermissions",
                    "Request had insufficient authentication scopes.", charge=False)


def quota_exceeded() -> ApiError:
    return ApiError(403, "quotaExceeded",
                    "The request cannot be completed because you have exceeded your "
                    "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                    domain="youtube.quota", charge=False)


def upload_limit_exceeded() -> ApiError:
    return ApiError(400, "uploadLimitExceeded",
                    "The user has exceeded the number of videos they may upload.",
                    domain="youtube.video", charge=False)


def rate_limited() -> ApiError:
    return ApiError(403, "rateLimitExceeded",
                    "The request cannot be completed because you have exceeded your quota "
                    "rate limit.", domain="usageLimits", charge=False)


def server_error(code: int) -> ApiError:
    if code == 429:
        return ApiError(429, "rateLimitExceeded", "Resource has been exhausted (e.g. check "
                        "quota).", domain="usageLimits", charge=False)
    if code == 401:
        return auth_error()
    reason = "backendError" if code >= 500 else "badRequest"
    message = "Backend Error" if code >= 500 else f"Injected error {code}"
    return ApiError(code, reason, message, charge=False)


def not_found(reason: str, message: str, location: str | None = None) -> ApiError:
    return ApiError(404, reason, message, domain="youtube." + _domain_of(reason),
                    location=location)


def bad_request(reason: str, message: str, *, domain: str = "youtube.video",
                location: str | None = None, location_type: str = "body") -> ApiError:
    return ApiError(400, reason, message, domain=domain, location=location,
                    location_type=location_type if location else None)


def _domain_of(reason: str) -> str:
    for prefix in ("video", "caption", "playlistItem", "playlist", "channel", "thumbnail"):
        if reason.startswith(prefix):
            return prefix
    return "api"
