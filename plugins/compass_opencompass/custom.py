"""OpenCompass's ``CustomDataset``: any ``.jsonl`` / ``.csv`` file named by ``path`` (+ ``file_name``).

* rows: a ``.jsonl`` file's objects, or a ``.csv`` file's rows keyed by its header (a BOM at
  the start is dropped, as ``utf-8-sig`` does); any other suffix is refused;
* ``path``: an absolute path, a path under the data dir, or an OpenCompass dataset id whose
  local copy compass keeps in its own layout (:data:`IDS`: the file, and the columns
  OpenCompass's copy names differently);
* a dataset given only as ``path`` (and ``abbr``, ``meta_path``, ...), without ``type``: the
  config OpenCompass makes for it (:func:`auto_config`): the first row decides the input
  columns (all but ``answer``), the output column (``answer`` if there), the options (``A``,
  ``B``, … in a row) and so the kind (``mcq`` with two or more options, else ``qa``);
  ``<path>.meta.json`` and the dict's own keys override; ``mcq``/``qa`` in ``gen`` and
  ``mcq`` in ``ppl`` are made (the circular kinds are refused in one line);
* ``OptionSimAccEvaluator`` (:class:`OptionSimAcc`): the option letter read from the
  response (the letter alone, else ``first_option_postprocess``, else the one option whose
  text appears in it, else the option nearest by edit distance).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Mapping

from compass.sdk import CompassError, DataError, DataMissing, read_jsonl

#: OpenCompass dataset id (and file_name) -> compass's copy of that file under the data dir
IDS: dict[str, str] = {
    "opencompass/aime2025": "aime/aime25/test.jsonl",
    "opencompass/math/test_prm800k_500.jsonl": "math/math500/test.jsonl",
}
#: compass's copy -> the columns OpenCompass's copy of the file names differently
RENAMES: dict[str, dict[str, str]] = {"aime/aime25/test.jsonl": {"problem": "question"}}


def _rows(f: Path) -> list[dict]:
    name = f.name.lower()
    if not f.is_file():
        raise DataMissing(f"{f} not found")
    if name.endswith(".jsonl"):
        return [obj for _, obj in read_jsonl(f)]
    if name.endswith(".csv"):
        with f.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
        if not table:
            return []
        return [dict(zip(table[0], r)) for r in table[1:]]
    raise DataError(f"{f}: CustomDataset reads .jsonl or .csv files")


def resolve(d: Mapping, data_dir: Path) -> Path:
    """The file a CustomDataset config reads (``path`` + ``file_name``; an OpenCompass id: compass's copy)."""
    path, file_name = str(d.get("path", "")), d.get("file_name")
    key = f"{path.rstrip('/')}/{file_name}" if file_name else path.rstrip("/")
    if key in IDS:
        return Path(data_dir) / IDS[key]
    p = Path(path).expanduser()
    if file_name:
        p = p / str(file_name)
    if p.is_absolute():
        return p
    for prefix in ("./data/", "data/", "opencompass/"):
        if str(p).startswith(prefix) and (Path(data_dir) / str(p)[len(prefix):]).exists():
            return Path(data_dir) / str(p)[len(prefix):]
    for base in (Path(data_dir), Path.cwd()):
        if (base / p).exists():
            return base / p
    raise DataMissing(f"CustomDataset path {p}: not found under {data_dir} or {Path.cwd()}; give the file's path "
                      f"or point --data-dir at it")


def custom(f: Path, **_) -> list[dict]:
    """The rows of the file (located by :func:`resolve`), columns named as in OpenCompass's copy."""
    rows = _rows(f)
    renames = next((r for rel, r in RENAMES.items() if f.as_posix().endswith(rel)), None)
    return [{renames.get(k, k): v for k, v in r.items()} for r in rows] if renames else rows


CLASSES = {"CustomDataset": custom}


# ------------------------------------------------------------------ a dataset given only by its file
def _first_row(path: Path) -> dict:
    rows = _rows(path)
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows[0]


def auto_config(cfg: Mapping, data_dir: Path | None = None) -> dict:
    """The OpenCompass dataset config (plain data, ``dataset_class`` named) OpenCompass makes
    for a dict with ``path`` and no ``type``."""
    path = str(cfg.get("path", ""))
    if not path.endswith((".jsonl", ".csv")):
        raise CompassError(f"dataset {cfg.get('abbr') or path!r}: a dataset without type is OpenCompass's "
                           f"custom dataset and needs path='<file>.jsonl' or '.csv'")
    if data_dir is None:  # read while the config is translated: the data dir the environment names, else ./data
        data_dir = Path(os.environ.get("COMPASS_DATA_DIR") or "data")
    try:
        f = Path(path) if Path(path).is_absolute() else resolve({"path": path}, data_dir)
    except DataMissing:
        raise DataMissing(f"CustomDataset path {path}: not found in {data_dir} or {Path.cwd()} (a config's bare file "
                          f"is read as the config is loaded, before --data-dir); give its path from the working "
                          f"folder or an absolute one, or set COMPASS_DATA_DIR to the folder that has it") from None
    row = _first_row(f)
    options = []
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter not in row:
            break
        options.append(letter)
    meta: dict[str, Any] = {"path": path, "input_columns": [k for k in row if k != "answer"],
                            "output_column": "answer" if "answer" in row else None, "options": options,
                            "abbr": Path(path).name.split(".")[0], "data_type": "mcq" if len(options) > 1 else "qa",
                            "infer_method": "gen"}
    meta_file = Path(str(cfg.get("meta_path") or f"{f}.meta.json"))
    if meta_file.is_file():
        try:
            loaded = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{meta_file}: not valid JSON ({exc}); fix or remove it") from None
        if not isinstance(loaded, dict):
            raise DataError(f"{meta_file}: must hold a JSON object of dataset settings, got {type(loaded).__name__}")
        meta.update(loaded)
    meta.update({k: v for k, v in cfg.items()})
    kind = (meta["data_type"], meta["infer_method"])
    if kind not in (("mcq", "gen"), ("qa", "gen"), ("mcq", "ppl")):
        raise CompassError(f"dataset {meta['abbr']!r}: compass makes OpenCompass's custom configs for mcq/qa gen and "
                           f"mcq ppl, not data_type={kind[0]!r} infer_method={kind[1]!r}")
    out_col = meta["output_column"]
    template = meta.get("template")
    if template is None:
        if meta["data_type"] == "mcq":
            listed = "".join(f"\n{o}. {{{o}}}" for o in meta["options"])
            human = meta.get("human_prompt", "Question: {question}" + listed)
            bot = meta.get("bot_prompt", f"Answer: {{{out_col}}}")
        else:
            human, bot = meta.get("human_prompt", "{question}"), meta.get("bot_prompt", f"{{{out_col}}}")
        turn = [{"role": "HUMAN", "prompt": human}]
        if kind == ("mcq", "ppl"):
            template = {o: {"round": [*turn, {"role": "BOT", "prompt": bot.replace(f"{{{out_col}}}", o)}]}
                        for o in meta["options"]}
        else:
            template = {"round": turn if out_col is None and meta["data_type"] == "qa" else
                        [*turn, {"role": "BOT", "prompt": bot}]}
    reader = {"input_columns": meta["input_columns"], "output_column": out_col}
    if "test_range" in meta:
        reader["test_range"] = meta["test_range"]
    if kind == ("mcq", "gen"):
        evaluator = {"type": meta.get("evaluator", "OptionSimAccEvaluator"),
                     **meta.get("evaluator_kwargs", {"options": meta["options"]})}
    else:
        evaluator = {"type": meta.get("evaluator", "AccEvaluator"), **meta.get("evaluator_kwargs", {})}
    return {"dataset_class": "CustomDataset", "abbr": meta["abbr"], "path": path, "reader_cfg": reader,
            "infer_cfg": {"prompt_template": {"type": "PromptTemplate", "template": template},
                          "retriever": {"type": "ZeroRetriever"},
                          "inferencer": {"type": "PPLInferencer" if kind[1] == "ppl" else "GenInferencer"}},
            "eval_cfg": {"evaluator": evaluator, "pred_role": "BOT"}}


# ------------------------------------------------------------------ OptionSimAccEvaluator
def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


class OptionSimAcc:
    """``OptionSimAccEvaluator``: the option a free-form response names, compared with the answer."""

    def __init__(self, options: list | str = "ABCD"):
        self.options = list(options)
        if not all(isinstance(o, str) and len(o) == 1 and o.isupper() for o in self.options):
            raise CompassError(f"OptionSimAccEvaluator: each option is one capital letter, got {self.options}")

    def parse(self, pred: str, row: Mapping, host: Any) -> str:
        pred = (pred or "").strip()
        if pred in self.options:
            return pred
        found = host.registry.get("postprocessors", "first_option").load()(pred, options="".join(self.options))
        if found:
            return found
        named = [o for o in self.options if row.get(o) is not None and str(row[o]).lower() in pred.lower()]
        if len(named) == 1:
            return named[0]
        dists = [(min(_edit_distance(pred, c) for c in (o, str(row[o]), f"{o}. {row[o]}")), o)
                 for o in self.options if row.get(o) is not None]
        return min(dists)[1] if dists else ""

    def score_samples(self, samples, context):
        for s in samples:
            parsed = "" if s.error else self.parse(str(s.answer or ""), s.row, context.host)
            yield s.index, {"correct": parsed == str(s.gold), "parsed": parsed}

    def aggregate(self, records: Mapping, context) -> dict:
        n = len(context.samples)
        return {"accuracy": 100.0 * sum(bool(r.get("correct")) for r in records.values()) / n if n else 0.0}
