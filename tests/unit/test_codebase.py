"""The shape of the code: no module imports in a circle, no file grows past ~400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("playback", "flows", "config", "simulator")
MAX_LINES = 400
# `# fmt: skip` in source: none (the formatter lays lines out; tests may keep a table's).
MAX_FMT_SKIPS = 0


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Project modules `name` imports, at its top or inside functions alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b` imports the module a.b when there is one, else a.
            candidates = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_project_module_imports_in_a_circle():
    modules = project_modules()
    graph = {name: imports_of(path, name, modules) for name, path in modules.items()}
    # A package's __init__ importing its own submodules (to register them) is no circle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(f"{name}.")}
    assert "playback.services" in graph["playback.tasks"]  # the walk sees real imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_source_file_is_over_400_lines():
    sources = [
        path
        for package in PACKAGES
        for pattern in ("*.py", "*.js", "*.html")
        for path in (ROOT / package).rglob(pattern)
        if "migrations" not in path.parts and "node_modules" not in path.parts
    ]
    assert sources
    lines = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in sources}
    assert {path: n for path, n in lines.items() if n > MAX_LINES} == {}


def test_nothing_outside_the_api_imports_it():
    """The API is the top layer: live events, webhooks, reports and the CLI read the
    resources (playback/resources/), never the API's own modules."""
    modules = project_modules()
    importers = {
        name: sorted(m for m in imports_of(path, name, modules) if m.startswith("playback.api"))
        for name, path in modules.items()
        if not name.startswith("playback.api")
    }
    # config/urls.py mounts the API (a string include, not an import).
    assert {name: found for name, found in importers.items() if found} == {}


def test_the_engine_the_words_and_the_actions_never_import_django():
    modules = project_modules()
    pure = [name for name in modules if name.startswith("playback.actions")]
    for name in [*pure, "playback.engine", "playback.words", "playback.inputs"]:
        text = modules[name].read_text()
        assert "import django" not in text and "from django" not in text, name


def test_fmt_skip_is_kept_for_tables_only():
    """Lines are laid out by the formatter, never squeezed to stay under a size."""
    skips = {
        str(path.relative_to(ROOT)): path.read_text().count("fmt: skip")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert sum(skips.values()) <= MAX_FMT_SKIPS, {k: v for k, v in skips.items() if v}
