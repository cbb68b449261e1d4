"""Built-in benchmarks on small real subsets (tests/data/datasets, see its SOURCE.md) and on
hand-written rows in the official formats: row counts, gold answers and exact prompt text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compass._dataset import DataMissing
from compass._errors import CompassError
from compass._prompt import fill
from compass._types import prompt_to_text

from compass_datasets import arc, boolq, ceval, cmmlu, commonsense, custom, demo, gsm8k, math, mmlu

DATA = Path(__file__).parent / "data" / "datasets"

CEVAL_HEAD = "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n"
CEVAL_Q0 = ("使用位填充方法，以01111110为位首flag，数据为011011111111111111110010，求问传送时要添加几个0____\n"
            "A. 1\nB. 2\nC. 3\nD. 4\n答案:")


def text(subset, rows, i=0, chat=False):
    return prompt_to_text(subset.prompt(rows, i, chat=chat))


def only(bench):
    assert len(bench.subsets) == 1
    return bench.subsets[0]


# --- C-Eval -----------------------------------------------------------------------------

def test_ceval_has_52_subjects_and_the_official_groups():
    bench = ceval.ceval_gen()
    assert len(bench.subsets) == 52
    assert bench.subsets[0].name == "ceval-computer_network"
    groups = {g.name: g.members for g in bench.groups}
    assert list(groups) == ["ceval-stem", "ceval-social-science", "ceval-humanities", "ceval-other",
                            "ceval-hard", "ceval"]
    assert [len(groups[g]) for g in groups] == [20, 10, 11, 11, 8, 52]
    assert "ceval-college_physics" in groups["ceval-hard"]
    assert "ceval-high_school_biology" not in groups["ceval-hard"]


def test_ceval_gen_prompt_is_opencompass_5_shot():
    sub = ceval.ceval_gen(subjects=["computer_network"]).subsets[0]
    rows = sub.load(DATA)
    assert len(rows.test) == 19 and len(rows.fewshot) == 5
    prompt = text(sub, rows)
    first_example = (CEVAL_HEAD + "下列设备属于资源子网的是____。\nA. 计算机软件\nB. 网桥\nC. 交换机\nD. 路由器\n"
                     "答案: A\n")
    assert prompt.startswith(first_example)
    assert prompt.count(CEVAL_HEAD) == 6  # five examples and the question each carry it
    assert prompt.endswith(CEVAL_HEAD + CEVAL_Q0 + " ")
    assert rows.test[0]["answer"] == "C"
    assert (sub.mode, sub.postprocessor, sub.evaluator) == ("gen", "first_option", "accuracy")


def test_ceval_ppl_and_clp_share_the_text_and_score_letters():
    ppl = ceval.ceval_ppl(subjects=["computer_network"]).subsets[0]
    clp = ceval.ceval_clp(subjects=["computer_network"]).subsets[0]
    rows = ppl.load(DATA)
    assert text(ppl, rows).endswith(CEVAL_HEAD + CEVAL_Q0)
    assert text(ppl, rows) == text(clp, rows)
    assert ppl.labels() == ["A", "B", "C", "D"]
    req = ppl.request(rows, 0, chat=False)
    assert req.continuations == (" A", " B", " C", " D")
    assert clp.options == (" A", " B", " C", " D")


def test_ceval_chat_examples_are_turns():
    sub = ceval.ceval_gen(subjects=["computer_network"]).subsets[0]
    msgs = sub.prompt(sub.load(DATA), 0, chat=True)
    assert [m.role for m in msgs] == ["HUMAN", "BOT"] * 5 + ["HUMAN"]
    assert msgs[1].content == "A"  # no separator inside a chat turn


def test_bare_ceval_follows_the_model_type():
    assert ceval.ceval(chat=True).subsets[0].mode == "gen"
    assert ceval.ceval(chat=False).subsets[0].mode == "ppl"


def test_ceval_official_layout_is_found(tmp_path):
    shutil.copytree(DATA / "ceval" / "formal_ceval", tmp_path / "ceval-exam")
    sub = ceval.ceval_gen(subjects=["computer_network"]).subsets[0]
    assert len(sub.load(tmp_path).test) == 19


def test_ceval_missing_names_the_path_and_how_to_get_it(tmp_path):
    sub = ceval.ceval_gen(subjects=["accountant"]).subsets[0]
    with pytest.raises(DataMissing) as err:
        sub.load(tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "ceval/formal_ceval/val/accountant_val.csv") in msg
    assert "OpenCompassData-core" in msg and "compass data fetch ceval" in msg and "--data-dir" in msg
    assert "\n" not in msg


def test_ceval_missing_dev_split_is_named(tmp_path):
    shutil.copytree(DATA / "ceval" / "formal_ceval" / "val", tmp_path / "ceval/formal_ceval/val")
    sub = ceval.ceval_gen(subjects=["computer_network"]).subsets[0]
    with pytest.raises(DataMissing, match=r"formal_ceval/dev/computer_network_dev.csv"):
        sub.load(tmp_path)


# --- MMLU -------------------------------------------------------------------------------

def test_mmlu_57_subjects_in_4_groups():
    bench = mmlu.mmlu_ppl()
    assert len(bench.subsets) == 57
    groups = {g.name: g for g in bench.groups}
    sizes = {n: len(g.members) for n, g in groups.items()}
    assert sizes == {"mmlu-humanities": 13, "mmlu-stem": 19, "mmlu-social-science": 12, "mmlu-other": 13,
                     "mmlu": 57, "mmlu-weighted": 57}
    assert groups["mmlu-weighted"].weighted and not groups["mmlu"].weighted


def test_mmlu_test_split_handwritten_rows():
    sub = mmlu.mmlu_ppl(subjects=["abstract_algebra"]).subsets[0]
    rows = sub.load(DATA)
    assert [r["answer"] for r in rows.test] == ["B", "C", "B"]
    assert rows.test[1]["A"] == "True, True"  # quoted comma
    assert "\n(multi-line question)" in rows.test[2]["question"]
    prompt = text(sub, rows)
    assert prompt.startswith("The following are multiple choice questions (with answers) about  abstract algebra."
                             "\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\n"
                             "Answer: B\n\n")
    assert prompt.endswith("\n\nHow many elements does the cyclic group Z_6 have?\nA. 3\nB. 6\nC. 12\nD. 36\n"
                           "Answer:")


def test_mmlu_gen_prompt_and_val_split():
    sub = mmlu.mmlu_gen(subjects=["abstract_algebra"], split="val").subsets[0]
    rows = sub.load(DATA)
    assert len(rows.test) == 11
    hint = ("There is a single choice question about abstract algebra. Answer the question by replying "
            "A, B, C or D.\n")
    assert text(sub, rows).endswith(hint + "Question: The cyclic subgroup of Z_24 generated by 18 has order\n"
                                           "A. 4\nB. 8\nC. 12\nD. 6\nAnswer: ")


# --- CMMLU ------------------------------------------------------------------------------

def test_cmmlu_67_subjects_and_groups():
    bench = cmmlu.cmmlu_gen()
    assert len(bench.subsets) == 67
    groups = {g.name: len(g.members) for g in bench.groups}
    assert groups["cmmlu"] == 67 and set(groups) == {"cmmlu-humanities", "cmmlu-stem", "cmmlu-social-science",
                                                     "cmmlu-other", "cmmlu-china-specific", "cmmlu"}
    assert groups["cmmlu-china-specific"] == 15


def test_cmmlu_handwritten_rows_and_prompt():
    sub = cmmlu.cmmlu_gen(subjects=["agronomy"]).subsets[0]
    rows = sub.load(DATA)
    assert [r["answer"] for r in rows.test] == ["B", "C", "A"]
    assert len(rows.fewshot) == 5
    prompt = text(sub, rows)
    assert prompt.startswith("以下是关于农学的单项选择题，请直接给出正确答案的选项。\n题目：水稻属于哪一类作物？\n"
                             "A. 油料作物\nB. 粮食作物\nC. 纤维作物\nD. 糖料作物\n答案是: B\n")
    assert prompt.endswith("题目：棉花属于哪一类作物？\nA. 粮食作物\nB. 纤维作物\nC. 糖料作物\nD. 饮料作物\n答案是: ")


# --- GSM8K ------------------------------------------------------------------------------

GSM_Q0 = ("Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for "
          "her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh "
          "duck egg. How much in dollars does she make every day at the farmers' market?")


def test_gsm8k_chat_is_zero_shot_boxed():
    sub = only(gsm8k.gsm8k(chat=True))
    rows = sub.load(DATA)
    assert len(rows.test) == 5 and rows.fewshot == []
    assert text(sub, rows, chat=True) == (GSM_Q0 + "\nPlease reason step by step, and put your final answer "
                                                   "within \\boxed{}.")
    assert rows.test[0]["answer"] == "18"
    assert (sub.postprocessor, sub.evaluator, sub.stop) == ("gsm8k", "accuracy", ())


def test_gsm8k_prompt_option_replaces_the_template():
    sub = only(gsm8k.gsm8k(chat=True, prompt="{question}"))
    assert text(sub, sub.load(DATA), chat=True) == GSM_Q0  # lm-eval's plain chat prompt
    sub = only(gsm8k.gsm8k(chat=False, prompt="Q: {question}\nA:"))
    prompt = text(sub, sub.load(DATA))
    assert prompt.count("Q: ") == 5 and prompt.endswith("Q: " + GSM_Q0 + "\nA:")
    with pytest.raises(CompassError, match=r"prompt must contain \{question\}"):
        gsm8k.gsm8k(chat=True, prompt="Solve it.")


def test_gsm8k_base_is_4_shot_from_train_with_stop_word():
    sub = only(gsm8k.gsm8k(chat=False))
    rows = sub.load(DATA)
    prompt = text(sub, rows)
    assert prompt.startswith(
        "Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?\nLet's think step by step\nAnswer: "
        "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n"
        "The answer is 72\n\nQuestion: Weng earns")
    assert prompt.count("Question: ") == 5
    assert prompt.endswith("Question: " + GSM_Q0 + "\nLet's think step by step\nAnswer:")
    assert sub.stop == ("Question:",)


def test_gsm8k_base_needs_train_split(tmp_path):
    (tmp_path / "gsm8k").mkdir()
    shutil.copy(DATA / "gsm8k" / "test.jsonl", tmp_path / "gsm8k")
    assert len(only(gsm8k.gsm8k(chat=True)).load(tmp_path).test) == 5
    with pytest.raises(DataMissing, match="gsm8k/train.jsonl"):
        only(gsm8k.gsm8k(chat=False)).load(tmp_path)


# --- MATH -------------------------------------------------------------------------------

def test_math500_rows_and_prompts():
    sub = only(math.math500(chat=True))
    rows = sub.load(DATA)
    assert len(rows.test) == 5
    assert rows.test[0]["answer"] == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert text(sub, rows, chat=True).endswith("Enter your answer in the form $(r,\\theta),$ where $r > 0$ and "
                                              "$0 \\le \\theta < 2 \\pi.$\nPlease reason step by step, and put "
                                              "your final answer within \\boxed{}.")
    base = only(math.math500(chat=False))
    prompt = text(base, base.load(DATA))
    assert prompt.startswith("Problem:\nWhat is the value of $3^4 - 2 \\cdot 5$?\n\nSolution: We have")
    assert prompt.count("Problem:\n") == 5 and prompt.endswith("\n\nSolution:")
    assert (base.postprocessor, base.evaluator, base.stop) == ("math_boxed", "math_equiv", ("Problem:",))


def test_full_math_layouts(tmp_path):
    import json

    problems = [{"problem": "What is $1+1$?", "level": "Level 1", "type": "Algebra",
                 "solution": "It is $\\boxed{2}$."},
                {"problem": "Half of one?", "level": "Level 1", "type": "Prealgebra",
                 "solution": "$\\boxed{\\frac{1}{2}}$"}]
    oc = tmp_path / "oc"
    (oc / "math").mkdir(parents=True)
    (oc / "math" / "math.json").write_text(json.dumps({str(i): p for i, p in enumerate(problems)}))
    official = tmp_path / "official"
    for i, p in enumerate(problems):
        d = official / "MATH" / "test" / p["type"].lower()
        d.mkdir(parents=True)
        (d / f"{i}.json").write_text(json.dumps(p))
    for root in (oc, official):
        rows = only(math.math(chat=True)).load(root)
        assert sorted(r["answer"] for r in rows.test) == ["2", "\\frac{1}{2}"]


def test_math_says_when_only_math500_is_there():
    with pytest.raises(DataMissing, match="only MATH-500 is there .*use -d math500"):
        only(math.math(chat=True)).load(DATA)


# --- ARC --------------------------------------------------------------------------------

def test_arc_easy_rows_relabel_with_per_question_candidates():
    sub = only(arc.arc_e_ppl())
    rows = sub.load(DATA)
    assert len(rows.test) == 6
    digits, three, five = rows.test[3], rows.test[4], rows.test[5]
    assert digits["answer"] == "B" and digits["candidates"]["B"] == " elements"  # labels 1-4 -> A-D
    assert three["num_choices"] == 3 and list(three["candidates"]) == ["A", "B", "C"]
    assert three["answer"] == "B" and sub.labels(three) == ["A", "B", "C"]
    assert len(sub.request(rows, 4, chat=False).continuations) == 3  # no padding: nothing computed twice
    assert five["num_choices"] == 5 and sub.labels(five) == list("ABCDE")
    assert text(sub, rows) == ("Question: Which statement best explains why photosynthesis is the foundation "
                               "of most food webs?\nAnswer:")
    req = sub.request(rows, 0, chat=False)
    assert req.continuations[0] == " Sunlight is the source of energy for nearly all ecosystems."
    assert len(req.continuations) == rows.test[0]["num_choices"]


def test_arc_gen_lists_only_real_choices():
    sub = only(arc.arc_e_gen())
    rows = sub.load(DATA)
    assert text(sub, rows, 4).endswith("\nA. decrease\nB. increase\nC. remain the same\nAnswer:")
    assert sub.postprocessor_kwargs == {"options": "ABCDE"}


def test_arc_folder_names_are_both_found(tmp_path):
    shutil.copytree(DATA / "ARC", tmp_path / "arc")
    assert len(only(arc.arc_c()).load(tmp_path).test) == 3


# --- SIQA / PIQA / Winogrande / HellaSwag / BoolQ ----------------------------------------

def test_siqa_and_piqa():
    s = only(commonsense.siqa_gen())
    rows = s.load(DATA)
    assert [r["answer"] for r in rows.test] == ["C", "A", "B", "A", "C"]  # dev-labels.lst: 3 1 2 1 3
    assert text(s, rows) == ("Tracy didn't go home that evening and resisted Riley's attacks.\nQuestion: What does "
                             "Tracy need to do before this?\nA. make a new plan\nB. Go home and see Riley\n"
                             "C. Find somewhere to go\nAnswer:")
    p = only(commonsense.piqa_ppl())
    rows = p.load(DATA)
    assert rows.test[0]["answer"] == "A" and len(rows.test) == 5
    assert text(p, rows) == "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"
    assert p.request(rows, 0, chat=False).continuations[0].startswith(" Provide the guinea pig with a cage")


def test_winogrande_handwritten():
    ppl = only(commonsense.winogrande_ppl())
    rows = ppl.load(DATA)
    assert [r["answer"] for r in rows.test] == ["A", "B"]
    assert ppl.request(rows, 0, chat=False).continuations == (
        " The trophy didn't fit in the suitcase because the trophy was too big.",
        " The trophy didn't fit in the suitcase because the suitcase was too big.")
    gen = only(commonsense.winogrande_gen())
    assert text(gen, rows, 1).endswith("\nA. trophy\nB. suitcase\nAnswer:")


def test_hellaswag_handwritten_is_cleaned_like_lm_eval():
    ppl = only(commonsense.hellaswag_ppl())
    rows = ppl.load(DATA)
    assert [r["answer"] for r in rows.test] == ["C", "A"]
    assert text(ppl, rows) == "Making tea: A woman fills a kettle with water and puts it on the stove. She"
    assert rows.test[1]["query"] == "Home and Garden: How to water a plant. Check the soil."
    assert rows.test[1]["textA"] == "If the top inch is dry water it slowly."
    gen = only(commonsense.hellaswag_gen())
    assert text(gen, rows).endswith("You may choose from 'A', 'B', 'C', 'D'.\nAnswer:")


def test_boolq_handwritten_bool_and_string_labels():
    ppl = only(boolq.boolq_ppl())
    rows = ppl.load(DATA)
    assert [r["answer"] for r in rows.test] == ["A", "B", "A"]
    assert text(ppl, rows) == ("Sun -- The Sun is the star at the center of the Solar System.\n"
                               "Question: is the sun a star?\nAnswer:")
    assert ppl.candidates == {"A": " yes", "B": " no"}
    assert only(boolq.boolq(chat=True)).mode == "gen"


def test_boolq_official_layout(tmp_path):
    import json

    (tmp_path / "boolq").mkdir()
    (tmp_path / "boolq" / "dev.jsonl").write_text(json.dumps(
        {"question": "is it", "title": "T", "answer": False, "passage": "No."}) + "\n")
    assert only(boolq.boolq_gen()).load(tmp_path).test[0]["answer"] == "B"


# --- demo sets (package data) and custom files -------------------------------------------

def test_demo_sets_need_no_data_dir(tmp_path):
    bench = demo.demo_ceval(chat=True)
    assert [s.name for s in bench.subsets] == ["demo_ceval-computer_network", "demo_ceval-middle_school_geography",
                                               "demo_ceval-high_school_history", "demo_ceval-basic_medicine"]
    assert sum(len(s.load(tmp_path).test) for s in bench.subsets) == 70
    assert bench.groups[-1].name == "demo_ceval"
    assert len(only(demo.demo_gsm8k(chat=False)).load(tmp_path).test) == 64
    assert len(only(demo.demo_gsm8k(chat=False)).load(tmp_path).fewshot) == 8
    assert len(only(demo.demo_math(chat=True)).load(tmp_path).test) == 64
    # same prompt as the full benchmark: same version hash
    assert bench.subsets[0].version == ceval.ceval_gen(subjects=["computer_network"]).subsets[0].version


def test_demo_sources_are_attributed():
    root = demo.demo_root()
    for name in ("ceval", "gsm8k", "math"):
        assert "License" in (root / name / "SOURCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix,content", [
    (".jsonl", '{"question": "2+2?", "A": "3", "B": "4", "answer": "B"}\n'
               '{"question": "1+1?", "A": "2", "B": "5", "answer": "A"}\n'),
    (".csv", "question,A,B,answer\n2+2?,3,4,B\n1+1?,2,5,A\n"),
])
def test_custom_mcq_detected(tmp_path, suffix, content):
    path = tmp_path / f"quiz{suffix}"
    path.write_text(content)
    base = only(custom.custom(str(path), chat=False))
    assert base.mode == "ppl" and base.candidates == {"A": " A", "B": " B"} and base.name == "quiz"
    rows = base.load(None)
    assert text(base, rows) == "2+2?\nA. 3\nB. 4\nAnswer:"
    chat = only(custom.custom(str(path), chat=True))
    assert chat.mode == "gen" and chat.postprocessor_kwargs == {"options": "AB"}
    assert only(custom.custom(str(path), infer_method="gen")).mode == "gen"


def test_custom_qa(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "Capital of France?", "answer": "Paris"}\n{"question": "6*7?", "answer": 42}\n')
    sub = only(custom.custom(str(path), chat=False))  # qa cannot be ppl: generation
    assert (sub.mode, sub.evaluator) == ("gen", "exact_match")
    rows = sub.load(None)
    assert rows.test[1]["answer"] == "42" and text(sub, rows) == "Capital of France?"
    with pytest.raises(Exception, match="ppl needs multiple-choice rows"):
        custom.custom(str(path), infer_method="ppl")
    with pytest.raises(Exception, match="mcq needs columns A and B"):
        custom.custom(str(path), data_type="mcq")
    with pytest.raises(DataMissing, match="nope.jsonl not found"):
        custom.custom(str(tmp_path / "nope.jsonl"))


def test_custom_bad_answer_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("question,A,B,answer\nq1,x,y,A\nq2,x,y,C\n")
    sub = only(custom.custom(str(path), chat=True))
    with pytest.raises(Exception, match=r"bad.csv:3: answer 'C' is not one of A, B"):
        sub.load(None)


def test_fill_leaves_latex_alone():
    assert fill("{q} \\boxed{}", {"q": "x"}) == "x \\boxed{}"


def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path):
    """JSON allows U+2028 unescaped in a string (GSM8K's train split has one): one row, not two."""
    from compass.sdk import read_jsonl

    path = tmp_path / "rows.jsonl"
    path.write_text('{"q": "a\u2028b"}\r\n{"q": "c"}\n', encoding="utf-8")
    assert read_jsonl(path) == [(1, {"q": "a\u2028b"}), (2, {"q": "c"})]
