"""The local runner: a pool of long-lived worker processes on this machine.

Each worker is ``python -P -m compass._task --serve`` (:func:`compass.sdk.task_command`): it is handed one task file at a time on
stdin and keeps its model loaded between tasks. A worker asks first for tasks of the model
it already holds, so a model is loaded once per worker, not once per task (OpenCompass
reloads it for every task). A worker that dies (killed, out of memory) fails only its
current task and is replaced for the next one; a worker that cannot even start (the
interpreter cannot be executed, no memory, no process left) fails the task it was started
for, with the reason, and the next task tries again. On Ctrl-C every worker is killed and
no task is reported after that: the tasks that were running are not failures, the run
reports itself interrupted.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from typing import Callable

from compass.sdk import CompassError, log_tail, Progress, share_out, task_command, TaskFile, TaskOutcome


class LocalRunner:
    """Runs tasks in ``max_num_workers`` worker processes.

    :param max_num_workers: number of worker processes.
    :param num_devices: accelerators to share out when tasks ask for ``num_gpus``
        (default: all the parent may use; worker ``k`` gets the ``k``-th group of ``g`` of
        them, taken from the parent's ``CUDA_VISIBLE_DEVICES`` / ``ASCEND_RT_VISIBLE_DEVICES``
        when set, by the task's device kind).
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
        # Each device kind the tasks ask for is shared out of the parent's own visible devices:
        # with CUDA_VISIBLE_DEVICES=4,5,6,7 and 2 per task, worker 0 gets 4,5 and worker 1 6,7.
        kinds: dict[tuple[str, str], int] = {}
        for t in tasks:
            if t.num_gpus > 0 and t.visible_devices_var:
                kind = (t.device, t.visible_devices_var)
                kinds[kind] = max(kinds.get(kind, 0), t.num_gpus)
        for (kind, var), per_worker in kinds.items():
            env.update(share_out(kind, per_worker, k, workers, var=var, total=self.num_devices))
        return env

    def _start(self, env: dict[str, str], errlog) -> subprocess.Popen:
        """A worker; what it prints outside a task (start-up problems) goes to ``errlog``."""
        with open(errlog, "a") as err:
            return subprocess.Popen(
                task_command("--serve"),
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
        progress = Progress(len(tasks))
        envs = [self._worker_env(k, tasks) for k in range(min(self.max_num_workers, len(tasks)))]

        untried: set[str] = set()  # models handed to a worker that has not answered yet
        stopping = threading.Event()  # Ctrl-C: what the killed workers return is not an outcome

        def take(model: str | None) -> TaskFile | None:
            with lock:
                picked = next((i for i, t in enumerate(queue) if t.model == model), None)
                if picked is None:
                    # A new model for this worker: rather one that no other worker is building
                    # right now, so a model that cannot be built is tried once, not by each.
                    picked = next((i for i, t in enumerate(queue) if t.model not in untried), 0)
                if not queue:
                    return None
                task = queue.pop(picked)
                if task.model != model:
                    untried.add(task.model)
                return task

        def report(outcome: TaskOutcome) -> bool:
            """Record a finished task; ``False`` once the run is stopping (Ctrl-C: report nothing more)."""
            if stopping.is_set():
                return False
            with lock:
                outcomes.append(outcome)
            progress.finished(outcome)
            on_done(outcome)
            return True

        def worker(k: int) -> None:
            proc: subprocess.Popen | None = None
            model = None
            while (task := take(model)) is not None:
                if proc is None or proc.poll() is not None:
                    try:
                        proc = self._start(envs[k], task.path.parent / f"worker-{k}.log")
                    except (OSError, subprocess.SubprocessError, ValueError) as exc:
                        with lock:
                            untried.discard(task.model)
                        why = " ".join(str(exc).split()) or type(exc).__name__
                        outcome = TaskOutcome(task.name, False, 0.0, task.log,
                                              f"the worker process could not start: {why}")
                        proc, model = None, None
                        if not report(outcome):
                            return
                        continue
                    with lock:
                        procs.append(proc)
                t0 = time.perf_counter()
                progress.started(task)
                try:
                    proc.stdin.write(f"{task.path}\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                except (BrokenPipeError, OSError):
                    line = ""
                seconds = time.perf_counter() - t0
                with lock:
                    untried.discard(task.model)
                if line:
                    reply = json.loads(line)
                    outcome = TaskOutcome(task.name, reply["ok"], seconds, task.log,
                                          None if reply["ok"] else reply["error"], reply.get("stats") or {})
                    model = task.model
                else:
                    code = proc.wait()
                    if stopping.is_set():  # killed on Ctrl-C: not a failure of the task
                        return
                    outcome = TaskOutcome(task.name, False, seconds, task.log,
                                          f"worker process died (exit code {code})")
                    proc, model = None, None
                # A model that could not be built is reported in one line (traceback in the log).
                if not outcome.ok and not (line and (reply.get("model_error") or reply.get("brief"))):
                    tail = log_tail(task.log)
                    outcome.error = f"{outcome.error}\n{tail}" if tail else outcome.error
                if not report(outcome):
                    return
            if proc is not None and proc.poll() is None:
                proc.stdin.close()
                proc.wait()

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(len(envs))]
        with progress:
            for th in threads:
                th.start()
            try:
                for th in threads:
                    while th.is_alive():
                        th.join(timeout=0.2)
            except KeyboardInterrupt:
                stopping.set()
                with lock:
                    queue.clear()
                    for proc in procs:
                        if proc.poll() is None:
                            proc.kill()
                raise
        return outcomes
