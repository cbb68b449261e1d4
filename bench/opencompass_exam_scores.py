"""Score a battery of answers with OpenCompass 0.5.4's own evaluators: the oracle of
``tests/test_opencompass_exams.py`` (``tests/data/opencompass_exam_scores.json``).

It takes OpenCompass's ``GaokaoBenchEvaluator``, ``AGIEvalEvaluator``/``AGIEvalEvaluator_mcq``
(with AGIEval's ``parse_math_answer`` and ``is_equiv``), ``first_capital_postprocess_multi``,
``xml_tag_postprocessor`` and ``generic_llmjudge_postprocess``'s grading (``_generic_llmjudge_postprocess``
+ ``get_final_results``) from the wheel's source (their definitions only: no torch, no
``datasets``), and scores answers written for the golds of the small real-data copies under
``tests/data/datasets`` (GAOKAO-Bench, AGIEval). Run it in the separate environment of
``bench/opencompass_prompts.py``::

    /tmp/ocvenv/bin/python bench/opencompass_exam_scores.py /tmp/oc/src tests/data/opencompass_exam_scores.json
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "datasets"


def _defs(path: Path, names: set[str], ns: dict) -> dict:
    """Execute only the named top-level functions and classes of a source file into ``ns``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = [n for n in tree.body if (isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names)
            or (isinstance(n, ast.Assign) and any(getattr(t, "id", "") in names for t in n.targets))]
    for n in body:
        n.decorator_list = []  # registry decorators: not needed to call them
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), ns)  # noqa: S102
    return ns


def load(root: Path) -> dict:
    src = root / "opencompass"
    ns: dict = {"re": re, "BaseEvaluator": object, "json": json}
    _defs(src / "datasets" / "GaokaoBench.py", {"GaokaoBenchEvaluator", "valid_gaokao_bench_question_types"}, ns)
    _defs(src / "datasets" / "agieval" / "math_equivalence.py",
          {"_fix_fracs", "_fix_a_slash_b", "_remove_right_units", "_fix_sqrt", "_strip_string", "is_equiv"}, ns)
    _defs(src / "datasets" / "agieval" / "post_process.py",
          {"extract_last_line", "remove_few_shot_prefix", "parse_math_answer"}, ns)
    _defs(src / "datasets" / "agieval" / "agieval.py", {"AGIEvalEvaluator", "AGIEvalEvaluator_mcq"}, ns)
    _defs(src / "utils" / "text_postprocessors.py", {"first_capital_postprocess_multi", "xml_tag_postprocessor"}, ns)
    _defs(src / "datasets" / "generic.py", {"_generic_llmjudge_postprocess", "get_final_results"}, ns)
    return ns


def gaokao_answers(gold: list[str]) -> list[str]:
    """Answers to one GAOKAO-Bench record: right, wrong, partial, unformatted, empty."""
    joined = "".join(gold)
    wrong = ["B" if g[:1] != "B" else "C" for g in gold]
    marked = "\n".join(f"（{i + 1}）【答案】 {g} <eoa>" for i, g in enumerate(gold))
    return [f"【解析】 略 <eoe>\n【答案】 {joined} <eoa>", marked, f"【答案】: {''.join(wrong)} <eoa>",
            f"【解析】 选项 A 与 D 都不对 <eoe>\n【答案】 {gold[0]} <eoa>", f"答案是 {joined}", "我不知道",
            f"【答案】{gold[0][:1]}<eoa>", "\n".join(f"【答案】：{w}" for w in wrong), joined.lower(), f"{joined} C",
            f"The answer is {joined}.", ""]


MATH_ANSWERS = ["The answer is $(3,4]$.", "So \\boxed{30}", "x = 30", "It is 30 apples", "\\boxed{x = \\frac{1}{2}}",
                "$\\dfrac12$", "答案是 $5$;$10$", "$5$;$10$", "0.5", "1/2", "the result is 2", "$2$ and then $3$",
                "\\boxed{2}", "no idea", "", "$(3, 4]$", "\\boxed{\\text{(3,4]}}", "We get 5 and 10. So x=10."]
MCQ_ANSWERS = ["A", "B", "C", "D", "AD", "答案是 B", "(C) is right", "选D", "BD", "none", "", "a", "A and D", "CA"]
JUDGE_REPLIES = ["A", "B", "A: CORRECT", "CORRECT", "INCORRECT", "The grade is B", "pong", "", "a", "Answer: A\nB"]


def main(argv: list[str]) -> int:
    root, out = Path(argv[0]), Path(argv[1])
    ns = load(root)
    cases = []
    files = sorted((DATA / "gaokao" / "gaokao" / "Data" / "Objective_Questions").glob("*.json"))
    types = {"Math_I_MCQs": "single_choice", "Physics_MCQs": "multi_choice", "Geography_MCQs": "multi_question_choice",
             "English_Cloze_Test": "five_out_of_seven"}
    for f in files:
        qtype = next(t for k, t in types.items() if k in f.name)
        golds = [r["answer"] for r in json.loads(f.read_text("utf-8"))["example"]]
        for qt in sorted({qtype, "single_choice", "multi_choice", "multi_question_choice", "five_out_of_seven"}):
            preds, refs = [], []
            for gold in golds:
                for a in gaokao_answers(gold):
                    preds.append(a)
                    refs.append(gold)
            res = ns["GaokaoBenchEvaluator"](qt).score(preds, refs)
            cases.append({"evaluator": "gaokao", "question_type": qt, "file": f.name, "predictions": preds,
                          "references": refs, "score": res["score"],
                          "correct": [res["details"][str(i)]["is_correct"] for i in range(len(preds))]})
    labels = ["(3,4]", "30", "$5$;$10$", "\\frac{1}{2}", "2", "10"]
    preds = [a for _ in labels for a in MATH_ANSWERS]
    refs = [lab for lab in labels for _ in MATH_ANSWERS]
    res = ns["AGIEvalEvaluator"]().score(preds, refs)
    cases.append({"evaluator": "agieval", "predictions": preds, "references": refs, "score": res["score"],
                  "correct": [d["correct"] for d in res["details"]],
                  "parsed": [ns["parse_math_answer"]("", p) for p in preds]})
    posted = [ns["first_capital_postprocess_multi"](a) for a in MCQ_ANSWERS]
    refs = ["A", "B", "C", "D", "AD", "B", "C", "D", "BD", "A", "A", "A", "AD", "AC"]
    res = ns["AGIEvalEvaluator_mcq"]().score(posted, refs)
    cases.append({"evaluator": "agieval_mcq", "raw": MCQ_ANSWERS, "predictions": posted, "references": refs,
                  "score": res["score"], "correct": [d["correct"] for d in res["details"]]})
    grades = [ns["_generic_llmjudge_postprocess"](r) for r in JUDGE_REPLIES]
    final = ns["get_final_results"](grades, [""] * len(grades), JUDGE_REPLIES)
    final.pop("details")
    cases.append({"evaluator": "llmjudge", "replies": JUDGE_REPLIES, "grades": grades, "metrics": final})
    xml = ["<conclude>A</conclude>", "x <conclude> B </conclude> y <conclude>C</conclude>", "none", "<conclude>\nD\n"]
    cases.append({"evaluator": "xml_tag", "texts": xml, "tag": "<conclude>",
                  "outputs": [ns["xml_tag_postprocessor"](t, "<conclude>") for t in xml]})
    out.write_text(json.dumps({"opencompass": "0.5.4", "made_by": "bench/opencompass_exam_scores.py", "cases": cases},
                              ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
