"""The packages' imports run one way: no module imports a module that imports it back.

The graph is read from the source with :mod:`ast`, not by importing: every ``import`` and
``from ... import`` of a module of the package, at module level and inside functions (a deferred
import closes a circle as surely as a top-level one), including relative imports and
``from package import module``. A package's ``__init__`` is a module like any other: a
submodule that imports names from its own package's ``__init__`` (which imports the submodule)
closes a circle too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGES = ("relusv", "relusv_workflow")


def _modules(package: str, src: Path) -> dict[str, Path]:
    """``{dotted name: file}`` of every module of ``package`` under ``src``."""
    modules = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` (at ``path``) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                base = ".".join([*base, node.module] if node.module else base)
            else:
                base = node.module or ""
            # `from a import b` is module a.b if there is one, else a name from module a
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                          for alias in node.names]
        else:
            continue
        for candidate in candidates:
            # `import a.b.c` names a.b.c: the deepest module of the package that it names
            parts = candidate.split(".")
            for i in range(len(parts), 0, -1):
                prefix = ".".join(parts[:i])
                if prefix in known:
                    found.add(prefix)
                    break
    found.discard(name)
    return found


def import_graph(packages=PACKAGES, src: Path = SRC) -> dict[str, set[str]]:
    """``{module: modules of the packages it imports}`` over every module of ``packages``."""
    modules = {}
    for package in packages:
        if (src / package).is_dir():
            modules.update(_modules(package, src))
    known = set(modules)
    return {name: _imported(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    assert len(graph) > 30, "the graph should cover every module of src/relusv"
    found = cycles(graph)
    assert found == [], "import circles (each a set of modules that import one another): " + \
        "; ".join(" <-> ".join(component) for component in found)


def test_the_library_imports_no_workflow_tooling():
    graph = import_graph()
    leaks = sorted(f"{name} -> {target}" for name, targets in graph.items()
                   if name.split(".")[0] == "relusv" for target in targets
                   if target.split(".")[0] != "relusv")
    assert leaks == []


@pytest.mark.parametrize(("source", "expected"), [
    # module level, inside a function, relative, `from package import module`
    ({"a": "import pkg.b\n", "b": "def f():\n    from pkg import a\n"}, [["pkg.a", "pkg.b"]]),
    ({"a": "from .b import x\n", "b": "from . import a\n"}, [["pkg.a", "pkg.b"]]),
    ({"a": "from pkg.b import x\n", "b": "import numpy\n"}, []),
    ({"a": "from pkg import b\n", "b": "x = 1\n"}, []),
    # a submodule that takes a name from its package's __init__, which imports the submodule
    ({"__init__": "from pkg.a import f\n", "a": "from pkg import VERSION\n"}, [["pkg", "pkg.a"]]),
    ({"a": "from pkg.b import x\n", "b": "from pkg.c import y\n", "c": "import pkg.a as a\n"},
     [["pkg.a", "pkg.b", "pkg.c"]]),
])
def test_the_check_finds_circles(tmp_path, source, expected):
    source = dict(source)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(source.pop("__init__", ""))
    for name, text in source.items():
        (package / f"{name}.py").write_text(text)
    assert cycles(import_graph(("pkg",), tmp_path)) == expected
