"""Secrets never reach a log line: tokens, client secrets, authorization codes and API keys are
masked by the one function that every logger of capsule (the CLI's and the HTTP client's) uses."""

from __future__ import annotations

import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*bearer\s+)[^\s'\",]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]{8,}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|id_token|token|code|key)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s&'\",}]+"
    ),
]


def redact(text: str) -> str:
    """Mask tokens, secrets, authorization codes and API keys in a log line."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text
