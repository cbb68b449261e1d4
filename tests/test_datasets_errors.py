"""Malformed rows, wrong encodings and missing files: one-line errors naming file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compass._dataset import DataError, DataMissing

from compass_datasets import arc, boolq, ceval, cmmlu, commonsense, gsm8k, mmlu
from compass_datasets.readers import find, read_csv, read_jsonl, read_labels

DATA = Path(__file__).parent / "data" / "datasets"
CEVAL_HEADER = "id,question,A,B,C,D,answer\n"


def one_line(exc: Exception) -> str:
    msg = str(exc)
    assert "\n" not in msg, msg
    return msg


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,4,5\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_csv(path)
    assert one_line(err.value) == f"{path}:4: expected 2 columns (a,b), found 3"


def test_csv_without_header_checks_column_count(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("q,1,2,3,4,A\nq,1,2,3,A\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"m.csv:2: expected 6 columns"):
        read_csv(path, header=False, columns=("question", "A", "B", "C", "D", "answer"))


def test_wrong_encoding_names_the_line(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(CEVAL_HEADER.encode() + "0,问题____。,甲,乙,丙,丁,A\n".encode("gbk"))
    with pytest.raises(DataError) as err:
        read_csv(path)
    msg = one_line(err.value)
    assert msg.startswith(f"{path}:2: not valid UTF-8") and "re-save the file as UTF-8" in msg


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CEVAL_HEADER.encode() + "0,q,a,b,c,d,A\n".encode())
    assert read_csv(path, columns=("id", "answer"))[0] == (2, {"id": "0", "question": "q", "A": "a", "B": "b",
                                                             "C": "c", "D": "d", "answer": "A"})


def test_header_missing_columns(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("id,question,A,B\n0,q,a,b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"h.csv:1: header lacks column\(s\) C, D, answer"):
        read_csv(path, columns=("question", "A", "B", "C", "D", "answer"))


def test_jsonl_invalid_line_and_non_object(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n', encoding="utf-8")
    with pytest.raises(DataError, match=r"x.jsonl:3: invalid JSON"):
        read_jsonl(path)
    path.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"x.jsonl:2: expected a JSON object, got list"):
        read_jsonl(path)


def test_labels_file(tmp_path):
    path = tmp_path / "dev-labels.lst"
    path.write_text("1\n2\n7\n")
    with pytest.raises(DataError, match=r"dev-labels.lst:3: label '7' is not one of 1, 2, 3"):
        read_labels(path, "123")


def test_find_lists_every_candidate_and_one_hint(tmp_path):
    with pytest.raises(DataMissing) as err:
        find(tmp_path, ["a/x.jsonl", "b/x.jsonl"], name="thing", what="thing file")
    msg = one_line(err.value)
    assert msg.startswith(f"thing: thing file not found: looked for {tmp_path / 'a/x.jsonl'} "
                          f"(also tried {tmp_path / 'b/x.jsonl'}); get it by unzipping OpenCompassData-core")
    assert err.value.looked_for == tmp_path / "a/x.jsonl"


# --- through the benchmark loaders -------------------------------------------------------

def _ceval_tree(tmp_path: Path, val: str) -> Path:
    shutil.copytree(DATA / "ceval" / "formal_ceval" / "dev", tmp_path / "ceval/formal_ceval/dev")
    (tmp_path / "ceval/formal_ceval/val").mkdir(parents=True)
    (tmp_path / "ceval/formal_ceval/val/computer_network_val.csv").write_text(val, encoding="utf-8")
    return tmp_path


def test_ceval_bad_answer_letter(tmp_path):
    root = _ceval_tree(tmp_path, CEVAL_HEADER + "0,q,a,b,c,d,A\n1,q,a,b,c,d,E\n")
    sub = ceval.ceval_gen(subjects=["computer_network"]).subsets[0]
    with pytest.raises(DataError) as err:
        sub.load(root)
    assert one_line(err.value).endswith("computer_network_val.csv:3: answer 'E' is not one of A, B, C, D")


def test_ceval_test_split_without_answers_is_refused(tmp_path):
    root = _ceval_tree(tmp_path, "id,question,A,B,C,D\n0,q,a,b,c,d\n")
    with pytest.raises(DataError, match=r"computer_network_val.csv:1: header lacks column\(s\) answer"):
        ceval.ceval_ppl(subjects=["computer_network"]).subsets[0].load(root)


def test_mmlu_and_cmmlu_bad_rows(tmp_path):
    (tmp_path / "mmlu/test").mkdir(parents=True)
    shutil.copytree(DATA / "mmlu" / "dev", tmp_path / "mmlu/dev")
    (tmp_path / "mmlu/test/abstract_algebra_test.csv").write_text("q,1,2,3,4,B\nq,1,2,3,4,b\n")
    with pytest.raises(DataError, match=r"abstract_algebra_test.csv:2: answer 'b' is not one of A, B, C, D"):
        mmlu.mmlu_gen(subjects=["abstract_algebra"]).subsets[0].load(tmp_path)
    (tmp_path / "cmmlu/test").mkdir(parents=True)
    shutil.copytree(DATA / "cmmlu" / "dev", tmp_path / "cmmlu/dev")
    (tmp_path / "cmmlu/test/agronomy.csv").write_text(",Question,A,B,C,D\n0,q,a,b,c,d\n")
    with pytest.raises(DataError, match=r"agronomy.csv:1: header lacks column\(s\) Answer"):
        cmmlu.cmmlu_gen(subjects=["agronomy"]).subsets[0].load(tmp_path)


def test_gsm8k_answer_without_final_number(tmp_path):
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k/test.jsonl").write_text(json.dumps({"question": "q", "answer": "42"}) + "\n")
    with pytest.raises(DataError, match=r"gsm8k/test.jsonl:1: answer has no '####'"):
        gsm8k.gsm8k(chat=True).subsets[0].load(tmp_path)
    (tmp_path / "gsm8k/test.jsonl").write_text(json.dumps({"question": "q"}) + "\n")
    with pytest.raises(DataError, match=r"test.jsonl:1: missing field\(s\) answer \(has: question\)"):
        gsm8k.gsm8k(chat=True).subsets[0].load(tmp_path)


def test_arc_answer_key_not_among_labels(tmp_path):
    (tmp_path / "ARC/ARC-e").mkdir(parents=True)
    row = {"id": "x", "question": {"stem": "s", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}]},
           "answerKey": "C"}
    (tmp_path / "ARC/ARC-e/ARC-Easy-Test.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"ARC-Easy-Test.jsonl:1: answerKey 'C' is not one of the choice labels"):
        arc.arc_e_ppl().subsets[0].load(tmp_path)


def test_siqa_label_count_mismatch(tmp_path):
    (tmp_path / "siqa").mkdir()
    shutil.copy(DATA / "siqa" / "dev.jsonl", tmp_path / "siqa")
    (tmp_path / "siqa/dev-labels.lst").write_text("1\n2\n")
    with pytest.raises(DataError, match=r"dev-labels.lst:2: 2 labels for 5 rows"):
        commonsense.siqa_ppl().subsets[0].load(tmp_path)


def test_boolq_label_not_boolean(tmp_path):
    (tmp_path / "SuperGLUE/BoolQ").mkdir(parents=True)
    (tmp_path / "SuperGLUE/BoolQ/val.jsonl").write_text(
        json.dumps({"question": "q", "passage": "p", "label": "maybe"}) + "\n")
    with pytest.raises(DataError, match=r"val.jsonl:1: label 'maybe' is not true/false"):
        boolq.boolq_ppl().subsets[0].load(tmp_path)


def test_winogrande_sentence_without_blank(tmp_path):
    (tmp_path / "winogrande").mkdir()
    (tmp_path / "winogrande/dev.jsonl").write_text(
        json.dumps({"sentence": "no blank", "option1": "a", "option2": "b", "answer": "1"}) + "\n")
    with pytest.raises(DataError, match=r"dev.jsonl:1: sentence has no '_' blank"):
        commonsense.winogrande_ppl().subsets[0].load(tmp_path)


@pytest.mark.parametrize("factory,path", [
    (lambda: mmlu.mmlu_ppl(subjects=["anatomy"]), "mmlu/test/anatomy_test.csv"),
    (lambda: cmmlu.cmmlu_ppl(subjects=["arts"]), "cmmlu/test/arts.csv"),
    (lambda: gsm8k.gsm8k(chat=True), "gsm8k/test.jsonl"),
    (lambda: arc.arc_c_ppl(), "ARC/ARC-c/ARC-Challenge-Test.jsonl"),
    (lambda: commonsense.winogrande_ppl(), "winogrande/dev.jsonl"),
    (lambda: commonsense.hellaswag_ppl(), "hellaswag/hellaswag.jsonl"),
    (lambda: boolq.boolq_ppl(), "SuperGLUE/BoolQ/val.jsonl"),
])
def test_missing_data_names_the_opencompass_path(tmp_path, factory, path):
    with pytest.raises(DataMissing) as err:
        factory().subsets[0].load(tmp_path)
    msg = one_line(err.value)
    assert f"looked for {tmp_path / path}" in msg and "--data-dir" in msg
