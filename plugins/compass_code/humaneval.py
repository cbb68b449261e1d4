"""HumanEval: 164 Python functions to complete, checked by their unit tests.

Data (OpenCompass layout first): ``<data>/humaneval/human-eval-v2-20210705.jsonl``, or the
official ``HumanEval.jsonl.gz`` / ``HumanEval.jsonl`` in ``<data>/humaneval/``; rows have
``task_id``, ``prompt`` (signature and docstring), ``entry_point``, ``canonical_solution``
and ``test`` (defines ``check(candidate)``).

Base models complete the prompt and stop at a new top-level ``def``/``class``/``if``/
``print``/``#``; the program is prompt + completion + tests + ``check(entry_point)``.
Chat models are asked for the whole function in a fenced block; the program is the
prompt's imports + the extracted code + tests + ``check(entry_point)``.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, PromptTemplate, Subset

from compass_code.data import CodeLoader, check_n, read_jsonl_any
from compass_code.extract import TOP_LEVEL_STOPS
from compass.sdk import find_data as find, require

NAME = "humaneval"
FILES = ("humaneval/human-eval-v2-20210705.jsonl", "humaneval/HumanEval.jsonl.gz", "humaneval/HumanEval.jsonl",
         "openai_humaneval/HumanEval.jsonl.gz")
CHAT_PROMPT = ("Complete this Python function. Reply with the complete function, including its "
               "signature, in a single ```python code block.\n\n```python\n{prompt}```")
MAX_OUT_LEN = 512


def imports_of(prompt: str) -> str:
    """The ``import``/``from`` lines at the top level of a prompt."""
    return "\n".join(ln for ln in prompt.splitlines() if ln.startswith(("import ", "from ")))


class HumanEvalLoader(CodeLoader):
    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), FILES, name=NAME, what="HumanEval problems",
                    how="get HumanEval.jsonl.gz from github.com/openai/human-eval (data/) into "
                        "<data dir>/humaneval/, or point --data-dir / COMPASS_DATA_DIR at a folder that has it")

    def read_rows(self, data_dir):
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl_any(path):
            require(obj, ("task_id", "prompt", "entry_point", "test"), path, line)
            rows.append({"task_id": str(obj["task_id"]), "prompt": obj["prompt"], "entry_point": obj["entry_point"],
                         "tests": obj["test"], "setup": imports_of(obj["prompt"]),
                         "canonical_solution": obj.get("canonical_solution", "")})
        return rows, []


def build(chat: bool, n: int = 1, timeout: float = 10.0, name: str = NAME) -> Benchmark:
    n = check_n(n, name)
    loader = HumanEvalLoader(n)
    ev = {"timeout": float(timeout)}
    if chat:
        sub = Subset(name, loader, PromptTemplate(human=CHAT_PROMPT), mode="gen", gold="tests",
                     max_out_len=MAX_OUT_LEN, postprocessor="code_block",
                     evaluator="code_exec", evaluator_kwargs={**ev, "completion": False})
    else:
        sub = Subset(name, loader, PromptTemplate(human="{prompt}"), mode="gen", gold="tests",
                     max_out_len=MAX_OUT_LEN, stop=TOP_LEVEL_STOPS, postprocessor="code_completion",
                     evaluator="code_exec", evaluator_kwargs={**ev, "completion": True})
    return Benchmark(name, (sub,), description=f"HumanEval, {n} sample(s) per problem")


def humaneval(chat: bool = False, n: int = 1, timeout: float = 10.0) -> Benchmark:
    """HumanEval; ``n`` samples per problem for pass@k (sample with the model's generation kwargs)."""
    return build(chat, n, timeout)
