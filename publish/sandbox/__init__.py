"""A local, stateful YouTube (Data API v3, Analytics v2, OAuth) for rehearsals and tests.

Faithful enough that the unmodified google-api-python-client, google-auth and
google-auth-oauthlib work against it over real sockets; see youtube-api.md "Emulator spec".
"""

from publish.sandbox.clock import SandboxClock
from publish.sandbox.faults import Fault, FaultPlan, FaultSpecError, parse_fault
from publish.sandbox.quota import Limits
from publish.sandbox.server import (
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PORT,
    SandboxServer,
)

__all__ = [
    "DEFAULT_API_KEY", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "DEFAULT_PORT", "Fault",
    "FaultPlan", "FaultSpecError", "Limits", "SandboxClock", "SandboxServer", "parse_fault",
]
