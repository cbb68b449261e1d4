"""GAOKAO-Bench objective questions: loaders on the full and shipped files, the benchmark's own
prompts, answers read by question type and scored in exam points (multi-question records,
physics half credit), subject rows weighted by points, whole mock runs."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from compass._types import prompt_to_text

from compass_datasets import gaokao
from compass_metrics.gaokao import extract, points

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
SMALL = TESTS / "data" / "datasets" / "gaokao"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")
need_shared = pytest.mark.skipif(not (SHARED / "gaokao").is_dir(),
                                 reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")
SHIPPED = ("2010-2022_Physics_MCQs", "2010-2022_Math_I_MCQs", "2010-2022_Geography_MCQs",
           "2012-2022_English_Cloze_Test")
FULL_ROWS = {"2010-2013_English_MCQs": 105, "2010-2022_Biology_MCQs": 150, "2010-2022_Chemistry_MCQs": 124,
             "2010-2022_Chinese_Lang_and_Usage_MCQs": 56, "2010-2022_Chinese_Modern_Lit": 29,
             "2010-2022_English_Fill_in_Blanks": 30, "2010-2022_English_Reading_Comp": 124,
             "2010-2022_Geography_MCQs": 34, "2010-2022_History_MCQs": 287, "2010-2022_Math_I_MCQs": 214,
             "2010-2022_Math_II_MCQs": 218, "2010-2022_Physics_MCQs": 64, "2010-2022_Political_Science_MCQs": 320,
             "2012-2022_English_Cloze_Test": 26}


def _rows(paper: str, root: Path = SMALL):
    sub = gaokao.gaokao(papers=[paper]).subsets[0]
    return sub, sub.load(root).test


def test_shipped_rows_and_the_benchmarks_prompt():
    sub, rows = _rows("2010-2022_Physics_MCQs")
    assert [r["answer"] for r in rows] == [["D"], ["AC"]] and rows[0]["score"] == 6.0
    assert rows[0]["type"] == "multi_choice" and rows[0]["year"] == "2010"
    text = prompt_to_text(sub.prompt(sub.load(SMALL), 0, chat=True))
    assert text.startswith("请你做一道物理选择题。\n请你一步一步思考") and "【答案】 AB <eoa>" in text
    assert text.endswith(rows[0]["question"] + "\n") and not rows[0]["question"].endswith("\n")
    _, geo = _rows("2010-2022_Geography_MCQs")
    assert geo[0]["answer"] == ["B", "C"] and geo[0]["type"] == "multi_question_choice"
    _, cloze = _rows("2012-2022_English_Cloze_Test")
    assert cloze[0]["answer"] == ["C", "F", "A", "E", "D"] and cloze[0]["type"] == "five_out_of_seven"
    assert _rows("2010-2022_Math_I_MCQs")[1][0]["type"] == "single_choice"
    assert sub.max_out_len == 1024 and gaokao.gaokao(max_out_len=8192).subsets[0].max_out_len == 8192


def test_groups_are_weighted_by_points():
    groups = {g.name: g for g in gaokao.gaokao().groups}
    assert list(groups) == ["gaokao-english", "gaokao-math", "gaokao-chinese", "gaokao"]
    assert dict(groups["gaokao-math"].weights) == {"gaokao-2010-2022_Math_II_MCQs": 1090.0,
                                                  "gaokao-2010-2022_Math_I_MCQs": 1070.0}
    assert len(groups["gaokao"].members) == 14 and sum(w for _, w in groups["gaokao"].weights) == 9702


def test_extraction_by_question_type():
    assert extract("【解析】 因为 A 不对…… <eoe>\n【答案】: C <eoa>", "single_choice", 1) == ["C"]
    assert extract("A 和 B 都不对，所以是 D", "single_choice", 1) == ["D"]
    assert extract("【解析】…<eoe>\n【答案】 C A <eoa> B", "multi_choice", 1) == ["AC"]
    assert extract("（1）【答案】 B <eoa>\n（2）【答案】：C <eoa>", "multi_question_choice", 2) == ["B", "C"]
    assert extract("（1）【答案】 B <eoa>", "multi_question_choice", 2) == ["B"]
    assert extract("【答案】 C F A E D G <eoa>", "five_out_of_seven", 5) == ["C", "F", "A", "E", "D"]


def test_points_as_the_benchmark_counts_them():
    assert points(["AC"], ["AC"], 6, "multi_choice") == 6
    assert points(["A"], ["AC"], 6, "multi_choice") == 3  # a right letter missing, none wrong: half
    assert points(["AB"], ["AC"], 6, "multi_choice") == 0
    assert points(["B", "D"], ["B", "C"], 4, "multi_question_choice") == 4
    assert points(["B"], ["B", "C"], 4, "multi_question_choice") == 0  # wrong number of answers: nothing
    assert points(["A"], ["AC"], 6, "single_choice") == 0


@need_shared
def test_full_files_counts_and_points():
    counts, totals = {}, {}
    for paper in gaokao.PAPERS:
        _, rows = _rows(paper, SHARED)
        counts[paper] = len(rows)
        totals[paper] = sum(r["score"] * len(r["answer"]) for r in rows)
    assert counts == FULL_ROWS and sum(counts.values()) == 1781
    assert totals == {p: float(w) for p, (_, w) in gaokao.PAPERS.items()}  # the group weights


def _table(pairs) -> str:
    return ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in pairs)


def _reply(row: dict, right: bool) -> str:
    shift = {c: "ABCDEFG"[("ABCDEFG".index(c) + 1) % 7] for c in "ABCDEFG"}
    answers = row["answer"] if right else ["".join(shift[c] for c in a) for a in row["answer"]]
    if row["type"] == "multi_question_choice":
        return "\n".join(f"（{i + 1}）【答案】 {a} <eoa>" for i, a in enumerate(answers))
    return "【解析】 略 <eoe>\n【答案】 " + " ".join(answers) + " <eoa>"


def _run(evaluate, replies) -> tuple[Path, dict]:
    cfg = evaluate.cwd / "c.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nanswers = {{ {_table(replies)} }}\n\n'
                   f'[[datasets]]\ntype = "gaokao"\npapers = {json.dumps(list(SHIPPED))}\n')
    res = evaluate(cfg, data_dir=str(SMALL))
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    rows = {r[0]: r for r in csv.reader(next((run / "summary").glob("summary_*.csv")).open())}
    return run, rows


@pytest.mark.parametrize("right,expected", [(True, 100.0), (False, 0.0)])
def test_mock_right_and_wrong(evaluate, right, expected):
    replies = [(r["question"][:40], _reply(r, right)) for p in SHIPPED for r in _rows(p)[1]]
    run, rows = _run(evaluate, replies)
    for paper in SHIPPED:
        metrics = json.loads((run / "results" / "mock" / f"gaokao-{paper}.json").read_text())["metrics"]
        assert metrics == {"score": expected}, paper
    assert float(rows["gaokao"][4]) == expected and rows["gaokao"][2] == "weighted_average"


def test_mock_partial_credit_and_weighted_total(evaluate):
    # physics: the single answer right (6 of 6), "A" for "AC" (3 of 6): 75%; everything else wrong
    replies = []
    for p in SHIPPED:
        for r in _rows(p)[1]:
            reply = _reply(r, False)
            if p == "2010-2022_Physics_MCQs":
                reply = "【答案】 D <eoa>" if r["answer"] == ["D"] else "【答案】 A <eoa>"
            replies.append((r["question"][:40], reply))
    run, rows = _run(evaluate, replies)
    physics = json.loads((run / "results" / "mock" / "gaokao-2010-2022_Physics_MCQs.json").read_text())
    assert physics["metrics"] == {"score": 75.0}
    # gaokao = sum(points of the paper * its score) / sum(points): 384 * 75 / (384 + 1070 + 380 + 260)
    assert rows["gaokao"][4] == f"{384 * 75 / 2094:.2f}"
