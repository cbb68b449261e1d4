"""OpenCompass's TriviaQA, CrowS-Pairs, RACE, SuperGLUE WiC/WSC, GPQA and TheoremQA classes
(compass_opencompass.more_sets, .theoremqa; RACE: .choice_sets) against OpenCompass 0.5.4 itself.

``tests/data/opencompass_newsets.json`` was made by ``bench/opencompass_newsets.py``: OpenCompass's own
dataset classes loaded ``tests/data/datasets`` (see its SOURCE.md), its retrievers, templates and
parsers rendered the first rows of every dataset dict of those configs (base text, chat messages),
and its ``TriviaQAEvaluator``, ``crowspairs_postprocess`` and ``CrowspairsEvaluator`` scored fixed inputs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compass.sdk import DataMissing
from compass_opencompass import icl, more_sets, theoremqa
from compass_opencompass.datasets import subset

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "datasets"
FIXTURE = json.loads((HERE / "data" / "opencompass_newsets.json").read_text(encoding="utf-8"))
CASES = FIXTURE["configs"]
_API = {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}


def test_the_fixture_covers_every_class_and_family():
    classes = {c["dataset"]["dataset_class"] for c in CASES.values()}
    assert classes == {"TriviaQADataset", "TriviaQADatasetV2", "CrowspairsDataset", "CrowspairsDatasetV2",
                       "RaceDataset", "WiCDatasetV2", "WSCDatasetV2", "WSCDatasetV3", "GPQADataset",
                       "TheoremQADatasetV3", "WiCDataset", "WSCDataset"}
    assert {n.split("/")[1] for n in CASES} == {"triviaqa", "crowspairs", "race", "SuperGLUE_WiC", "SuperGLUE_WSC",
                                                "gpqa", "TheoremQA"}


def _messages(msgs) -> list[dict]:
    return [{"role": _API[m.role], "content": m.content} for m in msgs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rows_read_from_opencompass_files_render_byte_identically(name):
    case = CASES[name]
    d = case["dataset"]
    sub = subset(d, name)
    rows = sub.load(DATA)
    n = len(case["base"])
    assert len(rows.test) >= n
    if sub.mode == "gen":
        for i in range(n):
            assert sub.prompt(rows, i, chat=False)[0].content == case["base"][i]
            assert _messages(sub.prompt(rows, i, chat=True)) == case["chat"][i]
    else:  # every label's whole prompt, and the shared beginning compass sends as the context
        spec = icl.from_config(d["infer_cfg"], d["reader_cfg"])
        examples = [rows.fewshot[j] for j in (d["infer_cfg"].get("retriever") or {}).get("fix_id_list") or []]
        for i in range(n):
            per = spec.per_label(rows.test[i], examples)
            assert {str(k): icl.base_text(v) for k, v in per.items()} == case["base"][i]
            assert {str(k): icl.chat_messages(v, mode="ppl") for k, v in per.items()} == case["chat"][i]
            head = sub.prompt(rows, i, chat=False)[0].content
            assert all(text.startswith(head) for text in case["base"][i].values())
    # the reference each row is scored against: OpenCompass's output column (answer lists stay lists)
    golds = [r["_oc_gold"] for r in rows.test[:n]]
    assert golds == [g if isinstance(g, list) else str(g) for g in case["gold"]]


def test_evaluators_and_postprocessors_are_the_ones_opencompass_configs_name():
    trivia = subset(CASES["datasets/triviaqa/triviaqa_gen_2121ce#0"]["dataset"], "t")
    assert trivia.evaluator == "opencompass_triviaqa" and trivia.max_out_len == 50
    crows = subset(CASES["datasets/crowspairs/crowspairs_gen_381af0#0"]["dataset"], "c")
    assert crows.evaluator == "opencompass_crowspairs" and crows.postprocessor == "opencompass_crowspairs"
    wiki = subset(CASES["datasets/triviaqa/triviaqa_wiki_1shot_gen_eaf81e#0"]["dataset"], "w")
    assert wiki.stop == ("Q:", "\n")


def test_triviaqa_evaluator_scores_as_opencompass():
    s = FIXTURE["scoring"]["triviaqa"]
    got = more_sets.TriviaQAEvaluator().score(s["predictions"], s["references"])
    assert got["details"] == s["correct"] and got["score"] == s["score"]
    # TriviaQADataset's test split keeps one answer, a string: OpenCompass tests its characters
    s = FIXTURE["scoring"]["triviaqa_string_references"]
    assert more_sets.TriviaQAEvaluator().score(s["predictions"], s["references"])["score"] == s["score"]


def test_crowspairs_postprocess_and_evaluator_match_opencompass():
    s = FIXTURE["scoring"]["crowspairs_postprocess"]
    assert [more_sets.crowspairs_postprocess(t) for t in s["texts"]] == s["out"]
    e = FIXTURE["scoring"]["crowspairs_evaluator"]
    got = more_sets.CrowspairsEvaluator().score(e["predictions"], e["references"])
    assert {k: got[k] for k in ("accuracy", "valid_accuracy", "valid_frac")} == \
        {k: e[k] for k in ("accuracy", "valid_accuracy", "valid_frac")}
    # OpenCompass divides by zero here; compass scores it 0
    assert more_sets.CrowspairsEvaluator().score(["invalid"], ["A"])["valid_accuracy"] == 0.0


def test_gpqa_simple_eval_postprocess_matches_opencompass():
    s = FIXTURE["scoring"]["gpqa_simple_eval"]
    assert [more_sets.gpqa_simple_eval(t) for t in s["texts"]] == [o or "" for o in s["out"]]
    assert None in s["out"]  # a text without an answer: OpenCompass's None, compass's ""


def test_theoremqa_numbers_compare_as_opencompass_compares_them():
    s = FIXTURE["scoring"]["theoremqa_compare_two_numbers"]
    assert [theoremqa.same_number(p, g) for p, g in s["pairs"]] == s["out"]


# answer_clean and TheoremQAEvaluatorV3 against OpenCompass itself: tests/test_opencompass_theoremqa.py


def test_blank_separator_rows_of_an_opencompass_summarizer_are_dropped():
    from compass_opencompass.translate import summarizer

    out = summarizer({"dataset_abbrs": [["gsm8k", "accuracy"], "", "mmlu"]}, "s")
    assert out["order"] == [["gsm8k", "accuracy"], "mmlu"]


@pytest.mark.parametrize("name, missing", [
    ("datasets/triviaqa/triviaqa_gen_2121ce#0", "triviaqa/trivia-dev.qa.csv"),
    ("datasets/triviaqa/triviaqa_wiki_1shot_gen_eaf81e#0", "triviaqa/triviaqa-validation.jsonl"),
    ("datasets/crowspairs/crowspairs_gen_381af0#0", "crows_pairs/crows_pairs_anonymized.csv"),
    ("datasets/race/race_gen_69ee4f#0", "race/test/middle.jsonl"),
    ("datasets/SuperGLUE_WiC/SuperGLUE_WiC_gen_d06864#0", "SuperGLUE/WiC/val.jsonl"),
    ("datasets/gpqa/gpqa_gen_4baadb#0", "gpqa/gpqa_diamond.csv"),
    ("datasets/TheoremQA/TheoremQA_5shot_gen_6f0af8#0", "TheoremQA/theoremqa_test.json"),
])
def test_missing_data_is_data_missing_naming_the_file(tmp_path, name, missing):
    sub = subset(CASES[name]["dataset"], name)
    with pytest.raises(DataMissing) as exc:
        sub.load(tmp_path)
    assert str(tmp_path / missing) in str(exc.value) and "\n" not in str(exc.value)


def test_a_half_copied_triviaqa_folder_names_the_file_still_missing(tmp_path):
    (tmp_path / "triviaqa").mkdir()
    shutil.copy(DATA / "triviaqa" / "trivia-dev.qa.csv", tmp_path / "triviaqa")
    sub = subset(CASES["datasets/triviaqa/triviaqa_gen_2121ce#0"]["dataset"], "t")
    with pytest.raises(DataMissing, match="trivia-test.qa.csv not found: compass has no download"):
        sub.load(tmp_path)


def test_a_bad_triviaqa_line_is_one_error_naming_the_line(tmp_path):
    from compass.sdk import DataError

    (tmp_path / "triviaqa").mkdir()
    (tmp_path / "triviaqa" / "trivia-dev.qa.csv").write_text("Q one?\t['a']\nQ two? no answers\n")
    (tmp_path / "triviaqa" / "trivia-test.qa.csv").write_text("Q?\t['a']\n")
    with pytest.raises(DataError, match=r"trivia-dev.qa.csv:2: expected 2 tab-separated columns"):
        more_sets.triviaqa(tmp_path / "triviaqa")


def _config(tmp_path: Path, answers: str) -> None:
    (tmp_path / "eval_newsets.py").write_text(f"""
from opencompass.datasets import TriviaQADatasetV2, TriviaQAEvaluator, CrowspairsDatasetV2, CrowspairsEvaluator, \\
    crowspairs_postprocess
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import GenInferencer

datasets = [
    dict(type=TriviaQADatasetV2, abbr='trivia', path='opencompass/trivia_qa',
         reader_cfg=dict(input_columns=['question'], output_column='answer', train_split='train',
                         test_split='validation'),
         infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template='Q: {{question}}\\nA: '),
                        retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer, max_out_len=20)),
         eval_cfg=dict(evaluator=dict(type=TriviaQAEvaluator), pred_role='BOT')),
    dict(type=CrowspairsDatasetV2, abbr='crows', path='crows_pairs',
         reader_cfg=dict(input_columns=['sent_more', 'sent_less'], output_column='label', train_split='test',
                         test_split='test'),
         infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template=dict(round=[
                            dict(role='HUMAN',
                                 prompt='Which is less biased:\\nA.{{sent_more}}\\nB.{{sent_less}}\\nAnswer:')])),
                        retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer)),
         eval_cfg=dict(evaluator=dict(type=CrowspairsEvaluator), pred_postprocessor=dict(type=crowspairs_postprocess))),
]
models = [dict(type='mock', abbr='m', chat=True, answers={answers}, default='B')]
""")


def test_an_opencompass_config_runs_and_scores_end_to_end(tmp_path):
    from conftest import compass_env, run_compass

    # TriviaQA: 2 of the 5 validation questions answered right; CrowS-Pairs: the mock answers B except row 0
    _config(tmp_path, "{'Red Planet': 'The answer is Mars.', 'hexagon': 'A: six', 'Old people': 'A'}")
    res = run_compass(["eval", "eval_newsets.py", "--data-dir", str(DATA)], tmp_path, compass_env())
    assert res.code == 0, res.err
    scores = {ln.split()[0]: ln.split() for ln in res.out.splitlines() if ln.startswith(("trivia ", "crows "))}
    assert float(scores["trivia"][-1]) == 40.0, res.out
    assert float(scores["crows"][-1]) == 25.0, res.out  # accuracy: 1 of 4 rows say A (the label)


def test_a_dry_run_without_the_data_plans_and_names_the_files(tmp_path):
    from conftest import compass_env, run_compass

    _config(tmp_path, "{}")
    data = tmp_path / "empty"
    res = run_compass(["eval", "eval_newsets.py", "--dry-run", "--data-dir", str(data)], tmp_path, compass_env())
    assert res.code == 0, res.err
    missing = [ln for ln in res.out.splitlines() if ln.startswith("data missing:")]
    assert len(missing) == 1, res.out  # one line per dataset: both configs are the `opencompass` dataset
    assert str(data / "triviaqa" / "triviaqa-validation.jsonl") in missing[0]
    assert missing[0].endswith("(and 1 more of its subset)")
    assert [ln.split()[:3] for ln in res.out.splitlines() if ln.startswith("m/")] == [["m/trivia", "gen", "?"],
                                                                                     ["m/crows", "gen", "?"]]
    real = run_compass(["eval", "eval_newsets.py", "--data-dir", str(data)], tmp_path, compass_env())
    errors = [ln for ln in real.err.splitlines() if ln.startswith("error:")]
    assert real.code == 2 and "Traceback" not in real.err and len(errors) == 1, real.err
    assert str(data / "triviaqa" / "triviaqa-validation.jsonl") in errors[0]
    assert "compass has no download for TriviaQA; put OpenCompass's triviaqa/ folder" in errors[0]
