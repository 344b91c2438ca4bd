"""The sandbox's OAuth 2.0 server: one built-in installed-app client, auto-approved consent.

`GET /o/oauth2/auth` answers 302 to the loopback `redirect_uri` with a code (the sandbox has a
single user, so there is no consent page); `POST /token` exchanges it (client secret, redirect
URI and PKCE S256 verifier checked) and refreshes; `POST /revoke` ends a grant. Errors use
Google's shapes (`invalid_grant` 400, `invalid_client` 401). Tokens live in the store so a
restarted sandbox still honours them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from publish.sandbox.clock import SandboxClock
from publish.sandbox.errors import OAuthError, auth_error
from publish.sandbox.quota import Limits
from publish.sandbox.store import Store

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
KNOWN_SCOPES = frozenset(
    [SCOPE_PREFIX + s for s in ("youtube", "youtube.readonly", "youtube.upload",
                                "youtube.force-ssl", "youtubepartner",
                                "youtubepartner-channel-audit", "yt-analytics.readonly",
                                "yt-analytics-monetary.readonly", "userinfo.email",
                                "userinfo.profile")]
    + ["openid", "email", "profile"])
CODE_LIFETIME = 600.0
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def full_scope(name: str) -> str:
    """`youtube.upload` → `https://www.googleapis.com/auth/youtube.upload`."""
    return name if ":" in name or name in ("openid", "email", "profile") else SCOPE_PREFIX + name


class OAuthServer:
    """Codes, access tokens and refresh tokens, checked against one client id and secret."""

    def __init__(self, store: Store, clock: SandboxClock, limits: Limits, client_id: str,
                 client_secret: str) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.client_id = client_id
        self.client_secret = client_secret

    # The browser side -----------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> str:
        """The redirect location for an authorization request (raises OAuthError)."""
        if query.get("client_id") != self.client_id:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK:
            raise OAuthError(400, "redirect_uri_mismatch", "The sandbox accepts only loopback "
                             "redirect URIs (http://127.0.0.1:PORT/ or http://localhost:PORT/).")
        if query.get("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "response_type must be 'code'.")
        scopes = query.get("scope", "").split()
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid. "
                             f"{{invalid={unknown}}}" if unknown else "Missing scope.")
        method = query.get("code_challenge_method", "plain" if query.get("code_challenge")
                           else "")
        if method not in ("", "plain", "S256"):
            raise OAuthError(400, "invalid_request", "Invalid code_challenge_method.")
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        with self.store.change() as data:
            data["codes"][code] = {
                "redirect_uri": redirect, "scopes": scopes,
                "challenge": query.get("code_challenge"), "method": method,
                "expires": self.clock.timestamp() + CODE_LIFETIME}
        reply = {"code": code, "scope": " ".join(scopes)}
        if "state" in query:
            reply = {"state": query["state"], **reply}
        return redirect + ("&" if parts.query else "?") + urlencode(reply)

    # The token endpoint ---------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id != self.client_id or not hmac.compare_digest(
                (secret or "").encode(), self.client_secret.encode()):
            raise OAuthError(401, "invalid_client", "Unauthorized")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange(form)
        if grant == "refresh_token":
            return self._refresh(form)
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _exchange(self, form: dict[str, str]) -> dict[str, Any]:
        with self.store.change() as data:
            entry = data["codes"].pop(form.get("code", ""), None)  # a code is single-use
        if entry is None or entry["expires"] < self.clock.timestamp():
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != entry["redirect_uri"]:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if entry.get("challenge"):
            verifier = form.get("code_verifier", "")
            if entry["method"] == "S256":
                digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if not verifier or not hmac.compare_digest(computed, entry["challenge"]):
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        refresh = "1//sandbox-" + secrets.token_urlsafe(32)
        with self.store.change() as data:
            data["refresh_tokens"][refresh] = {"scopes": entry["scopes"]}
        return {**self._issue(entry["scopes"], refresh), "refresh_token": refresh}

    def _refresh(self, form: dict[str, str]) -> dict[str, Any]:
        refresh = form.get("refresh_token", "")
        with self.store.lock:
            entry = self.store["refresh_tokens"].get(refresh)
        if entry is None:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        return self._issue(entry["scopes"], refresh)

    def _issue(self, scopes: list[str], refresh: str | None,
               lifetime: int | None = None) -> dict[str, Any]:
        lifetime = self.limits.token_lifetime_seconds if lifetime is None else lifetime
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        with self.store.change() as data:
            now = self.clock.timestamp()
            stale = [t for t, v in data["access_tokens"].items() if v["expires"] < now - 86400]
            for old in stale:
                del data["access_tokens"][old]
            data["access_tokens"][token] = {"scopes": scopes, "refresh": refresh,
                                            "expires": now + lifetime}
        return {"access_token": token, "expires_in": lifetime, "scope": " ".join(scopes),
                "token_type": "Bearer"}

    def revoke(self, token: str) -> None:
        """Revoke a refresh token or an access token: the whole grant goes (like Google)."""
        with self.store.change() as data:
            refresh = token if token in data["refresh_tokens"] else (
                data["access_tokens"].get(token, {}).get("refresh"))
            if token not in data["refresh_tokens"] and token not in data["access_tokens"]:
                raise OAuthError(400, "invalid_token", "Token expired or revoked")
            data["access_tokens"].pop(token, None)
            if refresh:
                data["refresh_tokens"].pop(refresh, None)
                for access in [t for t, v in data["access_tokens"].items()
                               if v.get("refresh") == refresh]:
                    del data["access_tokens"][access]

    # For tests and the control API ----------------------------------------------------------

    def mint(self, scopes: list[str], *, expires_in: int | None = None,
             refresh: bool = True) -> dict[str, Any]:
        """Tokens for `scopes` without the browser dance (short names are expanded)."""
        full = [full_scope(s) for s in scopes]
        unknown = [s for s in full if s not in KNOWN_SCOPES]
        if unknown:
            raise OAuthError(400, "invalid_scope", f"Unknown scopes: {unknown}")
        refresh_token = None
        if refresh:
            refresh_token = "1//sandbox-" + secrets.token_urlsafe(32)
            with self.store.change() as data:
                data["refresh_tokens"][refresh_token] = {"scopes": full}
        reply = self._issue(full, refresh_token, expires_in)
        if refresh_token:
            reply["refresh_token"] = refresh_token
        return reply

    def scopes_of(self, access_token: str) -> frozenset[str]:
        """The scopes of a live access token; 401 authError when unknown or expired."""
        with self.store.lock:
            entry = self.store["access_tokens"].get(access_token)
        if entry is None or entry["expires"] <= self.clock.timestamp():
            raise auth_error()
        return frozenset(entry["scopes"])
