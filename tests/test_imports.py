"""The house rules, read from the source with `ast`: no import circle, and arrows only where the
layers allow them (DESIGN.md; README "Layout").

Every import counts, at module level or inside a function: an import moved into a function still
ties the two modules together. Only imports under `if TYPE_CHECKING:` are left out (they exist
for annotations and never run). A package's `__init__` counts as the package itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("captions", "config", "publish")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module → the project modules it imports (anywhere in its body)."""
    files = {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in files else base)
        graph[name] = {_owner(t, files) for t in targets if _owner(t, files)} - {name}
    return graph


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never imported)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _owner(target: str, files: Mapping[str, Path]) -> str | None:
    """The project module an import name lands in (`a.b.C` → `a.b`), or None if foreign."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in files:
            return candidate
        parts.pop()
    return None


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# (from, to, allowed exceptions among the targets): an arrow the layers forbid.
FORBIDDEN = [
    ("captions", "publish", ()),
    ("config", "captions", ()),
    ("config", "publish", ()),
    ("publish.youtube", "publish.sandbox", ()),
    ("publish.sandbox", "publish", ("publish.sandbox", "publish.discovery")),
]
CLI_SIDE = ("publish.cli", "publish.__main__")


def forbidden_arrows(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import that crosses a layer the wrong way, as "a -> b"."""
    bad = []
    for src, targets in sorted(graph.items()):
        for dst in sorted(targets):
            for frm, to, allowed in FORBIDDEN:
                if (_under(src, frm) and _under(dst, to)
                        and not any(_under(dst, a) for a in allowed)):
                    bad.append(f"{src} -> {dst}")
            library = not any(_under(src, c) for c in CLI_SIDE)
            if library and _under(dst, "publish.cli"):
                bad.append(f"{src} -> {dst}")
    return bad


def test_the_checker_finds_a_circle_and_a_forbidden_arrow():
    graph = {"publish.a": {"publish.b"}, "publish.b": {"publish.c"},
             "publish.c": {"publish.a"}, "captions.x": {"publish.a"},
             "publish.sandbox.api": {"publish.youtube.client"},
             "publish.pipeline": {"publish.cli.output"}}
    assert cycles(graph) == [["publish.a", "publish.b", "publish.c"]]
    assert forbidden_arrows(graph) == ["captions.x -> publish.a",
                                       "publish.pipeline -> publish.cli.output",
                                       "publish.sandbox.api -> publish.youtube.client"]


def test_the_graph_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "publish"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from publish import b\n")
    (pkg / "b.py").write_text("from .a import f\n")
    graph = import_graph(tmp_path, ["publish"])
    assert graph["publish.a"] == {"publish.b"} and graph["publish.b"] == {"publish.a"}
    assert cycles(graph) == [["publish.a", "publish.b"]]


def test_no_import_circle():
    assert cycles(import_graph()) == []


def test_no_import_crosses_a_layer_the_wrong_way():
    assert forbidden_arrows(import_graph()) == []
