"""The built-in loaders on the full real files of the project's shared data folder.

The folder is ``<repo>/../shared/data`` or ``$COMPASS_SHARED_DATA``; without it these tests
are skipped (the small copies in tests/data are tested by test_datasets_loaders.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from compass._types import prompt_to_text

from compass_datasets import arc, ceval, commonsense, demo, gsm8k, math, mmlu

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or REPO.parent / "shared" / "data")

pytestmark = pytest.mark.skipif(not (SHARED / "ceval").is_dir(),
                                reason=f"shared benchmark data not found at {SHARED} (set COMPASS_SHARED_DATA)")


def total(bench) -> tuple[int, int]:
    rows = [s.load(SHARED) for s in bench.subsets]
    return sum(len(r.test) for r in rows), sum(len(r.fewshot) for r in rows)


def test_ceval_val_1346_rows_in_52_subjects():
    bench = ceval.ceval_gen()
    assert len(bench.subsets) == 52
    assert total(bench) == (1346, 260)


def test_ceval_known_sample_prompt():
    sub = ceval.ceval_ppl(subjects=["accountant"]).subsets[0]
    rows = sub.load(SHARED)
    text = prompt_to_text(sub.prompt(rows, 0, chat=False))
    head = "以下是中国关于注册会计师考试的单项选择题，请选出其中的正确答案。\n"
    assert text.count(head) == 6
    assert text.endswith(head + "下列关于税法基本原则的表述中，不正确的是____。\n"
                                "A. 税收法定原则包括税收要件法定原则和税务合法性原则\n"
                                "B. 税收公平原则源于法律上的平等性原则\n"
                                "C. 税收效率原则包含经济效率和行政效率两个方面\n"
                                "D. 税务机关按法定程序依法征税，可以自由做出减征、停征或免征税款的决定\n答案:")
    assert rows.test[0]["answer"] == "D"
    assert text.startswith(head + "甲公司是国内一家上市公司。")


def test_gsm8k_test_1319_with_numeric_golds():
    rows = gsm8k.gsm8k(chat=True).subsets[0].load(SHARED)
    assert len(rows.test) == 1319
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", r["answer"]) for r in rows.test)
    assert rows.test[0]["answer"] == "18"
    base = gsm8k.gsm8k(chat=False).subsets[0].load(SHARED)
    assert len(base.fewshot) == 8


def test_math500_500_rows():
    rows = math.math500(chat=True).subsets[0].load(SHARED)
    assert len(rows.test) == 500 and all(r["answer"] for r in rows.test)


def test_arc_counts_keep_every_question():
    assert total(arc.arc_e_ppl()) == (2376, 0)
    assert total(arc.arc_c_ppl()) == (1172, 0)
    assert total(arc.arc_e_gen(split="dev")) == (570, 0)
    assert total(arc.arc_c_gen(split="dev")) == (299, 0)


def test_arc_known_sample_prompt():
    sub = arc.arc_e_gen().subsets[0]
    rows = sub.load(SHARED)
    assert prompt_to_text(sub.prompt(rows, 0, chat=False)) == (
        "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\n"
        "A. Sunlight is the source of energy for nearly all ecosystems.\n"
        "B. Most ecosystems are found on land instead of in water.\n"
        "C. Carbon dioxide is more available than other gases.\n"
        "D. The producers in all ecosystems are plants.\nAnswer:")


def test_siqa_piqa_counts():
    assert total(commonsense.siqa_ppl()) == (1954, 0)
    assert total(commonsense.piqa_gen()) == (1838, 0)


def test_mmlu_val_1531_rows_in_57_subjects():
    bench = mmlu.mmlu_ppl(split="val")
    assert len(bench.subsets) == 57
    assert total(bench) == (1531, 285)


def test_demo_sets_are_the_first_rows_of_the_real_files(tmp_path):
    full = gsm8k.gsm8k(chat=True).subsets[0].load(SHARED).test[:64]
    assert demo.demo_gsm8k(chat=True).subsets[0].load(tmp_path).test == full
    full = math.math500(chat=True).subsets[0].load(SHARED).test[:64]
    assert demo.demo_math(chat=True).subsets[0].load(tmp_path).test == full
    for sub in demo.demo_ceval(chat=True).subsets:
        subject = sub.name.split("-", 1)[1]
        real = ceval.ceval_gen(subjects=[subject]).subsets[0].load(SHARED)
        assert sub.load(tmp_path) == real
