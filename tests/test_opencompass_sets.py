"""OpenCompass's MBPP, HumanEval-postprocessor, NQ, AIME and IFEval configs run by their own
definition: real rows loaded into the columns OpenCompass's dataset classes make, and a
known-right and a known-wrong answer scored through each evaluator (MBPP's in the sandbox).

Rows: the small real copies in ``tests/data/datasets`` (attribution in its SOURCE.md files),
and files written here in OpenCompass's own layouts. The MBPP/HumanEval extraction rules were
checked against OpenCompass 0.5.4's own functions by ``bench/opencompass_mbpp_check.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compass_opencompass import code_sets, qa_sets
from compass_opencompass.datasets import subset
from conftest import only_run_dir

SMALL = Path(__file__).resolve().parent / "data" / "datasets"
HAS_BWRAP = bool(shutil.which("bwrap"))

MBPP_PROMPT = ("You are an expert Python programmer, and here is your task: {text} "
               "Your code should pass these tests:\n\n {test_list}  \n")
MBPP_INFER = {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
    {"role": "HUMAN", "prompt": MBPP_PROMPT}, {"role": "BOT", "prompt": "[BEGIN]\n"}]}},
    "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer", "max_out_len": 512}}


def _small_mbpp() -> list[dict]:
    return [json.loads(x) for x in (SMALL / "mbpp" / "mbpp.jsonl").read_text().splitlines()]


def _mbpp_dir(root: Path, sanitized: bool = False) -> Path:
    """An mbpp.jsonl in OpenCompass's layout: 10 example lines (the real tasks 2-4, renumbered 1-10),
    then the real tasks 11-16 (``sanitized``: 7 example lines and the problem as ``prompt``)."""
    real = _small_mbpp()
    n_train = 7 if sanitized else 10
    lines = [{**real[i % 3], "task_id": i + 1} for i in range(n_train)] + [r for r in real if r["task_id"] >= 11]
    if sanitized:
        lines = [{("prompt" if k == "text" else k): v for k, v in r.items()} for r in lines]
    (root / "mbpp").mkdir(parents=True, exist_ok=True)
    name = "sanitized-mbpp.jsonl" if sanitized else "mbpp.jsonl"
    (root / "mbpp" / name).write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    return root


def _d(cls: str, path: str, infer: dict, evaluator: dict, reader: dict, **extra) -> dict:
    return {"dataset_class": cls, "abbr": extra.pop("abbr", cls.lower()), "path": path, "reader_cfg": reader,
            "infer_cfg": infer, "eval_cfg": {"evaluator": evaluator, "pred_role": "BOT"}, **extra}


# ---- MBPP
def test_mbpp_classes_make_opencompass_columns(tmp_path):
    data = _mbpp_dir(tmp_path)
    reader = {"input_columns": ["text", "test_list"], "output_column": "test_list_2"}
    sub = subset(_d("MBPPDataset", "opencompass/mbpp", MBPP_INFER, {"type": "MBPPEvaluator"}, reader), "mbpp")
    rows = sub.load(data)
    assert [r["task_id"] for r in rows.test] == [11, 12, 13, 14, 15, 16] and len(rows.fewshot) == 10
    first = rows.test[0]
    assert first["test_case"] == _small_mbpp()[3]["test_list"] and first["test_list"] == "\n".join(first["test_case"])
    assert first["_oc_gold"] == first["test_list_2"] == first["test_list"]
    assert sub.evaluator == "code_exec" and sub.postprocessor == "opencompass_mbpp"
    assert sub.evaluator_kwargs == {"completion": False}
    text = sub.prompt(rows, 0, chat=False)[0].content
    # OpenCompass's base parser joins the rounds with a newline
    assert text == MBPP_PROMPT.format(text=first["text"], test_list=first["test_list"]) + "\n[BEGIN]\n"

    reader2 = {"input_columns": ["text", "test_list"], "output_column": "test_column"}
    v2 = subset(_d("MBPPDatasetV2", "opencompass/mbpp", MBPP_INFER, {"type": "MBPPPassKEvaluator", "k": [1, 2]},
                   reader2, num_repeats=2), "mbpp_passk")
    rows2 = v2.load(data)
    assert [r["problem"] for r in rows2.test] == [11, 12, 13, 14, 15, 16] * 2
    assert rows2.test[0]["_oc_gold"] == {"test_list_2": first["test_list"], "task_id": 11}  # a dict, as there
    assert v2.evaluator_kwargs == {"completion": False, "ks": [1, 2]}

    san = subset(_d("SanitizedMBPPDataset", "opencompass/sanitized_mbpp", MBPP_INFER, {"type": "MBPPEvaluator2"},
                    {"input_columns": ["text", "test_list"], "output_column": "test_list_2"}), "sanitized")
    srows = san.load(_mbpp_dir(tmp_path / "s", sanitized=True))
    assert len(srows.fewshot) == 7 and srows.test[0]["text"] == first["text"] and "prompt" not in srows.test[0]
    assert san.postprocessor == "opencompass_mbpp2"


def test_sanitized_mbpp_without_its_file_names_what_is_missing(tmp_path):
    from compass.sdk import DataMissing

    sub = subset(_d("SanitizedMBPPDataset", "opencompass/sanitized_mbpp", MBPP_INFER, {"type": "MBPPEvaluator"},
                    {"input_columns": ["text", "test_list"], "output_column": "test_list_2"}), "sanitized")
    with pytest.raises(DataMissing, match="sanitized-mbpp.jsonl"):
        sub.load(_mbpp_dir(tmp_path))


def test_an_evaluator_that_extracts_and_a_pred_postprocessor_are_refused():
    from compass.sdk import CompassError

    d = _d("MBPPDataset", "opencompass/mbpp", MBPP_INFER, {"type": "MBPPEvaluator"},
           {"input_columns": ["text", "test_list"], "output_column": "test_list_2"})
    d["eval_cfg"]["pred_postprocessor"] = {"type": "first_capital_postprocess"}
    with pytest.raises(CompassError, match="extracts the code itself"):
        subset(d, "mbpp")


def test_code_extraction_follows_opencompass():
    base = "[BEGIN]\n 'def f(x):\r\n  return x' \n[DONE] \n\n You are an expert"
    assert code_sets.mbpp_code(base) == "def f(x):\r\n  return x"
    assert code_sets.mbpp_code("Here:\n```python\ndef f(x):\n    return x\n```\nThis works.") == "def f(x):\n    return x"
    assert code_sets.mbpp_code("def f(x):\n    return x\\_1\n") == "def f(x):\n    return x_1"
    assert code_sets.mbpp2_code("Here you go\ndef f(x):\n    return x\n# Test\nassert f(1) == 1") == \
        "def f(x):\n    return x"
    assert code_sets.mbpp2_code("```python\ndef f(x):\n    return x\n```") == "def f(x):\n    return x"
    assert code_sets.humaneval_code("```python\ndef f(x):\n    return x + 1\n```") == "    return x + 1\n"
    assert code_sets.humaneval_code("import math\ndef f(x):\n    return math.floor(x)\n\nprint(f(2))") == \
        "    return math.floor(x)"
    assert code_sets.humaneval_code("return x") == "    return x"
    assert code_sets.humaneval_internal_v2("   return x + 1\n\n\n\ndef other():\n    pass") == "    return x + 1"
    assert code_sets.humaneval_internal_v1("'    return x'") == "    return x"
    assert code_sets.humaneval_internal_v1("def f(x):\n    if x:\n        return 1\n    return 0\nprint(1)") == \
        "    if x:\n        return 1\n    return 0"
    assert code_sets.humaneval_internal_v1("__import__('os').getcwd()") == "    __import__('os').getcwd()"  # never run


def test_asserts_become_type_aware_comparisons():
    tests = code_sets.type_aware_tests("assert f(1) == 2\nassert g() != 3\nassert h()==[1, 2]")
    assert f"assert {code_sets.EQUAL}(f(1), 2)" in tests and "assert g() != 3" in tests
    assert f"assert {code_sets.EQUAL}(h(), [1, 2])" in tests and tests.startswith(f"def {code_sets.EQUAL}(")
    assert code_sets.type_aware_tests("assert (") == "assert ("  # does not parse: runs (and fails) as written


def _oc_config(tmp: Path, datasets: list[dict], answers: dict, chat: bool = False) -> Path:
    """An OpenCompass-style config: the dataset dicts with their classes named as OpenCompass does."""
    text = ["from opencompass.openicl.icl_prompt_template import PromptTemplate",
            "from opencompass.openicl.icl_retriever import ZeroRetriever",
            "from opencompass.openicl.icl_inferencer import GenInferencer"]
    body = []
    for d in datasets:
        text.append(f"from opencompass.datasets import {d['dataset_class']}, {d['eval_cfg']['evaluator']['type']}")
        d = dict(d)
        cls = d.pop("dataset_class")
        src = json.dumps(d)
        for name in ("PromptTemplate", "ZeroRetriever", "GenInferencer"):
            src = src.replace(f'"type": "{name}"', f'"type": {name}')
        ev = d["eval_cfg"]["evaluator"]["type"]
        src = src.replace(f'"type": "{ev}"', f'"type": {ev}')
        body.append(f"dict(type={cls}, **{src})")
    text.append(f"datasets = [{', '.join(body)}]")
    text.append(f"models = [dict(type='mock', chat={chat}, answers={answers!r}, default='nothing')]")
    path = tmp / "eval_oc.py"
    path.write_text("\n".join(text).replace("null", "None").replace("true", "True").replace("false", "False") + "\n")
    return path


def _result(cwd: Path, abbr: str) -> dict:
    return json.loads((only_run_dir(cwd) / "results" / "mock" / f"{abbr}.json").read_text())


@pytest.mark.sandbox
@pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap (bwrap) not installed")
def test_mbpp_config_scores_in_the_sandbox_as_opencompass(compass):
    data = _mbpp_dir(compass.cwd / "data")
    real = {r["task_id"]: r for r in _small_mbpp()}
    answers = {}
    for tid in (11, 12, 13, 15):  # the reference solution, as a base model writes it after "[BEGIN]\n"
        answers[real[tid]["text"]] = f" '{real[tid]['code']}' \n[DONE] \n\n You are an expert"
    # task 14's reference returns 240.0 for 240: a pass before OpenCompass 0.5.4, a wrong answer in it
    answers[real[14]["text"]] = f" '{real[14]['code']}' \n[DONE]"
    answers[real[16]["text"]] = "```python\ndef text_lowercase_underscore(text):\n    return 'Not matched!'\n```"
    reader = {"input_columns": ["text", "test_list"], "output_column": "test_list_2"}
    d = _d("MBPPDataset", "opencompass/mbpp", MBPP_INFER, {"type": "MBPPEvaluator"}, reader, abbr="mbpp")
    res = compass("eval", str(_oc_config(compass.cwd, [d], answers)), "--data-dir", str(data))
    assert res.code == 0, res.err
    result = _result(compass.cwd, "mbpp")
    assert result["metrics"]["pass@1"] == pytest.approx(400 / 6)
    assert result["info"]["isolation"].startswith("bubblewrap")
    records = [json.loads(x) for x in (only_run_dir(compass.cwd) / "evaluations" / "mock" / "mbpp.jsonl")
               .read_text().splitlines()]
    by_index = {r["index"]: r for r in records}
    assert [by_index[i]["correct"] for i in range(6)] == [True, True, True, False, True, False]
    assert by_index[3]["reason"] == "assertion" and by_index[5]["reason"] == "assertion"


# ---- NQ
NQ_INFER = {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
    {"role": "HUMAN", "prompt": "Answer these questions, your answer should be as simple as possible, start your "
                                "answer with the prompt 'The answer is '.\nQ: {question}?"},
    {"role": "BOT", "prompt": "A:"}]}},
    "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer"}}


def test_nq_classes_read_opencompass_files_or_compass_nq_open(tmp_path):
    reader = {"input_columns": ["question"], "output_column": "answer", "train_split": "test"}
    sub = subset(_d("NaturalQuestionDataset", "opencompass/natural_question", NQ_INFER, {"type": "NQEvaluator"},
                    reader), "nq")
    rows = sub.load(SMALL)  # compass's NQ-Open dev file
    assert rows.test[0]["question"] == "when was the last time anyone was on the moon"
    assert rows.test[0]["_oc_gold"] == ["14 December 1972 UTC", "December 1972"] and sub.evaluator == "opencompass_nq"
    (tmp_path / "nq").mkdir()
    (tmp_path / "nq" / "nq-test.qa.csv").write_text("who wrote hamlet\t['William Shakespeare', 'Shakespeare']\n")
    (tmp_path / "nq" / "nq-dev.qa.csv").write_text("capital of france\t['Paris', 'paris']\n")
    rows = sub.load(tmp_path)
    assert rows.test == [{"question": "who wrote hamlet", "answer": ["William Shakespeare", "Shakespeare"],
                          "_oc_gold": ["William Shakespeare", "Shakespeare"]}]
    assert qa_sets.natural_question(tmp_path / "nq")["dev"] == [{"question": "capital of france", "answer": "Paris"}]
    reader_open = {"input_columns": ["question"], "output_column": "answer", "train_split": "train",
                   "test_split": "validation"}
    open_sub = subset(_d("NQOpenDataset", "opencompass/nq_open", NQ_INFER, {"type": "NQEvaluator"}, reader_open), "o")
    assert open_sub.load(SMALL).test[3]["_oc_gold"] == ["2017"]


def test_nq_evaluator_is_opencompass_containment_rule():
    ev = qa_sets.NQEvaluator()
    got = ev.score(["The answer is December 1972.\nMore text", "Bob Dylan", "the answer is: One season!", ""],
                   [["14 December 1972 UTC", "December 1972"], ["Bobby Scott"], ["one", "one season"], ["2017"]])
    assert got["details"] == [True, False, True, False] and got["score"] == 50.0
    assert qa_sets.general_postprocess("The U.S. Army, of course") == "U"


def test_nq_config_scores_end_to_end(compass):
    reader = {"input_columns": ["question"], "output_column": "answer", "train_split": "test"}
    d = _d("NaturalQuestionDataset", "opencompass/natural_question", NQ_INFER, {"type": "NQEvaluator"}, reader,
           abbr="nq")
    answers = {"anyone was on the moon": "The answer is December 1972", "he ain't heavy": "The answer is Elton John"}
    res = compass("eval", str(_oc_config(compass.cwd, [d], answers)), "--data-dir", str(SMALL))
    assert res.code == 0, res.err
    assert _result(compass.cwd, "nq")["metrics"]["score"] == pytest.approx(20.0)  # 1 of the 5 questions


# ---- AIME
AIME_INFER = {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
    {"role": "HUMAN", "prompt": "{question}\nPlease reason step by step, and put your final answer within \\boxed{}."}]}},
    "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer", "max_out_len": 2048}}


def test_aime2024_reads_compass_aime24_and_opencompass_aime_jsonl(tmp_path):
    d = _d("Aime2024Dataset", "opencompass/aime2024", AIME_INFER, {"type": "MATHEvaluator", "version": "v2"},
           {"input_columns": ["question"], "output_column": "answer"})
    d["eval_cfg"]["pred_postprocessor"] = {"type": "math_postprocess_v2"}
    sub = subset(d, "aime2024")
    rows = sub.load(SMALL / "aime")
    assert [r["_oc_gold"] for r in rows.test] == ["204", "113", "371"]
    assert rows.test[0]["question"].startswith("Every morning Aya goes for a $9$-kilometer-long walk")
    assert sub.evaluator == "math_equiv" and sub.postprocessor == "math_boxed"
    (tmp_path / "aime.jsonl").write_text(json.dumps({"origin_prompt": "What is 2+3?", "gold_answer": "5"}) + "\n")
    assert sub.load(tmp_path).test[0]["question"] == "What is 2+3?"
    assert qa_sets.aime2024(_write(tmp_path / "p.jsonl", {"problem": "x", "answer": "025"}))[0]["answer"] == "25"


def _write(path: Path, row: dict) -> Path:
    path.write_text(json.dumps(row) + "\n")
    return path


def test_aime2024_config_scores_end_to_end(compass):
    d = _d("Aime2024Dataset", "opencompass/aime2024", AIME_INFER, {"type": "MATHEvaluator", "version": "v2"},
           {"input_columns": ["question"], "output_column": "answer"}, abbr="aime2024")
    d["eval_cfg"]["pred_postprocessor"] = {"type": "math_postprocess_v2"}
    answers = {"Every morning Aya": "So the walk takes \\boxed{204} minutes.", "Let $ABC$": "\\boxed{112}"}
    res = compass("eval", str(_oc_config(compass.cwd, [d], answers, chat=True)), "--data-dir", str(SMALL / "aime"))
    assert res.code == 0, res.err
    assert _result(compass.cwd, "aime2024")["metrics"]["accuracy"] == pytest.approx(100 / 3)


# ---- IFEval
IFEVAL_INFER = {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
    {"role": "HUMAN", "prompt": "{prompt}"}]}},
    "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer", "max_out_len": 1025}}


def test_ifeval_rows_carry_the_reference_and_the_checker_columns():
    sub = subset(_d("IFEvalDataset", "opencompass/IFEval", IFEVAL_INFER, {"type": "IFEvaluator"},
                    {"input_columns": ["prompt"], "output_column": "reference"}), "IFEval")
    rows = sub.load(SMALL)
    first = rows.test[0]
    assert first["_oc_gold"]["key"] == 1001 and first["instruction_id_list"] == ["punctuation:no_comma"]
    assert first["kwargs"] == [{}] and sub.evaluator == "ifeval"
    assert sub.prompt(rows, 0, chat=False)[0].content == first["prompt"]
    assert sub.prompt(rows, 0, chat=True)[0].content == first["prompt"] + "\n"  # OpenCompass's chat parser adds it


def test_ifeval_config_scores_end_to_end(compass):
    d = _d("IFEvalDataset", "opencompass/IFEval", IFEVAL_INFER, {"type": "IFEvaluator"},
           {"input_columns": ["prompt"], "output_column": "reference", "test_range": "[0:2]"}, abbr="IFEval")
    answers = {"trip to Japan": "Day one: Tokyo. Day two: Kyoto.",  # no comma: followed
               "Two young boys": "What Are The Boys Holding?"}  # not lower case: not followed
    res = compass("eval", str(_oc_config(compass.cwd, [d], answers, chat=True)), "--data-dir", str(SMALL))
    assert res.code == 0, res.err
    metrics = _result(compass.cwd, "IFEval")["metrics"]
    assert metrics["prompt_level_strict_acc"] == pytest.approx(50.0)


# ---- RawPromptTemplate
def test_raw_prompt_template_sends_the_messages_as_written_to_chat_models_only():
    from compass.sdk import CompassError
    from compass_opencompass.datasets import opencompass

    infer = {"prompt_template": {"type": "RawPromptTemplate", "messages": [
        {"role": "system", "content": "Be brief about {topic}."}, "</E>", {"expand_column": "history"},
        {"role": "user", "content": "{prompt}"}]},
        "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer"}}
    d = _d("IFEvalDataset", "opencompass/IFEval", infer, {"type": "IFEvaluator"},
           {"input_columns": ["prompt"], "output_column": "reference"}, abbr="IFEval")
    sub = subset(d, "raw")
    rows = sub.load(SMALL)
    row = {**rows.test[0], "topic": "Japan", "history": [{"role": "user", "content": "hi"},
                                                          {"role": "assistant", "content": "hello"}]}
    got = [(m.role, m.content) for m in sub.template.render(row, chat=True)]
    assert got == [("SYSTEM", "Be brief about Japan."), ("HUMAN", "hi"), ("BOT", "hello"), ("HUMAN", row["prompt"])]
    with pytest.raises(CompassError, match="run it with a chat model"):
        opencompass([d], chat=False)
    assert opencompass([d], chat=True).subsets[0].name == "IFEval"
    fixk = {**infer, "retriever": {"type": "FixKRetriever", "fix_id_list": [0]}}
    with pytest.raises(CompassError, match="ZeroRetriever only"):
        subset({**d, "infer_cfg": fixk}, "raw")
    verbatim = {**infer, "prompt_template": {**infer["prompt_template"], "format_variables": False}}
    assert subset({**d, "infer_cfg": verbatim}, "raw").template.render(row, chat=True)[-1].content == "{prompt}"


def test_an_answer_extraction_model_is_named_not_dropped_silently(capsys):
    from compass_opencompass import datasets

    d = {"eval_cfg": {"evaluator": {"type": "AccEvaluator"},
                      "model_postprocessor": {"type": "xfinder_postprocess", "question_type": "short_text"}}}
    datasets._NOTED.discard("xfinder_postprocess")
    datasets._scoring(d, "nq_xfinder")
    datasets._scoring(d, "nq_xfinder")  # said once per process
    err = capsys.readouterr().err
    assert err.count("note: nq_xfinder.eval_cfg.model_postprocessor: compass does not run xfinder_postprocess") == 1
