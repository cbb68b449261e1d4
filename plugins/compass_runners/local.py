"""The local runner: a pool of long-lived worker processes on this machine.

Each worker is ``python -m compass.task --serve``: it is handed one task file at a time on
stdin and keeps its model loaded between tasks. A worker asks first for tasks of the model
it already holds, so a model is loaded once per worker, not once per task (OpenCompass
reloads it for every task). A worker that dies (killed, out of memory) fails only its
current task and is replaced for the next one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Callable

from compass.errors import CompassError
from compass.runners import TaskFile, TaskOutcome, log_tail, visible_devices_env


class _Progress:
    """A one-line progress bar over tasks on stderr."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.failed = 0
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()

    def update(self, outcome: TaskOutcome) -> None:
        with self.lock:
            self.done += 1
            self.failed += not outcome.ok
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "." * (width - filled)
            status = "ok" if outcome.ok else "FAILED"
            line = (f"[{bar}] {self.done}/{self.total} tasks"
                    + (f", {self.failed} failed" if self.failed else "")
                    + f"  {outcome.name} {status} ({outcome.seconds:.1f}s)")
            if self.tty:
                print("\r\033[K" + line, end="\n" if self.done == self.total else "",
                      file=sys.stderr, flush=True)
            else:
                print(line, file=sys.stderr, flush=True)


class LocalRunner:
    """Runs tasks in ``max_num_workers`` worker processes.

    :param max_num_workers: number of worker processes.
    :param num_devices: accelerators to share out when tasks ask for ``num_gpus``
        (default: all visible; worker ``k`` gets devices ``k*g … k*g+g-1``).
    :param threads: CPU threads per worker (default: cores ÷ workers).
    """

    def __init__(self, max_num_workers: int = 1, num_devices: int | None = None,
                 threads: int | None = None):
        if int(max_num_workers) < 1:
            raise CompassError(f"--max-num-workers must be at least 1, got {max_num_workers}")
        self.max_num_workers = int(max_num_workers)
        self.num_devices = num_devices
        self.threads = threads

    # -- worker processes ----------------------------------------------------------------

    def _worker_env(self, k: int, tasks: list[TaskFile]) -> dict[str, str]:
        env = dict(os.environ)
        workers = min(self.max_num_workers, len(tasks))
        threads = self.threads or max(1, (os.cpu_count() or 1) // workers)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, str(threads))
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        gpus = max((t.num_gpus for t in tasks), default=0)
        if gpus:
            device = next((t.device for t in tasks if t.num_gpus), "")
            total = self.num_devices or _count_devices(device)
            if total and (k + 1) * gpus > total:
                raise CompassError(f"{workers} workers × {gpus} devices need {workers * gpus} "
                                   f"devices but {total} are visible; lower --max-num-workers")
            env.update(visible_devices_env(device, list(range(k * gpus, (k + 1) * gpus))))
        return env

    def _start(self, env: dict[str, str], errlog) -> subprocess.Popen:
        """A worker; what it prints outside a task (start-up problems) goes to ``errlog``."""
        with open(errlog, "a") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "compass.task", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                env=env, text=True, bufsize=1, start_new_session=True,
            )

    # -- scheduling ------------------------------------------------------------------------

    def run(self, tasks: list[TaskFile], on_done: Callable[[TaskOutcome], None]) -> list[TaskOutcome]:
        if not tasks:
            return []
        queue = sorted(tasks, key=lambda t: t.model)
        lock = threading.Lock()
        outcomes: list[TaskOutcome] = []
        procs: list[subprocess.Popen] = []
        progress = _Progress(len(tasks))
        envs = [self._worker_env(k, tasks) for k in range(min(self.max_num_workers, len(tasks)))]

        def take(model: str | None) -> TaskFile | None:
            with lock:
                for i, t in enumerate(queue):
                    if t.model == model:
                        return queue.pop(i)
                return queue.pop(0) if queue else None

        def worker(k: int) -> None:
            proc: subprocess.Popen | None = None
            model = None
            while (task := take(model)) is not None:
                if proc is None or proc.poll() is not None:
                    proc = self._start(envs[k], task.path.parent / f"worker-{k}.log")
                    with lock:
                        procs.append(proc)
                t0 = time.perf_counter()
                try:
                    proc.stdin.write(f"{task.path}\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                except (BrokenPipeError, OSError):
                    line = ""
                seconds = time.perf_counter() - t0
                if line:
                    reply = json.loads(line)
                    outcome = TaskOutcome(task.name, reply["ok"], seconds, task.log,
                                          None if reply["ok"] else reply["error"], reply.get("stats") or {})
                    model = task.model
                else:
                    code = proc.wait()
                    outcome = TaskOutcome(task.name, False, seconds, task.log,
                                          f"worker process died (exit code {code})")
                    proc, model = None, None
                if not outcome.ok:
                    tail = log_tail(task.log)
                    outcome.error = f"{outcome.error}\n{tail}" if tail else outcome.error
                with lock:
                    outcomes.append(outcome)
                progress.update(outcome)
                on_done(outcome)
            if proc is not None and proc.poll() is None:
                proc.stdin.close()
                proc.wait()

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(len(envs))]
        for th in threads:
            th.start()
        try:
            for th in threads:
                while th.is_alive():
                    th.join(timeout=0.2)
        except KeyboardInterrupt:
            with lock:
                queue.clear()
                for proc in procs:
                    if proc.poll() is None:
                        proc.kill()
            raise
        return outcomes


def _count_devices(device: str) -> int:
    """Visible accelerators of a kind, from the environment (no torch import)."""
    var = "ASCEND_RT_VISIBLE_DEVICES" if device == "npu" else "CUDA_VISIBLE_DEVICES"
    value = os.environ.get(var)
    if value:
        return len([v for v in value.split(",") if v.strip()])
    return 0
