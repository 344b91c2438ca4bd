"""OAuth for capsule: scope sets, accounts, login flows, the token store (its administration —
status, logout, export, import — is publish/youtube/logins.py).

Tokens are google-auth "authorized user" JSON files, one per channel, written atomically with
mode 0600 whatever the umask, never through a symbolic link. They are loaded with the token URI
of the endpoint in use (`from_authorized_user_file` would silently send them to Google), and a
token issued by another server is refused rather than sent there. Google's libraries are
imported inside functions so `capsule --help` stays fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.atomic import atomic_write
from config.i18n import _
from publish.errors import AuthRequired, CapsuleError, InvalidInput, TemporaryFailure
from publish.youtube.client import (
    USER_AGENT,
    CapsuleHttp,
    Endpoints,
    api_error,
    configured_endpoint,
    login_command,
    normalize_endpoint,
    refresh_error,
)

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

log = logging.getLogger("capsule.auth")

_SCOPE = "https://www.googleapis.com/auth/"
UPLOAD = _SCOPE + "youtube.upload"
FORCE_SSL = _SCOPE + "youtube.force-ssl"
READONLY = _SCOPE + "youtube.readonly"
ANALYTICS = _SCOPE + "yt-analytics.readonly"
FULL = _SCOPE + "youtube"

# What `capsule auth login --scopes X` asks for: the minimum per use (youtube-api.md §5).
SCOPE_SETS: dict[str, tuple[str, ...]] = {
    "publish": (UPLOAD, FORCE_SSL),
    "stats": (READONLY, ANALYTICS),
    "all": (UPLOAD, FORCE_SSL, READONLY, ANALYTICS),
}
PURPOSES = ("publish", "stats", "public")

# Where the browser is sent when there is no local server to catch it (--no-browser): the
# page fails to load and the user pastes its address. Any loopback port is accepted.
PASTE_REDIRECT_URI = "http://localhost:53683/"
LOGIN_TIMEOUT = 300  # seconds the loopback server waits for the browser
TOKEN_MODE = 0o600
TOKEN_DIR_MODE = 0o700

SANDBOX_CLIENT_ID = "capsule-sandbox.apps.googleusercontent.com"
SANDBOX_CLIENT_SECRET = "capsule-sandbox-secret"


def short_scope(scope: str) -> str:
    return scope.removeprefix(_SCOPE)


def missing_scopes(granted: list[str] | tuple[str, ...] | set[str], purpose: str) -> list[str]:
    """Scopes a login lacks for a use; empty when it is enough.

    publish: uploads, metadata, captions and thumbnails need youtube.force-ssl (captions
    accept nothing narrower). stats: Analytics needs yt-analytics.readonly plus a scope that
    reads videos. public: any login will do (or an API key, checked by the caller).
    """
    have = set(granted)
    if purpose == "publish":
        return [] if have & {FORCE_SSL} else [FORCE_SSL]
    if purpose == "stats":
        missing = [] if ANALYTICS in have else [ANALYTICS]
        if not have & {READONLY, FORCE_SSL, FULL}:
            missing.append(READONLY)
        return missing
    if purpose == "public":
        return []
    raise ValueError(_("unknown purpose {purpose!r}; expected one of {PURPOSES}").format(
                         purpose=purpose, PURPOSES=', '.join(PURPOSES)))


# Who capsule acts for --------------------------------------------------------------------------

@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client ("Desktop app"): id and secret, with the endpoint's URIs."""

    client_id: str
    client_secret: str = field(repr=False)
    source: str = "sandbox"  # the file it came from, or "sandbox"

    def config(self, endpoints: Endpoints) -> dict[str, Any]:
        """The client-secrets mapping google-auth-oauthlib expects, URIs moved to `endpoints`."""
        return {"installed": {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_uri": endpoints.auth_uri,
            "token_uri": endpoints.token_uri,
            "redirect_uris": ["http://localhost"],
        }}


@dataclass(frozen=True)
class Account:
    """One channel on one server: where its token lives and which OAuth client it uses."""

    channel: str
    endpoints: Endpoints
    token_file: Path
    client_secrets: Path | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    sandbox_client: OAuthClient | None = None  # set with --sandbox: logins need no files

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_client is not None

    def login_hint(self, scopes: str | None = None) -> str:
        if self.is_sandbox:
            return "`capsule --sandbox auth login`"
        return login_command(self.channel, scopes)

    def oauth_client(self) -> OAuthClient:
        if self.sandbox_client is not None:
            return self.sandbox_client
        if self.client_secrets is None:
            raise InvalidInput(
                _("channel {channel!r} has no client_secrets: set "
                  "channels.{channel}.client_secrets to the OAuth client file (type "
                  "Desktop app) downloaded from the Google Cloud console").format(
                    channel=self.channel))
        return read_client_secrets(self.client_secrets)


def account_for(app_or_settings: Any, channel: str | None = None) -> Account:
    """The account a command acts for: from the CLI's App (honours --sandbox) or Settings."""
    app = app_or_settings if hasattr(app_or_settings, "settings") else None
    settings = app.settings if app is not None else app_or_settings
    name = channel or (app.channel_name if app is not None else None)
    chan = settings.channel(name)
    timeout = float(settings.timeout)
    if app is not None and app.sandbox:
        link = app.target(chan.name)
        return Account(
            channel=chan.name, endpoints=link.endpoints, timeout=timeout,
            token_file=settings.data_path / "sandbox" / "tokens" / f"{chan.name}.json",
            sandbox_client=OAuthClient(link.client_id or SANDBOX_CLIENT_ID,
                                       link.client_secret or SANDBOX_CLIENT_SECRET, "sandbox"))
    endpoint = configured_endpoint(settings, chan.name)
    return Account(channel=chan.name,
                   endpoints=Endpoints(normalize_endpoint(endpoint) if endpoint else None),
                   token_file=chan.token_file, client_secrets=chan.client_secrets,
                   api_key=chan.api_key, timeout=timeout)


def read_client_secrets(path: Path) -> OAuthClient:
    """The OAuth client in a client-secrets file from the Google Cloud console."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(_("{path}: client secrets file not found; download it from "
                             "the Google Cloud console (OAuth client, type Desktop app)").format(
                               path=path)) from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(_("{path}: unreadable client secrets file ({exc})").format(
                               path=path, exc=exc)) from None
    entry = data.get("installed") if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        kind = ", ".join(data) if isinstance(data, dict) else type(data).__name__
        raise InvalidInput(_("{path}: expected an OAuth client of type Desktop app (an "
                             "\"installed\" entry), found {kind}").format(
                               path=path, kind=kind or _('nothing')))
    missing = [k for k in ("client_id", "client_secret") if not entry.get(k)]
    if missing:
        raise InvalidInput(_("{path}: the \"installed\" entry lacks {missing}").format(
                               path=path, missing=', '.join(missing)))
    return OAuthClient(entry["client_id"], entry["client_secret"], str(path))


# Token store -----------------------------------------------------------------------------------

REQUIRED_TOKEN_KEYS = ("refresh_token", "client_id", "client_secret")


@functools.cache
def _credentials_class():
    from google.oauth2.credentials import Credentials

    class SavedCredentials(Credentials):
        """Credentials that write themselves back to their token file after a refresh."""

        token_file: Path | None = None

        def refresh(self, request):
            super().refresh(request)
            if self.token_file is not None:
                try:
                    save_token(self, self.token_file)
                except (OSError, CapsuleError) as exc:  # the fresh token still works now
                    log.warning("could not save the refreshed token to %s: %s",
                                self.token_file, exc)

    return SavedCredentials


def token_payload(credentials: Credentials) -> dict[str, Any]:
    """The authorized-user JSON of a token, `scopes` being what the server granted."""
    scopes = list(credentials.granted_scopes or credentials.scopes or [])
    payload: dict[str, Any] = {
        "type": "authorized_user",
        "token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "token_uri": credentials.token_uri,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "scopes": scopes,
    }
    if credentials.expiry:
        payload["expiry"] = credentials.expiry.replace(tzinfo=None).isoformat() + "Z"
    return {k: v for k, v in payload.items() if v is not None}


def write_token_file(path: Path, payload: dict[str, Any]) -> None:
    """Atomically write a token: mode 0600 whatever the umask, never through a symlink."""
    path = Path(path)
    _make_private_dir(path.parent)
    try:
        with atomic_write(path, TOKEN_MODE, refuse_symlink=True) as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
    except PermissionError as exc:
        if path.is_symlink():
            raise InvalidInput(_("{path}: is a symbolic link; capsule refuses to write a "
                                 "token through it (remove the link or point token_file "
                                 "at a real file)").format(path=path)) from None
        raise InvalidInput(_("{path}: cannot write the token ({strerror})").format(
                               path=path, strerror=exc.strerror)) from None


def _make_private_dir(folder: Path) -> None:
    """Create missing parents with mode 0700 (existing folders are left as they are)."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        os.chmod(created, TOKEN_DIR_MODE)  # mkdir's mode is filtered by the umask


def save_token(credentials: Credentials, path: Path) -> None:
    write_token_file(path, token_payload(credentials))


def read_token_file(path: Path) -> dict[str, Any] | None:
    """The token JSON at `path`, None when there is none; a bad file is an AuthRequired."""
    path = Path(path)
    if path.is_symlink():
        raise InvalidInput(_("{path}: is a symbolic link; capsule refuses token files "
                             "reached through a link (point token_file at the real file)").format(
                               path=path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(_("{path}: cannot read the token ({strerror})").format(
                               path=path, strerror=exc.strerror)) from None
    except UnicodeDecodeError:
        text = ""  # not text at all: reported below as an unusable token file
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or any(not data.get(k) for k in REQUIRED_TOKEN_KEYS):
        raise AuthRequired(_("{path}: not a usable token file (needs "
                             "{REQUIRED_TOKEN_KEYS})").format(
                               path=path, REQUIRED_TOKEN_KEYS=', '.join(REQUIRED_TOKEN_KEYS)))
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            log.warning("%s: readable by other users; tightening it to 0600", path)
            os.chmod(path, TOKEN_MODE)
    return data


def credentials_from_payload(data: dict[str, Any], endpoints: Endpoints,
                             token_file: Path | None = None) -> Credentials:
    """Credentials from token JSON, bound to the endpoint's token URI (never the file's)."""
    expiry = _naive_utc(data.get("expiry"))
    scopes = data.get("scopes") or []
    if isinstance(scopes, str):
        scopes = scopes.split()
    cls = _credentials_class()
    creds = cls(
        token=data.get("token"),
        refresh_token=data["refresh_token"],
        token_uri=endpoints.token_uri,
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        scopes=list(scopes) or None,
        granted_scopes=list(scopes) or None,
        # No saved expiry means "expired": the first use refreshes (as google-auth does).
        expiry=expiry or dt.datetime(1970, 1, 1),
    )
    creds.token_file = token_file
    return creds


def _naive_utc(value: Any) -> dt.datetime | None:
    """A token's expiry as google-auth compares it: naive UTC (an offset would raise TypeError
    at the first use of an imported token). None when absent or unreadable."""
    try:
        moment = dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def load_credentials(account: Account) -> Credentials | None:
    """The saved login of an account, None when there is none."""
    data = read_token_file(account.token_file)
    if data is None:
        return None
    issued_by = data.get("token_uri")
    # Never send a refresh token and client secret to a server that did not issue them. (A
    # sandbox token lives in the sandbox's state folder: any port serving that state issued it.)
    if issued_by and issued_by != account.endpoints.token_uri and not account.is_sandbox:
        raise AuthRequired(_("{token_file}: this login was issued by {issued_by}, not "
                             "{token_uri}; run {account}").format(
                               token_file=account.token_file, issued_by=issued_by,
                               token_uri=account.endpoints.token_uri,
                               account=account.login_hint()))
    return credentials_from_payload(data, account.endpoints, account.token_file)


def refresh(credentials: Credentials, account: Account) -> None:
    """Refresh now (the refreshed token is saved); a refused refresh is an AuthRequired."""
    import google_auth_httplib2
    from google.auth import exceptions as auth_exceptions

    try:
        with contextlib.closing(CapsuleHttp(account.timeout)) as http:  # no socket left open
            credentials.refresh(google_auth_httplib2.Request(http))
    except auth_exceptions.RefreshError as exc:
        raise _refused(exc, account) from None
    except Exception as exc:
        raise api_error(exc, doing=_("refreshing the login of {channel}").format(
                                       channel=account.channel),
                        channel=account.channel) from exc


def _refused(exc: BaseException, account: Account) -> Exception:
    error = refresh_error(exc, doing=_("channel {channel}").format(
                                         channel=account.channel), channel=account.channel)
    if isinstance(error, AuthRequired):
        return AuthRequired(_("channel {channel}: the saved login at {token_file} was "
                              "refused (revoked or expired); run {account}").format(
                                channel=account.channel, token_file=account.token_file,
                                account=account.login_hint()))
    return error


def credentials_for(app_or_settings: Any, channel: str | None = None,
                    purpose: str = "publish") -> Credentials | str:
    """Ready-to-use credentials for a use: "publish", "stats" (Analytics) or "public".

    "public" (public statistics) returns the channel's API key when there is no login.
    With --sandbox a login is obtained automatically from the sandbox (no browser, no files).
    Raises AuthRequired naming the command that fixes it when the login is missing, revoked,
    or lacks a scope the use needs.
    """
    account = account_for(app_or_settings, channel)
    return account_credentials(account, purpose)


def account_credentials(account: Account, purpose: str = "publish") -> Credentials | str:
    """`credentials_for` once the account is known."""
    missing_scopes([], purpose)  # rejects an unknown purpose before any I/O
    creds = load_credentials(account)
    if creds is None and account.is_sandbox:
        creds = sandbox_login(account, SCOPE_SETS["all"])
    if creds is None:
        if purpose == "public" and account.api_key:
            return account.api_key
        what = "an API key (api_key) or a login" if purpose == "public" else "a login"
        raise AuthRequired(_("channel {channel}: {what} is needed and none is saved at "
                             "{token_file}; run {login_hint}").format(
                               channel=account.channel, what=what, token_file=account.token_file,
                               login_hint=account.login_hint(_scopes_for(purpose))))
    lacking = missing_scopes(creds.granted_scopes or creds.scopes or [], purpose)
    if lacking:
        if account.is_sandbox:
            creds = sandbox_login(account, SCOPE_SETS["all"])
        else:
            raise AuthRequired(
                _("channel {channel}: the saved login lacks {scopes} "
                  "needed to {verb}; run {login_hint}").format(
                    channel=account.channel,
                    scopes=', '.join(short_scope(s) for s in lacking),
                    verb=_verb(purpose), login_hint=account.login_hint(_scopes_for(purpose))))
    if not creds.valid:
        try:
            refresh(creds, account)
        except AuthRequired:
            if not account.is_sandbox:
                raise
            creds = sandbox_login(account, SCOPE_SETS["all"])  # a reset sandbox forgets tokens
    return creds


def _scopes_for(purpose: str) -> str | None:
    return {"publish": None, "stats": "all", "public": None}.get(purpose)


def _verb(purpose: str) -> str:
    return {"publish": "publish", "stats": "read statistics"}.get(purpose, purpose)


# Login flows -----------------------------------------------------------------------------------

@dataclass
class LoginResult:
    """What a login saved (no secret in it)."""

    channel: str
    token_file: str
    endpoint: str
    scopes: list[str]
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def scopes_named(name: str) -> tuple[str, ...]:
    try:
        return SCOPE_SETS[name]
    except KeyError:
        raise InvalidInput(_("unknown scope set {name!r}; expected one of {SCOPE_SETS}").format(
                               name=name, SCOPE_SETS=', '.join(SCOPE_SETS))) from None


@contextlib.contextmanager
def _oauthlib_environment(endpoints: Endpoints) -> Iterator[None]:
    """oauthlib's switches for this flow only: plain http for a local server, and a granted
    scope list that may differ from the requested one (we check it ourselves afterwards)."""
    names = ["OAUTHLIB_RELAX_TOKEN_SCOPE"]
    if not endpoints.is_google:
        names.append("OAUTHLIB_INSECURE_TRANSPORT")
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in names:
            os.environ[name] = "1"
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _flow(account: Account, scopes: tuple[str, ...], redirect_uri: str | None = None,
          on_url: Callable[[str], None] | None = None):
    from google_auth_oauthlib.flow import InstalledAppFlow

    class _Flow(InstalledAppFlow):
        """Reports the authorization URL to us instead of printing it on stdout, and sends
        the client secret in the form body (as google-auth's refresh does), never in a Basic
        header that debug logs would print."""

        def authorization_url(self, **kwargs):
            url, state = super().authorization_url(**kwargs)
            if on_url is not None:
                on_url(url)
            return url, state

        def fetch_token(self, **kwargs):
            return super().fetch_token(**{**_fetch_kwargs(account), **kwargs})

    client = account.oauth_client()
    flow = _Flow.from_client_config(client.config(account.endpoints), scopes=list(scopes))
    if redirect_uri:
        flow.redirect_uri = redirect_uri
    return flow


def _fetch_kwargs(account: Account) -> dict[str, Any]:

    return {"include_client_id": True, "timeout": account.timeout,
            "headers": {"Accept": "application/json", "User-Agent": USER_AGENT,
                        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}}


def login(account: Account, scopes: tuple[str, ...], *, open_browser: bool = True,
          on_url: Callable[[str], None] | None = None,
          timeout_seconds: float = LOGIN_TIMEOUT) -> LoginResult:
    """Installed-app flow with PKCE: a one-shot loopback server on a free port catches the
    browser's redirect. `on_url` receives the authorization URL (to show it to the user)."""
    flow = _flow(account, scopes, on_url=on_url)
    with _oauthlib_environment(account.endpoints), _flow_errors(account):
        from google_auth_oauthlib.flow import WSGITimeoutError

        try:
            creds = flow.run_local_server(
                host="localhost", port=0, open_browser=open_browser,
                authorization_prompt_message="", timeout_seconds=timeout_seconds)
        except WSGITimeoutError:
            raise AuthRequired(_("no answer from the browser within "
                                 "{timeout_seconds:.0f} s; run {account} again, or add "
                                 "--no-browser").format(
                                   timeout_seconds=timeout_seconds,
                                   account=account.login_hint())) from None
    return _finish(account, creds, scopes)


def login_pasted(account: Account, scopes: tuple[str, ...],
                 ask: Callable[[str], str]) -> LoginResult:
    """Login for a headless machine: `ask(url)` shows the URL and returns what the user pastes
    (the address the browser ended on, or just the code)."""
    flow = _flow(account, scopes, redirect_uri=PASTE_REDIRECT_URI)
    with _oauthlib_environment(account.endpoints), _flow_errors(account):
        url, state = flow.authorization_url(prompt="consent")
        code = parse_pasted(ask(url), state)
        flow.fetch_token(code=code)
        creds = flow.credentials
    return _finish(account, creds, scopes)


def parse_pasted(text: str, state: str | None) -> str:
    """The authorization code in a pasted redirect URL (state checked) or a bare code."""
    text = text.strip()
    if not text:
        raise AuthRequired(_("nothing was pasted; run the login again"))
    if "://" not in text and "code=" not in text:
        return text
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query or text.lstrip("?"))
    if "error" in query:
        raise AuthRequired(_("authorization refused ({error}); run the login "
                             "again and approve the access").format(
                               error=query['error'][0]))
    if state and query.get("state", [state])[0] != state:
        raise AuthRequired(_("the pasted address belongs to another login attempt (state "
                             "does not match); run the login again and paste the newest "
                             "address"))
    codes = query.get("code")
    if not codes:
        raise AuthRequired(_("the pasted address has no code=…; paste the full address "
                             "the browser ended on"))
    return codes[0]


def sandbox_login(account: Account, scopes: tuple[str, ...]) -> Credentials:
    """The real PKCE flow against the sandbox, whose consent page approves by itself."""
    flow = _flow(account, scopes, redirect_uri=PASTE_REDIRECT_URI)
    with _oauthlib_environment(account.endpoints), _flow_errors(account):
        url, state = flow.authorization_url()
        with contextlib.closing(CapsuleHttp(account.timeout)) as http:
            http.follow_redirects = False
            try:
                response, _body = http.request(url, "GET")
            except Exception as exc:
                raise api_error(exc, doing=_("logging in to the sandbox")) from exc
        location = response.get("location")
        if response.status not in (302, 303) or not location:
            raise TemporaryFailure(_("sandbox at {base} did not approve the login (HTTP "
                                     "{status})").format(
                                       base=account.endpoints.base, status=response.status))
        flow.fetch_token(code=parse_pasted(location, state))
        creds = flow.credentials
    result = _finish(account, creds, scopes)
    log.info("signed in to the sandbox (%s)", ", ".join(short_scope(s) for s in result.scopes))
    return load_credentials(account)


@contextlib.contextmanager
def _flow_errors(account: Account) -> Iterator[None]:
    """OAuth and network failures of a login as one-line capsule errors."""
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error
    from requests import RequestException

    try:
        yield
    except OAuth2Error as exc:
        detail = exc.error + (f": {exc.description}" if exc.description else "")
        raise AuthRequired(_("login refused by {endpoints} ({detail}); check the client "
                             "secrets and run {account} again").format(
                               endpoints=account.endpoints.describe(), detail=detail,
                               account=account.login_hint())) from None
    except RequestException as exc:
        raise TemporaryFailure(_("cannot reach {endpoints} to log in ({__name__}); run "
                                 "again later").format(
                                   endpoints=account.endpoints.describe(),
                                   __name__=type(exc).__name__)) from None
    except Warning as exc:  # oauthlib's "Scope has changed" when relaxing was not possible
        raise AuthRequired(_("login scopes changed during the flow ({exc}); run "
                             "{account} again").format(
                               exc=exc, account=account.login_hint())) from None


def _finish(account: Account, creds: Any, scopes: tuple[str, ...]) -> LoginResult:
    granted = _granted(creds, scopes)
    payload = token_payload(creds)
    payload["scopes"] = granted
    write_token_file(account.token_file, payload)
    missing = [s for s in scopes if s not in granted]
    return LoginResult(channel=account.channel, token_file=str(account.token_file),
                       endpoint=account.endpoints.describe(), scopes=granted, missing=missing)


def _granted(creds: Any, requested: tuple[str, ...]) -> list[str]:
    granted = creds.granted_scopes
    if isinstance(granted, str):
        granted = granted.split()
    return list(granted) if granted else list(requested)
