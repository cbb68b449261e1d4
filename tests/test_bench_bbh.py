"""BBH: 27 tasks with the shipped chain-of-thought prompts, answer extraction, groups, and
whole runs with the mock model (right answers 100, wrong 0)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compass._errors import CompassError
from compass._types import prompt_to_text

from compass_datasets import bbh
from compass_metrics.bbh_extract import bbh as extract

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
SMALL = TESTS / "data" / "datasets" / "bbh"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")
TWO = ["date_understanding", "word_sorting"]


@pytest.mark.parametrize("text,mcq,expected", [
    ("If today is Christmas Eve of 1937 ... that is 12/14/1937. So the answer is (D).", True, "(D)"),
    ("Let's see. (A) is wrong. So the answer is **(C) 05/01/2021**.", True, "(C)"),
    ("So the answer is B.", True, "(B)"),
    ("(E)", True, "(E)"),
    ("I am not sure.", True, ""),
    ("Then we sort: apple banana. So the answer is apple  banana.", False, "apple banana"),
    ("not ( True ) and ( True ) = False and True = False. So the answer is False.\n\nQ: next", False, "False"),
    ("The stack is [ {. So the answer is } ].", False, "} ]"),
    ("24", False, "24"),
    ("So the answer is Yes. Then the answer is No.", False, "No"),
])
def test_answer_after_so_the_answer_is(text, mcq, expected):
    assert extract(text, mcq=mcq) == expected


def test_shipped_tasks_prompt_and_rows():
    bench = bbh.bbh(tasks=TWO)
    assert [s.name for s in bench.subsets] == ["bbh-date_understanding", "bbh-word_sorting"]
    assert [(g.name, g.members) for g in bench.groups] == [
        ("bbh-nlp", ("bbh-date_understanding",)), ("bbh-algorithmic", ("bbh-word_sorting",)),
        ("bbh", ("bbh-date_understanding", "bbh-word_sorting"))]
    sub = bench.subsets[0]
    rows = sub.load(SMALL)
    assert len(rows.test) == 3 and rows.test[0]["target"] == "(B)"
    text = prompt_to_text(sub.prompt(rows, 0, chat=False))
    assert text.startswith("Infer the date from context.\n\nQ: Today is Christmas Eve of 1937.")
    assert "canary" not in text and text.count("Let's think step by step.") == 4
    assert text.endswith(rows.test[0]["input"] + "\nA: Let's think step by step.")
    assert sub.postprocessor == "bbh" and sub.postprocessor_kwargs == {"mcq": True}


def test_direct_variant_drops_the_reasoning():
    sub = bbh.bbh_direct(tasks=["date_understanding"]).subsets[0]
    rows = sub.load(SMALL)
    text = prompt_to_text(sub.prompt(rows, 0, chat=False))
    assert "step by step" not in text and "So the answer is" not in text
    assert "in MM/DD/YYYY?\nOptions:\n(A) 12/14/2026" in text
    assert text.count("\nA: (") == 3 and text.endswith("\nA:")


def test_unknown_task_is_refused():
    with pytest.raises(CompassError, match="unknown BBH task"):
        bbh.bbh(tasks=["nope"])


@pytest.mark.skipif(not (SHARED / "bbh").is_dir(),
                    reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")
def test_full_27_tasks_6511_questions():
    bench = bbh.bbh()
    assert len(bench.subsets) == 27
    counts = {s.name: len(s.load(SHARED).test) for s in bench.subsets}
    assert sum(counts.values()) == 6511
    assert counts["bbh-causal_judgement"] == 187 and counts["bbh-penguins_in_a_table"] == 146
    assert [len(g.members) for g in bench.groups] == [12, 15, 27]
    # multiple-choice tasks are exactly those whose targets are option letters (a few
    # movie_recommendation and ruin_names targets are titles, e.g. "Monsters, Inc", in the source data)
    for s in bench.subsets:
        targets = [r["target"] for r in s.load(SHARED).test]
        letters = sum(t.startswith("(") for t in targets)
        assert (letters > len(targets) - 3) == s.postprocessor_kwargs["mcq"], s.name
        assert len(s.load(SHARED).test[0]["hint"].split("\n\nQ:")) == 4  # three examples


def _run(evaluate, dataset: str, reply) -> dict:
    rows = {t: bbh.BBHTaskLoader(t)(SMALL).test for t in TWO}
    table = ", ".join(f"{json.dumps(r['input'][-40:])} = {json.dumps(reply(r))}" for rs in rows.values() for r in rs)
    cfg = evaluate.cwd / "bbh.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n'
                   f'[[datasets]]\ntype = "{dataset}"\ntasks = {json.dumps(TWO)}\n')
    res = evaluate(cfg, data_dir=str(SMALL))
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    scores = {t: json.loads((run / "results" / "mock" / f"bbh-{t}.json").read_text())["metrics"]["accuracy"]
              for t in TWO}
    line = next(ln for ln in res.out.splitlines() if ln.startswith("bbh "))
    return {**scores, "bbh": float(line.split()[-1])}


def test_right_cot_mock_scores_100(evaluate):
    scores = _run(evaluate, "bbh", lambda r: f"Step by step reasoning here. So the answer is {r['target']}.")
    assert scores == {"date_understanding": 100.0, "word_sorting": 100.0, "bbh": 100.0}


def test_wrong_direct_mock_scores_0(evaluate):
    scores = _run(evaluate, "bbh_direct", lambda r: "(A)" if r["target"] != "(A)" else "(B)")
    assert scores == {"date_understanding": 0.0, "word_sorting": 0.0, "bbh": 0.0}
