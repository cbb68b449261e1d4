"""Executing an OpenCompass-style Python config without mmengine or opencompass installed.

While a config runs, an import hook serves ``mmengine``, ``mmengine.config`` and
``opencompass.*`` as stand-in modules: ``read_base`` is a no-op context manager and every
other name (``HuggingFaceCausalLM``, ``PromptTemplate``, ``siqaDataset``, ...) is a
:class:`Placeholder` class that only records its name, so ``dict(type=PPLInferencer)`` keeps
the shape of the config. Relative imports (``from .datasets.siqa.siqa_ppl import
siqa_datasets``) resolve against the config's own folder first; they and
``opencompass.configs.*`` then resolve in the user's OpenCompass tree (:func:`configs_root`:
``$COMPASS_OPENCOMPASS_CONFIGS``, else the first ``opencompass/configs`` folder found walking
up from the config file, else an installed ``opencompass`` package's), and only then in the
few modules this plugin ships (``compass_opencompass/configs``), which says so in one line.
:mod:`compass_opencompass.translate` turns the result into compass's plain config.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "configs"
PACKAGE = "__compass_config__"
ENV = "COMPASS_OPENCOMPASS_CONFIGS"
_SHIMS = ("mmengine", "opencompass")


class Placeholder:
    """Stands for an OpenCompass (or mmengine) class named in a config; never instantiated."""

    oc_name = ""
    oc_module = ""

    def __new__(cls, *args, **kwargs):
        from compass.sdk import CompassError

        raise CompassError(f"{cls.oc_module}.{cls.oc_name} cannot be called in a compass config; "
                           f"write dict(type={cls.oc_name}, ...) as OpenCompass configs do")


class ConfigDict(dict):
    """mmengine's ``ConfigDict`` as OpenCompass configs use it: a ``dict`` whose keys read as
    attributes (``d.abbr``), with ``copy()``/``deepcopy()`` giving ``ConfigDict`` again. Every
    ``dict(...)`` a config executes makes one (mmengine turns a config's dicts into these)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'ConfigDict' object has no attribute '{name}'") from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def copy(self) -> ConfigDict:
        return ConfigDict(self)

    def deepcopy(self) -> ConfigDict:
        import copy

        return copy.deepcopy(self)

    def __deepcopy__(self, memo) -> ConfigDict:
        import copy

        return ConfigDict({copy.deepcopy(k, memo): copy.deepcopy(v, memo) for k, v in self.items()})

    def to_dict(self) -> dict:
        return plain_dicts(self)


def config_dicts(value):
    """``value`` with every ``dict`` (at any depth, in lists and tuples too) a :class:`ConfigDict`:
    what mmengine makes of the variables of a file imported under ``read_base``."""
    if isinstance(value, dict):
        return ConfigDict({k: config_dicts(v) for k, v in value.items()})
    if isinstance(value, list):
        return [config_dicts(v) for v in value]
    if isinstance(value, tuple):
        return tuple(config_dicts(v) for v in value)
    return value


def plain_dicts(value):
    """``value`` with every ``ConfigDict`` (at any depth) a plain ``dict`` again."""
    if isinstance(value, dict):
        return {k: plain_dicts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_dicts(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain_dicts(v) for v in value)
    return value


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
        if name == "ConfigDict":
            return ConfigDict
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


def _tree(folder: Path) -> Path | None:
    """``folder`` as an OpenCompass ``configs`` folder: itself, or its ``opencompass/configs``."""
    for cand in (folder / "opencompass" / "configs", folder):
        if cand.name == "configs" and (cand / "datasets").is_dir():
            return cand
    return None


def configs_root(config: Path | None = None) -> tuple[Path | None, str]:
    """The user's OpenCompass ``configs`` folder and how it was found (``None``: none found).

    ``$COMPASS_OPENCOMPASS_CONFIGS`` (the ``configs`` folder or a checkout holding
    ``opencompass/configs``), else walking up from ``config``, else an installed
    ``opencompass`` package (found, never imported)."""
    from compass.sdk import CompassError

    env = os.environ.get(ENV)
    if env:
        root = _tree(Path(env).expanduser().resolve())
        if root is None:
            raise CompassError(f"{ENV}={env}: no OpenCompass configs there (expected a folder holding "
                               f"datasets/ and models/, or a checkout holding opencompass/configs)")
        return root, ENV
    if config is not None:
        for folder in Path(config).resolve().parents:
            if folder.name == "configs" and folder.parent.name == "opencompass" and (folder / "datasets").is_dir():
                return folder, "the config's own OpenCompass tree"
            root = folder / "opencompass" / "configs"
            if (root / "datasets").is_dir():
                return root, "the OpenCompass checkout around the config"
    try:
        spec = importlib.util.find_spec("opencompass")
    except (ImportError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / "configs" / "datasets").is_dir():
            return Path(loc) / "configs", "the installed opencompass package"
    return None, ""


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, roots: list[str]):
        self.roots = roots

    def find_spec(self, fullname, path=None, target=None):
        root = fullname.split(".")[0]
        if root not in _SHIMS:
            return None
        if fullname == "opencompass.configs":
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = list(self.roots)
            return spec
        if fullname.startswith("opencompass.configs."):
            return _config_spec(fullname, path)  # a file of the user's tree (or SHIPPED)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


class _ConfigLoader(importlib.abc.Loader):
    """Runs a config module as mmengine does: its ``dict(...)`` calls make :class:`ConfigDict`."""

    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        module.__dict__["dict"] = ConfigDict
        self.inner.exec_module(module)
        del module.__dict__["dict"]
        for name, value in list(module.__dict__.items()):
            if not name.startswith("_") and isinstance(value, (dict, list, tuple)):
                module.__dict__[name] = config_dicts(value)


def _config_spec(fullname: str, path):
    spec = importlib.machinery.PathFinder.find_spec(fullname, path)
    head, _, last = fullname.rpartition(".")
    if spec is None and head.startswith("opencompass.configs.") and not last.startswith("deprecated_"):
        # OpenCompass renamed retired configs to deprecated_<name>.py; its own examples still import the
        # old names: run the renamed file, saying so
        renamed = importlib.machinery.PathFinder.find_spec(f"{head}.deprecated_{last}", path)
        if renamed is not None and renamed.origin and renamed.origin.endswith(".py"):
            print(f"note: configs/{fullname.removeprefix('opencompass.configs.').replace('.', '/')}.py is not in "
                  f"your OpenCompass tree; running {Path(renamed.origin).name}, the name OpenCompass gave it when "
                  f"it retired it", file=sys.stderr)
            spec = importlib.util.spec_from_file_location(fullname, renamed.origin)
    if spec is not None and spec.loader is not None and spec.origin and spec.origin.endswith(".py"):
        spec.loader = _ConfigLoader(spec.loader)
    return spec


class _PackageFinder(importlib.abc.MetaPathFinder):
    """The config's own folder (relative imports): its files run as :class:`_ConfigLoader` says."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(PACKAGE + "."):
            return _config_spec(fullname, path)
        return None


def _ours(name: str) -> bool:
    return name.split(".")[0] in (*_SHIMS, PACKAGE)


@contextlib.contextmanager
def shimmed(folder: Path, tree: Path | None = None):
    """The import hook and the config package (``folder``, the user's OpenCompass ``tree``,
    then compass's configs) while inside."""
    saved = {n: m for n, m in sys.modules.items() if _ours(n)}
    for n in saved:
        del sys.modules[n]
    roots = [*([str(tree)] if tree else []), str(SHIPPED)]
    finder = _Finder(roots)
    package_finder = _PackageFinder()
    sys.meta_path.insert(0, finder)
    sys.meta_path.insert(0, package_finder)
    package = types.ModuleType(PACKAGE)
    package.__path__ = [str(folder), *roots]
    sys.modules[PACKAGE] = package
    try:
        yield PACKAGE
    finally:
        sys.meta_path.remove(finder)
        sys.meta_path.remove(package_finder)
        for n in [n for n in sys.modules if _ours(n)]:
            del sys.modules[n]
        sys.modules.update(saved)


def run_config(path: Path) -> dict:
    """Execute the config file ``path`` under the shims; its module namespace."""
    path = Path(path).resolve()
    tree, how = configs_root(path)
    with shimmed(path.parent, tree) as package:
        name = f"{package}.{path.stem}"
        if tree is not None and path.is_relative_to(tree.resolve()):
            # a file of the tree itself (a config name's file): its relative imports (from ..gsm8k.x)
            # resolve inside opencompass.configs, as they do when OpenCompass imports it
            parts = path.relative_to(tree.resolve()).with_suffix("").parts
            package = ".".join(("opencompass", "configs", *parts[:-1]))
            importlib.import_module(package)
            name = f"{package}.{parts[-1]}"
        module = types.ModuleType(name)
        module.__file__ = str(path)
        module.__package__ = package
        sys.modules[name] = module
        module.__dict__["dict"] = ConfigDict
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        try:
            exec(code, module.__dict__)  # noqa: S102 - the user's own config file, as OpenCompass runs it
        except ModuleNotFoundError as exc:
            missing = _missing_config(exc, path, tree, how)
            if missing is None:
                raise
            raise missing from None
        _say_fallback(tree, how)
        namespace = dict(module.__dict__)
        namespace.pop("dict", None)
        return namespace


def _missing_config(exc: ModuleNotFoundError, path: Path, tree: Path | None, how: str):
    """A config importing ``opencompass.configs.<x>`` that the tree lacks: one line saying so."""
    from compass.sdk import CompassError

    name = exc.name or ""
    if not name.startswith("opencompass.configs."):
        return None
    import traceback

    ours = str(Path(__file__).parent.parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".py")
              and not f.filename.startswith((ours, "<", sys.prefix, sys.base_prefix))]
    line = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(path)
    if frames:  # the module the import statement asked for (exc.name may be a missing folder above it)
        name = _imported(Path(frames[-1].filename), frames[-1].lineno, tree) or name
    rel = name.removeprefix("opencompass.configs.").replace(".", "/")
    where = f"{tree} ({how})" if tree else "compass's few own copies (no OpenCompass tree found; set " + ENV + ")"
    near = ""
    if tree is not None:
        parent = (tree / rel).parent
        stem = (tree / rel).name.rsplit("_", 1)[0]
        if parent.is_dir():
            similar = sorted(p.stem for p in parent.glob(f"{stem}*.py"))[:3]
            near = f"; it has {', '.join(similar)}" if similar else ""
        else:
            near = f"; there is no {parent.relative_to(tree).as_posix()}/ folder"
    return CompassError(f"{line}: configs/{rel}.py is not in {where}: this OpenCompass version renamed or "
                        f"removed it{near}")


def _imported(file: Path, lineno: int, tree: Path | None) -> str | None:
    """The ``opencompass.configs.*`` module named by the import statement at ``file:lineno``."""
    import ast

    try:
        nodes = ast.walk(ast.parse(file.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
            if node.level == 0:
                return node.module
            if tree is None or not file.resolve().is_relative_to(tree):
                return None
            parts = ["opencompass", "configs", *file.resolve().relative_to(tree).parent.parts]
            parts = parts[:len(parts) - (node.level - 1)]
            return ".".join([*parts, *([node.module] if node.module else [])])
    return None


def _say_fallback(tree: Path | None, how: str) -> None:
    """One line when an import was served by compass's own copies instead of the user's tree."""
    ours = sorted({Path(m.__file__).relative_to(SHIPPED).with_suffix("").as_posix().replace("/", ".")
                   for m in list(sys.modules.values())
                   if _ours(getattr(m, "__name__", "")) and getattr(m, "__file__", None)
                   and Path(m.__file__).is_relative_to(SHIPPED)})
    if not ours:
        return
    where = f"not in {tree} ({how})" if tree else "no OpenCompass configs found"
    print(f"note: {', '.join(ours)}: {where}; using compass's own copies (set {ENV} to your "
          f"opencompass/configs folder to use yours)", file=sys.stderr)


def uses_classes(value) -> bool:
    """Does this config value name any OpenCompass class (``type=SomeClass``)?"""
    if isinstance(value, type) and issubclass(value, Placeholder):
        return True
    if isinstance(value, dict):
        return any(uses_classes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(uses_classes(v) for v in value)
    return False
