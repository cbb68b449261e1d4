"""Data on first use: before a run is planned, fetch what its datasets miss and say what
the run reads (this plugin's ``prepare_data`` hook).

A dataset's subsets tell where their files are (``subset.load.locate(data_dir)``); a
missing file names the path looked for, and the recipe that writes that path fetches it
(unless offline: ``--offline``, ``HF_HUB_OFFLINE=1``; a dry run only says what it would fetch). Then each dataset gets a record:
the recipe, where its data came from (the provenance of a fetch, or ``local``), and the
sha256 of each file under the recipe's paths; ``identity`` hashes those, so the run's
``version`` of a dataset changes with its data.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Mapping

from compass.sdk import CompassError, DataMissing

from compass_datasets.fetch import fetch_recipe, normalize_source, offline, output_files, read_provenance
from compass_datasets.recipes import OC_ARCHIVE, Recipe, recipe_for_path


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _rel(path, data_dir: Path) -> str | None:
    try:
        return Path(path).resolve().relative_to(Path(data_dir).resolve()).as_posix()
    except (ValueError, OSError):
        return None


def where(bench, data_dir: Path, looked: dict[str, str] | None = None) -> tuple[set[str], set[str]]:
    """The recipes of ``bench``'s present files and of its missing ones (by name); ``looked``,
    where given, gets each missing recipe's first path looked for (relative to the data dir)."""
    present: set[str] = set()
    missing: set[str] = set()
    for subset in bench.subsets:
        locate = getattr(subset.load, "locate", None)
        if locate is None:
            continue
        try:
            path = locate(data_dir)
        except DataMissing as exc:
            # the path looked for, then where else the loader looks (OpenCompass's loaders: compass's layout)
            for path in (getattr(exc, "looked_for", None), *(getattr(exc, "alternatives", None) or ())):
                rel = _rel(path, data_dir) if path else None
                recipe = recipe_for_path(rel) if rel else None
                if recipe:
                    missing.add(recipe.name)
                    if looked is not None:
                        looked.setdefault(recipe.name, rel)
                    break
            continue
        except Exception:  # a loader that fails here fails again, with its own message, when planned
            continue
        rel = _rel(path, data_dir)
        recipe = recipe_for_path(rel) if rel else None
        if recipe:
            present.add(recipe.name)
    return present, missing


def identity(files: Mapping[str, str]) -> str:
    blob = "\n".join(f"{rel} {digest}" for rel, digest in sorted(files.items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def record(recipe: Recipe, data_dir: Path) -> dict:
    """What a run reads of ``recipe``'s data, and where it came from."""
    files = output_files(data_dir, recipe, looks=True)
    prov = read_provenance(data_dir, recipe) or {}
    rec = {"recipe": recipe.name, "files": files, "identity": identity(files)}
    if prov:
        rec.update({k: prov.get(k) for k in ("source", "endpoint", "repo", "revision", "sha", "fetched")})
        rec["source_files"] = prov.get("files", {})
        if any(files.get(rel) != digest for rel, digest in (prov.get("outputs") or {}).items()):
            rec["modified"] = True  # changed since it was fetched
    else:
        rec["source"] = "local"
    return rec


def prepare(datasets: Mapping[str, object], data_dir: Path, settings: Mapping[str, object] | None = None,
            *, echo=_say) -> dict[str, dict]:
    """Fetch what ``datasets`` ({name: Benchmark}) miss, then each one's data record."""
    from compass_datasets.recipes import RECIPES

    settings = dict(settings or {})
    data_dir = Path(data_dir)
    no_fetch = bool(settings.get("offline")) or offline()
    source = normalize_source(str(settings["data_source"])) if settings.get("data_source") else None
    located = {name: where(bench, data_dir) for name, bench in datasets.items()}
    wanted = sorted({r for _, missing in located.values() for r in missing})
    if wanted and settings.get("dry_run"):  # a dry run downloads nothing: it says what the run would fetch
        echo(f"data: {len(wanted)} benchmark(s) missing from {data_dir.resolve()}: {', '.join(wanted)}; "
             + ("--offline: the run would stop at them" if no_fetch else
                "the run fetches them first (--offline to stop that; compass data fetch NAME to fetch now)"))
    elif wanted and not no_fetch:
        echo(f"data: {len(wanted)} benchmark(s) missing from {data_dir.resolve()}: {', '.join(wanted)}; fetching "
             f"(--offline to stop this)")
        for name in wanted:
            try:
                fetch_recipe(RECIPES[name], data_dir, source=source, echo=echo, fallback=True)
            except CompassError as exc:
                raise CompassError(f"{name} data is missing from {data_dir} and fetching it failed: {exc} "
                                   f"(--offline skips fetching)") from None
        looked: dict[str, str] = {}
        located = {name: where(bench, data_dir, looked) for name, bench in datasets.items()}
        if looked:  # fetched, yet a file the run reads is not there: the source holds less than the config asks
            name, rel = sorted(looked.items())[0]
            raise CompassError(f"{name} was fetched, but {data_dir / rel} is still missing (the fetched copy does "
                               f"not hold it): put OpenCompass's copy of the data there (compass data import "
                               f"{OC_ARCHIVE}), or leave that dataset out")
    out: dict[str, dict] = {}
    cache: dict[str, dict] = {}
    for name, (present, _) in located.items():
        recs = [cache.setdefault(r, record(RECIPES[r], data_dir)) for r in sorted(present)]
        if not recs:
            continue
        entry = recs[0] if len(recs) == 1 else {"recipes": recs, "identity": identity(
            {r["recipe"]: r["identity"] for r in recs})}
        out[name] = entry
    return out
