"""A saved login, administered: its status (who, which scopes, whether it still refreshes),
logout with revocation, and export/import to move it to a server that runs `stats collect`.
The accounts, the token store and the login flows are publish/youtube/auth.py."""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.parse
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from config.i18n import _
from publish.errors import AuthRequired, CapsuleError, InvalidInput, TemporaryFailure
from publish.youtube.client import (
    CapsuleHttp,
    api_error,
    youtube_service,
)

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

from publish.youtube.auth import (
    REQUIRED_TOKEN_KEYS,
    Account,
    LoginResult,
    account_credentials,
    load_credentials,
    missing_scopes,
    read_token_file,
    refresh,
    short_scope,
    write_token_file,
)

log = logging.getLogger("capsule.auth")


@dataclass
class AuthStatus:
    """What `capsule auth status` reports; `error` is set when the login is not usable."""

    channel: str
    endpoint: str
    token_file: str
    logged_in: bool = False
    scopes: list[str] = field(default_factory=list)
    expiry: str | None = None
    refresh_ok: bool | None = None
    youtube_channel_id: str | None = None
    youtube_channel_title: str | None = None
    can_publish: bool = False
    can_read_stats: bool = False
    api_key: bool = False
    error: CapsuleError | None = None

    @property
    def problem(self) -> str | None:
        return str(self.error) if self.error is not None else None

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "error"}
        data["problem"] = self.problem
        return data


def auth_status(account: Account) -> AuthStatus:
    """Check a login for real: refresh it (saving the new token) and ask who it is."""
    status = AuthStatus(channel=account.channel, endpoint=account.endpoints.describe(),
                        token_file=str(account.token_file), api_key=bool(account.api_key))
    try:
        creds = (account_credentials(account, "public") if account.is_sandbox
                 else load_credentials(account))
    except AuthRequired as exc:
        status.error = exc
        return status
    if creds is None or isinstance(creds, str):
        status.error = AuthRequired(_("channel {channel}: no login saved at "
                                      "{token_file}; run {account}").format(
                                        channel=account.channel, token_file=account.token_file,
                                        account=account.login_hint()))
        return status
    status.logged_in = True
    granted = list(creds.granted_scopes or creds.scopes or [])
    status.scopes = [short_scope(s) for s in granted]
    status.can_publish = not missing_scopes(granted, "publish")
    status.can_read_stats = not missing_scopes(granted, "stats")
    try:
        refresh(creds, account)
        status.refresh_ok = True
    except AuthRequired as exc:
        status.refresh_ok = False
        status.error = exc
    except CapsuleError as exc:
        status.error = exc
    if creds.expiry:
        status.expiry = creds.expiry.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if status.refresh_ok:
        _who(creds, account, status)
    return status


def _who(creds: Credentials, account: Account, status: AuthStatus) -> None:
    try:
        reply = youtube_service(creds, endpoint=account.endpoints, timeout=account.timeout) \
            .channels().list(part="snippet", mine=True).execute()
    except Exception as exc:
        error = api_error(exc, doing=_("reading the channel"), channel=account.channel)
        if not isinstance(error, CapsuleError):
            raise
        status.error = error
        return
    items = reply.get("items") or []
    if items:
        status.youtube_channel_id = items[0].get("id")
        status.youtube_channel_title = (items[0].get("snippet") or {}).get("title")
    else:
        status.error = CapsuleError(_("channel {channel}: this Google account has no "
                                      "YouTube channel; create one or log in with the "
                                      "channel's account").format(channel=account.channel))


def logout(account: Account, *, revoke: bool = True) -> bool:
    """Revoke the login at the server (unless told not to) and delete the token file.

    Returns False when there was nothing to log out of. A server that cannot be reached
    keeps the file (TemporaryFailure), so a later run can still revoke it.
    """
    data = read_token_file(account.token_file)
    if data is None:
        return False
    if revoke:
        _revoke(account, data.get("refresh_token") or data.get("token"))
    account.token_file.unlink(missing_ok=True)
    return True


def _revoke(account: Account, token: str) -> None:
    body = urllib.parse.urlencode({"token": token})
    try:
        with contextlib.closing(CapsuleHttp(account.timeout)) as http:
            response, _body = http.request(
                account.endpoints.revoke_uri, "POST", body=body,
                headers={"content-type": "application/x-www-form-urlencoded"})
    except Exception as exc:
        error = api_error(exc, doing=_("revoking the login of {channel}").format(
                                         channel=account.channel),
                          channel=account.channel)
        if isinstance(error, TemporaryFailure):
            raise TemporaryFailure(_("{error}; the token file was kept (add --no-revoke "
                                     "to only delete it)").format(error=error)) from exc
        raise error from exc
    # 400 invalid_token: already revoked or expired, which is what we wanted.
    if response.status >= 500:
        raise TemporaryFailure(_("revoking the login of {channel}: the server answered "
                                 "HTTP {status}; the token file was kept, run again "
                                 "later (or add --no-revoke)").format(
                                   channel=account.channel, status=response.status))


def export_token(account: Account) -> str:
    """The saved login as JSON text, to carry to another machine."""
    data = read_token_file(account.token_file)
    if data is None:
        raise AuthRequired(_("channel {channel}: no login saved at {token_file}; run "
                             "{account} first").format(
                               channel=account.channel, token_file=account.token_file,
                               account=account.login_hint()))
    data.setdefault("token_uri", account.endpoints.token_uri)
    return json.dumps(data, indent=2) + "\n"


def import_token(account: Account, text: str, source: str) -> LoginResult:
    """Save a login exported elsewhere as this account's token (0600, atomic)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput(_("{source}: not a token exported by `capsule auth export` "
                             "(not JSON)").format(source=source)) from None
    missing = [k for k in REQUIRED_TOKEN_KEYS
               if not isinstance(data, dict) or not data.get(k)]
    if missing:
        raise InvalidInput(_("{source}: not a usable token (lacks {missing})").format(
                               source=source, missing=', '.join(missing)))
    issued_by = data.get("token_uri")
    if issued_by and issued_by != account.endpoints.token_uri:
        raise InvalidInput(_("{source}: this login was issued by {issued_by}, but "
                             "channel {channel} uses {token_uri}").format(
                               source=source, issued_by=issued_by, channel=account.channel,
                               token_uri=account.endpoints.token_uri))
    data["token_uri"] = account.endpoints.token_uri
    write_token_file(account.token_file, data)
    scopes = data.get("scopes") or []
    return LoginResult(channel=account.channel, token_file=str(account.token_file),
                       endpoint=account.endpoints.describe(),
                       scopes=scopes.split() if isinstance(scopes, str) else list(scopes))
