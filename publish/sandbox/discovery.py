"""Routing and parameter checks driven by the bundled discovery documents.

Every method of `youtube.v3.json` and `youtubeAnalytics.v2.json` is routed by HTTP method and
path (plus `/upload/<path>` for media methods), and its query parameters are checked the way
the real front end does: unknown names, missing required ones, enum values, booleans, integer
ranges and `part` values each give Google's 400 body (youtube-api.md §9). Whether the sandbox
implements a routed method is the handlers' business (501 otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from publish.discovery import discovery_document
from publish.sandbox.errors import ApiError

DOCUMENTS = ("youtube.v3.json", "youtubeAnalytics.v2.json")
# Parts YouTube accepts for a resource are its schema's properties minus these bookkeeping ones.
_NOT_PARTS = {"kind", "etag"}


@dataclass(frozen=True)
class Method:
    """One discovery method: what the router and the checks need."""

    id: str
    http_method: str
    path: str
    params: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    scopes: frozenset[str]
    media: dict[str, Any] | None
    parts: frozenset[str] = field(default_factory=frozenset)

    @property
    def max_media_bytes(self) -> int | None:
        size = (self.media or {}).get("maxSize")
        return int(size) if size else None


class Discovery:
    """Route table + checks built once from the two bundled documents."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Method, bool]] = []
        self.global_params: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, Method] = {}
        for name in DOCUMENTS:
            doc = discovery_document(name)
            self.global_params.update(doc.get("parameters", {}))
            self._add_resources(doc, doc.get("resources", {}))

    def _add_resources(self, doc: dict[str, Any], resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for info in resource.get("methods", {}).values():
                method = Method(
                    id=info["id"], http_method=info["httpMethod"], path=info["path"],
                    params=info.get("parameters", {}),
                    required=tuple(n for n, p in info.get("parameters", {}).items()
                                   if p.get("required")),
                    scopes=frozenset(info.get("scopes", [])),
                    media=info.get("mediaUpload"), parts=_parts_of(doc, info))
                self.methods[method.id] = method
                pattern = _path_regex(method.path)
                self._routes.append((method.http_method, re.compile(f"^/{pattern}$"), method,
                                     False))
                if method.media:
                    self._routes.append((method.http_method,
                                         re.compile(f"^/upload/{pattern}$"), method, True))
            self._add_resources(doc, resource.get("resources", {}))

    def route(self, http_method: str, path: str) -> tuple[Method, dict[str, str], bool] | None:
        """(method, path parameters, is an upload URL) for a request, or None."""
        for verb, regex, method, upload in self._routes:
            if verb != http_method:
                continue
            found = regex.match(path)
            if found:
                return method, found.groupdict(), upload
        return None

    def path_known(self, path: str) -> bool:
        return any(regex.match(path) for _, regex, _, _ in self._routes)

    def check(self, method: Method, query: dict[str, list[str]]) -> dict[str, Any]:
        """Validate the query against the method; return typed values (lists for repeated)."""
        values: dict[str, Any] = {}
        for name, raw in query.items():
            spec = method.params.get(name) or self.global_params.get(name)
            if spec is None:
                raise ApiError(400, "invalid", f'Invalid JSON payload received. Unknown name '
                               f'"{name}": Cannot bind query parameter. Field \'{name}\' could '
                               f'not be found in request message.', location=name)
            items = [_typed(name, spec, one) for one in raw]
            values[name] = items if spec.get("repeated") else items[-1]
        for name in method.required:
            if name in method.params and name not in values and method.params[name].get(
                    "location") == "query":
                raise ApiError(400, "required", f"Required parameter: {name}", location=name,
                               location_type="parameter")
        if "part" in values and method.parts:
            values["part"] = self.check_parts(method, values["part"])
        return values

    def check_parts(self, method: Method, raw: list[str] | str) -> list[str]:
        """`part` as given (repeated keys and/or commas) → names, each one a known part."""
        pieces = raw if isinstance(raw, list) else [raw]
        parts = [p.strip() for piece in pieces for p in piece.split(",")]
        if not any(parts):
            raise ApiError(400, "required", "Required parameter: part", location="part",
                           location_type="parameter")
        for part in parts:
            if part not in method.parts:
                raise ApiError(400, "unknownPart", f"'{part}'", domain="youtube.part",
                               location="part", location_type="parameter")
        return list(dict.fromkeys(p for p in parts if p))


def _path_regex(path: str) -> str:
    out = []
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{") and piece.endswith("}"):
            out.append(f"(?P<{piece[1:-1].lstrip('+')}>[^/]+)")
        else:
            out.append(re.escape(piece))
    return "".join(out)


def _parts_of(doc: dict[str, Any], info: dict[str, Any]) -> frozenset[str]:
    if "part" not in info.get("parameters", {}):
        return frozenset()
    schemas = doc.get("schemas", {})
    ref = (info.get("response") or info.get("request") or {}).get("$ref")
    schema = schemas.get(ref or "", {})
    items = schema.get("properties", {}).get("items", {})
    if items.get("type") == "array" and "$ref" in items.get("items", {}):
        schema = schemas.get(items["items"]["$ref"], {})
    return frozenset(schema.get("properties", {})) - _NOT_PARTS


def _typed(name: str, spec: dict[str, Any], raw: str) -> Any:
    kind = spec.get("type", "string")
    if "enum" in spec and raw not in spec["enum"]:
        raise ApiError(400, "invalidParameter", f"Invalid value '{raw}' for parameter {name}. "
                       f"Expected one of: {', '.join(spec['enum'])}", location=name,
                       location_type="parameter")
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ApiError(400, "invalidParameter", f"Invalid boolean value: '{raw}'.",
                           location=name, location_type="parameter")
        return raw.lower() == "true"
    if kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, "invalidParameter", f"Invalid integer value: '{raw}'.",
                           location=name, location_type="parameter") from None
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and value < int(low)) or (high is not None and value > int(high)):
            raise ApiError(400, "invalidParameter", f"Invalid value '{raw}'. Values must be "
                           f"within the range: [{low or 0}, {high}]", location=name,
                           location_type="parameter")
        return value
    return raw
