"""AGIEval v1: loaders on the full and shipped files, the paper's zero-shot prompts, set and
cloze answers, and whole mock runs (gen and ppl) scoring 100 and 0 with the paper's groups."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from compass._types import prompt_to_text

from compass_datasets import agieval
from compass_metrics.exam_extract import agieval_cloze, agieval_multi

from conftest import only_run_dir

TESTS = Path(__file__).resolve().parent
SMALL = TESTS / "data" / "datasets" / "agieval"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")
need_shared = pytest.mark.skipif(not (SHARED / "agieval").is_dir(),
                                 reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")
SHIPPED = ("lsat-ar", "logiqa-zh", "gaokao-physics", "jec-qa-kd", "gaokao-mathcloze", "math")
FULL_ROWS = {"aqua-rat": 254, "gaokao-biology": 210, "gaokao-chemistry": 207, "gaokao-chinese": 246,
             "gaokao-english": 306, "gaokao-geography": 199, "gaokao-history": 235, "gaokao-mathqa": 351,
             "gaokao-mathcloze": 118, "gaokao-physics": 200, "math": 1000, "jec-qa-kd": 1000, "jec-qa-ca": 1000,
             "logiqa-en": 651, "logiqa-zh": 651, "lsat-ar": 230, "lsat-lr": 510, "lsat-rc": 269, "sat-math": 220,
             "sat-en": 206, "sat-en-without-passage": 206}


def _load(task: str, root: Path = SMALL, mode: str = "gen"):
    sub = agieval.build("t", mode, [task]).subsets[0]
    return sub, sub.load(root)


def test_shipped_rows_fields_and_prompts():
    sub, rows = _load("lsat-ar")
    first = rows.test[0]
    assert first["gold"] == "C" and first["last"] == "E" and first["options"].startswith("(A)")
    assert first["passage"].startswith("Of the eight students")
    text = prompt_to_text(sub.prompt(rows, 0, chat=True))
    assert text.startswith(first["passage"] + "Q: Which one of the following could be the schedule")
    assert " Answer Choices: (A)" in text and text.endswith("\nA: Among A through E, the answer is")
    assert sub.postprocessor == "first_option" and sub.postprocessor_kwargs == {"options": "ABCDE"}

    sub, rows = _load("logiqa-zh")
    text = prompt_to_text(sub.prompt(rows, 0, chat=True))
    assert "问题：根据以上陈述，可以得出以下哪项？ 选项：(A)" in text and text.endswith("\n答案：从A到D, 我们应选择")
    assert sub.postprocessor_kwargs == {"options": "ABCD"}

    sub, rows = _load("gaokao-physics")  # a single answer, then the first multi-answer question
    assert [r["gold"] for r in rows.test] == ["C", "AD"] and sub.postprocessor == "agieval_multi"
    assert [r["gold"] for r in _load("jec-qa-kd")[1].test] == ["B", "D"]

    sub, rows = _load("gaokao-mathcloze")
    assert [r["gold"] for r in rows.test] == ["2", "$5$;$10$"] and sub.evaluator == "math_equiv"
    assert prompt_to_text(sub.prompt(rows, 0, chat=True)).endswith("则 $a=(\\quad)$\n答案：")
    sub, rows = _load("math")
    assert rows.test[0]["gold"] == "(3,4]"
    assert prompt_to_text(sub.prompt(rows, 1, chat=True)).endswith("?\nA: The answer is")


def test_modes_and_groups():
    base = agieval.agieval(chat=False)
    modes = {s.name: s.mode for s in base.subsets}
    assert len(modes) == 21 and modes["agieval-lsat-ar"] == "ppl" and modes["agieval-gaokao-physics"] == "gen"
    assert modes["agieval-math"] == "gen" and modes["agieval-jec-qa-ca"] == "gen"
    assert {s.mode for s in agieval.agieval(chat=True).subsets} == {"gen"}
    groups = {g.name: g.members for g in agieval.agieval_gen().groups}
    assert list(groups) == ["agieval-english", "agieval-chinese", "agieval-gaokao", "agieval"]
    assert len(groups["agieval-english"]) == 9 and len(groups["agieval-chinese"]) == 12
    assert "agieval-gaokao-english" in groups["agieval-chinese"] and len(groups["agieval"]) == 21
    assert agieval.agieval_gen(max_out_len=4096).subsets[-1].max_out_len == 4096


def test_set_and_cloze_extraction():
    assert agieval_multi("答案是 A、C。因为B错误") == "AC"
    assert agieval_multi("Among A through D, the answer is (B)(D)") == "BD"
    assert agieval_multi("DB") == "BD" and agieval_multi("A good question; no idea") == ""
    assert agieval_multi("<no letters>") == ""
    assert agieval_cloze("So x = 3, and the answer is $\\frac{1}{2}$.\nDone") == "$\\frac{1}{2}$"
    assert agieval_cloze("... hence \\boxed{(3,4]}") == "(3,4]"
    assert agieval_cloze(" 30.") == "30" and agieval_cloze("答案是：$5$;$10$") == "$5$;$10$"


@need_shared
def test_full_files_counts_and_quirks():
    counts = {t: len(_load(t, SHARED)[1].test) for t in agieval.TASKS}
    assert counts == FULL_ROWS and sum(counts.values()) == 8269
    golds = [r["gold"] for r in _load("gaokao-mathqa", SHARED)[1].test]
    assert golds[148] == "AD" and golds[245] == "ABD"  # label strings "AD", "A B D"
    assert _load("jec-qa-kd", SHARED)[1].test[211]["gold"] == ""  # an empty label list
    assert _load("jec-qa-ca", SHARED)[1].test[48]["gold"] == "ACD"  # ["A", "C", "D", "。"]
    physics = [r["gold"] for r in _load("gaokao-physics", SHARED)[1].test]
    assert sum(len(g) > 1 for g in physics) == 35


def _table(pairs) -> str:
    return ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in pairs)


def _replies(right: bool, bare: bool = False) -> str:
    pairs = []
    for task in SHIPPED:
        for r in _load(task)[1].test:
            if task in agieval.CLOZE:
                reply = f"\\boxed{{{r['gold'].replace('$', '')}}}" if right else "\\boxed{12345}"
            else:
                wrong = "".join("ABCD"[("ABCD".index(c) + 1) % 4] for c in r["gold"])
                letters = r["gold"] if right else wrong
                reply = letters if bare else f"答案是 {'、'.join(letters)}"
            pairs.append((r["question"][:30], reply))
    return _table(pairs)


def _run(evaluate, cfg_text: str) -> Path:
    cfg = evaluate.cwd / "c.toml"
    cfg.write_text(cfg_text)
    res = evaluate(cfg, data_dir=str(SMALL))
    assert res.code == 0, res.err
    return only_run_dir(evaluate.cwd)


@pytest.mark.parametrize("right,expected", [(True, 100.0), (False, 0.0)])
def test_mock_gen_right_and_wrong(evaluate, right, expected):
    tasks = json.dumps(list(SHIPPED))
    run = _run(evaluate, f'[[models]]\ntype = "mock"\nanswers = {{ {_replies(right)} }}\n\n'
               f'[[datasets]]\ntype = "agieval_compass_gen"\ntasks = {tasks}\n')
    for task in SHIPPED:
        metrics = json.loads((run / "results" / "mock" / f"agieval-{task}.json").read_text())["metrics"]
        assert metrics == {"accuracy": expected}, task
    rows = {r[0]: r for r in csv.reader(next((run / "summary").glob("summary_*.csv")).open())}
    for group in ("agieval-english", "agieval-chinese", "agieval-gaokao", "agieval"):
        assert float(rows[group][4]) == expected, group


def test_mock_base_model_ranks_letters(evaluate):
    run = _run(evaluate, f'[[models]]\ntype = "mock"\nchat = false\nanswers = {{ {_replies(True, bare=True)} }}\n\n'
               '[[datasets]]\ntype = "agieval"\ntasks = ["lsat-ar", "logiqa-zh", "gaokao-physics"]\n')
    for task, mode in (("lsat-ar", "ppl"), ("logiqa-zh", "ppl"), ("gaokao-physics", "gen")):
        result = json.loads((run / "results" / "mock" / f"agieval-{task}.json").read_text())
        assert (result["mode"], result["metrics"]) == (mode, {"accuracy": 100.0}), task
