"""GAOKAO-Bench, AGIEval and CustomDataset configs as OpenCompass defines them: real rows (the
small copies under tests/data/datasets, see their SOURCE.md) loaded into the columns the
configs read, and known-right and known-wrong answers scored by OpenCompass's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_opencompass import exams
from compass_opencompass.datasets import subset

DATA = Path(__file__).resolve().parent / "data" / "datasets"
MORE = json.loads((Path(__file__).resolve().parent / "data" / "opencompass_prompts_more.json").read_text("utf-8"))
CASES = MORE["configs"]


def _config(prefix: str, abbr: str) -> dict:
    """A real config's dataset dict (from the fixture made with OpenCompass) by its abbr."""
    for name, case in sorted(CASES.items()):
        if name.startswith(prefix) and case["dataset"]["abbr"] == abbr:
            return dict(case["dataset"])
    raise KeyError(abbr)


def _gaokao(keyword: str, config: str = "datasets/GaokaoBench/GaokaoBench_no_subjective_gen_4c31db"):
    d = {**_config(config, f"GaokaoBench_{keyword}"), "dataset_class": "GaokaoBenchDataset",
         "path": "opencompass/GAOKAO-BENCH", "filename": f"/Multiple-choice_Questions/{keyword}.json", "name": keyword}
    sub = subset(d, keyword)
    return sub, sub.load(DATA / "gaokao")


def test_gaokao_rows_keep_their_answer_lists_and_fill_the_prompt():
    sub, rows = _gaokao("2010-2022_Math_I_MCQs")
    assert [r["_oc_gold"] for r in rows.test] == [["D"], ["A"]]
    text = sub.prompt(rows, 0, chat=False)[0].content
    assert text.startswith("请你做一道数学选择题") and rows.test[0]["question"] in text and "{question}" not in text
    assert sub.evaluator == "opencompass_gaokao" and sub.evaluator_kwargs == {"question_type": "single_choice"}


def test_gaokao_single_choice_reads_the_last_letter():
    ev = exams.GaokaoEvaluator("single_choice")
    sub, rows = _gaokao("2010-2022_Math_I_MCQs")
    golds = [r["_oc_gold"] for r in rows.test]
    right = ev.score(["【解析】 由题意 A 不对 ... <eoe>\n【答案】 D <eoa>", "【答案】: A <eoa>"], golds)
    assert right["score"] == 100.0 and right["details"] == [True, True]
    wrong = ev.score(["【答案】 D <eoa> 不, 是 B", "无法作答"], golds)
    assert wrong["score"] == 0.0 and wrong["details"] == [False, False]


def test_gaokao_multi_choice_gives_a_point_for_a_correct_subset():
    sub, rows = _gaokao("2010-2022_Physics_MCQs")
    assert sub.evaluator_kwargs == {"question_type": "multi_choice"}
    golds = [r["_oc_gold"] for r in rows.test]  # [["D"], ["AC"]]
    ev = exams.GaokaoEvaluator("multi_choice")
    # D right (2 of 2), A alone a subset of AC (1 of 2): 3 of 4 points
    got = ev.score(["【解析】... <eoe>\n【答案】D <eoa>", "【解析】... <eoe>\n【答案】 A <eoa>"], golds)
    assert got["score"] == 75.0 and got["details"] == [True, False]
    assert ev.score(["【答案】 B <eoa>", "【答案】 AB <eoa>"], golds)["score"] == 0.0


def test_gaokao_multi_question_and_five_of_seven():
    sub, rows = _gaokao("2010-2022_Geography_MCQs")
    assert sub.evaluator_kwargs == {"question_type": "multi_question_choice"}
    ev = exams.GaokaoEvaluator("multi_question_choice")
    gold = rows.test[0]["_oc_gold"]  # ["B", "C"]
    assert ev.score(["（1）【答案】 B <eoa>\n（2）【答案】 C <eoa>"], [gold])["score"] == 100.0
    assert ev.score(["（1）【答案】 B <eoa>\n（2）【答案】 D <eoa>"], [gold])["score"] == 50.0
    sub, rows = _gaokao("2012-2022_English_Cloze_Test")
    assert sub.evaluator_kwargs == {"question_type": "five_out_of_seven"}
    gold = rows.test[0]["_oc_gold"]  # ["C", "F", "A", "E", "D"]
    five = exams.GaokaoEvaluator("five_out_of_seven")
    assert five.score(["【答案】 CFAED <eoa>"], [gold])["score"] == 100.0
    assert five.score(["【答案】 CFAE <eoa>"], [gold])["score"] == 0.0  # four letters: the wrong length
    assert exams.GaokaoEvaluator("cloze").score(["x"], [["1"]]) == {"score": 0.0}  # subjective: 0, as there


def _agieval(name: str, abbr: str, config: str = "datasets/agieval/agieval_gen_f84832"):
    d = {**_config(config, abbr), "dataset_class": "AGIEvalDataset_v2", "path": "opencompass/agieval",
         "name": name, "setting_name": "zero-shot"}
    sub = subset(d, name)
    return sub, sub.load(DATA / "agieval")


def test_agieval_rows_join_passage_and_options_and_labels():
    sub, rows = _agieval("gaokao-physics", "agieval-gaokao-physics")
    assert [r["label"] for r in rows.test] == ["C", "AD"]  # a label list joined
    src = json.loads((DATA / "agieval/agieval/data/v1/gaokao-physics.jsonl").read_text("utf-8").splitlines()[0])
    assert rows.test[0]["question"] == (src["passage"] or "") + src["question"]
    assert rows.test[0]["options"] == "\n".join(src["options"])
    text = sub.prompt(rows, 0, chat=False)[0].content
    assert text.startswith("以下是一道中国高考物理选择题")  # the config's intro for this subject
    assert rows.test[0]["question"] + "\n" + rows.test[0]["options"] + "\n" in text
    assert sub.postprocessor == "opencompass_first_capital_multi"
    sub, rows = _agieval("math", "agieval-math")
    assert [r["label"] for r in rows.test] == ["(3,4]", "30"]  # no label: the answer
    assert sub.evaluator == "opencompass_agieval"


def test_agieval_cloze_answers_are_math_equivalent_or_not():
    ev = exams.AGIEvalEvaluator()
    golds = ["(3,4]", "30"]
    right = ev.score(["The interval is $(3, 4]$.", "So the answer is \\boxed{30}"], golds)
    assert right["score"] == 100.0
    wrong = ev.score(["The interval is $(3,5]$.", "x = 31"], golds)
    assert wrong["score"] == 0.0 and wrong["details"] == [False, False]
    assert exams.hendrycks_equiv("\\frac12", "0.5") and exams.hendrycks_equiv("\\dfrac{1}{2}", "1/2")
    assert exams.agieval_math_answer("答案是 x = 7") == "7"


def test_agieval_mcq_wants_every_letter():
    sub, rows = _agieval("jec-qa-kd", "agieval-jec-qa-kd", "datasets/agieval/agieval_mixed_e33d83")
    assert sub.evaluator == "opencompass_agieval_mcq" and [r["label"] for r in rows.test] == ["B", "D"]
    ev = exams.AGIEvalMCQEvaluator()
    post = exams.first_capital_multi
    assert ev.score([post("答案: B"), post("选 D")], ["B", "D"])["score"] == 100.0
    assert ev.score([post("答案: BD"), post("无")], ["B", "D"])["score"] == 0.0


def test_custom_dataset_reads_aime2025_by_its_opencompass_id():
    d = {**_config("datasets/aime2025/aime2025_llmjudge_gen_5e9f4f", "aime2025"),
         "dataset_class": "CustomDataset", "path": "opencompass/aime2025"}
    sub = subset(d, "aime2025")
    rows = sub.load(DATA / "aime")
    src = json.loads((DATA / "aime/aime/aime25/test.jsonl").read_text("utf-8").splitlines()[0])
    assert rows.test[0]["question"] == src["problem"] and rows.test[0]["_oc_gold"] == str(src["answer"])
    assert src["problem"] in sub.prompt(rows, 0, chat=True)[0].content


def test_custom_dataset_files_jsonl_and_csv(tmp_path):
    (tmp_path / "qa.jsonl").write_text('{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\n')
    (tmp_path / "mcq.csv").write_text("\ufeffquestion,A,B,answer\nSky?,blue,green,A\nGrass?,blue,green,B\n",
                                      encoding="utf-8")
    from compass_opencompass.custom import auto_config

    qa = auto_config({"path": str(tmp_path / "qa.jsonl")})
    assert qa["reader_cfg"] == {"input_columns": ["question"], "output_column": "answer"} and qa["abbr"] == "qa"
    assert qa["eval_cfg"]["evaluator"]["type"] == "AccEvaluator"
    rows = subset(qa, "qa").load(tmp_path)
    assert [r["_oc_gold"] for r in rows.test] == ["2", "4"]
    mcq = auto_config({"path": str(tmp_path / "mcq.csv"), "abbr": "colours"})
    sub = subset(mcq, "colours")
    assert sub.evaluator == "opencompass_option_sim_acc" and mcq["abbr"] == "colours"
    rows = sub.load(tmp_path)
    assert sub.prompt(rows, 0, chat=False)[0].content == "Question: Sky?\nA. blue\nB. green\nAnswer: "
    (tmp_path / "x.txt").write_text("nope")
    from compass.sdk import CompassError

    with pytest.raises(CompassError, match="jsonl"):
        auto_config({"path": str(tmp_path / "x.txt")})


def test_option_sim_acc_reads_letters_texts_and_near_misses():
    from compass.sdk import make_plugin_host

    from compass_opencompass.custom import OptionSimAcc

    host = make_plugin_host()
    ev = OptionSimAcc(["A", "B", "C"])
    row = {"A": "blue", "B": "green", "C": "red"}
    assert ev.parse("B", row, host) == "B"
    assert ev.parse("The answer is C.", row, host) == "C"
    assert ev.parse("it is green of course", row, host) == "B"
    assert ev.parse("gren", row, host) == "B"


def test_a_config_of_bare_files_runs_them_as_opencompass_custom_datasets(tmp_path):
    from conftest import compass_env, run_compass

    (tmp_path / "qa.jsonl").write_text('{"question": "What is 2 + 3?", "answer": "5"}\n'
                                       '{"question": "What is 4 + 4?", "answer": "8"}\n')
    (tmp_path / "mcq.csv").write_text("question,A,B,answer\nWhat is 2 + 3?,5,6,A\nWhat is 1 + 1?,3,2,B\n")
    (tmp_path / "eval_custom.py").write_text(
        "datasets = [dict(path='qa.jsonl'), dict(path='mcq.csv', abbr='tiny_mcq')]\n"
        "models = [dict(type='mock', abbr='m', chat=True, answers={'2 + 3': '5', '1 + 1': 'B'}, default='7')]\n")
    res = run_compass(["eval", "eval_custom.py"], tmp_path, compass_env())
    assert res.code == 0, res.err
    scores = {ln.split()[0]: float(ln.split()[-1]) for ln in res.out.splitlines() if ln.startswith(("qa ", "tiny_mcq "))}
    # qa: AccEvaluator, "5" right and "7" wrong; tiny_mcq: OptionSimAccEvaluator reads "5" as option A and "B" as B
    assert scores == {"qa": 50.0, "tiny_mcq": 100.0}, res.out


def test_a_bare_file_with_five_options_is_scored_on_all_five(tmp_path):
    from conftest import compass_env, run_compass

    (tmp_path / "five.jsonl").write_text(
        '{"question": "Pick the fifth.", "A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "answer": "E"}\n'
        '{"question": "Pick the first.", "A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "answer": "A"}\n')
    (tmp_path / "eval_five.py").write_text(
        "datasets = [dict(path='five.jsonl', abbr='five')]\n"
        "models = [dict(type='mock', abbr='m', chat=True, answers={'fifth': 'E', 'first': 'A'})]\n")
    res = run_compass(["eval", "eval_five.py"], tmp_path, compass_env())
    assert res.code == 0, res.err
    # the config's OptionSimAccEvaluator options (A-E) reach the evaluator: "E" is option E, not the nearest of A-D
    assert [float(ln.split()[-1]) for ln in res.out.splitlines() if ln.startswith("five ")] == [100.0], res.out


def test_a_bare_file_is_found_in_compass_data_dir_and_a_bad_meta_file_is_named(tmp_path):
    from conftest import compass_env, run_compass

    (tmp_path / "dd").mkdir()
    (tmp_path / "dd" / "qa.jsonl").write_text('{"question": "What is 2 + 3?", "answer": "5"}\n')
    (tmp_path / "eval_qa.py").write_text("datasets = [dict(path='qa.jsonl')]\n"
                                         "models = [dict(type='mock', abbr='m', chat=True, default='5')]\n")
    res = run_compass(["eval", "eval_qa.py"], tmp_path, compass_env(COMPASS_DATA_DIR=str(tmp_path / "dd")))
    assert res.code == 0, res.err
    res = run_compass(["eval", "eval_qa.py", "--dry-run"], tmp_path, compass_env(COMPASS_DATA_DIR=""))
    assert res.code == 2 and "set COMPASS_DATA_DIR to the folder that has it" in res.err, res.err
    (tmp_path / "dd" / "qa.jsonl.meta.json").write_text("{not json")
    res = run_compass(["eval", "eval_qa.py", "--dry-run"], tmp_path, compass_env(COMPASS_DATA_DIR=str(tmp_path / "dd")))
    assert res.code == 2 and "qa.jsonl.meta.json: not valid JSON" in res.err and "Traceback" not in res.err, res.err


@pytest.mark.parametrize("inferencer, words", [
    ({"type": "AgentInferencer"}, "GenInferencer configs"),
    ({"type": "ChatInferencer", "infer_mode": "every"}, "infer_mode='last'"),
    ({"type": "CLPInferencer"}, "ceval_clp"),
])
def test_inferencers_compass_does_not_run_are_one_line_naming_the_nearest(inferencer, words):
    from compass.sdk import CompassError

    d = {**_config("datasets/aime2025/aime2025_llmjudge_gen_5e9f4f", "aime2025"),
         "dataset_class": "CustomDataset", "path": "opencompass/aime2025"}
    d["infer_cfg"] = {**d["infer_cfg"], "inferencer": inferencer}
    with pytest.raises(CompassError) as err:
        subset(d, "aime2025")
    assert words in str(err.value) and "\n" not in str(err.value)


# ---- tests/data/opencompass_exam_scores.json: OpenCompass 0.5.4's own evaluators (bench/opencompass_exam_scores.py)
# on a battery of answers to the real rows' golds; compass's must agree on every answer and on the score
SCORED = json.loads((Path(__file__).resolve().parent / "data" / "opencompass_exam_scores.json").read_text("utf-8"))


@pytest.mark.parametrize("case", [c for c in SCORED["cases"] if c["evaluator"] == "gaokao"],
                         ids=lambda c: f"{c['file'].split('_', 1)[1][:-5]}-{c['question_type']}")
def test_gaokao_scores_equal_opencompass(case):
    got = exams.GaokaoEvaluator(case["question_type"]).score(case["predictions"], case["references"])
    assert got["details"] == case["correct"]
    assert got["score"] == pytest.approx(case["score"])


def test_agieval_scores_equal_opencompass():
    cloze = next(c for c in SCORED["cases"] if c["evaluator"] == "agieval")
    assert [exams.agieval_math_answer(p) for p in cloze["predictions"]] == cloze["parsed"]
    got = exams.AGIEvalEvaluator().score(cloze["predictions"], cloze["references"])
    assert got["details"] == cloze["correct"] and got["score"] == pytest.approx(cloze["score"])
    assert 0 < cloze["score"] < 100  # the battery has both
    mcq = next(c for c in SCORED["cases"] if c["evaluator"] == "agieval_mcq")
    assert [exams.first_capital_multi(a) for a in mcq["raw"]] == mcq["predictions"]
    got = exams.AGIEvalMCQEvaluator().score(mcq["predictions"], mcq["references"])
    assert got["details"] == mcq["correct"] and got["score"] == pytest.approx(mcq["score"])


def test_judge_grades_and_metrics_equal_opencompass():
    from types import SimpleNamespace

    from compass_opencompass import judge

    case = next(c for c in SCORED["cases"] if c["evaluator"] == "llmjudge")
    assert [judge.grade(r) for r in case["replies"]] == case["grades"]
    records = {i: {"grade": g} for i, g in enumerate(case["grades"])}
    got = judge.LLMJudge({"template": ""}).aggregate(records, SimpleNamespace(samples=case["grades"]))
    assert got == pytest.approx({k: float(v) for k, v in case["metrics"].items()})
    xml = next(c for c in SCORED["cases"] if c["evaluator"] == "xml_tag")
    assert [judge.xml_tag(t, xml["tag"]) for t in xml["texts"]] == xml["outputs"]
