"""Partial responses: the `fields` parameter (`items(id,statistics/viewCount),nextPageToken`).

Google trims a reply to the named fields; a client that asks for less must still find what it
asked for, so the sandbox trims too. A malformed mask is a 400 `invalidParameter`.
"""

from __future__ import annotations

from typing import Any

from publish.sandbox.errors import ApiError

Mask = dict[str, "Mask"]


def parse_mask(text: str) -> Mask:
    """`a,b/c,d(e,f/g)` → {"a": {}, "b": {"c": {}}, "d": {"e": {}, "f": {"g": {}}}}."""
    mask, rest = _parse(text.replace(" ", ""), 0, text)
    if rest != len(text.replace(" ", "")):
        raise _invalid(text)
    return mask


def _parse(text: str, pos: int, original: str) -> tuple[Mask, int]:
    mask: Mask = {}
    while pos < len(text):
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        path = text[start:pos]
        if not path or any(not p for p in path.split("/")):
            raise _invalid(original)
        node = mask
        for name in path.split("/"):
            node = node.setdefault(name, {})
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse(text, pos + 1, original)
            if pos >= len(text) or text[pos] != ")":
                raise _invalid(original)
            pos += 1
            _merge(node, sub)
        if pos < len(text) and text[pos] == ")":
            return mask, pos
        if pos < len(text):
            pos += 1  # the comma
    return mask, pos


def _merge(into: Mask, other: Mask) -> None:
    for key, sub in other.items():
        _merge(into.setdefault(key, {}), sub)


def apply_mask(value: Any, mask: Mask) -> Any:
    """Keep only the masked fields of `value` (lists are trimmed item by item)."""
    if not mask:
        return value
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if isinstance(value, dict):
        return {key: apply_mask(value[key], sub) for key, sub in mask.items() if key in value}
    return value


def _invalid(text: str) -> ApiError:
    return ApiError(400, "invalidParameter", f"Invalid field selection {text}",
                    location="fields", location_type="parameter")
