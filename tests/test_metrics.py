"""Postprocessors and evaluators on tricky model outputs, table-driven."""

from __future__ import annotations

import pytest

from compass._plugins import make_plugin_host

from compass_metrics import math_equiv
from compass_metrics.evaluators import Accuracy, ExactMatch, MathEquiv, normalize_answer
from compass_metrics.postprocessors import first_capital, first_option, gsm8k, last_boxed, math_boxed, normalize_number

FIRST_OPTION = [
    ("B", "B"),
    ("  (C)\n", "C"),
    ("**D**", "D"),
    ("【A】", "A"),
    ("答案是 B", "B"),
    ("答案：D", "D"),
    ("正确答案为（C）。", "C"),
    ("根据题意，答案应为A。", "A"),
    ("选项A错误，选项B也不对，故选C", "C"),
    ("选项C正确，其余选项A、B、D都不对", "C"),
    ("Option B is the best choice.", "B"),
    ("The answer is D.", "D"),
    ("Answer: (C) Paris", "C"),
    ("the correct option is B because ...", "B"),
    ("A good question. Both A and B are wrong, so the answer is (C).", "C"),
    ("Let me think. If the answer were A, ... Therefore, the answer is B.", "B"),
    ("C. The mitochondria", "C"),
    ("(B) because water boils at 100 °C", "B"),
    ("I think A is right.", "A"),
    ("A bird can fly, so D.", "D"),
    ("the answer is a bit unclear", ""),
    ("None of these", ""),
    ("", ""),
]


@pytest.mark.parametrize("text,expected", FIRST_OPTION)
def test_first_option(text, expected):
    assert first_option(text) == expected


def test_first_option_respects_the_option_set():
    assert first_option("The answer is E.", options="ABCDE") == "E"
    assert first_option("The answer is E.", options="ABCD") == ""
    assert first_option("B", options="AB") == "B"


def test_first_capital():
    assert first_capital("the answer: C") == "C"
    assert first_capital("xyz", options="ABCD") == ""


GSM8K = [
    ("Janet sells 9 eggs ... She makes 9 * 2 = $18 every day.\n#### 18", "18"),
    ("... so the total is \\boxed{1,000} dollars.", "1000"),
    ("The answer is 50,000.", "50000"),  # OpenCompass's regex reads this as 000
    ("She makes $18.00 every day.", "18"),
    ("The final answer is $\\boxed{\\$18}$.", "18"),
    ("So x = \\boxed{x = 5}", "5"),
    ("The answer is -3 degrees.", "-3"),
    ("answer: 3.50 dollars", "3.5"),
    ("The answer is 3.5 hours. Later, 7 more.", "3.5"),
    ("First 12, then 24, finally 36", "36"),
    ("She has 10 apples and 5 pears. The answer is 15\n\nQuestion: next one has 99", "15"),
    ("10 + 5 = 15 apples.\n\nQuestion: Tom has 3 pens. The answer is 3", "15"),
    ("It takes 2-3 days", "3"),
    ("\\boxed{18 \\text{ dollars}}", "18"),
    ("no number here", ""),
    ("", ""),
]


@pytest.mark.parametrize("text,expected", GSM8K)
def test_gsm8k(text, expected):
    assert gsm8k(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("1,234.50", "1234.5"), ("$ 18", "18"), ("007", "7"), ("-0", "0"), ("18.", "18"), ("0.50", "0.5"),
    ("100.0", "100"), ("50%", "50"), ("1/2", "1/2"), ("abc", "abc"),
])
def test_normalize_number(text, expected):
    assert normalize_number(text) == expected


MATH_BOXED = [
    ("so $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),
    ("first \\boxed{2}, then \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
    ("\\fbox{7}", "7"),
    ("\\boxed 5.", "5"),
    ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}"),
    ("The answer is 12.", "12"),
    ("\\boxed{unclosed", ""),
    ("no answer", ""),
]


@pytest.mark.parametrize("text,expected", MATH_BOXED)
def test_math_boxed(text, expected):
    assert math_boxed(text) == expected


def test_last_boxed_unclosed_is_none():
    assert last_boxed("\\boxed{1") is None and last_boxed("") is None


MATH_EQUIV = [
    ("0.5", "\\frac{1}{2}", True),
    ("\\dfrac{1}{2}", "\\frac12", True),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", True),
    ("10\\text{ inches}", "10", True),
    ("10 cm", "10", True),
    ("\\$18.00", "18", True),
    ("x = 5", "5", True),
    ("2\\sqrt{3}", "\\sqrt{12}", True),
    ("\\sqrt3", "\\sqrt{3}", True),
    ("1,000", "1000", True),
    ("30^\\circ", "30", True),
    ("50\\%", "50", True),
    ("\\frac{3}{4}", "0.75", True),
    ("3/4", "\\frac{3}{4}", True),
    ("-\\frac{1}{2}", "-0.5", True),
    ("2x+1", "1+2x", True),
    ("4i+3", "3+4i", True),
    ("y=2x+3", "y = 3+2x", True),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", True),
    ("1, 2", "2,1", True),  # a list of solutions, any order
    ("(-\\infty, 3]", "(-\\infty,3]", True),
    ("\\text{(C)}", "\\text{(C)}", True),
    ("\\boxed{7}", "7", True),
    ("(1,2)", "(2,1)", False),  # an ordered pair
    ("(1,2]", "(1,2)", False),
    ("\\pi", "3.14", False),
    ("0.333", "\\frac13", False),
    ("5", "6", False),
    ("", "0", False),
    (None, "1", False),
    ("__import__('os').system('true')", "1", False),
    ("9^{9^{9}}", "1", False),  # refused, not computed
    ("2^{10}", "1024", True),
]


@pytest.mark.parametrize("pred,ref,expected", MATH_EQUIV)
def test_math_equiv(pred, ref, expected):
    assert math_equiv.is_equiv(pred, ref) is expected


def test_math_equiv_without_sympy_compares_normalised_strings(monkeypatch):
    monkeypatch.setattr(math_equiv, "_have_sympy", lambda: False)
    assert math_equiv.is_equiv("\\dfrac{1}{2}", "\\frac12")
    assert math_equiv.is_equiv("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})")
    assert not math_equiv.is_equiv("0.5", "\\frac{1}{2}")


@pytest.mark.parametrize("evaluator,preds,refs,metric,value,details", [
    (Accuracy(), ["A", " B ", None, "C"], ["A", "B", "C", "D"], "accuracy", 50.0, [True, True, False, False]),
    (Accuracy(), ["E", "A"], [["A", "E"], "B"], "accuracy", 50.0, [True, False]),
    (ExactMatch(), ["The Paris.", "london", None], ["paris", "London!", "x"], "exact_match", 200 / 3,
     [True, True, False]),
    (MathEquiv(), ["0.5", "\\frac{2}{4}", "3", None], ["\\frac12", "0.5", "4", "1"], "accuracy", 50.0,
     [True, True, False, False]),
])
def test_evaluators(evaluator, preds, refs, metric, value, details):
    out = evaluator.score(preds, refs)
    assert out[metric] == pytest.approx(value) and out["details"] == details


def test_evaluators_empty_and_mismatched():
    assert Accuracy().score([], []) == {"accuracy": 0.0, "details": []}
    with pytest.raises(ValueError):
        Accuracy().score(["A"], [])


def test_normalize_answer():
    assert normalize_answer("  The  Eiffel Tower! ") == "eiffel tower"
    assert normalize_answer("北京。") == "北京"


def test_registered_by_name():
    reg = make_plugin_host().registry
    for name in ("first_capital", "first_option", "gsm8k", "math_boxed"):
        assert reg.get("postprocessors", name).plugin == "metrics"
    for name in ("accuracy", "exact_match", "math_equiv"):
        ev = reg.get("evaluators", name).load()()
        assert "details" in ev.score(["1"], ["1"])
    assert reg.get("postprocessors", "gsm8k").load()("#### 1,234") == "1234"
