"""AIME 2024/2025 (integer answers, math equivalence, n samples with pass@k) and NQ-Open
(exact match against any alias): loaders on the full and shipped files, whole mock runs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from compass._evaluate import EvalSample
from compass._types import prompt_to_text

from compass_datasets import aime, nq_open
from compass_metrics.math_samples import MathSamples
from compass_metrics.short_answer import first_line

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
SMALL = TESTS / "data" / "datasets"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")
need_shared = pytest.mark.skipif(not (SHARED / "aime").is_dir(),
                                 reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")


def test_aime_shipped_rows_and_prompt():
    sub = aime.aime2024().subsets[0]
    rows = sub.load(SMALL / "aime")
    assert [r["answer"] for r in rows.test] == ["204", "113", "371"]
    assert prompt_to_text(sub.prompt(rows, 0, chat=True)).endswith(
        "\nPlease reason step by step, and put your final answer within \\boxed{}.")
    assert sub.max_out_len == 8192 and aime.aime2024(max_out_len=32768).subsets[0].max_out_len == 32768
    rows25 = aime.aime2025(n=4).subsets[0].load(SMALL / "aime")
    assert len(rows25.test) == 12 and [r["id"] for r in rows25.test[:5]] == ["0"] * 4 + ["1"]
    assert rows25.test[0]["answer"] == "70"


@need_shared
def test_aime_full_files_unpad_answers():
    a24 = aime.aime2024().subsets[0].load(SHARED).test
    a25 = aime.aime2025().subsets[0].load(SHARED).test
    assert len(a24) == 30 and len(a25) == 30
    raw = [json.loads(x)["answer"] for x in (SHARED / "aime/aime24/test.jsonl").read_text().splitlines()]
    assert "025" in raw and "25" in [r["answer"] for r in a24]  # "025" is read as 25
    assert all(r["answer"] == str(int(r["answer"])) for r in a24 + a25)


def test_math_samples_average_and_pass_at_k():
    # problem p: 1 of 4 samples right; problem q: 4 of 4 right
    samples = [EvalSample(i, None, "", ans, "7", {"id": pid}, None, {})
               for i, (pid, ans) in enumerate([("p", "7"), ("p", "8"), ("p", "9"), ("p", "1"),
                                               ("q", "7"), ("q", "7.0"), ("q", "\\frac{14}{2}"), ("q", "7")])]
    ev, ctx = MathSamples(use_math_verify=False), SimpleNamespace(samples=samples)
    records = dict(ev.score_samples(samples, ctx))
    scores = ev.aggregate(records, ctx)
    # accuracy = 5/8; pass@1 = (1/4 + 1)/2; pass@2 = (1 - C(3,2)/C(4,2) + 1)/2 = (0.5 + 1)/2; pass@4 = 1
    assert scores == pytest.approx({"accuracy": 62.5, "pass@1": 62.5, "pass@2": 75.0, "pass@4": 100.0})


def _run(evaluate, data: Path, cfg_text: str, result: str) -> dict:
    cfg = evaluate.cwd / "c.toml"
    cfg.write_text(cfg_text)
    res = evaluate(cfg, data_dir=str(data))
    assert res.code == 0, res.err
    return json.loads((only_run_dir(evaluate.cwd) / "results" / "mock" / f"{result}.json").read_text())["metrics"]


def _table(pairs) -> str:
    return ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in pairs)


@pytest.mark.parametrize("right,expected", [(True, 100.0), (False, 0.0)])
def test_aime_mock_right_and_wrong(evaluate, right, expected):
    rows = aime.aime2025().subsets[0].load(SMALL / "aime").test
    reply = lambda r: (f"<think>try {int(r['answer']) + 1}</think>So \\boxed{{{r['answer']}}}" if right  # noqa: E731
                       else f"\\boxed{{{int(r['answer']) + 1}}}")
    table = _table((r["problem"][:40], reply(r)) for r in rows)
    metrics = _run(evaluate, SMALL / "aime", f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n'
                   '[[datasets]]\ntype = "aime2025"\nn = 2\n', "aime2025")
    assert metrics == {"accuracy": expected, "pass@1": expected, "pass@2": expected}


def test_nq_open_rows_and_prompt():
    sub = nq_open.nq_open().subsets[0]
    rows = sub.load(SMALL / "nq_open")
    assert len(rows.test) == 5 and rows.test[0]["answer"] == ["14 December 1972 UTC", "December 1972"]
    assert prompt_to_text(sub.prompt(rows, 1, chat=False)) == (
        "Answer these questions:\n\nQ: who wrote he ain't heavy he's my brother lyrics?\nA:")
    assert first_line("\n A: The Eagles.\nmore") == "The Eagles."


@need_shared
def test_nq_open_full_splits():
    counts = {s: len(nq_open.nq_open(split=s).subsets[0].load(SHARED).test) for s in nq_open.SPLITS}
    assert counts == {"dev": 3610, "efficientqa_dev": 1800, "efficientqa_test": 1769}


@pytest.mark.parametrize("right,expected", [(True, 100.0), (False, 0.0)])
def test_nq_open_mock_any_alias(evaluate, right, expected):
    rows = nq_open.nq_open().subsets[0].load(SMALL / "nq_open").test
    # the last alias, in another case and with an article and a period: still an exact match
    reply = lambda r: f"The {r['answer'][-1].upper()}." if right else "Nobody knows"  # noqa: E731
    table = _table((r["question"], reply(r)) for r in rows)
    metrics = _run(evaluate, SMALL / "nq_open", f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n'
                   '[[datasets]]\ntype = "nq_open"\n', "nq_open")
    assert metrics == {"exact_match": expected}
