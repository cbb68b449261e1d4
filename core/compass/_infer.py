"""Inference of one task: build requests, ask the model in batches, append predictions.

A sample already answered with the same settings and the same request (see
:mod:`compass._fingerprint`) is never asked again, so a re-run with ``--reuse`` only infers
what is missing, failed, or was made by other settings; a predictions file made by other
settings is kept beside the new one.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

from compass._dataset import Rows, Subset
from compass._errors import CompassError
from compass._fingerprint import FingerprintBook, ReuseReport, decide_reuse, request_key
from compass._plan import build_benchmark, load_rows
from compass._plugins import PluginHost
from compass._runners import (ModelBuildFailed, build_failure_reason, clear_model_error, read_model_error,
                              write_model_error)
from compass._store import (PredictionWriter, RunFolder, read_predictions, reusable_records,
                           set_aside_mismatched)
from compass._types import Completion, Failure, Message, prompt_to_text

DEFAULT_CHUNK = 16
FLUSH_SECONDS = 2.0


def build_model(host: PluginHost, spec: dict) -> Any:
    """Instantiate the model a task spec names (this is where weights load)."""
    reg = host.registry.get("models", spec["type"])
    return reg.load()(**spec["kwargs"])


def _prompt_record(prompt: tuple[Message, ...], chat: bool) -> Any:
    if chat:
        return [{"role": m.role, "content": m.content} for m in prompt]
    return prompt_to_text(prompt)


def _token_counter(model: Any) -> tuple[int, int] | None:
    """A backend's running totals ``model.token_counts = {"prompt": n, "completion": m}``.

    Used for telemetry of ppl/clp requests, which carry no per-request token counts.
    """
    counts = getattr(model, "token_counts", None)
    if not isinstance(counts, dict):
        return None
    return int(counts.get("prompt", 0)), int(counts.get("completion", 0))


def _completion_record(c: Completion) -> dict:
    return {"prediction": c.text, "error": c.error, "finish_reason": c.finish_reason,
            "usage": {"prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens}}


def build_requests(subset: Subset, rows: Rows, indices, chat: bool, generation: dict) -> dict[int, Any]:
    """The request each sample is asked with, under the generation settings in force."""
    gen = {}
    if subset.mode == "gen" and generation:
        gen = {"max_out_len": generation.get("max_out_len"), "stop": tuple(generation.get("stop") or ())}
    return {i: subset.request(rows, i, chat=chat, **gen) for i in indices}


def reuse_report(run: RunFolder, model: str, subset: Subset, shard: int | None, indices,
                 fingerprint: str, keys: dict[int, str]) -> ReuseReport:
    """What ``--reuse`` keeps of a task's samples and why the others are inferred again."""
    path = run.predictions(model, subset.name, shard)
    book = FingerprintBook(path.parent)
    return decide_reuse(reusable_records(path, fingerprint), indices, fingerprint, keys,
                        explain=lambda old: book.explain(old, fingerprint))


def settle_predictions(path: Path, fingerprint: str, report: ReuseReport) -> Path | None:
    """Make the predictions file hold what ``report`` reuses, before anything is inferred.

    A file with records of other settings is moved aside (returned); reused records found
    in a file set aside earlier are copied back, so evaluation reads one file.
    """
    records = reusable_records(path, fingerprint)
    aside = set_aside_mismatched(path, fingerprint)
    current = read_predictions(path)
    carried = [records[i] for i in report.reused if current.get(i) != records[i]]
    if carried:
        with PredictionWriter(path) as writer:
            writer.write_batch(carried)
    return aside


class BackendContractError(CompassError):
    """A backend answered a batch with the wrong number of results."""


def _check_count(backend: str, got: int, asked: int) -> None:
    if got != asked:
        raise BackendContractError(
            f"model backend '{backend}' returned {got} answers for {asked} requests; answers "
            f"cannot be matched to their samples (a bug in the backend's plugin, report it there)")


def _answer(subset: Subset, model: Any, requests: list, labels: list[list[str]], backend: str) -> list[dict]:
    """Ask the model for one batch; one record fragment per request (``labels``: ppl/clp)."""
    if subset.mode == "gen":
        completions = list(model.generate(requests))
        _check_count(backend, len(completions), len(requests))
        return [_completion_record(c) for c in completions]
    if subset.mode == "ppl":
        scores = list(model.loglikelihood(requests))
    else:
        scores = list(model.option_logprobs(requests))
    _check_count(backend, len(scores), len(requests))
    records = []
    for s, names in zip(scores, labels):
        if isinstance(s, Failure):
            records.append({"prediction": None, "scores": None, "error": s.error})
            continue
        s = [float(x) for x in s]
        _check_count(backend, len(s), len(names))
        best = max(range(len(s)), key=s.__getitem__)
        records.append({"prediction": names[best], "scores": dict(zip(names, s)), "error": None})
    return records


def _answers(subset: Subset, model: Any, order: list[int], requests: dict, rows: Rows,
             chunk: int, backend: str) -> Iterator[tuple[list[int], list[dict]]]:
    """(sample indices, record fragments) as answers become available.

    A backend with ``generate_stream`` gets every pending request at once and hands back
    each answer as it is finished (an API client keeping its connections busy, a batcher
    refilling freed slots); answers are written at least every ``chunk`` answers or
    ``FLUSH_SECONDS``. Otherwise requests go in chunks of ``chunk``.
    """
    stream = getattr(model, "generate_stream", None) if subset.mode == "gen" else None
    if stream is not None:
        got_i: list[int] = []
        got_a: list[dict] = []
        last = time.monotonic()
        seen: set[int] = set()
        for pos, completion in stream([requests[i] for i in order]):
            if not 0 <= pos < len(order) or pos in seen:
                raise BackendContractError(
                    f"model backend '{backend}' answered request {pos} of {len(order)} twice or out "
                    f"of range; answers cannot be matched to their samples (a bug in the backend's plugin)")
            seen.add(pos)
            got_i.append(order[pos])
            got_a.append(_completion_record(completion))
            if len(got_i) >= chunk or time.monotonic() - last >= FLUSH_SECONDS:
                yield got_i, got_a
                got_i, got_a, last = [], [], time.monotonic()
        if got_i:
            yield got_i, got_a
        _check_count(backend, len(seen), len(order))
        return
    for pos in range(0, len(order), chunk):
        batch = order[pos:pos + chunk]
        labels = [subset.labels(rows.test[i]) for i in batch] if subset.mode != "gen" else []
        yield batch, _answer(subset, model, [requests[i] for i in batch], labels, backend)


def _tokens_generated(model: Any) -> int | None:
    """A backend's optional live count ``model.tokens_generated``: tokens generated so far,
    rows still decoding included (progress only; telemetry uses ``token_counts``)."""
    value = getattr(model, "tokens_generated", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _TokenTicker:
    """While a task decodes, reports ``progress(done, total, tokens)`` every ``every`` seconds
    from a daemon thread, so a batch that decodes for minutes shows its tokens moving before
    its first sample is done. Nothing runs for a model that does not count tokens."""

    def __init__(self, model: Any, progress: Callable[..., None] | None, total: int, every: float = 1.0):
        self.model, self.progress, self.total, self.every = model, progress, total, every
        self.done = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def report(self, done: int) -> None:
        self.done = done
        if self.progress is None:
            return
        tokens = _tokens_generated(self.model)
        if tokens is None:
            self.progress(done, self.total)
        else:
            self.progress(done, self.total, tokens)

    def _loop(self) -> None:
        last = _tokens_generated(self.model)
        while not self._stop.wait(self.every):
            try:
                tokens = _tokens_generated(self.model)
                if tokens != last:
                    last = tokens
                    self.progress(self.done, self.total, tokens)
            except Exception:  # progress is best effort: never a reason for a task to fail
                return

    def __enter__(self) -> _TokenTicker:
        self.report(0)
        if self.progress is not None and self.total and _tokens_generated(self.model) is not None:
            self._thread = threading.Thread(target=self._loop, name="compass-tokens", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 1)


def run_infer(host: PluginHost, task: dict, model: Any, *,
              progress: Callable[..., None] | None = None) -> dict:
    """Infer the missing samples of ``task``; returns counts and timings.

    ``progress(done, total)`` (``progress(done, total, tokens)`` when the backend counts
    generated tokens, see :func:`_tokens_generated`) is called once at the start, after every
    written batch, and every second while tokens are being generated."""
    t0 = time.perf_counter()
    started_at = time.time()
    run = RunFolder(Path(task["run_dir"]))
    abbr = task["model"]["abbr"]
    ds = task["dataset"]
    bench = build_benchmark(host, ds["type"], ds["kwargs"], ds["chat"])
    subset = bench.subset(task["subset"])
    rows: Rows = load_rows(subset, Path(task["data_dir"]), task.get("limit"))
    path = run.predictions(abbr, subset.name, task.get("shard"))
    chat = ds["chat"]
    fp = task.get("fingerprint", "")
    indices = range(task["start"], task["end"])
    requests = build_requests(subset, rows, indices, chat, task.get("generation") or {})
    keys = {i: request_key(r) for i, r in requests.items()}
    report = reuse_report(run, abbr, subset, task.get("shard"), indices, fp, keys)
    aside = settle_predictions(path, fp, report)
    if aside is not None:
        print(f"[{task['name']}] predictions made with other settings kept as {aside}", file=sys.stderr)
    todo = report.todo
    # Longest first: batches of similar length waste little padding, and a batch that
    # would run out of memory does so at the start, not after an hour.
    order = sorted(todo, key=lambda i: -len(prompt_to_text(requests[i].prompt)))
    chunk = max(1, int(getattr(model, "handover_size", 0) or getattr(model, "batch_size", 0) or DEFAULT_CHUNK))
    failed = 0
    first_error = ""
    prompt_tokens = completion_tokens = 0
    counted = _token_counter(model)
    finished = 0
    with PredictionWriter(path) as writer, _TokenTicker(model, progress, len(order)) as ticker:
        for batch, answers in _answers(subset, model, order, requests, rows, chunk, task["model"]["type"]):
            records = []
            for i, ans in zip(batch, answers):
                gold = rows.test[i].get(subset.gold)
                rec = {"index": i, "origin_prompt": _prompt_record(requests[i].prompt, chat),
                       **ans, "gold": gold, "fp": fp, "req": keys[i]}
                failed += bool(ans.get("error"))
                first_error = first_error or str(ans.get("error") or "")
                usage = ans.get("usage") or {}
                prompt_tokens += usage.get("prompt_tokens", 0)
                completion_tokens += usage.get("completion_tokens", 0)
                records.append(rec)
            writer.write_batch(records)
            finished += len(records)
            ticker.report(finished)
    seconds = time.perf_counter() - t0
    if counted is not None and not (prompt_tokens or completion_tokens):
        prompt_tokens, completion_tokens = (a - b for a, b in zip(_token_counter(model), counted))
    stats = {
        "task": task["name"], "samples": len(todo), "reused": len(report.reused),
        "recomputed": dict(report.reasons),
        "failed": failed, "seconds": round(seconds, 3),
        "samples_per_s": round(len(todo) / seconds, 3) if seconds > 0 and todo else 0.0,
        "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "started_at": started_at,
    }
    print(f"[{task['name']}] inferred {len(todo)} samples ({report.describe()}; {failed} failed) "
          f"in {seconds:.1f}s", file=sys.stderr, flush=True)
    if todo and failed == len(todo):  # nothing was answered: the task failed, and says why
        why = " ".join(first_error.split())[:400]
        raise CompassError(f"every request failed ({failed} of {len(todo)}): {why}")
    return stats


class ModelCache:
    """Keeps the most recently used model loaded; a different model replaces it.

    A model whose factory raised is not tried again: in this process the failure is
    remembered, and across processes (other workers, Slurm jobs) the failing task leaves
    ``<run>/tasks/<model>.model-error`` (:func:`compass._runners.write_model_error`), which
    later tasks of the model read before loading anything. Both end the task with
    :class:`~compass._runners.ModelBuildFailed` and the same one-line reason.
    """

    def __init__(self, host: PluginHost):
        self.host = host
        self._key: str | None = None
        self._model: Any = None
        self._failed: dict[str, str] = {}  # spec key -> one-line reason
        self.last_load_seconds = 0.0

    def get(self, spec: dict, task_path: Path | None = None, task_name: str | None = None) -> tuple[Any, float]:
        """The model for ``spec`` and the seconds spent loading it now (0 when cached).

        With ``task_path`` (the task file) and ``task_name``, a failure to build is shared
        with the run's other tasks through a marker file beside the task file; a retry of
        the very task that failed tries again.
        """
        key = json.dumps(spec, sort_keys=True, default=str)
        if key == self._key:
            return self._model, 0.0
        if key in self._failed:
            raise ModelBuildFailed(self._failed[key])
        abbr = str(spec.get("abbr") or spec.get("type"))
        known = read_model_error(task_path, abbr) if task_path is not None else None
        if known and known.get("task") != task_name:
            self._failed[key] = known["reason"]
            raise ModelBuildFailed(known["reason"])
        self.close()
        t0 = time.perf_counter()
        try:
            model = build_model(self.host, spec)
        except Exception as exc:
            reason = build_failure_reason(abbr, exc)
            self._failed[key] = reason
            if task_path is not None:
                write_model_error(task_path, abbr, task_name or "", reason,
                                  retry=not isinstance(exc, CompassError))
            raise ModelBuildFailed(reason, traceback.format_exc()) from exc
        if known:  # this very task failed to build it before, and now it worked (a retry)
            clear_model_error(task_path, abbr)
        self._model, self._key = model, key
        seconds = time.perf_counter() - t0
        print(f"[model] {abbr} loaded in {seconds:.1f}s (kept for this worker's next tasks)", file=sys.stderr,
              flush=True)
        return self._model, seconds

    def close(self) -> None:
        closer = getattr(self._model, "close", None)
        if callable(closer):
            closer()
        self._model = None
        self._key = None
