"""The limits that keep evalkit/ easy to read: no module over 400 lines, no class over 200, no function over 80, and
no import cycle between its modules, also counting the imports made inside functions (cli.py imports torch-heavy
modules only for the command that needs them; such an import must never be what hides a cycle)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"
MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 400, 200, 80


def sources() -> dict[str, Path]:
    """evalkit's own modules by dotted name (evalkit.model is model/, the llama2.c side, and not counted here)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The evalkit modules `name` imports anywhere in its file (top level, functions, TYPE_CHECKING blocks)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in known and m != name}


def test_no_module_class_or_function_is_over_its_limit():
    over = []
    for name, path in sources().items():
        text = path.read_text()
        if len(text.splitlines()) > MODULE_LINES:
            over.append(f"{name}: {len(text.splitlines())} lines (module limit {MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            limit = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    over.append(f"{name}.{node.name}: {length} lines (limit {limit})")
    assert not over, "\n".join(over)


def test_no_import_cycle_between_evalkit_modules_counting_imports_inside_functions():
    modules = sources()
    graph = {name: imports(name, path, set(modules)) for name, path in modules.items()}
    assert graph["evalkit.watch"] >= {"evalkit.intake", "evalkit.base", "evalkit.evaluate"}  # the graph is read
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]):
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(dep):] + [name, dep]))
            if dep not in state:
                visit(dep, path + [name])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [])
