"""Error bars: every score read from per-sample verdicts has a standard error and a 95% interval.

The numbers are checked against a hand computation. For ``k`` right of ``n`` (p = k/n, z = 1.96):
se = sqrt(p(1-p)/n); Wilson: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).

* toy-gen, toy-first (5 of 10): se = sqrt(.25/10) = 15.81; Wilson = [23.66, 76.34].
* toy-second (3 of 5): se = sqrt(.24/5) = 21.91; Wilson = [23.07, 88.24].
* toy-pair-avg = (50 + 60)/2: se = sqrt(15.81² + 21.91²)/2 = 13.51; the members' intervals combined
  (MOVER): 55 - sqrt((26.34/2)² + (36.93/2)²) = 32.32, 55 + sqrt((26.34/2)² + (28.24/2)²) = 74.31.
* toy-pair-weighted (weights 10/15, 5/15): se = sqrt((2/3·15.81)² + (1/3·21.91)²) = 12.82;
  53.33 - sqrt((2/3·26.34)² + (1/3·36.93)²) = 31.89, 53.33 + sqrt((2/3·26.34)² + (1/3·28.24)²) = 73.26.
"""

from __future__ import annotations

import csv
import math

import pytest

from conftest import only_run_dir

from compass._summary import interval_from_verdicts, wilson

HAND = {  # dataset: (score, stderr, ci95_low, ci95_high)
    "toy-gen": ("50.00", "15.81", "23.66", "76.34"),
    "toy-first": ("50.00", "15.81", "23.66", "76.34"),
    "toy-second": ("60.00", "21.91", "23.07", "88.24"),
    "toy-pair-avg": ("55.00", "13.51", "32.32", "74.31"),
    "toy-pair-weighted": ("53.33", "12.82", "31.89", "73.26"),
}


def test_summary_csv_and_md_carry_stderr_and_wilson_intervals(evaluate):
    res = evaluate({"models": ["arith"], "datasets": ["toy", "toy_pair"]})  # in this process (compass.api)
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    with open(run / "summary" / f"summary_{run.name}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["dataset", "version", "metric", "mode", "arith",
                       "arith_stderr", "arith_ci95_low", "arith_ci95_high"]
    assert {r[0]: tuple(r[4:]) for r in rows[1:]} == HAND
    md = (run / "summary" / f"summary_{run.name}.md").read_text()
    assert "| 60.00 ± 21.91 [23.07, 88.24] |" in md
    assert "Wilson" in md
    # the printed table and the txt file stay as they were without --stderr
    assert "±" not in res.out
    assert "±" not in (run / "summary" / f"summary_{run.name}.txt").read_text()


def test_stderr_flag_prints_plus_minus_in_the_terminal_table(compass):
    res = compass("eval", "-m", "arith", "-d", "toy_pair", "--debug", "--stderr")
    assert res.code == 0, res.err
    lines = {ln.split()[0]: ln for ln in res.out.splitlines() if ln.startswith("toy-")}
    assert lines["toy-second"].endswith("60.00 ± 21.91")
    assert lines["toy-pair-weighted"].endswith("53.33 ± 12.82")
    assert "± is the standard error" in res.out


def test_wilson_against_the_formula_at_the_edges():
    z = 1.959964
    for k, n in [(0, 7), (7, 7), (1, 3), (137, 200)]:
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        got = wilson(k, n)
        assert math.isclose(got.stderr, 100 * math.sqrt(p * (1 - p) / n), abs_tol=1e-9)
        assert math.isclose(got.low, 100 * max(0.0, centre - half), abs_tol=1e-9)
        assert math.isclose(got.high, 100 * min(1.0, centre + half), abs_tol=1e-9)
    assert wilson(0, 7).low == 0.0 and wilson(0, 7).high > 0  # no zero-width interval at 0%


def test_failed_samples_count_as_wrong_and_other_metrics_get_no_binomial_interval():
    verdicts = [{"correct": True}] * 3 + [{"correct": False}, {"correct": None}]  # one failed
    assert interval_from_verdicts(60.0, verdicts).method == "wilson"
    assert interval_from_verdicts(75.0, verdicts) is None  # not the verdicts' proportion
    assert interval_from_verdicts(60.0, [{"correct": None}] * 5) is None  # no per-sample verdicts


def test_a_mean_of_per_sample_scores_gets_a_seeded_bootstrap():
    values = [0.0, 0.25, 0.5, 1.0, 0.75, 0.5, 0.25, 1.0, 0.0, 0.5] * 5
    mean = 100 * sum(values) / len(values)
    got = interval_from_verdicts(mean, [{"correct": v} for v in values])
    assert got.method == "bootstrap" and got.n == 50
    assert got == interval_from_verdicts(mean, [{"correct": v} for v in values])  # seeded
    sd = math.sqrt(sum((v - sum(values) / 50) ** 2 for v in values) / 50)
    assert math.isclose(got.stderr, 100 * sd / math.sqrt(50), rel_tol=0.15)  # the mean's se
    assert got.low < mean < got.high


def test_a_group_interval_comes_from_its_members_intervals():
    """A one-member group has its member's interval; a group at 0% keeps its members' width."""
    from compass._dataset import Group
    from compass._summary import _group_interval

    zero = wilson(0, 12)
    scores, errors = {"a": (0.0, 12), "b": (0.0, 12)}, {"a": zero, "b": zero}
    one = _group_interval(Group("g", ("a",)), 0.0, scores, errors)
    assert (one.low, one.high) == (zero.low, zero.high) and zero.high > 20
    both = _group_interval(Group("g", ("a", "b")), 0.0, scores, errors)
    assert both.low == 0.0 and both.high == pytest.approx(math.sqrt(2 * (zero.high / 2) ** 2))
    assert both.high > 0  # never [0.00, 0.00]
