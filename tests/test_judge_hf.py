"""A local HF judge (a tiny random chat model from tests/hf_models.py) through the same path.

The tiny model writes noise, never a verdict: every judgement is re-asked once and then
counted as unparseable, the score is left empty (never a zero), and the summary says so.
"""

from __future__ import annotations

import json
import re

import pytest

from extras import require_extra

require_extra("torch")
require_extra("transformers")

import hf_models  # noqa: E402
from judge_helpers import PLUGINS, config, env, lines, result, run_dir  # noqa: E402

pytestmark = pytest.mark.model  # every test here loads a (tiny) real model


def test_local_hf_judge_goes_through_the_same_path(compass, tmp_path):
    path = hf_models.build_llama(tmp_path / "judge", chat=True)
    judge = (f'[eval_settings.judge]\ntype = "hf"\nabbr = "tiny-judge"\npath = "{path}"\nhf_type = "chat"\n'
             f'max_out_len = 6\n')
    res = compass("eval", str(config(tmp_path, "mtbench", None, judge=judge)),
                  env=env(COMPASS_PLUGINS=PLUGINS + ",hf"), timeout=600)
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    out = result(run, "cand", "mtbench")
    assert out["info"]["judges"] == ["tiny-judge"]
    assert out["info"]["judgements"] == 8
    bad = out["info"]["unparseable"]
    assert re.search(rf"{bad} of 8 judgements unparseable \(excluded from the score\)", res.out)
    recs = lines(run / "evaluations" / "cand" / "mtbench.jsonl")
    assert len(recs) == 4
    for rec in recs:
        for j in rec["judgements"]["tiny-judge"].values():
            assert j["reply"] is not None  # the full reply is kept, parseable or not
            assert len(j["replies"]) == 1  # FastChat's parser: an unparseable reply is not re-asked
    if bad == 8:
        assert json.dumps(out["metrics"]["score"]) == "NaN"  # no score from no verdicts, not a zero


def test_a_local_judge_loads_once_per_worker(compass, tmp_path):
    """Two candidates' AlpacaEval evaluations in one worker: the HF judge is built for the
    first and kept for the second (its load is logged once, in the first task's log)."""
    path = hf_models.build_llama(tmp_path / "judge", chat=True)
    judge = (f'[eval_settings.judge]\ntype = "hf"\nabbr = "tiny-judge"\npath = "{path}"\nhf_type = "chat"\n'
             f'max_out_len = 6\n')
    two = "".join(f'[[models]]\ntype = "mock"\nabbr = "{n}"\ndefault = "{n} says hello"\n' for n in ("c1", "c2"))
    cfg = config(tmp_path, "alpaca_eval", None, judge=judge, models=two, extra="", own_template=True)
    cfg.write_text(cfg.read_text().replace("max_num_workers = 2", "max_num_workers = 1"))
    res = compass("eval", str(cfg), env=env(COMPASS_PLUGINS=PLUGINS + ",hf"), timeout=600)
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    for model in ("c1", "c2"):
        assert result(run, model, "alpaca_eval")["info"]["judgements"] == 8  # both were judged
    logs = sorted((run / "logs" / "eval").rglob("*.out"))
    assert len(logs) == 2, logs
    loads = [ln for log in logs for ln in log.read_text().splitlines() if re.match(r"\[model\] \S+ loaded in", ln)]
    assert len(loads) == 1 and loads[0].startswith("[model] judge loaded"), loads  # the folder's name
