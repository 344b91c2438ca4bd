"""The bundled discovery documents of the YouTube Data API v3 and Analytics v2: the one leaf that
both the production client (publish/youtube/client.py) and the sandbox read, so neither needs
the other. A document can be moved to another root URL (a sandbox, an endpoint override)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

DATA_API_DOC = "youtube.v3.json"
ANALYTICS_DOC = "youtubeAnalytics.v2.json"


@functools.cache
def _discovery_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def discovery_document(name: str, root: str | None = None) -> dict[str, Any]:
    """A bundled discovery document, its root and base URLs moved to `root` when given."""
    doc = json.loads(_discovery_text(name))
    if root is not None:
        doc["rootUrl"] = root
        doc["baseUrl"] = root + doc.get("servicePath", "")
        # mTLS is Google-only; keep the client from choosing it for a sandbox.
        doc.pop("mtlsRootUrl", None)
    return doc
