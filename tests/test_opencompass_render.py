"""Prompts rendered from OpenCompass 0.5.4's own dataset configs: compass's renderer against
OpenCompass's code, byte for byte, for base models (text) and chat models (messages).

``tests/data/opencompass_prompts.json`` was produced by ``bench/opencompass_prompts.py`` —
OpenCompass 0.5.4's ``PromptTemplate``, retrievers, ``LMTemplateParser`` and
``HuggingFacewithChatTemplate``'s ``APITemplateParser``/``_convert_chat_messages``, run in a
separate environment on the wheel's own ``configs/datasets`` files (synthetic rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_opencompass import icl

FIXTURE = Path(__file__).resolve().parent / "data" / "opencompass_prompts.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["configs"]


def _render(case: dict):
    d = case["dataset"]
    infer, reader = d["infer_cfg"], d["reader_cfg"]
    spec = icl.from_config(infer, reader)
    inferencer = infer["inferencer"]["type"]
    base, chat = [], []
    for row, ids in zip(case["rows"], case["ice_idx"]):
        examples = [case["pool"][i] for i in ids]
        if inferencer in ("GenInferencer", "CLPInferencer"):
            p = spec.gen(row, examples)
            base.append(icl.base_text(p))
            chat.append(icl.chat_messages(p, mode="gen"))
        else:
            per = spec.per_label(row, examples, labels=list(case["base"][0]))
            base.append({str(k): icl.base_text(v) for k, v in per.items()})
            chat.append({str(k): icl.chat_messages(v, mode="ppl") for k, v in per.items()})
    return base, chat


def test_the_fixture_covers_at_least_40_configs_of_many_families():
    families = {name.split("/")[1] for name in CASES}
    assert len(CASES) >= 40 and len(families) >= 15, (len(CASES), sorted(families))


@pytest.mark.parametrize("name", sorted(CASES))
def test_prompt_is_byte_identical_to_opencompass(name):
    case = CASES[name]
    base, chat = _render(case)
    assert base == case["base"]
    assert chat == case["chat"]


def test_retrievers_pick_opencompass_examples():
    for name, case in CASES.items():
        retr = dict(case["dataset"]["infer_cfg"].get("retriever") or {})
        kind = retr.pop("type", "ZeroRetriever")
        n = len(case["rows"])
        if kind == "FixKRetriever":
            assert [icl.fixed(len(case["pool"]), retr["fix_id_list"])] * n == case["ice_idx"], name
        elif kind == "RandomRetriever":
            got = icl.random_ids(len(case["pool"]), n, retr.get("ice_num", 1), retr.get("seed", 43))
            assert got == case["ice_idx"], name
        else:
            assert case["ice_idx"] == [[]] * n, name
