"""The layout rules, read from the source: the core never imports a lesson, a lesson imports only the core
and itself, lessons never import each other, and the core's imports have no cycle."""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
LESSONS = sorted(p.name for p in (PACKAGE / "lessons").iterdir() if (p / "__init__.py").exists())


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every course_utils module ``path`` imports, at the top or inside a function, resolved to a full name."""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names = [f"{module}.{a.name}" for a in node.names]  # `from . import experiments` imports a module
            found |= {m for m in [module, *names] if m.startswith("course_utils")}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("course_utils")}
    return found


def _lesson_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "lessons" else None


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
CORE = sorted(m for m in MODULES if _lesson_of(m) is None and m != "course_utils.lessons")


def test_there_is_a_folder_for_every_notebook_named_after_it():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert LESSONS == [f"l{stem}" for stem in notebooks]


@pytest.mark.parametrize("module", CORE)
def test_the_core_never_imports_a_lesson(module):
    lessons = sorted(m for m in _imports(MODULES[module]) if m.startswith("course_utils.lessons"))
    assert not lessons, f"{module} imports {lessons}: what a core module needs must live in the core"


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_imports_only_the_core_and_itself(lesson):
    for module, path in MODULES.items():
        if _lesson_of(module) != lesson:
            continue
        for imported in _imports(path):
            other = _lesson_of(imported)
            assert other in (None, lesson), f"{module} imports {imported}: lessons never import each other"
            assert imported != "course_utils.lessons", f"{module} imports the lessons package"


def _core_graph() -> dict[str, set[str]]:
    graph = {}
    for module in CORE:
        targets = {m for m in _imports(MODULES[module]) if _is_module(m) and m != module}
        graph[module] = {t for t in targets if t in MODULES and t != "course_utils"}
    return graph


def test_the_core_has_no_import_cycle():
    graph, state, cycle = _core_graph(), {}, []

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycle.extend([*trail, node, target])
                return True
            if target not in state and visit(target, [*trail, node]):
                return True
        state[node] = "done"
        return False

    for module in graph:
        if module not in state and visit(module, []):
            break
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_imports_only_its_own_lesson(notebook):
    own = f"l{notebook.stem}"
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            if "course_utils.lessons" in line and line.lstrip().startswith(("from ", "import ")):
                assert f"course_utils.lessons.{own}" in line, f"{notebook.name}: {line.strip()}"
