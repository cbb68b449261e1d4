"""A plugin defined by the tests: a toy dataset and a scripted model.

Loaded through the real plugin manager with ``COMPASS_EXTRA_PLUGINS=toy.toy_plugin``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from compass._dataset import Benchmark, DataMissing, Group, Rows, Subset
from compass.hookspecs import hookimpl
from compass._prompt import FewShot, PromptTemplate
from compass._types import Completion, ModelTraits

# 10 arithmetic questions; the answer of question k is str(k + k)
QUESTIONS = [{"question": f"What is {k} + {k}?", "answer": str(2 * k),
              "A": str(2 * k), "B": str(2 * k + 1), "label": "A"} for k in range(10)]


def _load_toy(n):
    def load(data_dir: Path) -> Rows:
        return Rows(test=QUESTIONS[:n], fewshot=QUESTIONS[:2])
    return load


def _load_file(data_dir: Path) -> Rows:
    path = Path(data_dir) / "toyfile" / "test.jsonl"
    if not path.exists():
        raise DataMissing(f"toyfile data not found at {path}; create it or pass --data-dir")
    return Rows(test=[json.loads(line) for line in path.read_text().splitlines() if line.strip()])


def toy_benchmark(n: int = 10, mode: str = "gen", chat: bool = True) -> Benchmark:
    template = PromptTemplate(human="Q: {question}\nA:", bot=" {answer}")
    if mode == "gen":
        sub = Subset("toy-gen", _load_toy(n), template, mode="gen", gold="answer",
                     fewshot=FewShot(indices=(0, 1)), max_out_len=16)
    else:
        sub = Subset("toy-ppl", _load_toy(n), template, mode="ppl", gold="label",
                     candidates={"A": " {A}", "B": " {B}"})
    return Benchmark("toy", (sub,))


def toy_pair(n: int = 10) -> Benchmark:
    template = PromptTemplate(human="Q: {question}\nA:")
    first = Subset("toy-first", _load_toy(n), template, mode="gen")
    second = Subset("toy-second", _load_toy(n // 2), template, mode="ppl", gold="label",
                    candidates={"A": " {A}", "B": " {B}"})
    return Benchmark("toy_pair", (first, second),
                     groups=(Group("toy-pair-avg", ("toy-first", "toy-second")),
                             Group("toy-pair-weighted", ("toy-first", "toy-second"), weighted=True)))


def toy_sized(size: int) -> Benchmark:
    return toy_benchmark(n=size)


def toy_file() -> Benchmark:
    return Benchmark("toyfile", (Subset("toyfile", _load_file, PromptTemplate(human="{question}")),))


class ArithmeticModel:
    """Answers 'What is k + k?' correctly when k is even, wrongly when odd.

    ``delay`` sleeps per batch; ``crash_file``: raise once that file exists.
    ``fail_times`` with ``counter_file``: the first ``fail_times`` constructions (counted
    in that file, across processes) raise, later ones succeed (retry tests).
    ``env_file``: write the accelerator and Slurm variables this process sees there as JSON.
    ``num_gpus``: accepted like a real backend's (runners read it from the task).
    """

    def __init__(self, delay: float = 0.0, batch_size: int = 2, crash_file: str | None = None,
                 max_out_len: int | None = None, stop_words: list | None = None,
                 fail_times: int = 0, counter_file: str | None = None, env_file: str | None = None,
                 num_gpus: int = 0):
        if env_file:
            keys = ("CUDA_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "SLURM_JOB_ID", "SLURM_JOB_NAME")
            Path(env_file).write_text(json.dumps({k: os.environ.get(k) for k in keys}))
        if fail_times:
            counter = Path(counter_file or "arith-failures.count")
            count = int(counter.read_text() or 0) + 1 if counter.exists() else 1
            counter.write_text(str(count))
            if count <= fail_times:
                raise RuntimeError(f"scripted failure {count} of {fail_times}")
        self.delay = delay
        self.batch_size = batch_size
        self.crash_file = crash_file
        self.calls = 0

    def _solve(self, prompt) -> str:
        q = prompt[-1].content
        k = int(q.split("What is ")[1].split(" +")[0])
        return str(2 * k if k % 2 == 0 else 2 * k + 1)

    def _tick(self):
        self.calls += 1
        if self.crash_file and os.path.exists(self.crash_file):
            raise RuntimeError("scripted failure: crash file present")
        if self.delay:
            time.sleep(self.delay)

    def generate(self, requests):
        self._tick()
        return [Completion(self._solve(r.prompt) + "\n", prompt_tokens=5, completion_tokens=1) for r in requests]

    def loglikelihood(self, requests):
        self._tick()
        return [tuple(0.0 if c.strip() == self._solve(r.prompt) else -2.0 for c in r.continuations)
                for r in requests]

    def option_logprobs(self, requests):
        raise NotImplementedError


class StreamingArithmeticModel(ArithmeticModel):
    """Answers through ``generate_stream``, in reverse order of the requests."""

    def generate(self, requests):
        raise AssertionError("generate_stream must be preferred")

    def generate_stream(self, requests):
        for pos in reversed(range(len(requests))):
            self._tick()
            yield pos, Completion(self._solve(requests[pos].prompt), prompt_tokens=5, completion_tokens=1)


def arithmetic_traits(**kwargs) -> ModelTraits:
    return ModelTraits(is_chat=False, modes=frozenset({"gen", "ppl"}))


class DeviceArithmeticModel(ArithmeticModel):
    """``arith`` that appends, per construction, the accelerators its process may use
    (``{"pid", "CUDA_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES"}``, one JSON line) to
    ``env_log``: what a runner handed this worker."""

    def __init__(self, env_log: str, num_gpus: int = 0, device: str | None = None, **kwargs):
        line = {"pid": os.getpid(), **{k: os.environ.get(k) for k in
                                       ("CUDA_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES")}}
        with open(env_log, "a") as fh:
            fh.write(json.dumps(line) + "\n")
        super().__init__(num_gpus=num_gpus, **kwargs)


def npu_arithmetic_traits(**kwargs) -> ModelTraits:
    """A backend made for NPUs: its tasks are npu tasks unless the settings name a device."""
    return ModelTraits(is_chat=False, modes=frozenset({"gen", "ppl"}), device="npu")


class UnbuildableModel:
    """A model whose factory always raises, as a chat model without a chat template does.

    Each attempt appends a line to ``attempts_file``; ``plain=True`` raises a RuntimeError
    instead of a CompassError.
    """

    def __init__(self, attempts_file: str, plain: bool = False):
        with open(attempts_file, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        if plain:
            raise RuntimeError("weights are corrupt (scripted)")
        from compass._errors import CompassError

        raise CompassError("toy/unbuildable: the tokenizer has no chat template; use --hf-type base, "
                           "or give the model a meta_template")

    def generate(self, requests):  # the Model contract; never reached
        raise AssertionError("an unbuildable model was built")


@hookimpl
def on_run_finished(event):
    """With ``TOY_EVENTS_FILE`` set, record that the run finished (and how) there."""
    path = os.environ.get("TOY_EVENTS_FILE")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"event": "run_finished", "ok": event.ok,
                                 "failed_tasks": list(event.failed_tasks)}) + "\n")


@hookimpl
def register_datasets(register):
    register("toy", toy_benchmark, "Ten arithmetic questions (tests).")
    register("toy_pair", toy_pair, "Two toy subsets with group rows (tests).")
    register("toyfile", toy_file, "Reads data_dir/toyfile/test.jsonl (tests).")
    register("toy_sized", toy_sized, "The toy questions; size is required (tests).")


@hookimpl
def register_models(register):
    register("arith", ArithmeticModel, "Right on even questions, wrong on odd (tests).",
             traits=arithmetic_traits)
    register("arith-stream", StreamingArithmeticModel, "arith, answering through generate_stream (tests).",
             traits=arithmetic_traits)
    register("arith-devices", DeviceArithmeticModel, "arith, logging the devices it was given (tests).",
             traits=arithmetic_traits)
    register("arith-npu", DeviceArithmeticModel, "arith-devices for NPUs: device kind npu by default (tests).",
             traits=npu_arithmetic_traits)
    register("unbuildable", UnbuildableModel, "A model whose factory always raises (tests).",
             traits=arithmetic_traits)
