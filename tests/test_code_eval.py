"""Code evaluation end to end: datasets, extraction, pass@k, the sandbox refusal, the CLI.

HumanEval's canonical solutions and MBPP's reference solutions run on the full files of the
shared data folder (``../shared/data`` or ``$COMPASS_SHARED_DATA``; skipped without them);
everything else on the small copies in ``tests/data/datasets``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path

import pytest

from compass._types import prompt_to_text

from compass_code import humaneval, mbpp
from compass_code.extract import code_block, code_completion
from compass_code.passk import pass_at_k, pass_at_ks
from compass_code.programs import build_program
from compass_code.sandbox import Limits, choose
from compass_code.sandbox.pool import run_programs
from conftest import compass_env, only_run_dir

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or REPO.parent / "shared" / "data")
SMALL = REPO / "tests" / "data" / "datasets"
HAS_BWRAP = bool(shutil.which("bwrap"))
_no_bwrap = pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap (bwrap) not installed")


def needs_bwrap(test):
    """Runs programs in bubblewrap sandboxes: skipped without bwrap, left out of `-m "not slow"`."""
    return pytest.mark.sandbox(_no_bwrap(test))


def test_pass_at_k_is_the_unbiased_estimator():
    for n, c, k in [(10, 3, 1), (10, 3, 5), (20, 1, 10), (5, 0, 2), (5, 5, 5), (200, 37, 100)]:
        exact = 1 - math.comb(n - c, k) / math.comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)
    assert pass_at_ks([(1, 1), (1, 0)]) == {"pass@1": 50.0}
    got = pass_at_ks([(10, 1), (10, 0)], ks=(1, 10, 100))
    assert set(got) == {"pass@1", "pass@10"}  # pass@100 needs 100 samples
    assert got["pass@1"] == pytest.approx(5.0) and got["pass@10"] == pytest.approx(50.0)


def test_extraction_of_chat_and_base_answers():
    reply = "Sure!\n```python\ndef f(x):\n    return x\n```\nand ```bash\nls\n```"
    assert code_block(reply) == "def f(x):\n    return x\n"
    assert code_block("```\nprint(1)\n```") == "print(1)\n"
    assert code_block("[BEGIN]\n 'def f():\n    return 1' \n[DONE] trailing") == "def f():\n    return 1\n"
    assert code_completion("    return 1\n\ndef other():\n    pass", ("\ndef ",)) == "    return 1\n"
    assert code_completion("    return 1\nprint(f())") == "    return 1"


def test_programs_join_answer_and_tests():
    row = {"prompt": "from typing import List\ndef f(x: List[int]):\n    \"\"\"doc\"\"\"\n", "entry_point": "f",
           "tests": "def check(candidate):\n    assert candidate([1]) == 1\n", "setup": "from typing import List"}
    base = build_program("    return x[0]\n", row, completion=True)
    assert base.endswith("check(f)\n") and "def f(x: List[int]):\n    \"\"\"doc\"\"\"\n    return x[0]" in base
    chat = build_program("def f(x: List[int]):\n    return x[0]\n", row, completion=False)
    assert chat.startswith("from typing import List\ndef f(") and chat.count("def f(") == 1
    body_only = build_program("    return x[0]\n", row, completion=False)  # a chat model wrote only the body
    assert body_only == base


def test_humaneval_prompts_on_the_small_copy():
    sub = humaneval.humaneval(chat=False).subsets[0]
    rows = sub.load(SMALL)
    assert len(rows.test) == 6 and rows.test[0]["task_id"] == "HumanEval/0"
    text = prompt_to_text(sub.prompt(rows, 0, chat=False))
    assert text == rows.test[0]["prompt"] and text.startswith("from typing import List\n\n\ndef has_close_elements(")
    assert sub.stop == ("\ndef ", "\nclass ", "\nif ", "\nprint", "\n#")
    chat = humaneval.humaneval(chat=True).subsets[0]
    assert "```python\nfrom typing import List" in prompt_to_text(chat.prompt(chat.load(SMALL), 0, chat=True))
    rows3 = humaneval.humaneval(n=3).subsets[0].load(SMALL)
    assert [r["task_id"] for r in rows3.test[:4]] == ["HumanEval/0#0", "HumanEval/0#1", "HumanEval/0#2", "HumanEval/1#0"]
    assert {r["problem"] for r in rows3.test[:3]} == {"HumanEval/0"}


def test_mbpp_three_shot_prompt_on_the_small_copy():
    sub = mbpp.mbpp().subsets[0]
    rows = sub.load(SMALL)
    assert [r["task_id"] for r in rows.test] == ["11", "12", "13", "14", "15", "16"]
    assert [r["task_id"] for r in rows.fewshot] == ["2", "3", "4"]
    text = prompt_to_text(sub.prompt(rows, 0, chat=False))
    assert text.count("[BEGIN]") == 4 and text.count("[DONE]") == 3 and text.endswith("[BEGIN]\n")
    assert text.startswith("You are an expert Python programmer, and here is your task: Write a function to find "
                           "the similar elements from the given two tuple lists. Your code should pass these tests:")
    assert 'assert remove_Occ("hello","l") == "heo"' in text and sub.stop == ("[DONE]",)


def test_missing_data_names_the_path(tmp_path):
    from compass._dataset import DataMissing

    with pytest.raises(DataMissing, match=str(tmp_path / "humaneval" / "human-eval-v2-20210705.jsonl")):
        humaneval.humaneval().subsets[0].load(tmp_path)
    with pytest.raises(DataMissing, match=str(tmp_path / "mbpp" / "mbpp.jsonl")):
        mbpp.mbpp().subsets[0].load(tmp_path)


@needs_bwrap
@pytest.mark.skipif(not (SHARED / "humaneval").is_dir(), reason=f"shared data not found at {SHARED} (set COMPASS_SHARED_DATA)")
def test_humaneval_canonical_solutions_pass_164_of_164_and_a_wrong_one_fails():
    rows = humaneval.humaneval().subsets[0].load(SHARED).test
    assert len(rows) == 164
    programs = [(i, build_program(r["canonical_solution"], r, completion=True)) for i, r in enumerate(rows)]
    programs.append(("wrong", build_program("    return not numbers\n", rows[0], completion=True)))
    outcomes = dict(run_programs(choose(), programs, Limits()))
    failed = {rows[i]["task_id"]: o for i, o in outcomes.items() if i != "wrong" and not o.passed}
    assert failed == {}
    assert outcomes["wrong"].reason == "assertion"


@pytest.mark.slow  # 500 programs: ~35 s on 2 busy cores
@needs_bwrap
@pytest.mark.skipif(not (SHARED / "mbpp").is_dir(), reason=f"shared data not found at {SHARED} (set COMPASS_SHARED_DATA)")
def test_mbpp_reference_solutions_pass():
    rows = mbpp.mbpp().subsets[0].load(SHARED).test
    assert len(rows) == 500
    outcomes = dict(run_programs(choose(), [(i, build_program(r["code"], r, False)) for i, r in enumerate(rows)],
                                 Limits(timeout=30)))
    failed = {rows[i]["task_id"]: f"{o.reason} {o.exception or ''} {o.stderr[-200:]}" for i, o in outcomes.items()
              if not o.passed}
    print(f"MBPP reference solutions: {500 - len(failed)}/500 pass; failing: {failed}")
    assert failed == {}


# ---------------------------------------------------------------------------- through the CLI


def _humaneval_config(tmp: Path, *, chat: bool, wrong: int | None = 1, n: int = 1) -> Path:
    rows = [json.loads(line) for line in (SMALL / "humaneval" / "HumanEval.jsonl").read_text().splitlines()]
    answers = {}
    for i, r in enumerate(rows):
        body = "    return None\n" if i == wrong else r["canonical_solution"]
        answers[f"def {r['entry_point']}("] = f"Here:\n```python\n{r['prompt']}{body}```\n" if chat else body
    ds = {"type": "humaneval", "n": n} if n != 1 else "humaneval"
    path = tmp / "code_cfg.py"
    path.write_text(f"models = [dict(type='mock', chat={chat}, answers={answers!r})]\n"
                    f"datasets = [{ds!r}]\ndata_dir = {str(SMALL)!r}\n")
    return path


def _records(run_dir: Path, dataset: str = "humaneval") -> list[dict]:
    return [json.loads(x) for x in (run_dir / "evaluations" / "mock" / f"{dataset}.jsonl").read_text().splitlines()]


@needs_bwrap
@pytest.mark.parametrize("chat", [False, True])
def test_cli_humaneval_scores_in_the_sandbox_and_states_it(compass, chat):
    res = compass("eval", str(_humaneval_config(compass.cwd, chat=chat)))
    assert res.code == 0, res.err
    run = only_run_dir(compass.cwd)
    result = json.loads((run / "results" / "mock" / "humaneval.json").read_text())
    assert result["metrics"]["pass@1"] == pytest.approx(500 / 6)
    assert result["info"]["isolation"].startswith("bubblewrap") and result["info"]["reasons"] == {"assertion": 1, "passed": 5}
    assert "note: mock / humaneval: isolation: bubblewrap" in res.out
    assert sorted(r["reason"] for r in _records(run)) == ["assertion"] + ["passed"] * 5
    assert "AssertionError" in next(r for r in _records(run) if r["reason"] == "assertion")["stderr"]


@needs_bwrap
def test_cli_pass_at_k_with_n_samples_per_problem(compass):
    res = compass("eval", str(_humaneval_config(compass.cwd, chat=False, n=10)))
    assert res.code == 0, res.err
    result = json.loads((only_run_dir(compass.cwd) / "results" / "mock" / "humaneval.json").read_text())
    assert result["num_samples"] == 60 and result["info"]["samples_per_problem"] == [10]
    assert result["metrics"] == {"pass@1": pytest.approx(500 / 6), "pass@10": pytest.approx(500 / 6)}
    assert "also pass@10 83.33" in res.out


def _no_bwrap_env() -> dict:
    return compass_env(PATH=str(Path(sys.executable).parent))  # python, no bwrap


def test_without_bubblewrap_model_code_is_refused_before_any_model_loads(compass):
    res = compass("eval", str(_humaneval_config(compass.cwd, chat=False)), env=_no_bwrap_env())
    assert res.code == 2
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.err
    assert "install it (apt-get install bubblewrap)" in lines[0] and "--allow-unsafe-code" in lines[0]
    assert not (compass.cwd / "outputs").exists() or not list((compass.cwd / "outputs").rglob("predictions/*/*"))


def test_allow_unsafe_code_runs_with_rlimits_and_says_so(compass):
    res = compass("eval", str(_humaneval_config(compass.cwd, chat=False)), "--allow-unsafe-code",
                  env=_no_bwrap_env())
    assert res.code == 0, res.err
    assert "isolation: rlimits only" in res.out
    result = json.loads((only_run_dir(compass.cwd) / "results" / "mock" / "humaneval.json").read_text())
    assert result["metrics"]["pass@1"] == pytest.approx(500 / 6)
    assert result["info"]["isolation"].startswith("rlimits only")


@needs_bwrap
def test_custom_code_tasks_from_the_command_line(compass):
    tasks = compass.cwd / "tasks.jsonl"
    rows = [
        {"task_id": "add", "prompt": "Write add(a, b).", "entry_point": "add",
         "tests": "def check(f):\n    assert f(2, 3) == 5\n"},
        {"task_id": "exit", "prompt": "Write twice(x).", "tests": "assert twice(2) == 4"},
        {"task_id": "killer", "prompt": "Write half(x).", "tests": "assert half(4) == 2"},
    ]
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    answers = {"add(a, b)": "```python\ndef add(a, b):\n    return a + b\n```",
               "twice(x)": "```python\nimport sys\nsys.exit(0)\ndef twice(x):\n    return 0\n```",
               "half(x)": "```python\nimport os\nos.kill(os.getppid(), 9)\ndef half(x):\n    return 2\n```"}
    cfg = compass.cwd / "m.py"
    cfg.write_text(f"models = [dict(type='mock', chat=True, answers={answers!r})]\n")
    res = compass("eval", str(cfg), "--custom-dataset-path", str(tasks), "--custom-dataset-data-type", "code")
    assert res.code == 0, res.err
    run = only_run_dir(compass.cwd)
    reasons = {r["index"]: r["reason"] for r in _records(run, "tasks")}
    assert reasons[0] == "passed" and reasons[1] == "incomplete" and reasons[2] in ("exception", "killed")
    assert json.loads((run / "results" / "mock" / "tasks.json").read_text())["metrics"]["pass@1"] == pytest.approx(100 / 3)


@needs_bwrap
def test_cli_answers_that_fake_a_pass_score_zero(compass):
    """The always-equal answer passes its tests and is scored ``suspect``; walking frames to the
    verdict token is ``incomplete``; the honest answer passes."""
    hostile = REPO / "tests" / "data" / "hostile_code"
    tasks = compass.cwd / "tasks.jsonl"
    tests = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    names = ["honest", "always_equal", "frames_token", "call_reporter", "patch_os", "settrace"]
    tasks.write_text("".join(json.dumps({"task_id": n, "prompt": f"Write add(a, b) #{n}.", "entry_point": "add",
                                         "tests": tests}) + "\n" for n in names))
    answers = {f"#{n}.": "```python\n" + ("def add(a, b):\n    return a + b\n" if n == "honest" else
                                           (hostile / f"{n}.py").read_text()) + "```" for n in names}
    cfg = compass.cwd / "m.py"
    cfg.write_text(f"models = [dict(type='mock', chat=True, answers={answers!r})]\n")
    res = compass("eval", str(cfg), "--custom-dataset-path", str(tasks), "--custom-dataset-data-type", "code")
    assert res.code == 0, res.err
    run = only_run_dir(compass.cwd)
    records = {r["index"]: r for r in _records(run, "tasks")}
    assert [records[i]["correct"] for i in range(len(names))] == [True] + [False] * (len(names) - 1)
    assert records[1]["reason"] == "suspect" and records[1]["suspect"] == ["class Anything defines __eq__ as a constant"]
    assert records[2]["reason"] == "incomplete"
    assert json.loads((run / "results" / "mock" / "tasks.json").read_text())["metrics"]["pass@1"] == pytest.approx(100 / 6)


def test_a_sandbox_that_does_not_start_is_refused_at_plan_time(compass, tmp_path):
    """A ``bwrap`` that is there but fails (here: a script that exits 1) stops the run before any
    model loads, in one line, exit 2."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    env = compass_env(PATH=f"{fake}:{Path(sys.executable).parent}:/usr/bin:/bin")
    res = compass("eval", str(_humaneval_config(compass.cwd, chat=False)), env=env)
    assert res.code == 2, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "does not start here" in lines[0] and "uid map" in lines[0], res.err
    assert not list(compass.cwd.rglob("predictions/*/*"))
