"""The shape of the toolkit: imports point down the stages, never back up, never in a circle.

Every import of a `tooling` module counts, also one inside a function: a late import that
calls back into a later stage is the same circle, only hidden. docs/architecture.md
describes these layers; a new module has to be placed in one here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "tooling"

# Lowest first. A module may import only modules of lower layers.
LAYERS: list[set[str]] = [
    # leaves: no toolkit imports of their own
    {
        "diagnostics",
        "dates",
        "doi",
        "i18n",
        "processes",
        "html_safety",
        "site.paths",
        "site.chrome",
        "template_cache",
        "build_cache",
    },
    # the project, the model, and reading sources
    {"config", "model", "yamlsource", "retractions", "sandbox", "fetch"},
    {
        "bibliography",
        "facts",
        "output",
        "pdf",
        "retraction_decisions",
        "retraction_store",
        "crossref",
        "decision_model",
        "versions",
    },
    {"load", "templating"},
    # check: prose rendered in the sandbox, then the rules
    {"prose", "citations", "decision_tables", "history", "diff"},
    {"decision_checks", "draft", "history_checks"},
    {"checks", "documents"},
    {
        "check_processes",
        "site.views",
        "docs",
        "scaffold",
        "retraction_update",
        "decide",
        "site.decisions",
        "site.history",
    },
    # render and publish
    {"engines.page_cache"},  # kept pages, for engines.mkdocs_parallel
    {"engines.mkdocs_parallel"},  # MkDocs' build on two cores, for engines.mkdocs
    {"site.pages", "engines.mkdocs"},
    {"publishing"},
    {"pipeline", "cli_retractions", "cli_history"},
    {"release"},  # dossier release: check and render as of a version's date, then archive
    {"cli_versions"},
    # the edges: the command line and the MkDocs plugin
    {"mkdocs_plugin"},
    {"serve"},  # dossier serve: the live preview
    {"cli"},
    {"__main__"},
]
PACKAGES = {"", "site", "engines"}  # their __init__ modules hold nothing


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def toolkit_imports(path: Path, known: set[str]) -> set[str]:
    """The toolkit modules a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tooling" or node.module.startswith("tooling."):
                base = node.module.removeprefix("tooling").removeprefix(".")
                for alias in node.names:
                    sub = f"{base}.{alias.name}" if base else alias.name
                    names.append(sub if sub in known else base)
        elif isinstance(node, ast.Import):
            names = [
                a.name.removeprefix("tooling.") for a in node.names if a.name.startswith("tooling.")
            ]
        found.update(n for n in names if n not in PACKAGES)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {name: toolkit_imports(path, known) - {name} for name, path in files.items()}


def test_every_module_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    modules = set(graph()) - PACKAGES
    assert modules - placed == set(), "place the new module in LAYERS (and the docs)"
    assert placed - modules == set(), "LAYERS names a module that no longer exists"


def test_imports_point_down_the_layers() -> None:
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    upward = [
        f"{name} (layer {layer[name]}) imports {dep} (layer {layer[dep]})"
        for name, deps in graph().items()
        if name in layer
        for dep in deps
        if dep in layer and layer[dep] >= layer[name]
    ]
    assert upward == []


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in sorted(edges.get(name, ())):
            if state.get(dep) == 1:
                return [*path, name, dep]
            if dep not in state and (cycle := visit(dep, [*path, name])):
                return cycle
        state[name] = 2
        return None

    for name in sorted(edges):
        if name not in state and (cycle := visit(name, [])):
            return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checker_finds_a_cycle(tmp_path: Path) -> None:
    """The cycle test can fail: two modules that import each other, one late, are found."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from tooling.b import x\n", encoding="utf-8")
    b.write_text("def f():\n    from tooling import a\n", encoding="utf-8")
    edges = {"a": toolkit_imports(a, {"a", "b"}), "b": toolkit_imports(b, {"a", "b"})}
    assert edges == {"a": {"b"}, "b": {"a"}}
    assert find_cycle(edges) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_mkdocs_side_loads_no_models() -> None:
    """`dossier build` forks MkDocs' process before importing the toolkit (docs/architecture.md).

    That process imports the plugin; were the plugin to import the models, the process would
    spend the time it is meant to save importing them.
    """
    import subprocess
    import sys

    code = (
        "import sys, tooling.mkdocs_plugin, tooling.engines.mkdocs\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('tooling', 'pydantic')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "tooling.mkdocs_plugin" in loaded
    heavy = [
        m for m in loaded if m.startswith("pydantic") or m in {"tooling.model", "tooling.load"}
    ]
    assert heavy == []
