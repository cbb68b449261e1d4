"""Multiple-choice answers in gen mode are capped, so one runaway answer cannot hold a batch."""

from __future__ import annotations

import inspect

from compass.plugins import make_plugin_host

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
        if reg.plugin != "datasets" or reg.name == "custom":
            continue
        factory = reg.load()
        bench = factory(chat=True) if "chat" in inspect.signature(factory).parameters else factory()
        for s in bench.subsets:
            if s.mode == "gen" and s.postprocessor in LETTER_ANSWER:
                seen += 1
                assert s.max_out_len is not None and s.max_out_len <= GEN_MAX_OUT_LEN, (reg.name, s.name)
    assert seen >= 10
