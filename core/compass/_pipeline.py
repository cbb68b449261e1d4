"""One ``compass eval``: plan → infer (runner) → evaluate → summarize → report.

A dataset is evaluated as soon as all its shards are inferred, in a background thread of
the launcher, so evaluation overlaps the remaining inference; an evaluator that calls
models (``run_as_task``) is run by the runner as a task of its own once inference is done.
Nothing already computed is ever deleted: a failed or interrupted run keeps its
predictions, and ``--reuse`` keeps every sample made with the same settings.

Use it through :func:`compass.api.evaluate`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from compass._comparisons import format_comparison, run_comparisons
from compass._config import RunConfig, dump_config
from compass._errors import CompassError
from compass._evaluate import iter_results, run_eval, runs_as_task
from compass._events import RunFinished, RunStarted, TaskFinished, TaskStarted
from compass._fingerprint import FingerprintBook, ReuseReport, request_key
from compass._plan import EvalUnit, Plan, Task, accepts, check_kwargs, load_rows, make_plan
from compass._plugins import PluginHost
from compass._reporting import Report, run_reporters
from compass._runinfo import headline_rows, headline_scores, write_environment, write_status
from compass._runners import TaskFile, TaskOutcome
from compass._store import RunFolder, new_timestamp, resolve_run_dir, write_json
from compass._summary import Summary, build_summary, user_groups


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class RunResult:
    """What one run produced (returned by :func:`compass.api.evaluate`).

    :param exit_code: 0 all good; 1 a task, sample or evaluation failed; 130 interrupted.
    :param results: the result files' contents (``results/<model>/<dataset>.json``).
    :param comparisons: the model-vs-model results (``comparisons/<dataset>.json``).
    """

    exit_code: int
    run_dir: Path | None = None
    summary: Summary | None = None
    results: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reuse: dict[str, ReuseReport] = field(default_factory=dict)
    report_files: list[Path] = field(default_factory=list)
    plan: Plan | None = None
    comparisons: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def score(self, model: str, dataset: str) -> float | None:
        """The first metric of ``dataset`` for ``model`` (None when it has no result)."""
        for r in self.results:
            if r.get("model") == model and r.get("dataset") == dataset and r.get("metrics"):
                return next(iter(r["metrics"].values()))
        return None


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def describe_plan(plan: Plan, run_dir: Path, reused: bool) -> str:
    from tabulate import tabulate

    rows = [[t.name, t.subset.mode, "?" if t.subset.name in plan.missing else t.num_samples,
             f"{t.start}-{t.end}" if t.shard is not None else "all"] for t in plan.tasks]
    unknown = len({t.subset.name for t in plan.tasks} & set(plan.missing))
    head = (f"run folder: {run_dir}{' (reused)' if reused else ''}\n"
            f"models: {', '.join(m.abbr for m in plan.models)}\n"
            f"{len(plan.tasks)} inference tasks, {sum(t.num_samples for t in plan.tasks)} samples"
            f"{f' (and those of {unknown} subset{_s(unknown)} whose data is missing)' if unknown else ''}\n")
    text = head + tabulate(rows, headers=["task", "mode", "samples", "range"], tablefmt="simple")
    by_dataset: dict[str, list[str]] = {}  # what the real run needs first: one line per dataset
    for t in plan.tasks:
        if t.subset.name in plan.missing and t.subset.name not in by_dataset.get(t.dataset_type, []):
            by_dataset.setdefault(t.dataset_type, []).append(t.subset.name)
    for dataset, subsets in by_dataset.items():
        more = f" (and {len(subsets) - 1} more of its subset{_s(len(subsets) - 1)})" if len(subsets) > 1 else ""
        text += f"\ndata missing: {dataset}: {plan.missing[subsets[0]]}{more}"
    return text


class _ReuseChecker:
    """What ``--reuse`` keeps of each task (loads a subset's rows only when it has predictions)."""

    def __init__(self, run: RunFolder, cfg: RunConfig):
        from compass._plan import data_dir_of

        self.run = run
        self.data_dir = data_dir_of(cfg)
        self.limit = cfg.limit
        self._keys: dict[tuple[str, str], dict[int, str]] = {}

    def report(self, task: Task) -> ReuseReport:
        from compass._infer import build_requests, reuse_report, settle_predictions
        from compass._store import kept_aside

        fp = task.fingerprint.hash if task.fingerprint else ""
        path = self.run.predictions(task.model.abbr, task.subset.name, task.shard)
        indices = range(task.start, task.end)
        if not path.exists() and not kept_aside(path):
            return ReuseReport(todo=list(indices))
        key = (task.model.abbr, task.subset.name)
        if key not in self._keys:
            rows = load_rows(task.subset, self.data_dir, self.limit)
            requests = build_requests(task.subset, rows, range(len(rows.test)), task.chat, task.generation)
            self._keys[key] = {i: request_key(r) for i, r in requests.items()}
        report = reuse_report(self.run, task.model.abbr, task.subset, task.shard, indices, fp, self._keys[key])
        settle_predictions(path, fp, report)
        return report


def _reuse_lines(plan: Plan, reuse: dict[str, ReuseReport]) -> list[str]:
    """One line per model × dataset: how many samples ``-r`` kept, how many are redone and why."""
    totals: dict[tuple[str, str], ReuseReport] = {}
    for task in plan.tasks:
        report = reuse.get(task.name)
        if report is None:
            continue
        total = totals.setdefault((task.model.abbr, task.dataset_type), ReuseReport())
        total.reused += report.reused
        total.todo += report.todo
        total.reasons.update(report.reasons)
    return [f"reuse {model} / {dataset}: {r.describe()}" for (model, dataset), r in totals.items()]


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

    def __init__(self, host: PluginHost, run: RunFolder, units: list[EvalUnit], cfg: RunConfig):
        self.host = host
        self.run = run
        self.cfg = cfg
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compass-eval")
        self.lock = threading.Lock()
        self.waiting: dict[str, tuple[EvalUnit, set]] = {}
        self.futures: list[tuple[EvalUnit, Future]] = []
        self.ready_for_runner: list[EvalUnit] = []
        for u in units:
            names = {u.name + ("" if s is None else f"_{s}") for s in u.shards}
            self.waiting[u.name] = (u, names)

    def task_done(self, name: str) -> None:
        with self.lock:
            for key, (unit, names) in list(self.waiting.items()):
                if name in names:
                    names.discard(name)
                    if not names:
                        del self.waiting[key]
                        self.submit(unit)

    def submit(self, unit: EvalUnit) -> None:
        if runs_as_task(self.host, unit.subset):
            self.ready_for_runner.append(unit)
        else:
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
                result = run_eval(self.host, unit.spec(self.run.root, self.cfg))
            except Exception:
                fh.write(traceback.format_exc())
                raise
            fh.write(json.dumps({k: v for k, v in result.items() if k != "details"}, ensure_ascii=False) + "\n")
            return result

    def finish(self) -> list[str]:
        """Wait for every evaluation in this process; returns the errors, one line each."""
        errors = []
        for unit, fut in self.futures:
            try:
                fut.result()
            except Exception as exc:
                errors.append(f"evaluation of {unit.name} failed: {type(exc).__name__}: {exc} "
                              f"(log: {self.run.eval_log(unit.model.abbr, unit.subset.name)})")
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


def _eval_tasks(run: RunFolder, cfg: RunConfig, units: list[EvalUnit]) -> list[TaskFile]:
    """Task files for the evaluations a runner runs (evaluators that call models)."""
    files = []
    for unit in units:
        spec = unit.spec(run.root, cfg)
        log = run.eval_log(unit.model.abbr, unit.subset.name)
        spec["log"] = str(log)
        path = run.task_file("eval__" + unit.name.replace("/", "__"))
        write_json(path, spec)
        files.append(TaskFile(spec["name"], path, log, f"eval:{unit.subset.evaluator}"))
    return files


def _paths_line(paths: list[Path]) -> str:
    """``dir/summary_ts.{csv,md,txt}, dir/report_ts.html``: files that differ only by suffix in braces."""
    stems: dict[Path, list[str]] = {}
    for p in paths:
        stems.setdefault(p.parent / p.stem, []).append(p.suffix.lstrip("."))
    return ", ".join(f"{stem}.{{{','.join(sfx)}}}" if len(sfx) > 1 else f"{stem}.{sfx[0]}"
                     for stem, sfx in stems.items())


def run_pipeline(cfg: RunConfig, host: PluginHost) -> RunResult:
    """The whole run (see :func:`compass.api.evaluate`)."""
    t_start = time.perf_counter()
    if cfg.mode not in ("all", "infer", "eval", "viz"):
        raise CompassError(f"--mode {cfg.mode}: expected all, infer, eval or viz")
    plan = make_plan(cfg, host)
    user_groups(cfg.summarizer)  # a malformed summarizer fails now, not after inference
    run_dir, reused = resolve_run_dir(cfg.work_dir, cfg.reuse)
    if cfg.dry_run:
        print(describe_plan(plan, run_dir, reused))
        return RunResult(0, None, plan=plan)
    infer = cfg.mode in ("all", "infer")
    do_eval = cfg.mode in ("all", "eval")
    task_evals = [u for u in plan.evals if runs_as_task(host, u.subset)] if do_eval else []
    runner = _make_runner(cfg, host) if infer or task_evals else None
    run = RunFolder(run_dir).create()
    stamp = new_timestamp()
    dump_config(cfg, run.root / "configs" / f"config_{stamp}.json")
    if plan.data:  # where each dataset's data came from and the sha256 of its files
        write_json(run.root / "configs" / f"data_{stamp}.json", plan.data)
    write_environment(run.root, stamp, host.provenance_packages())
    models, datasets = [m.abbr for m in plan.models], [c.type for c in cfg.datasets]
    write_status(run.root, stamp, "running", models=models, datasets=datasets, started=time.time(),
                 samples=sum(t.num_samples for t in plan.tasks))
    _say(f"run folder: {run.root}{' (reusing finished predictions)' if reused else ''}")
    if cfg.reuse and not reused:
        _say(f"-r: no earlier run in {cfg.work_dir} to reuse: this is a new run")

    for task in plan.tasks:  # what each fingerprint stands for, so a mismatch can say why
        if task.fingerprint:
            FingerprintBook(run.predictions(task.model.abbr, "x").parent).add(task.fingerprint)
    todo: list[Task] = []
    files: list[TaskFile] = []
    reuse: dict[str, ReuseReport] = {}
    checker = _ReuseChecker(run, cfg)
    for task in plan.tasks:
        if not infer:
            continue
        report = checker.report(task)
        reuse[task.name] = report
        if not report.todo:
            continue
        fname = task.name.replace("/", "__")
        log = run.infer_log(task.model.abbr, task.subset.name, task.shard)
        spec = task.spec(run.root, cfg) | {"log": str(log)}
        path = run.task_file(fname)
        write_json(path, spec)
        todo.append(task)
        files.append(TaskFile(task.name, path, log, task.model.abbr, spec["resources"]["num_gpus"],
                              spec["resources"]["device"], spec["resources"]["visible_devices_var"]))

    if reused:
        for line in _reuse_lines(plan, reuse):
            _say(line)
    hook = host.pm.hook
    hook.on_run_started(event=RunStarted(str(run.root), tuple(m.abbr for m in plan.models),
                                         tuple(c.type for c in cfg.datasets), len(files), dict(cfg.notify)))
    evaluator = _Evaluator(host, run, plan.evals, cfg)
    pending_names = {t.name for t in todo}
    outcomes: dict[str, TaskOutcome] = {}

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
    eval_outcomes: list[TaskOutcome] = []
    try:
        if runner is not None and files:
            for t in todo:
                hook.on_task_started(event=TaskStarted(str(run.root), t.name, t.model.abbr, t.subset.name))
            runner.run(files, on_done)
        if runner is not None and evaluator.ready_for_runner:
            eval_files = _eval_tasks(run, cfg, evaluator.ready_for_runner)
            eval_outcomes = runner.run(eval_files, lambda outcome: None)
    except KeyboardInterrupt:
        interrupted = True
        _say("interrupted: finished predictions are kept; resume with: compass eval … -r "
             f"{run.timestamp}")
    eval_errors = evaluator.finish()
    eval_errors += [f"evaluation {o.name} failed (log: {o.log}):\n{o.error or ''}" for o in eval_outcomes if not o.ok]
    comparisons: list[dict] = []
    if do_eval and not interrupted:  # every model's own evaluation is in: compare them
        comparisons, errors = run_comparisons(host, run, plan.evals, cfg)
        eval_errors += errors

    benchmarks = list({id(b): b for b in plan.benchmarks.values()}.values())
    summary = build_summary(run, [m.abbr for m in plan.models], benchmarks, user_groups(cfg.summarizer))
    summary = summary.ordered(cfg.summarizer.get("order"))
    telemetry = _telemetry(run, todo)
    results = [r for r in iter_results(run)
               if (r.get("model"), r.get("dataset")) in {(u.model.abbr, u.subset.name) for u in plan.evals}]
    print(summary.text(stderr=bool(cfg.summarizer.get("stderr"))))
    for comparison in comparisons:
        print("\n" + format_comparison(comparison))
    if telemetry:
        write_json(run.summary_dir / f"telemetry_{run.timestamp}.json", telemetry)
        _say("\n" + format_telemetry(telemetry, t_run))
    failed = [o for o in outcomes.values() if not o.ok]
    # A task can finish with failed samples (an API request that failed after its retries):
    # the run is then incomplete, and says so through its exit code as well.
    if infer and do_eval:
        incomplete = sum(r.get("failed", 0) + r.get("missing", 0) + r.get("unevaluated", 0) for r in results)
        incomplete += sum(c.get("incomplete", 0) for c in comparisons)
    else:
        incomplete = sum(len(checker.report(t).todo) for t in plan.tasks) if infer else 0
    if infer and do_eval and (interrupted or failed):  # samples of subsets never evaluated count too
        scored = {(r.get("model"), r.get("dataset")) for r in results}
        incomplete += sum(len(checker.report(t).todo) for t in plan.tasks
                          if (t.model.abbr, t.subset.name) not in scored)
    ok = not failed and not eval_errors and not interrupted and not incomplete
    state = "interrupted" if interrupted else ("finished" if ok else "failed")
    headline = headline_scores(summary, headline_rows(benchmarks))
    status = {"state": state, "failed_tasks": {o.name: str(o.log) for o in failed},
              "failed_evaluations": len(eval_errors), "incomplete_samples": incomplete, "headline": headline,
              "seconds": round(time.perf_counter() - t_start, 3)}
    report = Report(run.root, run.timestamp, summary, tuple(results), tuple(telemetry), cfg.to_dict(), status)
    written, warnings = run_reporters(host, report)
    for w in warnings:
        _say(w)
    if written:
        _say(f"summary written to {_paths_line(written)}")
    failures = [f"task {o.name} (log: {o.log}):\n{o.error or ''}" for o in failed] + eval_errors
    for o in failed:
        _say(f"\nFAILED task {o.name} (log: {o.log}):\n{o.error or ''}")
    for err in eval_errors:
        _say(f"\nFAILED {err}")
    if failed or eval_errors:
        _say(f"\n{len(failed)} task(s) and {len(eval_errors)} evaluation(s) failed; finished work is kept — "
             f"rerun with -r {run.timestamp} to retry only what is missing")
    if incomplete and not failed and not interrupted:
        _say(f"\n{incomplete} sample(s) failed or are missing (counted as wrong) or could not be evaluated "
             f"(not scored); rerun with "
             f"-r {run.timestamp} to retry only those")
    not_finished = [t.name for t in todo if t.name not in outcomes] if interrupted else []
    if not_finished:
        _say(f"interrupted before {len(not_finished)} task(s) finished (resume with -r {run.timestamp}): "
             + ", ".join(not_finished))
    main_file = next((p for p in written if p.suffix == ".txt"), written[0] if written else None)
    code = 130 if interrupted else (0 if ok else 1)
    write_status(run.root, stamp, state,
                 exit_code=code, models=models, datasets=datasets, seconds=round(time.perf_counter() - t_start, 3),
                 samples=sum(t.num_samples for t in plan.tasks),
                 failed_tasks={o.name: str(o.log) for o in failed}, failed_evaluations=len(eval_errors),
                 not_finished=not_finished,
                 incomplete_samples=incomplete, headline=headline)
    hook.on_run_finished(event=RunFinished(str(run.root), ok, time.perf_counter() - t_start,
                                           str(main_file) if main_file else None,
                                           tuple(o.name for o in failed), summary,
                                           tuple(str(p) for p in written), headline,
                                           {o.name: str(o.log) for o in failed}, interrupted, tuple(not_finished)))
    return RunResult(code, run.root, summary, results, failures, reuse, written, plan, comparisons)
