"""Inference of one task: build requests, ask the model in batches, append predictions.

Samples already in the predictions file (without an error) are never asked again, so a
re-run with ``--reuse`` only infers what is missing or failed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from compass.dataset import Rows, Subset
from compass.plan import build_benchmark, load_rows
from compass.plugins import PluginHost
from compass.store import PredictionWriter, RunFolder, read_predictions
from compass.types import Completion, Failure, Message, prompt_to_text

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


def _answer(subset: Subset, model: Any, requests: list, labels: list[list[str]]) -> list[dict]:
    """Ask the model for one batch; one record fragment per request (``labels``: ppl/clp)."""
    if subset.mode == "gen":
        return [_completion_record(c) for c in model.generate(requests)]
    if subset.mode == "ppl":
        scores = model.loglikelihood(requests)
    else:
        scores = model.option_logprobs(requests)
    records = []
    for s, names in zip(scores, labels):
        if isinstance(s, Failure):
            records.append({"prediction": None, "scores": None, "error": s.error})
            continue
        s = [float(x) for x in s]
        best = max(range(len(s)), key=s.__getitem__)
        records.append({"prediction": names[best], "scores": dict(zip(names, s)), "error": None})
    return records


def _answers(subset: Subset, model: Any, order: list[int], requests: dict, rows: Rows,
             chunk: int) -> Iterator[tuple[list[int], list[dict]]]:
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
        for pos, completion in stream([requests[i] for i in order]):
            got_i.append(order[pos])
            got_a.append(_completion_record(completion))
            if len(got_i) >= chunk or time.monotonic() - last >= FLUSH_SECONDS:
                yield got_i, got_a
                got_i, got_a, last = [], [], time.monotonic()
        if got_i:
            yield got_i, got_a
        return
    for pos in range(0, len(order), chunk):
        batch = order[pos:pos + chunk]
        labels = [subset.labels(rows.test[i]) for i in batch] if subset.mode != "gen" else []
        yield batch, _answer(subset, model, [requests[i] for i in batch], labels)


def run_infer(host: PluginHost, task: dict, model: Any, *,
              progress: Callable[[int, int], None] | None = None) -> dict:
    """Infer the missing samples of ``task``; returns counts and timings."""
    t0 = time.perf_counter()
    started_at = time.time()
    run = RunFolder(Path(task["run_dir"]))
    abbr = task["model"]["abbr"]
    ds = task["dataset"]
    bench = build_benchmark(host, ds["type"], ds["kwargs"], ds["chat"])
    subset = bench.subset(task["subset"])
    rows: Rows = load_rows(subset, Path(task["data_dir"]), task.get("limit"))
    path = run.predictions(abbr, subset.name, task.get("shard"))
    done = read_predictions(path)
    todo = [i for i in range(task["start"], task["end"]) if i not in done or done[i].get("error")]
    chat = ds["chat"]
    gen_kwargs = {}
    if subset.mode == "gen":
        gen_kwargs = {"max_out_len": task["model"]["kwargs"].get("max_out_len"),
                      "stop": tuple(task["model"]["kwargs"].get("stop_words") or ())}
    requests = {i: subset.request(rows, i, chat=chat, **gen_kwargs) for i in todo}
    # Longest first: batches of similar length waste little padding, and a batch that
    # would run out of memory does so at the start, not after an hour.
    order = sorted(todo, key=lambda i: -len(prompt_to_text(requests[i].prompt)))
    chunk = max(1, int(getattr(model, "handover_size", 0) or getattr(model, "batch_size", 0) or DEFAULT_CHUNK))
    failed = 0
    prompt_tokens = completion_tokens = 0
    counted = _token_counter(model)
    finished = 0
    with PredictionWriter(path) as writer:
        for batch, answers in _answers(subset, model, order, requests, rows, chunk):
            records = []
            for i, ans in zip(batch, answers):
                gold = rows.test[i].get(subset.gold)
                rec = {"index": i, "origin_prompt": _prompt_record(requests[i].prompt, chat),
                       **ans, "gold": gold}
                failed += bool(ans.get("error"))
                usage = ans.get("usage") or {}
                prompt_tokens += usage.get("prompt_tokens", 0)
                completion_tokens += usage.get("completion_tokens", 0)
                records.append(rec)
            writer.write_batch(records)
            finished += len(records)
            if progress:
                progress(finished, len(order))
    seconds = time.perf_counter() - t0
    if counted is not None and not (prompt_tokens or completion_tokens):
        prompt_tokens, completion_tokens = (a - b for a, b in zip(_token_counter(model), counted))
    stats = {
        "task": task["name"], "samples": len(todo), "reused": task["end"] - task["start"] - len(todo),
        "failed": failed, "seconds": round(seconds, 3),
        "samples_per_s": round(len(todo) / seconds, 3) if seconds > 0 and todo else 0.0,
        "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "started_at": started_at,
    }
    print(f"[{task['name']}] inferred {len(todo)} samples ({stats['reused']} reused, {failed} failed) "
          f"in {seconds:.1f}s", file=sys.stderr, flush=True)
    return stats
