"""Byte rates as officers write them: `500K`, `2M`, `1.5M`, `800000` (bytes per second; K and M
are 1,000 and 1,000,000, as network speeds are counted; `KiB`/`MiB` are the binary ones)."""

from __future__ import annotations

import re

from config.i18n import _

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(k|m|g|kib|mib|gib)?\s*(?:b/s|/s|bps)?\s*$", re.I)
_UNITS = {None: 1, "k": 10**3, "m": 10**6, "g": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_rate(text: str | int | float) -> int:
    """Bytes per second; ValueError with the expected form when `text` is not a rate."""
    m = _RATE.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise ValueError(_("expected a rate in bytes per second like 500K, 2M or 1.5M, "
                           "got {text!r}").format(text=text))
    unit = m.group(2).lower() if m.group(2) else None
    return max(1, round(float(m.group(1)) * _UNITS[unit]))
