"""The architecture, checked from the code: import-linter's contracts (pyproject.toml), what
plugins import from the core, and a core that names no first-party component."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from compass._plugins import make_plugin_host

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [node.module] if node.module != "compass" else [f"compass.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is a dev dependency: pip install -e '.[dev]'"
    res = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Contracts: 4 kept, 0 broken." in res.stdout


def test_plugins_use_only_the_sdk_and_the_api():
    used = set()
    for path in (REPO / "plugins").rglob("*.py"):
        package = path.relative_to(REPO / "plugins").parts[0]
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "compass":
                used.add(name)
            elif top.startswith("compass_") and top != package:
                assert name == top, f"{path}: imports {name}, a submodule of another plugin (use its package face)"
    assert used == {"compass.sdk", "compass.api"}


def _constants(path: Path) -> set[str]:
    """String constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs}


def test_the_core_names_no_first_party_backend_runner_or_dataset():
    registry = make_plugin_host().registry
    first_party = {r.name for kind in ("models", "runners", "datasets") for r in registry.all(kind)
                   if r.plugin in {p.name for p in make_plugin_host().plugins if p.distribution == "compass-eval"}}
    first_party -= {"debug"}  # also the name of `compass eval --debug`, the flag the core owns
    for path in (REPO / "core" / "compass").rglob("*.py"):
        named = first_party & _constants(path)
        assert not named, f"{path.relative_to(REPO)} names {sorted(named)}"


def test_no_import_cycle_in_the_core():
    """Counting imports inside functions too (type-checking-only imports aside): the stages of a
    run, and every other module of the core, import one way."""
    import grimp  # import-linter's own graph builder

    graph = grimp.build_graph("compass", exclude_type_checking_imports=True)
    top = {m: ".".join(m.split(".")[:2]) for m in graph.modules}
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if top[module] != top.get(imported, imported) and imported.startswith("compass."):
                edges.setdefault(top[module], set()).add(top[imported])
    cycles = [(a, b) for a in edges for b in edges[a]
              if graph.chain_exists(importer=b, imported=a, as_packages=True)]
    assert not cycles, cycles
