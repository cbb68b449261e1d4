"""Live progress of a run on stderr: each running task's samples done/total, samples/s and
ETA, the tokens its model has generated so far (and tokens/s, so a task that decodes one
long batch visibly moves before its first sample is done), and the finished and failed
task counts. Shared by the runners (local, debug, Slurm, third-party ones).

Workers report a task's samples through ``<run>/tasks/<task>.progress``
(:class:`compass._task.ProgressFile`, written from :func:`compass._infer.run_infer`); a runner
polls those files (:meth:`Progress.poll`) — on a shared file system that works for tasks
running on other machines too.

* On a terminal: a live display (rich) — one bar per running task and a line of totals;
  each finished task is printed above it as one line.
* Otherwise (CI logs, a pipe): one plain line per finished task, and every
  ``COMPASS_PROGRESS_INTERVAL`` seconds (default 30) one line of status — no control
  characters.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from compass._runners import TaskFile, TaskOutcome


@dataclass
class _Running:
    name: str
    progress_file: Path
    done: int = 0
    total: int = 0
    first: tuple[float, int] | None = None  # (time, done) when samples were first seen
    rate: float | None = None
    tokens: int | None = None  # generated so far, in-flight rows included (None: not reported)
    first_tokens: tuple[float, int] | None = None
    token_rate: float | None = None
    at_done: tuple[int, int] | None = None  # (done, tokens) when the done count last rose

    def seen(self, done: int, total: int, now: float, tokens: int | None = None) -> None:
        if tokens is not None and done > self.done:
            self.at_done = (done, tokens)
        self.done, self.total = done, total
        if self.first is None or done < self.first[1]:
            self.first = (now, done)
        elif now > self.first[0] and done > self.first[1]:
            self.rate = (done - self.first[1]) / (now - self.first[0])
        if tokens is None:
            return
        self.tokens = tokens
        if self.first_tokens is None or tokens < self.first_tokens[1]:
            self.first_tokens = (now, tokens)
        elif now > self.first_tokens[0] and tokens > self.first_tokens[1]:
            self.token_rate = (tokens - self.first_tokens[1]) / (now - self.first_tokens[0])

    def tokens_text(self) -> str:
        """``1234 tokens, 210 tok/s`` (empty when the model does not report tokens)."""
        if self.tokens is None:
            return ""
        return f"{self.tokens} tokens, {rate_text(self.token_rate, 'tok')}"

    @property
    def loading(self) -> bool:
        """Nothing has come out of the model yet: no sample done, no token generated."""
        return bool(self.total) and self.done == 0 and not self.tokens

    @property
    def eta(self) -> float | None:
        """Remaining seconds. With token counts: the tokens still to come (each sample as long
        as the finished ones were, on average) at the token rate, so the estimate moves while a
        batch decodes; otherwise the samples still to do at the sample rate."""
        if not self.total:
            return None
        if self.token_rate and self.at_done and self.tokens is not None and self.first_tokens:
            base = self.first_tokens[1]  # a model kept from an earlier task counts on from there
            per_sample = max(self.at_done[1] - base, 0) / self.at_done[0]
            return max(self.total * per_sample - (self.tokens - base), 0.0) / self.token_rate
        if not self.rate:
            return None
        return max(self.total - self.done, 0) / self.rate


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def rate_text(rate: float | None, unit: str = "") -> str:
    """A rate that stays readable when slow: ``12/s``, ``3.1/s``, ``0.25/s``, ``4.2/min``,
    ``1 per 3m`` (never ``0.0/s``); ``-/s`` when there is none yet."""
    u = f" {unit}" if unit else ""
    if not rate:
        return f"-{u}/s"
    if rate >= 10:
        return f"{rate:.0f}{u}/s"
    if rate >= 1:
        return f"{rate:.1f}{u}/s"
    if rate >= 0.1:
        return f"{rate:.2f}{u}/s"
    if rate * 60 >= 1:
        return f"{rate * 60:.1f}{u}/min"
    return f"1{u} per {_duration(1 / rate)}"


def describe(task: _Running) -> str:
    """``name 12/64 samples, 3.1 samples/s, 2400 tokens, 210 tok/s, ETA 0:17`` (``starting``
    before the task has said how many samples it has; ``loading`` while nothing has come out
    of the model yet: neither a sample nor a token)."""
    if not task.total:
        return f"{task.name} starting (loading the model)"
    if task.loading:
        return f"{task.name} {task.done}/{task.total} samples, loading (model or first batch)"
    rate = rate_text(task.rate, "samples")
    tokens = task.tokens_text()
    return (f"{task.name} {task.done}/{task.total} samples, {rate}{', ' + tokens if tokens else ''}, "
            f"ETA {_duration(task.eta)}")


def progress_file(task_path: Path) -> Path:
    """``<run>/tasks/<task>.progress``: samples done and total of a running task, as JSON
    (not named ``*.json``, so globs for task files do not find it)."""
    return Path(task_path).with_suffix(".progress")


def overall_eta(elapsed: float, done_tasks: int, total_tasks: int, running: list[_Running]) -> float | None:
    """The whole run's remaining time: elapsed × (1 − f) / f, ``f`` the share of the work done
    (finished tasks, plus each running task's share of its samples)."""
    if not total_tasks:
        return None
    share = done_tasks + sum(t.done / t.total for t in running if t.total)
    f = share / total_tasks
    if f <= 0 or elapsed <= 0:
        return None
    return elapsed * (1 - f) / f


def progress_path(task: TaskFile) -> Path:
    return progress_file(task.path)


def read_progress(path: Path) -> tuple[int, int, int | None] | None:
    """``(done, total, tokens)`` from a task's progress file; None while there is none."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        tokens = data.get("tokens")
        return int(data["done"]), int(data["total"]), None if tokens is None else int(tokens)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class TaskLine:
    """One task's progress as a callback ``(done, total, tokens=None)`` for a runner that runs
    the task in its own process (the debug runner): redrawn in place on a terminal, one line
    at the end otherwise."""

    def __init__(self, name: str, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.state = _Running(name, Path(os.devnull))
        self.state.seen(0, 0, time.monotonic())
        if self.tty:  # the model loads before the task reports anything: say so at once
            print(f"\r\033[K[{describe(self.state)}]", end="", file=self.stream, flush=True)

    def __call__(self, done: int, total: int, tokens: int | None = None) -> None:
        self.state.seen(done, total, time.monotonic(), tokens)
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r\033[K[{describe(self.state)}]", end=end, file=self.stream, flush=True)
        elif done >= total:
            print(f"[{self.state.name}] {done}/{total} samples", file=self.stream, flush=True)


class Progress:
    """What a runner shows while tasks run; thread-safe. Use as a context manager."""

    def __init__(self, total: int, stream=None, interval: float | None = None):
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        env_interval = os.environ.get("COMPASS_PROGRESS_INTERVAL")
        self.interval = interval if interval is not None else float(env_interval or 30)
        self.running: dict[str, _Running] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live = None
        self._bars: dict[str, int] = {}
        self._started = time.monotonic()

    # -- what the runner tells it ------------------------------------------------------------

    def started(self, task: TaskFile) -> None:
        path = progress_path(task)
        path.unlink(missing_ok=True)  # a file of an earlier attempt says nothing about this one
        with self.lock:
            self.running[task.name] = _Running(task.name, path)
            if self._live is not None:
                self._bars[task.name] = self._live.add_task(f"{task.name} starting (loading the model)", total=None,
                                                            rate="-/s", eta="-")

    def finished(self, outcome: TaskOutcome, note: str = "") -> None:
        """One line for a finished task; ``note`` is the runner's own detail (``job 12``)."""
        task = self.running.get(outcome.name)
        if task is not None:
            self._read(task, time.monotonic())
        with self.lock:
            self.done += 1
            self.failed += not outcome.ok
            task = self.running.pop(outcome.name, None)
            status = "ok" if outcome.ok else "FAILED"
            samples = f", {task.done}/{task.total} samples" if task and task.total else ""
            line = (f"[{self.done}/{self.total} tasks{f', {self.failed} failed' if self.failed else ''}] "
                    f"{outcome.name} {status} ({outcome.seconds:.1f}s{samples}{f', {note}' if note else ''})")
            if self._live is not None:
                bar = self._bars.pop(outcome.name, None)
                if bar is not None:
                    self._live.remove_task(bar)
                self._live.console.print(line, highlight=False, markup=False)
                self._refresh_totals()
            else:
                print(line, file=self.stream, flush=True)

    # -- polling and drawing -----------------------------------------------------------------

    def poll(self) -> None:
        """Read the progress files of the running tasks."""
        now = time.monotonic()
        with self.lock:
            tasks = list(self.running.values())
        for task in tasks:
            self._read(task, now)

    def _read(self, task: _Running, now: float) -> None:
        seen = read_progress(task.progress_file)
        if seen is None:
            return
        done, total, tokens = seen
        with self.lock:
            if (task.done, task.total, task.tokens) != (done, total, tokens) or task.first is None:
                task.seen(done, total, now, tokens)

    def status_line(self) -> str:
        with self.lock:
            running = list(self.running.values())
            elapsed = time.monotonic() - self._started
            head = (f"{self.done}/{self.total} tasks done" + (f", {self.failed} failed" if self.failed else "")
                    + f", {len(running)} running, {_duration(elapsed)} elapsed, "
                    f"ETA {_duration(overall_eta(elapsed, self.done, self.total, running))}")
            return head + "".join(f"; {describe(t)}" for t in running)

    def _refresh_totals(self) -> None:
        if self._live is not None and "__total__" in self._bars:
            elapsed = time.monotonic() - self._started
            text = (f"tasks: {self.done}/{self.total} done" + (f", {self.failed} failed" if self.failed else "")
                    + f", {_duration(elapsed)} elapsed")
            eta = overall_eta(elapsed, self.done, self.total, list(self.running.values()))
            self._live.update(self._bars["__total__"], description=text, completed=self.done, eta=_duration(eta))

    def _draw(self) -> None:
        with self.lock:
            for task in self.running.values():
                bar = self._bars.get(task.name)
                if bar is None:
                    continue
                rate = rate_text(task.rate)
                tokens = task.tokens_text()
                rate = f"{rate}  {tokens}" if tokens else rate
                name = (task.name if task.total and not task.loading
                        else f"{task.name} loading…" if task.total else f"{task.name} starting (loading the model)")
                self._live.update(bar, description=name, completed=task.done,
                                  total=task.total or None, rate=rate, eta=_duration(task.eta))
            self._refresh_totals()

    def _loop(self) -> None:
        last_status = time.monotonic()
        while not self._stop.wait(0.5):
            self.poll()
            if self._live is not None:
                self._draw()
            elif time.monotonic() - last_status >= self.interval:
                last_status = time.monotonic()
                print(self.status_line(), file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn

            console = Console(file=self.stream, highlight=False)
            self._live = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TextColumn("ETA {task.fields[eta]}"),
                console=console, refresh_per_second=4, transient=True, redirect_stdout=False,
                redirect_stderr=False)
            self._live.start()
            self._bars["__total__"] = self._live.add_task(f"tasks: 0/{self.total} done", total=self.total,
                                                          rate="", eta="-")
        self._thread = threading.Thread(target=self._loop, name="compass-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._live is not None:
            self._live.stop()
            self._live = None
