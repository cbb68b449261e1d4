"""Answers that could pass assert-based tests without being right, found by reading them.

Tests such as HumanEval's ``assert candidate(x) == y`` trust what the answer returns and the
names they use. An answer that returns an object equal to anything (``__eq__`` returning
True), or that rebinds what the tests call (``abs``, ``math.isclose``, a builtin), passes them
whatever it computes; no sandbox can tell, since the tests do run. This reads the answer's
source (never runs it) and names what it finds; the evaluator scores such an answer as
failed with reason ``suspect`` and keeps the names in the sample's record.
"""

from __future__ import annotations

import ast
import builtins

COMPARISON = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__instancecheck__",
              "__subclasscheck__", "__class__", "__getattribute__"}
BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


CONSTANT_ONLY = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__"}


def _constant(fn: ast.AST) -> bool:
    """A function or lambda whose every result is a constant (``return True``)."""
    if isinstance(fn, ast.Lambda):
        return isinstance(fn.body, ast.Constant)
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Constant) for r in returns)


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def suspicions(answer: str, tests: str = "", entry_point: str = "") -> list[str]:
    """What in ``answer`` could fake a pass of ``tests``; empty when nothing (or unparseable)."""
    try:
        tree = ast.parse(answer)
    except (SyntaxError, ValueError):
        return []
    try:
        used = _names(ast.parse(tests)) if tests else set()
    except (SyntaxError, ValueError):
        used = set()
    modules = {"builtins", "__builtins__"}
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            modules.update(a.asname or a.name.split(".")[0] for a in n.names)
    found: list[str] = []

    def flag(why: str) -> None:
        if why not in found:
            found.append(why)

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in COMPARISON:
                    if item.name not in CONSTANT_ONLY or _constant(item):
                        flag(f"class {node.name} defines {item.name}" + (" as a constant" * _constant(item)))
                elif isinstance(item, ast.Assign):
                    for t in item.targets:
                        if isinstance(t, ast.Name) and t.id in COMPARISON:
                            if t.id not in CONSTANT_ONLY or not isinstance(item.value, ast.Lambda) or _constant(item.value):
                                flag(f"class {node.name} sets {t.id}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in COMPARISON:
            flag(f"names {node.value}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in modules:
                    flag(f"patches {t.value.id}.{t.attr}")
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == "__builtins__":
                    flag("patches __builtins__")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in modules):
            flag(f"patches {node.args[0].id} with {node.func.id}")
    for node in tree.body:  # module-level names the tests use as builtins
        bound: list[str] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = [node.name] if entry_point else []  # without one, a def may be the function under test
        elif isinstance(node, ast.Assign):
            bound = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = [a.asname or a.name for a in node.names]
        for name in bound:
            if name in BUILTINS and name in used and name != entry_point:
                flag(f"rebinds {name}, which the tests use")
    return found
