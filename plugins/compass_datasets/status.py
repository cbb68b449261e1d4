"""Which registered datasets are present in a data dir, where, and how many samples.

Used by ``compass data``. Works for any plugin's datasets: each benchmark is built and
each subset loaded; loaders of this package also tell where their files are and which
variants share files (so C-Eval is read once for ``ceval``, ``ceval_gen``, ...).
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path

from compass.sdk import CompassError, DataError, DataMissing


@dataclass
class DatasetStatus:
    name: str
    status: str  # present | missing | partial | error | needs options
    samples: int | None
    subsets: str
    path: str
    detail: str = ""


def data_dir_from(option: str | None) -> tuple[Path, str]:
    """The data dir (``--data-dir``, ``COMPASS_DATA_DIR``, ``./data``) and where it came from."""
    from compass.sdk import DEFAULT_DATA_DIR

    if option:
        return Path(option), "--data-dir"
    if os.environ.get("COMPASS_DATA_DIR"):
        return Path(os.environ["COMPASS_DATA_DIR"]), "COMPASS_DATA_DIR"
    return Path(DEFAULT_DATA_DIR), "default"


def _required_params(factory) -> list[str]:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _shorten(path: Path, data_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(data_dir.resolve()))
    except ValueError:
        return str(path)


def dataset_status(reg, data_dir: Path, cache: dict) -> DatasetStatus:
    """Load every subset of one registered dataset (``cache`` shares loads between variants)."""
    factory = reg.load()
    required = [p for p in _required_params(factory) if p not in reg.defaults]
    if required:
        return DatasetStatus(reg.name, "needs options", None, "-", "-", f"needs {', '.join(required)}")
    kwargs = {"chat": False} if "chat" in inspect.signature(factory).parameters else {}
    kwargs.update(reg.defaults)  # what the registration fills in (a declaration's file, ...)
    try:
        bench = factory(**kwargs)
    except CompassError as exc:  # factories read no data: this is about their options
        return DatasetStatus(reg.name, "needs options", None, "-", "-", str(exc))
    counts, paths, problems = [], [], []
    for subset in bench.subsets:
        key = getattr(subset.load, "key", None) or ("id", id(subset.load))
        if key not in cache:
            try:
                rows = subset.load(data_dir)
                where = subset.load.locate(data_dir) if hasattr(subset.load, "locate") else None
                cache[key] = ("ok", len(rows.test), where)
            except DataMissing as exc:
                looked = getattr(exc, "looked_for", None)
                cache[key] = ("missing", None, f"not at {_shorten(Path(looked), data_dir)}" if looked else str(exc))
            except (DataError, CompassError) as exc:
                cache[key] = ("error", None, str(exc))
            except Exception as exc:  # a broken plugin's loader: report it, keep going
                cache[key] = ("error", None, f"{type(exc).__name__}: {exc}")
        state, n, info = cache[key]
        if state == "ok":
            counts.append(n)
            if info is not None:
                paths.append(Path(info))
        else:
            problems.append((state, info))
    total = len(bench.subsets)
    if not problems:
        status = "present"
    elif not counts:
        status = "error" if any(s == "error" for s, _ in problems) else "missing"
    else:
        status = "partial"
    if paths:
        common = Path(os.path.commonpath([str(p.parent) for p in paths])) if len(paths) > 1 else paths[0]
        where = _shorten(common, data_dir)
    else:
        where = "-"
    detail = problems[0][1] if problems else ""
    subsets = f"{len(counts)}/{total}" if total > 1 else ("1" if counts else "0")
    return DatasetStatus(reg.name, status, sum(counts) if counts else None, subsets, where, detail)


def collect(registry, data_dir: Path, pattern: str | None = None) -> list[DatasetStatus]:
    cache: dict = {}
    out = []
    for reg in registry.all("datasets"):
        if pattern and pattern.lower() not in reg.name.lower():
            continue
        try:
            out.append(dataset_status(reg, data_dir, cache))
        except Exception as exc:  # one broken dataset must not hide the others
            detail = str(exc) if isinstance(exc, CompassError) else f"{type(exc).__name__}: {exc}"
            out.append(DatasetStatus(reg.name, "error", None, "-", "-", detail))
    return out


def origin(row: DatasetStatus, data_dir: Path) -> str:
    """Where a dataset's data came from (present) or can come from (missing): the ``from`` column."""
    from compass_datasets.fetch import read_provenance
    from compass_datasets.recipes import ARCHIVE_ONLY, archive_only_for_path, recipe_for_path, recipe_named

    rel = row.path if row.status in ("present", "partial") else row.detail.removeprefix("not at ")
    recipe = recipe_for_path(rel) if rel and rel != "-" else None
    if recipe is None and not (row.status == "missing" and row.detail.startswith("not at ")):
        recipe = recipe_named(row.name)  # a file that no recipe writes is not fetchable by its name's look
    if row.status in ("present", "partial"):
        if Path(row.path).is_absolute():
            return "shipped with its plugin"
        if recipe is None:
            return "local"
        prov = read_provenance(data_dir, recipe)
        if not prov:
            return "local"
        where = f"{prov.get('source')}:{prov.get('repo')}"
        return f"{where}@{str(prov.get('sha') or prov.get('revision'))[:8]}"
    if row.status != "missing":
        return "-"
    if recipe is not None:
        return "fetchable: " + recipe.where()
    only = archive_only_for_path(rel or "") or next((k for k in ARCHIVE_ONLY if row.name.startswith(k)), None)
    return "import: OpenCompassData-core zip" if only else "-"
