"""The package's own checks: run with ``pytest contrib_datasets/compass-dataset-ceval-xyj/tests``."""

from compass.sdk import prompt_to_text

from compass_dataset_ceval_xyj.benchmark import ceval_xyj, load


def test_rows_and_answers():
    rows = load(None)
    assert len(rows.test) == 20 and len(rows.fewshot) == 5
    assert {r["answer"] for r in rows.test} == {"A", "B", "C", "D"}


def test_prompt_is_five_shot_ceval_style():
    bench = ceval_xyj(chat=False)
    subset = bench.subsets[0]
    assert subset.mode == "ppl"
    text = prompt_to_text(subset.prompt(subset.load(None), 0, chat=False))
    assert text.count("以下是中国关于《西游记》考试的单项选择题") == 6
    assert text.endswith("D. 太上老君\n答案:")
    assert ceval_xyj(chat=True).subsets[0].mode == "gen"
