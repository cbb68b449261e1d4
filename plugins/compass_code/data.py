"""Reading code benchmarks: JSON Lines (gzip or not), rows repeated ``n`` times.

pass@k needs ``n`` samples per problem. The inference side asks one request per row, so
a code dataset with ``n > 1`` lists each problem ``n`` times (``task_id`` gets ``#0``,
``#1``… and ``problem`` stays the problem's id); the model samples each one (sampling
settings come from the model's generation kwargs, e.g. ``--generation-kwargs
do_sample=True temperature=0.8``) and ``code_exec`` groups them by ``problem``.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import CachedLoader, CompassError, DataError, Rows, read_jsonl


def read_jsonl_any(path: Path) -> list[tuple[int, dict]]:
    """``(line, object)`` pairs of a ``.jsonl`` or ``.jsonl.gz`` file (the SDK's reader); no rows is an error."""
    out = read_jsonl(path)
    if not out:
        raise DataError(f"{path}:1: no rows")
    return out


def check_n(n: object, name: str) -> int:
    """``n`` (samples per problem) as a whole number of at least 1."""
    ok = isinstance(n, int) and not isinstance(n, bool) or isinstance(n, str) and n.strip().isdigit()
    if not ok or int(n) < 1:  # type: ignore[arg-type]
        raise CompassError(f"{name}: n (samples per problem) must be a whole number of at least 1, got {n!r}")
    return int(n)  # type: ignore[arg-type]


def repeat(rows: list[dict], n: int) -> list[dict]:
    """Each problem ``n`` times in a row; ``problem`` names it, ``task_id`` gets ``#i`` when n > 1."""
    if n == 1:
        return [{**r, "problem": r["task_id"]} for r in rows]
    return [{**r, "problem": r["task_id"], "task_id": f"{r['task_id']}#{i}", "sample": i}
            for r in rows for i in range(n)]


class CodeLoader(CachedLoader):
    """Base of the code loaders: ``read_rows(data_dir) -> (test rows, few-shot rows)``, repeated n times."""

    def __init__(self, n: int = 1):
        super().__init__()
        self.n = n

    @property
    def key(self) -> tuple:
        return (type(self).__name__, self.n)

    def read_rows(self, data_dir) -> tuple[list[dict], list[dict]]:
        raise NotImplementedError

    def read(self, data_dir) -> Rows:
        test, fewshot = self.read_rows(data_dir)
        return Rows(test=repeat(test, self.n), fewshot=fewshot)
