"""Fetching a benchmark: download its repository (:mod:`.sources`), convert it into the
OpenCompass layout (:mod:`.convert`), move it into the data dir, record where it came from.

The converted files are written to a staging folder inside the data dir and moved into
place only when the whole conversion succeeded (what was there before is moved to
``<data dir>/.compass/replaced/<time>/``, never deleted); the provenance record
(``<data dir>/.compass/provenance/<recipe>.json``) is written last. An interrupted fetch
therefore leaves either the old state or the new one, never a half-written file that a
later run would read; the download itself is resumed by the next fetch.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from compass.sdk import CompassError

from compass_datasets.recipes import ARCHIVE_ONLY, OC_ARCHIVE, RECIPES, Recipe, recipe_named
from compass_datasets.sources import SOURCES, NotFound, Unreachable, download, endpoint_of, sha256_file

META = ".compass"
LABEL = {"hf": "the Hugging Face hub", "modelscope": "ModelScope", "github": "GitHub"}


def default_source() -> str:
    """``COMPASS_DATA_SOURCE`` (hf | modelscope), else OpenCompass's ``DATASET_SOURCE``, else hf."""
    value = os.environ.get("COMPASS_DATA_SOURCE") or os.environ.get("DATASET_SOURCE") or "hf"
    return normalize_source(value)


def normalize_source(value: str) -> str:
    key = str(value).strip().lower().replace("_", "").replace("-", "")
    if key in ("hf", "huggingface", "huggingfacehub", "hub"):
        return "hf"
    if key in ("modelscope", "ms"):
        return "modelscope"
    if key in ("github", "gh"):
        return "github"
    raise CompassError(f"unknown data source {value!r}; choose hf (Hugging Face hub), modelscope or github")


def offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``COMPASS_OFFLINE``) is set to a true value."""
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on")
               for k in ("HF_HUB_OFFLINE", "COMPASS_OFFLINE"))


def alternatives(source: str, data_dir: Path) -> str:
    if source == "github":
        return (f"set GITHUB_TOKEN if GitHub limits the rate, GITHUB_API_URL / COMPASS_GITHUB_RAW_URL for a mirror, "
                f"or `compass data import {OC_ARCHIVE}` into {data_dir}")
    other = "--source hf" if source == "modelscope" else "HF_ENDPOINT=<a mirror>, or --source modelscope " \
                                                          "(DATASET_SOURCE=ModelScope)"
    return f"try {other}, or `compass data import {OC_ARCHIVE}` into {data_dir}"


def provenance_path(data_dir: Path, recipe: Recipe) -> Path:
    return Path(data_dir) / META / "provenance" / f"{recipe.name}.json"


def read_provenance(data_dir: Path, recipe: Recipe) -> dict | None:
    path = provenance_path(data_dir, recipe)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def output_files(data_dir: Path, recipe: Recipe, *, looks: bool = False) -> dict[str, str]:
    """``{data-dir path: sha256}`` of the files the recipe's paths hold now (with ``looks``,
    also those at the other paths its loaders read: the archive's names)."""
    data_dir = Path(data_dir)
    out: dict[str, str] = {}
    for rel in recipe.provides + (recipe.looks if looks else ()):
        path = data_dir / rel.rstrip("/")
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for p in found:
            out[p.relative_to(data_dir).as_posix()] = sha256_file(p)
    return out


def resolve(name: str) -> Recipe:
    recipe = recipe_named(name)
    if recipe is None:
        only = next((k for k in ARCHIVE_ONLY if name == k or name.startswith(k + "_")), None)
        if only:
            raise CompassError(f"{ARCHIVE_ONLY[only][1]} is on no source compass fetches from in the layout "
                               f"compass reads; `compass data import {OC_ARCHIVE}` brings it")
        raise CompassError(f"no download recipe for '{name}' (compass can fetch: {', '.join(sorted(RECIPES))})")
    return recipe


def fetch_recipe(recipe: Recipe, data_dir: Path, *, source: str | None = None, timeout: float = 5.0,
                 echo=None, progress: bool = True, fallback: bool = False) -> dict:
    """Download, convert and install one recipe; returns its provenance record.

    ``fallback``: a benchmark that ModelScope does not have comes from the hub instead
    (``compass eval``); without it that is an error (``compass data fetch --source modelscope``).
    """
    echo = echo or (lambda msg: print(msg, file=sys.stderr, flush=True))
    data_dir = Path(data_dir)
    source = normalize_source(source) if source else default_source()
    repo = recipe.repo(source)
    if repo is None:
        other = recipe.sources()[0]
        if fallback or other == "github":  # only on GitHub: it comes from there whichever hub was asked
            echo(f"{recipe.title or recipe.name} is not on {LABEL[source]}: it comes from {LABEL[other]}")
            source, repo = other, recipe.repo(other)
        else:
            raise CompassError(f"{recipe.title or recipe.name} is not on {LABEL[source]}; fetch it with --source "
                               f"{other} ({LABEL[other]} has {recipe.repo(other)})")
    if source == "hf" and os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise CompassError(f"HF_HUB_OFFLINE is set, so nothing is downloaded from the Hugging Face hub; unset it to "
                           f"fetch {recipe.name}, or {alternatives(source, data_dir)}")
    revision = recipe.rev(source)
    endpoint = endpoint_of(source)
    echo(f"fetching {recipe.title or recipe.name}: {repo} ({revision}) from {LABEL[source]} at {endpoint}")
    try:
        dl = download(source, repo, revision, recipe.patterns_for(source), timeout=timeout, progress=progress,
                      optional=recipe.optional)
    except Unreachable as exc:
        raise CompassError(f"{exc}; {alternatives(source, data_dir)}") from None
    except NotFound as exc:
        raise CompassError(f"{recipe.name}: {exc}") from None
    staging = data_dir / META / "staging" / recipe.name
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        from compass_datasets.convert import CONVERTERS

        CONVERTERS[recipe.convert](dl.root, staging)
        keep = data_dir / META / "replaced" / time.strftime("%Y%m%d_%H%M%S")
        for rel in recipe.provides:
            _install(staging / rel.rstrip("/"), data_dir / rel.rstrip("/"), keep / Path(rel.rstrip("/")).parent, echo)
    except CompassError as exc:
        raise CompassError(f"{recipe.name} ({dl.repo}): {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CompassError(f"{recipe.name}: converting {dl.repo}@{dl.sha[:12]} failed ({type(exc).__name__}: {exc}); "
                           f"its files are not in the expected form") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record = {
        "recipe": recipe.name, "source": source, "endpoint": dl.endpoint, "repo": dl.repo,
        "revision": dl.revision, "sha": dl.sha, "files": dl.files,
        "outputs": output_files(data_dir, recipe), "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = provenance_path(data_dir, recipe)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    echo(f"{recipe.name}: {len(record['outputs'])} file(s) written under {data_dir} "
         f"({dl.repo}@{(dl.sha or dl.revision)[:12]})")
    return record


def _install(src: Path, dest: Path, keep: Path, echo) -> None:
    """Put ``src`` (a file or folder) at ``dest`` by renames; what was there moves under ``keep``."""
    if not src.exists():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        kept = keep / dest.name
        n = 1
        while kept.exists():  # two fetches within a second
            n += 1
            kept = keep / f"{dest.name}.{n}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.replace(dest, kept)
        echo(f"the earlier {dest} is kept in {kept}")
    os.replace(src, dest)


def fetch(name: str, data_dir: Path, *, source: str | None = None, timeout: float = 5.0, echo=None,
          progress: bool = True) -> list[Path]:
    """Fetch dataset or recipe ``name`` into ``data_dir``; returns the files written."""
    recipe = resolve(name)
    record = fetch_recipe(recipe, data_dir, source=source, timeout=timeout, echo=echo, progress=progress)
    return [Path(data_dir) / rel for rel in record["outputs"]]


__all__ = ["SOURCES", "default_source", "fetch", "fetch_recipe", "offline", "output_files", "read_provenance",
           "resolve"]
