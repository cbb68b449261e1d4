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
    if case.get("raw"):  # RawPromptTemplate: the messages an API model is sent; base models refused
        from compass.sdk import CompassError
        from compass_opencompass.raw_prompt import RawSpec

        spec = RawSpec(infer["prompt_template"], infer, "fixture")
        with pytest.raises(CompassError, match="chat model"):
            spec.render(case["rows"][0], chat=False)
        return [{"error": "AssertionError"}] * len(case["rows"]), [spec.chat(row) for row in case["rows"]]
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


DATA = Path(__file__).resolve().parent / "data" / "datasets"
#: a real config's definition (from the fixture) + the class, path and subject its dataset dict names
LOADED = [
    ("datasets/ceval/ceval_gen_5f30c7", "CEvalDataset", "opencompass/ceval-exam", {"name": "computer_network"}),
    ("datasets/ceval/ceval_ppl_578f8d", "CEvalDataset", "opencompass/ceval-exam", {"name": "computer_network"}),
    ("datasets/mmlu/mmlu_gen_4d595a", "MMLUDataset", "opencompass/mmlu", {"name": "abstract_algebra"}),
    ("datasets/mmlu/mmlu_ppl_ac766d", "MMLUDataset", "opencompass/mmlu", {"name": "abstract_algebra"}),
    ("datasets/cmmlu/cmmlu_ppl_8b9c76", "CMMLUDataset", "opencompass/cmmlu", {"name": "agronomy"}),
    ("datasets/gsm8k/gsm8k_gen_1d7fe4", "GSM8KDataset", "opencompass/gsm8k", {}),
    ("datasets/siqa/siqa_gen_18632c", "SiqaDatasetV3", "opencompass/siqa", {}),
    ("datasets/siqa/siqa_ppl_ced5f6", "siqaDataset", "opencompass/siqa", {}),
    ("datasets/piqa/piqa_ppl_1cf9f0", "PIQADataset", "opencompass/piqa", {}),
    ("datasets/ARC_c/ARC_c_gen_1e0de5", "ARCDataset", "opencompass/ai2_arc-test", {"name": "ARC-Challenge"}),
    ("datasets/SuperGLUE_BoolQ/SuperGLUE_BoolQ_gen_883d50", "BoolQDatasetV2", "opencompass/boolq", {}),
    ("datasets/bbh/bbh_gen_5b92b0", "BBHDataset", "opencompass/bbh", {"name": "date_understanding"}),
    ("datasets/winogrande/winogrande_ll_c5cf57", "WinograndeDataset", "opencompass/winogrande", {}),
]


@pytest.mark.parametrize("name, cls, path, extra", LOADED, ids=[x[0].split("/")[-1] for x in LOADED])
def test_opencompass_files_load_into_the_columns_the_config_reads(name, cls, path, extra):
    from compass_opencompass.datasets import subset

    d = {**CASES[name]["dataset"], "dataset_class": cls, "path": path, **extra}
    d["reader_cfg"] = {k: v for k, v in d["reader_cfg"].items() if k != "test_range"}
    sub = subset(d, name)
    rows = sub.load(DATA)
    assert rows.test
    cols = d["reader_cfg"]["input_columns"]
    for chat in (False, True):
        prompt = sub.prompt(rows, 0, chat=chat)
        text = "".join(m.content for m in prompt)
        assert not any("{" + c + "}" in text for c in cols), text  # every column the template reads was there
        if sub.mode == "ppl":
            req = sub.request(rows, 0, chat=chat)
            assert len(req.continuations) == len(icl.from_config(d["infer_cfg"], d["reader_cfg"]).labels())
    base = sub.prompt(rows, 0, chat=False)[0].content
    spec = icl.from_config(d["infer_cfg"], d["reader_cfg"])
    examples = [rows.fewshot[i] for i in (d["infer_cfg"].get("retriever") or {}).get("fix_id_list") or []]
    if sub.mode == "gen":
        assert base == icl.base_text(spec.gen(rows.test[0], examples))


def test_hellaswag_in_opencompass_layout_loads(tmp_path):
    from compass_opencompass.datasets import subset

    rows = [{"query": "Making tea: A woman fills a kettle. She", "choices": ["a.", "b.", "c.", "d."], "gold": 2}] * 12
    (tmp_path / "hellaswag").mkdir()
    for f in ("hellaswag.jsonl", "hellaswag_train_sampled25.jsonl"):
        (tmp_path / "hellaswag" / f).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    for name, cls, path in (("datasets/hellaswag/hellaswag_ppl_a6e128", "HellaswagDataset_V3", "opencompass/hellaswag"),
                            ("datasets/hellaswag/hellaswag_10shot_gen_e42710", "HellaswagDatasetwithICE",
                             "opencompass/hellaswag_ice")):
        if name not in CASES:
            continue
        d = {**CASES[name]["dataset"], "dataset_class": cls, "path": path}
        sub = subset(d, name)
        loaded = sub.load(tmp_path)
        text = sub.prompt(loaded, 0, chat=False)[0].content
        assert "{" not in text and "A woman fills a kettle" in text


def test_math_json_loads_with_the_boxed_answer_as_reference(tmp_path):
    from compass_opencompass.datasets import boxed, subset

    assert boxed(r"so \boxed{\frac{1}{2}} and then \boxed{3}") == "3"
    assert boxed(r"x = \boxed{\frac{a}{b}}") == r"\frac{a}{b}" and boxed("no box") is None
    (tmp_path / "math").mkdir()
    (tmp_path / "math" / "math.json").write_text(json.dumps(
        {"0": {"problem": "What is 1+1?", "solution": r"Add: $\boxed{2}$."}}))
    name = "datasets/math/math_gen_265cce"
    d = {**CASES[name]["dataset"], "dataset_class": "MATHDataset", "path": "opencompass/math",
         "eval_cfg": {"evaluator": {"type": "MATHEvaluator", "version": "v2"},
                      "pred_postprocessor": {"type": "math_postprocess_v2"}}}  # as math_gen_265cce says
    sub = subset(d, name)
    rows = sub.load(tmp_path)
    assert rows.test[0]["solution"] == "2" and sub.evaluator == "math_equiv" and sub.postprocessor == "math_boxed"
    assert "What is 1+1?" in sub.prompt(rows, 0, chat=False)[0].content


# ---- tests/data/opencompass_prompts_more.json (bench/opencompass_prompts.py --more): every dataset dict of
# GAOKAO-Bench, AGIEval and AIME 2025 (CustomDataset) configs and the first two of each LLM-judge config,
# also as ChatInferencer renders them, and the judge's prompt of GenericLLMEvaluator/LMEvaluator/CascadeEvaluator
MORE = json.loads((FIXTURE.parent / "opencompass_prompts_more.json").read_text(encoding="utf-8"))["configs"]
_API = {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}


def test_the_more_fixture_covers_every_subset_of_the_exam_configs_and_the_judges():
    families = {name.split("/")[1] for name in MORE}
    assert {"GaokaoBench", "agieval", "aime2025"} <= families
    assert sum("judge" in c for c in MORE.values()) >= 40 and sum("chat_inferencer" in c for c in MORE.values()) >= 300


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_prompts_are_byte_identical_to_opencompass(name):
    case = MORE[name]
    base, chat = _render(case)
    assert base == case["base"]
    assert chat == case["chat"]


@pytest.mark.parametrize("name", sorted(n for n in MORE if "chat_inferencer" in MORE[n]))
def test_chat_inferencer_prompts_are_byte_identical_to_opencompass(name):
    from compass_opencompass.datasets import OpenCompassTemplate

    case = MORE[name]
    d = {**case["dataset"], "infer_cfg": {**case["dataset"]["infer_cfg"], "inferencer": {"type": "ChatInferencer"}}}
    tpl = OpenCompassTemplate(d, "gen")
    for row, base, chat in zip(case["rows"], case["chat_inferencer"]["base"], case["chat_inferencer"]["chat"]):
        (text,) = tpl.render(row, chat=False)
        assert text.content == base
        assert [{"role": _API[m.role], "content": m.content} for m in tpl.render(row, chat=True)] == chat


@pytest.mark.parametrize("name", sorted(n for n in MORE if "judge" in MORE[n]))
def test_judge_prompts_are_byte_identical_to_opencompass(name):
    from compass_opencompass.judge import judge_messages

    case = MORE[name]
    ev = case["dataset"]["eval_cfg"]["evaluator"]
    template = (ev.get("llm_evaluator") or ev)["prompt_template"]
    out = case["dataset"]["reader_cfg"].get("output_column")
    for i, (row, want) in enumerate(zip(case["rows"], case["judge"])):
        got = judge_messages(template, row, f"<prediction t{i}>", row.get(out, "") if out else "")
        assert [{"role": _API[m.role], "content": m.content} for m in got] == want
