"""The layers of docs/architecture.md, checked on the source: who may import whom, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ogi_workflow"

# Each layer and the layers it may import (besides itself). Lazy imports inside functions
# and TYPE_CHECKING imports count too: a layer may not even name what it must not know.
_BASE = {"errors", "_resources", "_pii", "_text"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_resources": set(),
    "_pii": set(),
    "_text": set(),
    "calendar": _BASE,
    "clock": _BASE | {"calendar"},
    "outcomes": _BASE,
    "fees": _BASE,
    "lifecycle": _BASE | {"calendar", "clock", "outcomes", "fees"},
    "morning": _BASE | {"calendar"},
    "models": _BASE | {"clock", "lifecycle", "morning", "outcomes"},
    "people": _BASE,
    "storage": _BASE | {"calendar", "clock", "lifecycle", "models", "morning", "outcomes"},
    "letters": _BASE | {"clock", "lifecycle", "models", "outcomes", "storage"},
    "reports": _BASE | {"calendar", "lifecycle", "models", "outcomes", "storage"},
    "actions": _BASE | {"fees", "lifecycle", "models", "outcomes"},
    "casework": _BASE | {"actions", "lifecycle", "models"},
    "routing": _BASE | {"actions", "lifecycle", "models", "outcomes"},
    "casefile": _BASE | {"calendar", "clock", "letters", "lifecycle", "models"},
    "reflow": _BASE | {"calendar", "clock", "lifecycle", "models", "storage"},
    "reads": _BASE
    | {
        "calendar",
        "clock",
        "letters",
        "lifecycle",
        "models",
        "morning",
        "outcomes",
        "people",
        "reports",
        "storage",
    },
    "staffing": _BASE | {"models", "people", "storage"},
    "access": _BASE | {"models", "people", "storage"},
    "workflow": _BASE
    | {
        "access",
        "actions",
        "casework",
        "routing",
        "casefile",
        "reflow",
        "reads",
        "calendar",
        "clock",
        "fees",
        "letters",
        "lifecycle",
        "models",
        "morning",
        "outcomes",
        "reports",
        "people",
        "staffing",
        "storage",
    },
    "_console": _BASE,
    "_terminal": _BASE | {"_console", "lifecycle", "models", "outcomes", "reports", "workflow"},
}
# The shells over the public API may use any layer.
SHELLS = {"__init__", "__main__", "cli", "demo", "service"}


def _layer(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ogi_workflow."):
            found.add(str(node.module).split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("ogi_workflow.")
            )
    return found


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_each_module_imports_only_the_layers_below_it(path: Path) -> None:
    layer = _layer(path)
    if layer in SHELLS:
        return
    assert layer in ALLOWED, f"{layer} is not in the layer table of docs/architecture.md"
    used = _imports(ast.parse(path.read_text(encoding="utf-8"))) - {layer}
    assert used <= ALLOWED[layer], f"{path.name} imports {sorted(used - ALLOWED[layer])}"


def test_no_import_cycles_between_modules() -> None:
    """Module-level imports (the ones that run on import) form no cycle."""
    graph: dict[str, set[str]] = {}
    for path in _modules():
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        deps = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ogi_workflow."):
                deps.add(str(node.module).removeprefix("ogi_workflow."))
        graph[name] = deps - {name}

    def visit(node: str, trail: list[str]) -> None:
        for dep in graph.get(node, set()):
            assert dep not in trail, " -> ".join([*trail, dep])
            visit(dep, [*trail, dep])

    for module in graph:
        visit(module, [module])


def test_the_layer_table_in_the_docs_is_the_one_checked_here() -> None:
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("| layer | may import |", 1)[1].split("\n\n", 1)[0]
    documented: dict[str, set[str]] = {}
    for line in table.strip().splitlines()[1:]:
        layers, allowed = (cell.strip() for cell in line.strip("|").split("|"))
        names = {name.strip("` ") for name in layers.split(",")}
        if allowed == "anything":
            assert names == SHELLS - {"__main__"}
            continue
        below = set() if allowed == "—" else {name.strip("` ") for name in allowed.split(",")}
        if allowed == "everything above":
            below = set().union(*(documented[n] | {n} for n in documented))
        for name in names:
            documented[name] = below | _BASE
    checked = {name: deps for name, deps in ALLOWED.items() if name not in _BASE}
    assert documented == checked
