"""Multiple-choice answers in gen mode are capped, so one runaway answer cannot hold a batch."""

from __future__ import annotations

import inspect

from compass._plugins import make_plugin_host

from compass_datasets.mcq import GEN_MAX_OUT_LEN, choice_subset, mcq_subset

LETTER_ANSWER = {"first_option", "first_capital"}


def test_mcq_helpers_cap_gen_answers():
    assert GEN_MAX_OUT_LEN == 100
    gen = mcq_subset("x", lambda d: None, "gen", body="{question}\n", cue="Answer:")
    assert gen.max_out_len == GEN_MAX_OUT_LEN
    assert mcq_subset("x", lambda d: None, "gen", body="q", cue="A:", max_out_len=None).max_out_len is None
    assert choice_subset("y", lambda d: None, "gen", labels="AB", gen_human="{q}",
                         ppl_human="{q}").max_out_len == GEN_MAX_OUT_LEN


def test_every_letter_answer_gen_subset_is_capped():
    registry = make_plugin_host().registry
    seen = 0
    for reg in registry.all("datasets"):
        if reg.plugin != "datasets" or reg.name in ("custom", "declarative"):  # built from options only
            continue
        factory = reg.load()
        bench = factory(chat=True) if "chat" in inspect.signature(factory).parameters else factory()
        for s in bench.subsets:
            if s.mode == "gen" and s.postprocessor in LETTER_ANSWER:
                seen += 1
                assert s.max_out_len is not None and s.max_out_len <= GEN_MAX_OUT_LEN, (reg.name, s.name)
    assert seen >= 10


def test_ceval_shots_header_and_cue_options(tmp_path):
    import pytest

    from compass._dataset import Rows
    from compass._errors import CompassError
    from compass_datasets import ceval

    row = {"question": "1+1=?", "A": "1", "B": "2", "C": "3", "D": "4", "answer": "B"}
    rows = Rows(test=[row], fewshot=[dict(row, question=f"q{i}") for i in range(5)])
    plain = ceval.ceval_ppl(subjects="accountant", shots=0, header=False, cue="答案：").subsets[0]
    req = plain.request(rows, 0, chat=False)
    from compass._types import prompt_to_text

    assert prompt_to_text(req.prompt) == "1+1=?\nA. 1\nB. 2\nC. 3\nD. 4\n答案："
    assert req.continuations == (" A", " B", " C", " D")
    five = ceval.ceval_ppl(subjects="accountant").subsets[0]
    text = prompt_to_text(five.request(rows, 0, chat=False).prompt)
    assert text.count("以下是中国关于") == 6 and "q4" in text and text.endswith("答案:")
    assert plain.version != five.version
    with pytest.raises(CompassError):
        ceval.ceval_ppl(shots=6)
