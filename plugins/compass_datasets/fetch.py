"""``compass data fetch NAME``: download a benchmark from the Hugging Face hub.

The hub is checked first with a short timeout, so without a network the command fails
in seconds with one line saying so and how to get the data otherwise. ``HF_ENDPOINT``
(e.g. a mirror) is honoured. Files land in the data dir in the OpenCompass layout.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from compass.sdk import CompassError

DEFAULT_ENDPOINT = "https://huggingface.co"
OFFLINE_HINT = ("download OpenCompassData-core (github.com/open-compass/opencompass/releases) and unzip it "
                "into {data_dir}, or copy the files there yourself (`compass data` shows where each is looked for)")


@dataclass(frozen=True)
class Recipe:
    """Where a benchmark lives on the hub and how its files become the OpenCompass layout."""

    repo: str
    files: tuple[tuple[str, str], ...]  # (file in the repo, destination relative to the data dir)
    kind: str = "copy"  # copy | unzip | parquet-jsonl


RECIPES = {
    "ceval": Recipe("ceval/ceval-exam", (("ceval-exam.zip", "ceval/formal_ceval"),), "unzip"),
    "gsm8k": Recipe("openai/gsm8k", (("main/test-00000-of-00001.parquet", "gsm8k/test.jsonl"),
                                     ("main/train-00000-of-00001.parquet", "gsm8k/train.jsonl")), "parquet-jsonl"),
    "math500": Recipe("HuggingFaceH4/MATH-500", (("test.jsonl", "math/math500/test.jsonl"),)),
}
#: registered names -> recipe name
ALIASES = {"ceval_gen": "ceval", "ceval_ppl": "ceval", "ceval_clp": "ceval", "gsm8k_gen": "gsm8k",
           "math500_gen": "math500"}


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def check_reachable(url: str, timeout: float) -> None:
    """Raise CompassError unless ``url`` answers within ``timeout`` seconds (DNS included)."""
    import urllib.error
    import urllib.request

    result: dict = {}

    def probe() -> None:
        try:
            req = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "compass-eval"})
            with urllib.request.urlopen(req, timeout=timeout):
                result["ok"] = True
        except urllib.error.HTTPError:
            result["ok"] = True  # the server answered
        except Exception as exc:  # URLError, socket errors, timeouts
            result["error"] = getattr(exc, "reason", None) or exc

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if not result.get("ok"):
        reason = result.get("error", f"no answer within {timeout:g}s")
        raise CompassError(f"cannot reach the Hugging Face hub at {url} ({reason}); you seem to be offline")


def _download(url: str, dest: Path, timeout: float) -> None:
    import urllib.request

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    req = urllib.request.Request(url, headers={"User-Agent": "compass-eval"})
    with urllib.request.urlopen(req, timeout=timeout) as resp, open(tmp, "wb") as fh:
        shutil.copyfileobj(resp, fh)
    tmp.replace(dest)


def _parquet_to_jsonl(src: Path, dest: Path) -> None:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CompassError("converting the downloaded parquet file needs pyarrow: pip install pyarrow") from None
    table = pq.read_table(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", encoding="utf-8") as fh:
        for row in table.to_pylist():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def fetch(name: str, data_dir: Path, *, timeout: float = 5.0, echo=print) -> list[Path]:
    """Download ``name`` into ``data_dir``; returns the files written."""
    recipe_name = ALIASES.get(name, name)
    recipe = RECIPES.get(recipe_name)
    if recipe is None:
        raise CompassError(f"no download recipe for '{name}' (compass can fetch: {', '.join(sorted(RECIPES))}); "
                           + OFFLINE_HINT.format(data_dir=data_dir))
    base = endpoint()
    try:
        check_reachable(f"{base}/api/datasets/{recipe.repo}", timeout)
    except CompassError as exc:
        raise CompassError(f"{exc}; {OFFLINE_HINT.format(data_dir=data_dir)}") from None
    written = []
    with tempfile.TemporaryDirectory(prefix="compass-fetch-") as tmp:
        for remote, rel in recipe.files:
            url = f"{base}/datasets/{recipe.repo}/resolve/main/{remote}"
            echo(f"downloading {url}")
            local = Path(tmp) / Path(remote).name
            try:
                _download(url, local, max(timeout, 60.0))
            except Exception as exc:
                raise CompassError(f"download of {url} failed: {exc}") from None
            dest = Path(data_dir) / rel
            if recipe.kind == "unzip":
                dest.mkdir(parents=True, exist_ok=True)
                with zipfile.ZipFile(local) as zf:
                    zf.extractall(dest)
            elif recipe.kind == "parquet-jsonl":
                _parquet_to_jsonl(local, dest)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(local), dest)
            written.append(dest)
    return written
