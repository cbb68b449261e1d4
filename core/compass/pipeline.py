"""One ``compass eval``: plan → infer (runner) → evaluate → summarize.

A dataset is evaluated as soon as all its shards are inferred, in a background thread of
the launcher, so evaluation overlaps the remaining inference. Nothing already computed is
ever deleted: a failed or interrupted run keeps its predictions, and ``--reuse`` picks up
from there.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from compass.config import RunConfig, dump_config
from compass.errors import CompassError
from compass.evaluate import run_eval
from compass.events import RunFinished, RunStarted, TaskFinished, TaskStarted
from compass.plan import EvalUnit, Plan, Task, accepts, check_kwargs, make_plan
from compass.plugins import PluginHost
from compass.runners import TaskFile, TaskOutcome
from compass.store import RunFolder, new_timestamp, read_predictions, resolve_run_dir, write_json
from compass.summary import build_summary, user_groups, write_summary


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def describe_plan(plan: Plan, run_dir: Path, reused: bool) -> str:
    from tabulate import tabulate

    rows = [[t.name, t.subset.mode, t.num_samples, f"{t.start}-{t.end}" if t.shard is not None else "all"]
            for t in plan.tasks]
    head = (f"run folder: {run_dir}{' (reused)' if reused else ''}\n"
            f"models: {', '.join(m.abbr for m in plan.models)}\n"
            f"{len(plan.tasks)} inference tasks, {sum(t.num_samples for t in plan.tasks)} samples\n")
    return head + tabulate(rows, headers=["task", "mode", "samples", "range"], tablefmt="simple")


def _pending(run: RunFolder, task: Task) -> int:
    done = read_predictions(run.predictions(task.model.abbr, task.subset.name, task.shard))
    return sum(1 for i in range(task.start, task.end) if i not in done or done[i].get("error"))


def _make_runner(cfg: RunConfig, host: PluginHost):
    reg = host.registry.get("runners", cfg.runner.type)
    factory = reg.load()
    kwargs = dict(cfg.runner.kwargs)
    check_kwargs(factory, kwargs, f"runner '{cfg.runner.type}'")
    if accepts(factory, "max_num_workers"):
        kwargs.setdefault("max_num_workers", cfg.max_num_workers)
    if accepts(factory, "host"):
        kwargs["host"] = host
    return factory(**kwargs)


class _Evaluator:
    """Evaluates each model × subset once all its shards are done, in a background thread."""

    def __init__(self, host: PluginHost, run: RunFolder, units: list[EvalUnit], dump_details: bool):
        self.host = host
        self.run = run
        self.dump = dump_details
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compass-eval")
        self.lock = threading.Lock()
        self.waiting: dict[str, tuple[EvalUnit, set]] = {}
        self.futures: list[tuple[EvalUnit, Future]] = []
        for u in units:
            names = {f"{u.model.abbr}/{u.subset.name}" + ("" if s is None else f"_{s}") for s in u.shards}
            self.waiting[f"{u.model.abbr}/{u.subset.name}"] = (u, names)

    def task_done(self, name: str) -> None:
        with self.lock:
            for key, (unit, names) in list(self.waiting.items()):
                if name in names:
                    names.discard(name)
                    if not names:
                        del self.waiting[key]
                        self.submit(unit)

    def submit(self, unit: EvalUnit) -> None:
        self.futures.append((unit, self.pool.submit(self._eval, unit)))

    def start_finished(self, pending_tasks: set[str]) -> None:
        """Evaluate now every unit none of whose shards is left to infer."""
        with self.lock:
            for key, (unit, names) in list(self.waiting.items()):
                if not names & pending_tasks:
                    del self.waiting[key]
                    self.submit(unit)

    def _eval(self, unit: EvalUnit) -> dict:
        log = self.run.eval_log(unit.model.abbr, unit.subset.name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            try:
                result = run_eval(self.host, self.run, unit.model.abbr, unit.subset, unit.num_samples,
                                  unit.shards, benchmark=unit.benchmark, dump_details=self.dump)
            except Exception:
                fh.write(traceback.format_exc())
                raise
            fh.write(json.dumps({k: v for k, v in result.items() if k != "details"}, ensure_ascii=False) + "\n")
            return result

    def finish(self) -> list[str]:
        """Wait for every evaluation; returns the errors, one line each."""
        errors = []
        for unit, fut in self.futures:
            try:
                fut.result()
            except Exception as exc:
                errors.append(f"evaluation of {unit.model.abbr}/{unit.subset.name} failed: "
                              f"{type(exc).__name__}: {exc} (log: "
                              f"{self.run.eval_log(unit.model.abbr, unit.subset.name)})")
        self.pool.shutdown()
        return errors


def _telemetry(run: RunFolder, tasks: list[Task]) -> list[dict]:
    """The stats each task wrote beside its task file (timings, tokens, model load)."""
    rows = []
    for t in tasks:
        path = run.task_file(t.name.replace("/", "__")).with_suffix(".stats.json")
        if path.exists():
            rows.append(json.loads(path.read_text()))
    return rows


def format_telemetry(rows: list[dict], run_started: float) -> str:
    """Per task: where the time went (answers "why is it slow" from the run itself)."""
    from tabulate import tabulate

    def rate(n, s):
        return f"{n / s:.1f}" if s > 0 and n else "-"

    table = [[r["task"], r["samples"], f"{r['seconds']:.1f}", rate(r["samples"], r["seconds"]),
              rate(r.get("prompt_tokens", 0), r["seconds"]), rate(r.get("completion_tokens", 0), r["seconds"]),
              f"{r.get('model_load_seconds', 0):.1f}", f"{max(0.0, r.get('started_at', run_started) - run_started):.1f}"]
             for r in rows]
    return "telemetry (per inference task):\n" + tabulate(
        table, headers=["task", "samples", "seconds", "samples/s", "prompt tok/s", "gen tok/s",
                        "model load s", "queue wait s"], tablefmt="simple")


def run_eval_command(cfg: RunConfig, host: PluginHost) -> int:
    """The whole run; returns the exit code (0 ok, 1 when a task or evaluation failed)."""
    t_start = time.perf_counter()
    if cfg.mode not in ("all", "infer", "eval", "viz"):
        raise CompassError(f"--mode {cfg.mode}: expected all, infer, eval or viz")
    plan = make_plan(cfg, host)
    user_groups(cfg.summarizer)  # a malformed summarizer fails now, not after inference
    run_dir, reused = resolve_run_dir(cfg.work_dir, cfg.reuse)
    if cfg.dry_run:
        print(describe_plan(plan, run_dir, reused))
        return 0
    runner = _make_runner(cfg, host) if cfg.mode in ("all", "infer") else None
    run = RunFolder(run_dir).create()
    dump_config(cfg, run.root / "configs" / f"config_{new_timestamp()}.json")
    _say(f"run folder: {run.root}{' (reusing finished predictions)' if reused else ''}")

    todo: list[Task] = []
    files: list[TaskFile] = []
    for task in plan.tasks:
        if cfg.mode not in ("all", "infer") or _pending(run, task) == 0:
            continue
        fname = task.name.replace("/", "__")
        log = run.infer_log(task.model.abbr, task.subset.name, task.shard)
        spec = task.spec(run.root, cfg) | {"log": str(log)}
        path = run.task_file(fname)
        write_json(path, spec)
        todo.append(task)
        files.append(TaskFile(task.name, path, log, task.model.abbr,
                              spec["resources"]["num_gpus"], spec["resources"]["device"]))

    hook = host.pm.hook
    hook.on_run_started(event=RunStarted(str(run.root), tuple(m.abbr for m in plan.models),
                                         tuple(c.type for c in cfg.datasets), len(files)))
    evaluator = _Evaluator(host, run, plan.evals, cfg.dump_eval_details)
    pending_names = {t.name for t in todo}
    outcomes: dict[str, TaskOutcome] = {}
    do_eval = cfg.mode in ("all", "eval")

    def on_done(outcome: TaskOutcome) -> None:
        outcomes[outcome.name] = outcome
        task = next(t for t in todo if t.name == outcome.name)
        hook.on_task_finished(event=TaskFinished(str(run.root), outcome.name, task.model.abbr,
                                                 task.subset.name, outcome.ok, outcome.seconds,
                                                 outcome.error, str(outcome.log) if outcome.log else None))
        if outcome.ok and do_eval:
            evaluator.task_done(outcome.name)

    if do_eval:  # subsets with nothing left to infer are evaluated right away
        evaluator.start_finished(pending_names)
    interrupted = False
    t_run = time.time()
    if runner is not None and files:
        for t in todo:
            hook.on_task_started(event=TaskStarted(str(run.root), t.name, t.model.abbr, t.subset.name))
        try:
            runner.run(files, on_done)
        except KeyboardInterrupt:
            interrupted = True
            _say("interrupted: finished predictions are kept; resume with: compass eval … -r "
                 f"{run.timestamp}")
    eval_errors = evaluator.finish()

    benchmarks = list({id(b): b for b in plan.benchmarks.values()}.values())
    summary = build_summary(run, [m.abbr for m in plan.models], benchmarks, user_groups(cfg.summarizer))
    summary_path = write_summary(summary, run)
    telemetry = _telemetry(run, todo)
    print(summary.text())
    if telemetry:
        write_json(run.summary_dir / f"telemetry_{run.timestamp}.json", telemetry)
        _say("\n" + format_telemetry(telemetry, t_run))
    _say(f"summary written to {summary_path.parent}/summary_{run.timestamp}.{{csv,txt,md}}")
    failed = [o for o in outcomes.values() if not o.ok]
    for o in failed:
        _say(f"\nFAILED task {o.name} (log: {o.log}):\n{o.error or ''}")
    for err in eval_errors:
        _say(f"\nFAILED {err}")
    if failed or eval_errors:
        _say(f"\n{len(failed)} task(s) and {len(eval_errors)} evaluation(s) failed; finished work is kept — "
             f"rerun with -r {run.timestamp} to retry only what is missing")
    # A task can finish with failed samples (an API request that failed after its retries):
    # the run is then incomplete, and says so through its exit code as well.
    incomplete = sum(_pending(run, t) for t in plan.tasks) if cfg.mode in ("all", "infer") else 0
    if incomplete and not failed and not interrupted:
        _say(f"\n{incomplete} sample(s) failed or are missing (counted as wrong); rerun with "
             f"-r {run.timestamp} to retry only those")
    ok = not failed and not eval_errors and not interrupted and not incomplete
    hook.on_run_finished(event=RunFinished(str(run.root), ok, time.perf_counter() - t_start,
                                           str(summary_path), tuple(o.name for o in failed)))
    if interrupted:
        return 130
    return 0 if ok else 1
