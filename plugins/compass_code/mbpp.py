"""MBPP (Mostly Basic Python Problems): the test split, tasks 11-510, 3-shot.

Data: ``<data>/mbpp/mbpp.jsonl`` (the OpenCompass layout and the official file), one
problem per line with ``task_id``, ``text``, ``code`` (reference solution), ``test_list``
(three asserts) and ``test_setup_code``. Tasks 2, 3 and 4 are the in-context examples.

The prompt follows the MBPP paper (Austin et al., 2021): the task, the three asserts the
code must pass, and the code between ``[BEGIN]`` and ``[DONE]``; the model stops at
``[DONE]`` and ``code_block`` extracts its code (a fenced block, if a chat model writes
one). The program is the code, then the row's setup code (it may use the code's classes), then the asserts.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, FewShot, PromptTemplate, Subset

from compass_code.data import CodeLoader, check_n, read_jsonl_any
from compass.sdk import find_data as find, require

NAME = "mbpp"
FILES = ("mbpp/mbpp.jsonl", "mbpp/mbpp_full.jsonl")
TEST_IDS = range(11, 511)
SHOT_IDS = (2, 3, 4)
HUMAN = ("You are an expert Python programmer, and here is your task: {text} "
         "Your code should pass these tests:\n\n{asserts}\n[BEGIN]\n")
BOT = "{code}\n[DONE]"
MAX_OUT_LEN = 512


def _row(obj: dict) -> dict:
    code = str(obj["code"]).replace("\r\n", "\n").strip()
    setup = str(obj.get("test_setup_code") or "").replace("\r\n", "\n").strip()
    return {"task_id": str(obj["task_id"]), "text": str(obj["text"]).strip(), "code": code,
            "asserts": "\n".join(str(t) for t in obj["test_list"]),
            "tests": "\n".join(filter(None, [setup, *map(str, obj["test_list"])]))}


class MBPPLoader(CodeLoader):
    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), FILES, name=NAME, what="MBPP problems",
                    how="get mbpp.jsonl from github.com/google-research/google-research (mbpp/) into "
                        "<data dir>/mbpp/, or point --data-dir / COMPASS_DATA_DIR at a folder that has it")

    def read_rows(self, data_dir):
        path = self.locate(data_dir)
        by_id = {}
        for line, obj in read_jsonl_any(path):
            require(obj, ("task_id", "text", "code", "test_list"), path, line)
            by_id[int(obj["task_id"])] = _row(obj)
        test = [by_id[i] for i in TEST_IDS if i in by_id]
        shots = [by_id[i] for i in SHOT_IDS if i in by_id]
        return test, shots


def mbpp(chat: bool = False, n: int = 1, timeout: float = 10.0) -> Benchmark:
    """MBPP test, 3-shot; ``n`` samples per problem for pass@k."""
    n = check_n(n, NAME)
    sub = Subset(NAME, MBPPLoader(n), PromptTemplate(human=HUMAN, bot=BOT, example_sep="\n\n"), mode="gen",
                 gold="tests", fewshot=FewShot(indices=(0, 1, 2)), max_out_len=MAX_OUT_LEN, stop=("[DONE]",),
                 postprocessor="code_block", evaluator="code_exec",
                 evaluator_kwargs={"timeout": float(timeout), "completion": False})
    return Benchmark(NAME, (sub,), description=f"MBPP test, 3-shot, {n} sample(s) per problem")
