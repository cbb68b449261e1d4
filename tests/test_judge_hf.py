"""A local HF judge (a tiny random chat model from tests/hf_models.py) through the same path.

The tiny model writes noise, never a verdict: every judgement is re-asked once and then
counted as unparseable, the score is left empty (never a zero), and the summary says so.
"""

from __future__ import annotations

import json
import re

from extras import require_extra

require_extra("torch")
require_extra("transformers")

import hf_models  # noqa: E402
from judge_helpers import PLUGINS, config, env, lines, result, run_dir  # noqa: E402


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
            assert len(j["replies"]) == (2 if j["unparseable"] else 1)
    if bad == 8:
        assert json.dumps(out["metrics"]["score"]) == "NaN"  # no score from no verdicts, not a zero
