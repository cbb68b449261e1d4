"""Executing an OpenCompass-style Python config without mmengine or opencompass installed.

While a config runs, an import hook serves ``mmengine``, ``mmengine.config`` and
``opencompass.*`` as stand-in modules: ``read_base`` is a no-op context manager and every
other name (``HuggingFaceCausalLM``, ``PromptTemplate``, ``siqaDataset``, ...) is a
:class:`Placeholder` class that only records its name, so ``dict(type=PPLInferencer)`` keeps
the shape of the config. Relative imports (``from .datasets.siqa.siqa_ppl import
siqa_datasets``) resolve against the config's own folder first, then the config modules
this plugin ships (``compass_opencompass/configs``); ``opencompass.configs.*`` resolves to
the latter. :mod:`compass_opencompass.translate` turns the result into compass's plain config.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "configs"
PACKAGE = "__compass_config__"
_SHIMS = ("mmengine", "opencompass")


class Placeholder:
    """Stands for an OpenCompass (or mmengine) class named in a config; never instantiated."""

    oc_name = ""
    oc_module = ""

    def __new__(cls, *args, **kwargs):
        from compass.sdk import CompassError

        raise CompassError(f"{cls.oc_module}.{cls.oc_name} cannot be called in a compass config; "
                           f"write dict(type={cls.oc_name}, ...) as OpenCompass configs do")


def placeholder(module: str, name: str) -> type:
    return type(name, (Placeholder,), {"oc_name": name, "oc_module": module})


@contextlib.contextmanager
def read_base():
    """mmengine's ``read_base``: here the imports inside it are ordinary imports."""
    yield


class _ShimModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "read_base":
            return read_base
        if name == "get_data_path":
            return get_data_path
        value = placeholder(self.__name__, name)
        setattr(self, name, value)
        return value


def get_data_path(path: str, local_path: str | None = None) -> str:
    """OpenCompass's ``get_data_path``: compass keeps the local form (resolved under the data dir)."""
    return local_path or path


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        module = _ShimModule(spec.name)
        module.__path__ = []  # a package: its submodules are shims too
        return module

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        root = fullname.split(".")[0]
        if root not in _SHIMS:
            return None
        if fullname == "opencompass.configs":
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [str(SHIPPED)]
            return spec
        if fullname.startswith("opencompass.configs."):
            return None  # found by the path finder under SHIPPED
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


def _ours(name: str) -> bool:
    return name.split(".")[0] in (*_SHIMS, PACKAGE)


@contextlib.contextmanager
def shimmed(folder: Path):
    """The import hook and the config package (``folder``, then compass's configs) while inside."""
    saved = {n: m for n, m in sys.modules.items() if _ours(n)}
    for n in saved:
        del sys.modules[n]
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    package = types.ModuleType(PACKAGE)
    package.__path__ = [str(folder), str(SHIPPED)]
    sys.modules[PACKAGE] = package
    try:
        yield PACKAGE
    finally:
        sys.meta_path.remove(finder)
        for n in [n for n in sys.modules if _ours(n)]:
            del sys.modules[n]
        sys.modules.update(saved)


def run_config(path: Path) -> dict:
    """Execute the config file ``path`` under the shims; its module namespace."""
    path = Path(path).resolve()
    with shimmed(path.parent) as package:
        name = f"{package}.{path.stem}"
        module = types.ModuleType(name)
        module.__file__ = str(path)
        module.__package__ = package
        sys.modules[name] = module
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        exec(code, module.__dict__)  # noqa: S102 - the user's own config file, as OpenCompass runs it
        return dict(module.__dict__)


def uses_classes(value) -> bool:
    """Does this config value name any OpenCompass class (``type=SomeClass``)?"""
    if isinstance(value, type) and issubclass(value, Placeholder):
        return True
    if isinstance(value, dict):
        return any(uses_classes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(uses_classes(v) for v in value)
    return False
