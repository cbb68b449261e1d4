"""Your own code tasks: a JSON Lines file, one problem per line.

Fields: ``prompt`` (shown to the model; for base models the start of the program, e.g. a
signature and docstring), ``tests`` (code that raises when the answer is wrong: asserts,
or a ``check(candidate)`` function), optionally ``entry_point`` (the function the tests
check; with ``check`` defined, ``check(entry_point)`` is called), ``setup`` (code run
before the answer) and ``task_id``. Base models complete the prompt (stopping at a new
top-level statement); chat models get the prompt as it is and their fenced code is run.
``compass eval --custom-dataset-path tasks.jsonl --custom-dataset-data-type code``.
"""

from __future__ import annotations

import re
from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, PromptTemplate, Subset

from compass_code.data import CodeLoader, check_n, read_jsonl_any
from compass_code.extract import TOP_LEVEL_STOPS


class CustomCodeLoader(CodeLoader):
    def __init__(self, path: Path, n: int = 1):
        super().__init__(n)
        self.path = Path(path)

    @property
    def key(self) -> tuple:
        return ("custom-code", str(self.path), self.n)

    def locate(self, data_dir) -> Path:
        return self.path

    def read_rows(self, data_dir):
        rows = []
        for line, obj in read_jsonl_any(self.path):
            for key in ("prompt", "tests"):
                if not isinstance(obj.get(key), str) or not obj[key].strip():
                    raise DataError(f"{self.path}:{line}: a code task needs '{key}' (text); has: "
                                    f"{', '.join(obj) or 'nothing'}")
            rows.append({"task_id": str(obj.get("task_id", line)), "prompt": obj["prompt"], "tests": obj["tests"],
                         "entry_point": str(obj.get("entry_point") or ""), "setup": str(obj.get("setup") or "")})
        return rows, []


def code_benchmark(path: Path, chat: bool, name: str, n: int = 1, timeout: float = 10.0) -> Benchmark:
    loader = CustomCodeLoader(path, check_n(n, name))
    ev = {"timeout": float(timeout), "completion": not chat}
    if chat:
        sub = Subset(name, loader, PromptTemplate(human="{prompt}"), mode="gen", gold="tests",
                     postprocessor="code_block", evaluator="code_exec", evaluator_kwargs=ev)
    else:
        sub = Subset(name, loader, PromptTemplate(human="{prompt}"), mode="gen", gold="tests",
                     stop=TOP_LEVEL_STOPS, postprocessor="code_completion", evaluator="code_exec",
                     evaluator_kwargs=ev)
    return Benchmark(name, (sub,), description=f"code tasks from {path}")


def custom_code(path: str | None = None, chat: bool = False, name: str | None = None, n: int = 1,
                timeout: float = 10.0) -> Benchmark:
    """The ``custom_code`` dataset (also what ``custom`` builds for a file of code tasks)."""
    if not path:
        raise CompassError("custom_code: needs path=FILE.jsonl; on the command line: --custom-dataset-path FILE")
    file = Path(path).expanduser()
    if not file.is_file():
        raise CompassError(f"custom_code: {file} is not a file; give path=FILE.jsonl")
    return code_benchmark(file.resolve(), chat, name or re.sub(r"[^\w.-]+", "_", file.stem), n, timeout)
