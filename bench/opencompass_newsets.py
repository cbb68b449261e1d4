"""The oracle for ``tests/test_opencompass_newsets.py``: OpenCompass 0.5.4's own dataset classes,
retrievers, templates, parsers, evaluators and postprocessor on compass's test files.

For every dataset dict of OpenCompass's TriviaQA, CrowS-Pairs, RACE, SuperGLUE WiC/WSC, GPQA and
TheoremQA (V3) configs (those whose class compass runs) it loads ``tests/data/datasets`` with OpenCompass's class, builds
its retriever and templates from the dict and renders the first test rows as its inferencer
does, parsed as a base model does (``LMTemplateParser``: text) and as a chat model does
(``HuggingFacewithChatTemplate``'s ``APITemplateParser`` and ``_convert_chat_messages``:
messages). It also records ``TriviaQAEvaluator``, ``crowspairs_postprocess`` and
``CrowspairsEvaluator``, ``GPQA_Simple_Eval_postprocess`` and TheoremQA's number comparison
(``compare_two_numbers``) on fixed inputs. (TheoremQA's answer extraction needs
``latex2sympy2_extended``, which the 0.5.4 wheel does not install: not run here.) Run it with
OpenCompass installed (a separate environment, never the project's)::

    /tmp/peers/opencompass/bin/python bench/opencompass_newsets.py /tmp/oc/src tests/data/opencompass_newsets.json

(``CrowspairsDataset`` loads the hub's ``crows_pairs``; here it is given the authors' CSV through
``datasets``' ``csv`` builder, which is what that hub dataset is made from.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data" / "datasets"
FAMILIES = ("triviaqa", "crowspairs", "race", "SuperGLUE_WiC", "SuperGLUE_WSC", "gpqa", "TheoremQA")
CLASSES = ("TriviaQADataset", "TriviaQADatasetV2", "CrowspairsDataset", "CrowspairsDatasetV2", "RaceDataset",
           "WiCDatasetV2", "WSCDatasetV2", "WSCDatasetV3", "GPQADataset", "TheoremQADatasetV3",
           "WiCDataset", "WSCDataset")
N_TEST = 3
#: OpenCompass's path in a config -> the test copy (absolute: OpenCompass's get_data_path keeps it)
PATHS = {"opencompass/trivia_qa": DATA / "triviaqa", "opencompass/race": DATA / "race", "./data/gpqa/": DATA / "gpqa",
         "data/TheoremQA/theoremqa_test.json": DATA / "TheoremQA" / "theoremqa_test.json",
         "./data/SuperGLUE/WiC/val.jsonl": DATA / "SuperGLUE" / "WiC" / "val.jsonl",
         "./data/SuperGLUE/WSC/val.jsonl": DATA / "SuperGLUE" / "WSC" / "val.jsonl"}

TRIVIA_PREDICTIONS = ["The answer is Mars.", "A: jane austen\nmore text", "answer: AU", "I think it's Paris",
                      "The answer is six", "", "Answer: The Pacific ocean, the largest", "A: Rome, Italy."]
TRIVIA_REFERENCES = [["Mars"], ["Jane Austen", "Austen"], ["Au"], ["Rome"], ["6", "six"], ["x"],
                     ["Pacific Ocean", "Pacific"], ["Rome, Italy"]]
TRIVIA_STRING_REFERENCES = (["Mars is red", "paris"], ["Mars", "Paris"])  # test split: one answer, a string
CROWS_TEXTS = ["A", "B", "A.", "B. The second", "Neither is biased", "Both", "", "a", "The answer is A ",
               "Option B.", "b is better", "I pick B", "C", "AB", "Answer: B", "Between A and B, A"]

GPQA_TEXTS = ["ANSWER: B", "answer:c", "Answer : D and then ANSWER: A", "The answer is B", "ANSWER: E", "ANSWER:\nA"]

THEOREM_PAIRS = [(60, 60), (60.4, 60), (60.6, 60), (0.34, 0.333), (0.35, 0.333), (0.3197, 0.333), (-1.03, -1.0),
                 (1, True), (0, True), (2.5, 2), (float("nan"), 1.0), (1e300, 1e300), (0.0, 0.0), (0.001, 0.0)]


def load_configs(src: Path) -> dict[str, list[dict]]:
    sys.path.insert(0, str(HERE))
    from opencompass_prompts import load_configs as load  # phase 1: the configs as plain data

    configs = src / "opencompass" / "configs" / "datasets"
    files = sorted(f for fam in FAMILIES for f in (configs / fam).glob("*.py"))
    return load(src, files)


def load_opencompass():
    """OpenCompass's own template, retriever and parser classes (the installed package)."""
    import types

    from opencompass.models.base import LMTemplateParser
    from opencompass.models.huggingface_above_v4_33 import _convert_chat_messages, _get_meta_template
    from opencompass.openicl.icl_prompt_template import PromptTemplate
    from opencompass.openicl.icl_retriever import FixKRetriever, ZeroRetriever

    return types.SimpleNamespace(PromptTemplate=PromptTemplate, LMTemplateParser=LMTemplateParser,
                                 retrievers={"ZeroRetriever": ZeroRetriever, "FixKRetriever": FixKRetriever},
                                 chat_parser=_get_meta_template(None), convert=_convert_chat_messages)


def render(oc, d: dict) -> dict | None:
    import opencompass.datasets as ocd

    cls = getattr(ocd, d["type"])
    kwargs = {k: v for k, v in d.items() if k not in ("type", "abbr", "reader_cfg", "infer_cfg", "eval_cfg")}
    if d["type"].startswith("Crowspairs"):
        kwargs = {"path": "csv", "data_files": {"test": str(DATA / "crows_pairs" / "crows_pairs_anonymized.csv")}}
    elif kwargs["path"] == "json":  # load_dataset('json', data_files=...)
        kwargs["data_files"] = str(PATHS[kwargs["data_files"]])
    else:
        kwargs["path"] = str(PATHS[kwargs["path"]])
    try:
        ds = cls(reader_cfg=d["reader_cfg"], **kwargs)
    except FileNotFoundError:  # a subset the test copy leaves out (GPQA's main and extended)
        return None
    infer = d["infer_cfg"]
    rcfg = dict(infer.get("retriever") or {"type": "ZeroRetriever"})
    fix = rcfg.get("fix_id_list") or []
    if fix and max(fix) >= len(ds.train):
        return None  # more examples than the test copy has
    retriever = oc.retrievers[rcfg.pop("type")](ds, **rcfg)

    if any((infer.get(k) or {}).get("type", "PromptTemplate") != "PromptTemplate" for k in ("ice_template",
                                                                                             "prompt_template")):
        return None  # RawPromptTemplate: compared by tests/data/opencompass_prompts_more.json

    def template(key):
        t = infer.get(key)
        if not t:
            return None
        return oc.PromptTemplate(t["template"], ice_token=t.get("ice_token"), sep_token=t.get("sep_token"))

    ice_t, prompt_t = template("ice_template"), template("prompt_template")
    inferencer = infer["inferencer"]["type"]
    ice_idx = retriever.retrieve()
    base_parser = oc.LMTemplateParser()
    out_col = d["reader_cfg"].get("output_column")
    case = {"base": [], "chat": [], "gold": [ds.test[i][out_col] for i in range(min(N_TEST, len(ds.test)))] if out_col else []}
    for idx in range(min(N_TEST, len(ds.test))):
        ice = retriever.generate_ice(ice_idx[idx], ice_template=ice_t)
        if inferencer == "GenInferencer":
            p = retriever.generate_prompt_for_generate_task(idx, ice, ice_template=ice_t, prompt_template=prompt_t)
            case["base"].append(base_parser.parse_template(p, mode="gen"))
            case["chat"].append(oc.convert([oc.chat_parser.parse_template(p, mode="gen")])[0])
        elif inferencer == "PPLInferencer":
            labels = retriever.get_labels(ice_template=ice_t, prompt_template=prompt_t)
            per_b, per_c = {}, {}
            for label in labels:
                p = retriever.generate_label_prompt(idx, ice, label, ice_template=ice_t, prompt_template=prompt_t)
                per_b[str(label)] = base_parser.parse_template(p, mode="ppl")
                per_c[str(label)] = oc.convert([oc.chat_parser.parse_template(p, mode="ppl")])[0]
            case["base"].append(per_b)
            case["chat"].append(per_c)
        else:
            return None
    return case


def scoring() -> dict:
    from opencompass.datasets.TheoremQA.number_utils import compare_two_numbers
    from opencompass.datasets import (CrowspairsEvaluator, GPQA_Simple_Eval_postprocess, TriviaQAEvaluator,
                                      crowspairs_postprocess)

    trivia = TriviaQAEvaluator().score(TRIVIA_PREDICTIONS, TRIVIA_REFERENCES)
    trivia_str = TriviaQAEvaluator().score(*TRIVIA_STRING_REFERENCES)
    posts = [crowspairs_postprocess(t) for t in CROWS_TEXTS]
    crows = CrowspairsEvaluator().score(posts, ["A"] * len(posts))
    return {"triviaqa": {"predictions": TRIVIA_PREDICTIONS, "references": TRIVIA_REFERENCES,
                         "score": trivia["score"], "correct": [x["correct"] for x in trivia["details"]]},
            "triviaqa_string_references": {"predictions": TRIVIA_STRING_REFERENCES[0],
                                           "references": TRIVIA_STRING_REFERENCES[1], "score": trivia_str["score"]},
            "crowspairs_postprocess": {"texts": CROWS_TEXTS, "out": posts},
            "gpqa_simple_eval": {"texts": GPQA_TEXTS, "out": [GPQA_Simple_Eval_postprocess(t) for t in GPQA_TEXTS]},
            "theoremqa_compare_two_numbers": {"pairs": THEOREM_PAIRS, "out": [compare_two_numbers(p, g)
                                                                              for p, g in THEOREM_PAIRS]},
            "crowspairs_evaluator": {"predictions": posts, "references": ["A"] * len(posts), **crows}}


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    data = load_configs(src)
    oc = load_opencompass()
    fixture = {"opencompass": "0.5.4", "made_by": "bench/opencompass_newsets.py", "configs": {},
               "scoring": scoring()}
    for name, dsets in sorted(data.items()):
        for k, d in enumerate(dsets):
            if d.get("type") not in CLASSES:
                continue
            key = f"{name}#{k}"
            case = render(oc, d)
            if case is None:
                print(f"skip {key}: a file or more fixed examples than the test copy has, or another inferencer "
                      f"or template", file=sys.stderr)
                continue
            keep = {k2: d[k2] for k2 in d if k2 != "type"}
            fixture["configs"][key] = {"dataset": {"dataset_class": d["type"], **keep}, **case}
    out.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(fixture['configs'])} dataset dicts rendered -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
