"""The run folder and everything written into it.

``<work_dir>/<YYYYMMDD_HHMMSS>/{configs,logs/{infer,eval},predictions,results,summary}``.
Predictions are JSON Lines appended one batch at a time and flushed, so a killed run
loses at most the batch in flight; nothing in a run folder is ever deleted.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compass._errors import CompassError

SUBDIRS = ("configs", "logs/infer", "logs/eval", "predictions", "results", "summary", "tasks")


def new_timestamp() -> str:
    return time.strftime("%Y%m%d_%H%M%S")


def resolve_run_dir(work_dir: str | Path, reuse: str | None) -> tuple[Path, bool]:
    """The run folder to use and whether it is reused.

    ``reuse`` is ``None`` (a new folder), ``"latest"`` (the newest folder, or a new one
    when there is none) or a timestamp naming an existing folder.
    """
    work = Path(work_dir)
    if reuse is None:
        ts = new_timestamp()
        run = work / ts
        n = 1
        while run.exists():  # two runs in the same second
            run = work / f"{ts}_{n}"
            n += 1
        return run, False
    if reuse == "latest":
        runs = sorted(p for p in work.glob("*") if p.is_dir() and (p / "configs").is_dir()) if work.is_dir() else []
        if not runs:
            return resolve_run_dir(work, None)[0], False
        return runs[-1], True
    run = work / reuse
    if not run.is_dir():
        have = sorted(p.name for p in work.glob("*") if p.is_dir()) if work.is_dir() else []
        hint = f"; existing runs: {', '.join(have[-3:])}" if have else ""
        raise CompassError(f"--reuse {reuse}: no run folder {run}{hint}")
    return run, True


@dataclass(frozen=True)
class RunFolder:
    root: Path

    def create(self) -> RunFolder:
        """Make the run folder; one line naming the problem when the work dir cannot hold it."""
        try:
            for sub in SUBDIRS:
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            probe = self.root / "configs" / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            blocker = next((p for p in [self.root, *self.root.parents] if p.exists()), None)
            what = (f"{blocker} is a file, not a folder" if blocker is not None and not blocker.is_dir()
                    else exc.strerror or type(exc).__name__)
            raise CompassError(f"cannot create the run folder {self.root}: {what}; pass a folder you can "
                               f"write with -w/--work-dir") from None
        return self

    def predictions(self, model: str, dataset: str, shard: int | None = None) -> Path:
        suffix = "" if shard is None else f"_{shard}"
        return self.root / "predictions" / model / f"{dataset}{suffix}.jsonl"

    def result(self, model: str, dataset: str) -> Path:
        return self.root / "results" / model / f"{dataset}.json"

    @property
    def comparisons_dir(self) -> Path:
        """The model-vs-model results (:mod:`compass._comparisons`), a file per subset."""
        return self.root / "comparisons"

    def comparison(self, dataset: str) -> Path:
        """The model-vs-model result of one subset (:mod:`compass._comparisons`)."""
        return self.comparisons_dir / f"{dataset}.json"

    def sample_verdicts(self, model: str, dataset: str) -> Path:
        return self.root / "results" / model / f"{dataset}.samples.jsonl"

    def evaluations(self, model: str, dataset: str) -> Path:
        return self.root / "evaluations" / model / f"{dataset}.jsonl"

    def infer_log(self, model: str, dataset: str, shard: int | None = None) -> Path:
        suffix = "" if shard is None else f"_{shard}"
        return self.root / "logs" / "infer" / model / f"{dataset}{suffix}.out"

    def eval_log(self, model: str, dataset: str) -> Path:
        return self.root / "logs" / "eval" / model / f"{dataset}.out"

    def task_file(self, name: str) -> Path:
        return self.root / "tasks" / f"{name}.json"

    @property
    def summary_dir(self) -> Path:
        return self.root / "summary"

    @property
    def timestamp(self) -> str:
        return self.root.name


def read_predictions(path: Path) -> dict[int, dict]:
    """Finished samples of a predictions file, by index.

    A torn last line (the process was killed mid-write) is ignored; a sample recorded as
    failed (``error`` set) is not finished. A later record of an index replaces an earlier one.
    """
    done: dict[int, dict] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "index" in rec:
                done[int(rec["index"])] = rec
    return done


def all_predictions(run: RunFolder, model: str, dataset: str) -> dict[int, dict]:
    """Every finished sample of ``model`` on ``dataset`` in a run, its shards' files merged
    (``<dataset>.jsonl`` and ``<dataset>_<n>.jsonl``), by index."""
    folder = run.root / "predictions" / model
    if not folder.is_dir():
        return {}
    shard = re.compile(re.escape(dataset) + r"(_\d+)?\.jsonl")
    out: dict[int, dict] = {}
    for path in sorted(p for p in folder.iterdir() if shard.fullmatch(p.name)):
        out.update(read_predictions(path))
    return out


def prompt_record_text(prompt: Any) -> str:
    """A recorded prompt (``origin_prompt``: text, or chat messages) as readable text."""
    if prompt is None:
        return ""
    if isinstance(prompt, list):
        return "\n\n".join(f"[{m.get('role', '?')}]\n{m.get('content', '')}" if isinstance(m, dict) else str(m)
                             for m in prompt)
    return str(prompt)


def json_safe(value: Any) -> Any:
    """``value`` when JSON can hold it, else its text (sets, tuples of odd objects …)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def kept_aside(path: Path) -> list[Path]:
    """Prediction files of the same subset set aside because other settings made them."""
    return sorted(path.parent.glob(f"{path.stem}@*{path.suffix}")) if path.parent.is_dir() else []


def reusable_records(path: Path, fp: str) -> dict[int, dict]:
    """The latest record per index, preferring records made with fingerprint ``fp``.

    Looks in the predictions file and in the files set aside beside it, so switching
    settings back and forth with ``-r`` finds the earlier answers again.
    """
    records = read_predictions(path)
    for aside in kept_aside(path):
        for i, rec in read_predictions(aside).items():
            if rec.get("fp") == fp and records.get(i, {}).get("fp") != fp:
                records[i] = rec
    return records


def set_aside_mismatched(path: Path, fp: str) -> Path | None:
    """Move a predictions file holding records of other settings aside; returns its new path.

    Nothing is deleted: the file becomes ``<subset>@<fingerprint>.jsonl`` beside the new one.
    """
    if not path.exists():
        return None
    others = [r.get("fp") or "unknown" for r in read_predictions(path).values() if r.get("fp") != fp]
    if not others:
        return None
    tag = max(set(others), key=others.count)[:12]
    aside = path.with_name(f"{path.stem}@{tag}{path.suffix}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.stem}@{tag}_{n}{path.suffix}")
        n += 1
    os.replace(path, aside)
    return aside


def _ends_mid_line(path: Path) -> bool:
    """Whether the file's last byte is not a newline (reads that one byte only)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


class PredictionWriter:
    """Appends prediction records, one batch per write, flushed and fsynced."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        torn = _ends_mid_line(path)
        self._fh = path.open("a", encoding="utf-8")
        if torn:  # a killed writer left half a line: start the next record on its own line
            self._fh.write("\n")

    def write_batch(self, records: list[dict]) -> None:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
