"""Bad input to subjective evaluation: one line, exit 2, before any model loads."""

from __future__ import annotations

from judge_helpers import DATA, env


def _one_line(res) -> str:
    lines = [ln for ln in res.err.strip().splitlines() if ln.strip()]
    assert res.code == 2, res.err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.err, res.err
    return lines[0]


def test_subjective_dataset_without_a_judge(compass, tmp_path):
    line = _one_line(compass("eval", "-m", "mock", "-d", "mtbench", "--data-dir", str(DATA), env=env()))
    assert "is scored by a judge model: pass --judge MODEL" in line
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("*.jsonl"))


def test_unknown_judge_with_did_you_mean(compass):
    line = _one_line(compass("eval", "-m", "mock", "-d", "alpaca_eval", "--data-dir", str(DATA),
                             "--judge", "mokc", env=env()))
    assert "judge:" in line and "mokc" in line and "mock" in line


def test_judge_that_cannot_serve_chat(compass):
    line = _one_line(compass("eval", "-m", "mock", "-d", "arena_hard", "--data-dir", str(DATA),
                             "--judge", "mock", "--judge-kwargs", "chat=False", env=env()))
    assert "judge 'mock' cannot serve chat generation" in line


def test_judge_kwargs_without_judge(compass):
    line = _one_line(compass("eval", "-m", "mock", "-d", "mtbench", "--data-dir", str(DATA),
                             "--judge-kwargs", "temperature=0", env=env()))
    assert "--judge-kwargs without --judge" in line


def test_judge_with_an_option_it_does_not_take(compass):
    line = _one_line(compass("eval", "-m", "mock", "-d", "mtbench", "--data-dir", str(DATA),
                             "--judge", "mock", "--judge-kwargs", "colour=blue", env=env()))
    assert "does not take 'colour'" in line


def test_missing_data_folder_is_the_usual_one_line(compass, tmp_path):
    line = _one_line(compass("eval", "-m", "mock", "-d", "mtbench", "--data-dir", str(tmp_path / "nodata"),
                             "--judge", "mock", env=env()))
    assert "mt_bench/question.jsonl" in line


def test_a_judge_that_never_answers_leaves_the_run_incomplete(evaluate, tmp_path):
    """Failed judge requests are not verdicts: the samples stay unscored, the result counts
    them, the summary says how to retry them, and the run exits 1 (not 0 with a NaN)."""
    from judge_helpers import config, in_process, result, run_dir

    cfg = config(tmp_path, "alpaca_eval", "http://127.0.0.1:9/v1")
    res = evaluate(cfg, **in_process())  # in this process: what the run records is tested here
    assert res.code == 1, res.err
    out = result(run_dir(tmp_path), "cand", "alpaca_eval")
    assert out["unevaluated"] == 4 and out["info"]["judged"] == 0
    assert "4 sample(s) could not be evaluated" in res.out
    assert "could not be evaluated (not scored); rerun with -r" in res.err
