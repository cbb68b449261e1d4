"""A third-party backend and runner that bring their own ``compass eval`` flags (tests).

Loaded with ``COMPASS_EXTRA_PLUGINS=toy.toy_plugin,toy.flags_plugin``. The model
``arith-flags`` answers like ``arith`` and writes the keyword arguments it was built with
to ``record_file`` (in the worker process that built it); the runner ``recording`` writes
its own keyword arguments to ``$COMPASS_TEST_RUNNER_RECORD`` and runs the tasks locally.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from compass.hookspecs import hookimpl
from toy.toy_plugin import ArithmeticModel, arithmetic_traits


class RecordingArithmeticModel(ArithmeticModel):
    """``arith`` that records its keyword arguments; takes any.

    ``rendezvous_dir``: on start, leave a marker there and wait up to 3 s for a marker of
    another process, then record whether one was seen (two workers building the model at
    the same time see each other; one worker never does).
    """

    def __init__(self, record_file: str, rendezvous_dir: str | None = None, batch_size: int = 2, **kwargs):
        record = {"batch_size": batch_size, **kwargs}
        if rendezvous_dir:
            folder = Path(rendezvous_dir)
            folder.mkdir(parents=True, exist_ok=True)
            mine = folder / f"{os.getpid()}.here"
            mine.write_text("")
            deadline = time.monotonic() + 3.0
            others: list[str] = []
            while time.monotonic() < deadline and not others:
                others = [p.name for p in folder.glob("*.here") if p != mine]
                time.sleep(0.05)
            time.sleep(0.5)  # let the other one see this marker too
            mine.unlink()
            record["saw_another_worker"] = bool(others)
        path = Path(record_file)
        path = path.with_name(f"{path.stem}.{os.getpid()}{path.suffix}")
        path.write_text(json.dumps(record))
        super().__init__(batch_size=batch_size)


class RecordingRunner:
    """Writes its keyword arguments to ``$COMPASS_TEST_RUNNER_RECORD``, then runs locally."""

    def __init__(self, max_num_workers: int = 1, host=None, **kwargs):
        Path(os.environ["COMPASS_TEST_RUNNER_RECORD"]).write_text(
            json.dumps({"max_num_workers": max_num_workers, **kwargs}))
        from compass_runners.local import LocalRunner

        self.runner = LocalRunner(max_num_workers=max_num_workers)

    def run(self, tasks, on_done):
        return self.runner.run(tasks, on_done)


@hookimpl
def register_models(register):
    register("arith-flags", RecordingArithmeticModel, "arith that records its kwargs (tests).",
             traits=arithmetic_traits)
    register("arith-flags-preset", RecordingArithmeticModel, "arith-flags with defaults (tests).",
             defaults={"level": 9, "batch_size": 3}, traits=arithmetic_traits)


@hookimpl
def register_runners(register):
    register("recording", RecordingRunner, "Records its kwargs, runs locally (tests).")


@hookimpl
def register_eval_options(register):
    register("--flags-record", "Where arith-flags records its kwargs.", model_kwarg="record_file",
             implies_model="arith-flags")
    register("--flags-words", "Words for arith-flags.", model_kwarg="words", multiple=True, metavar="WORD…")
    register("--flags-knobs", "key=value knobs for arith-flags.", model_kwarg="knobs", type="kv")
    register("--flags-level", "A level, at least 1.", model_kwarg="level", type=int, min=1)
    register("--flags-shade", "light or dark.", model_kwarg="shade", choices=("light", "dark"))
    register("--flags-note", "A runner option of the recording runner.", runner_kwarg="note")
