"""TheoremQA's answer extraction and comparison against OpenCompass 0.5.4 itself
(``tests/data/opencompass_theoremqa.json`` from ``bench/opencompass_theoremqa.py``), and the bounds
that keep a model's answer from making the safe arithmetic reader spend seconds or gigabytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass.sdk import DataError, DataMissing
from compass_opencompass import theoremqa

FIXTURE = json.loads((Path(__file__).resolve().parent / "data" / "opencompass_theoremqa.json").read_text("utf-8"))


@pytest.mark.parametrize("case", FIXTURE["texts"], ids=lambda c: c["text"][:40])
def test_answers_are_cleaned_as_opencompass_cleans_them(case):
    assert theoremqa.answer_clean(case["text"]) == case["v3"]
    assert theoremqa.answer_clean_v4(case["text"]) == case["v4"]
    assert theoremqa.postprocess_legacy(case["text"]) == case["legacy"]  # TheoremQA_postprocess
    assert theoremqa.postprocess_legacy_v2(case["text"]) == case["legacy_v2"]


def test_the_older_csv_layout_reads_the_same_rows_as_the_json_one():
    root = Path(__file__).resolve().parent / "data" / "datasets" / "TheoremQA"
    rows = theoremqa.load_csv(root / "test.csv")
    same = theoremqa.load_v3(root / "theoremqa_test.json")
    assert [(r["Question"], r["Answer"], r["Answer_type"]) for r in rows] == \
        [(r["Question"], r["Answer"], r["Answer_type"]) for r in same]
    with pytest.raises(DataMissing):
        theoremqa.load_csv(root / "nope.csv")


def test_a_csv_without_the_columns_is_one_line(tmp_path):
    bad = tmp_path / "test.csv"
    bad.write_text("q,a\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="Question, Answer and Answer_type columns"):
        theoremqa.load_csv(bad)


def test_answers_are_compared_as_opencompass_compares_them():
    pairs = FIXTURE["pairs"]
    got = theoremqa.TheoremQAEvaluatorV3().score([p["answer"] for p in pairs], [p["reference"] for p in pairs])
    assert got["details"] == [p["correct"] for p in pairs]
    assert got["score"] == pytest.approx(FIXTURE["score"])
    assert 0 < sum(got["details"]) < len(pairs)  # the fixture holds both verdicts


@pytest.mark.parametrize("text", ["((9^999)^999)^999", "factorial(999999999)", "factorial(2.5)",
                                  "2**4000*2**4000", "(10^999)/(7^999)^3"])
def test_a_huge_number_in_an_answer_is_not_built(text):
    # each would take seconds and gigabytes to build exactly; the reader refuses them as "not a number"
    assert theoremqa.number_it(text) is None
    assert theoremqa.arith(text, names=True) is None


def test_numbers_within_the_bounds_are_read():
    assert theoremqa.number_it("factorial(10)") == 3628800
    assert theoremqa.number_it("2^100") == 2 ** 100
    assert theoremqa.number_it("\\frac{3}{4}") == 0.75
