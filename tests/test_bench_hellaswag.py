"""HellaSwag: the llama.cpp text form (full file and shipped items), acc_norm against a
hand-computed example, and whole ppl/gen runs with the mock model (right 100, wrong 0)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from compass._evaluate import EvalSample
from compass._types import prompt_to_text

from compass_datasets import hellaswag
from compass_metrics.choice_norm import ChoiceAccNorm, best_label

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
TEXT = TESTS / "data" / "datasets" / "hellaswag_text"
JSONL = TESTS / "data" / "datasets"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")


def test_acc_norm_hand_computed():
    scores = {"A": -10.0, "B": -12.0, "C": -30.0, "D": -9.5}
    texts = {"textA": "run.", "textB": "walks slowly to the door.", "textC": "x", "textD": "sits."}
    # raw: D (-9.5) is best; per character: A -10/4=-2.5, B -12/25=-0.48, C -30/1, D -9.5/5=-1.9 -> B
    assert best_label(scores) == "D"
    assert best_label(scores, {k: len(texts["text" + k]) for k in scores}) == "B"
    samples = [EvalSample(0, None, "D", "D", "B", texts, None, {"scores": scores}),
               EvalSample(1, None, "D", "D", "D", texts, None, {"scores": scores}),
               EvalSample(2, None, None, None, "A", texts, "boom", {})]
    ev, ctx = ChoiceAccNorm(), SimpleNamespace(samples=samples)
    records = dict(ev.score_samples(samples, ctx))
    assert [records[i]["correct"] for i in range(3)] == [True, False, False]      # acc_norm verdicts
    assert [records[i]["correct_raw"] for i in range(3)] == [False, True, False]  # acc verdicts
    assert ev.aggregate(records, ctx) == {"acc_norm": pytest.approx(100 / 3), "acc": pytest.approx(100 / 3)}


def test_text_form_items_and_prompt():
    sub = hellaswag.hellaswag_ppl().subsets[0]
    rows = sub.load(TEXT)
    assert len(rows.test) == 4
    last = rows.test[3]
    assert last == {"query": "High jump: A boy is running down a track. the boy", "answer": "C",
                    "textA": "runs into a car.", "textB": "gets in a mat.",
                    "textC": "lifts his body above the height of a pole.", "textD": "stands on his hands and springs."}
    req = sub.request(rows, 3, chat=False)
    assert prompt_to_text(req.prompt) == last["query"]
    assert req.continuations[2] == " lifts his body above the height of a pole."
    assert sub.evaluator == "choice_acc_norm"


def test_jsonl_form_still_read_first():
    rows = hellaswag.hellaswag_ppl().subsets[0].load(JSONL)
    assert rows.test[0]["query"].startswith("Making tea: A woman fills a kettle")


def test_malformed_text_form_names_the_line(tmp_path):
    (tmp_path / "hellaswag").mkdir()
    (tmp_path / "hellaswag" / "hellaswag_val_full.txt").write_text("ctx\n7\na\nb\nc\nd\n")
    from compass._dataset import DataError

    with pytest.raises(DataError, match=r"hellaswag_val_full.txt:2: gold index '7'"):
        hellaswag.hellaswag_ppl().subsets[0].load(tmp_path)


@pytest.mark.skipif(not (SHARED / "hellaswag").is_dir(),
                    reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")
def test_full_validation_10042_items():
    rows = hellaswag.hellaswag_ppl().subsets[0].load(SHARED / "hellaswag")
    assert len(rows.test) == 10042
    counts = {k: sum(r["answer"] == k for r in rows.test) for k in "ABCD"}
    assert counts == {"A": 2515, "B": 2485, "C": 2584, "D": 2458}
    assert rows.test[0]["query"] == "Roof shingle removal: A man is sitting on a roof. he"
    assert rows.test[0]["textD"] == "starts pulling up roofing on a roof."


def _run(evaluate, dataset: str, pick) -> dict:
    rows = hellaswag.hellaswag_ppl().subsets[0].load(TEXT).test
    table = ", ".join(f"{json.dumps(r['query'][-25:])} = {json.dumps(pick(r))}" for r in rows)
    cfg = evaluate.cwd / "hs.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n[[datasets]]\ntype = "{dataset}"\n')
    res = evaluate(cfg, data_dir=str(TEXT))
    assert res.code == 0, res.err
    return json.loads((only_run_dir(evaluate.cwd) / "results" / "mock" / "hellaswag.json").read_text())["metrics"]


def test_ppl_right_mock_100_wrong_0(evaluate):
    assert _run(evaluate, "hellaswag_compass_ppl", lambda r: r["text" + r["answer"]]) == {"acc_norm": 100.0, "acc": 100.0}


def test_ppl_wrong_mock_0(evaluate):
    wrong = lambda r: r["text" + "ABCD"[("ABCD".index(r["answer"]) + 1) % 4]]  # noqa: E731
    assert _run(evaluate, "hellaswag_compass_ppl", wrong) == {"acc_norm": 0.0, "acc": 0.0}


def test_gen_right_mock_100(evaluate):
    assert _run(evaluate, "hellaswag_compass_gen", lambda r: r["answer"]) == {"accuracy": 100.0}
