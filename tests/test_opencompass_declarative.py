"""Datasets declared as data: TOML and Python dict agree; malformed declarations are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "datasets"

TOML = """
[[models]]
type = "mock"
chat = false
answers = { "Tracy didn't go home" = "Find somewhere to go", "Sydney walked" = "incredulous" }

[[datasets]]
type = "declarative"
name = "my_siqa"
mode = "ppl"
prompt = "{context}\\nQuestion: {question}\\nAnswer:"
template = { 1 = " {answerA}", 2 = " {answerB}", 3 = " {answerC}" }
retriever = { type = "zero" }
evaluator = "accuracy"
[datasets.reader]
path = { validation = "siqa/dev.jsonl" }
labels = { validation = "siqa/dev-labels.lst" }
input_columns = ["context", "question", "answerA", "answerB", "answerC"]
output_column = "label"
test_split = "validation"
"""

PY = """
models = [dict(type='mock', chat=False, answers={"Tracy didn't go home": 'Find somewhere to go',
                                                  'Sydney walked': 'incredulous'})]
datasets = [dict(
    name='my_siqa', mode='ppl',
    reader=dict(path={'validation': 'siqa/dev.jsonl'}, labels={'validation': 'siqa/dev-labels.lst'},
                input_columns=['context', 'question', 'answerA', 'answerB', 'answerC'],
                output_column='label', test_split='validation'),
    prompt='{context}\\nQuestion: {question}\\nAnswer:',
    template={'1': ' {answerA}', '2': ' {answerB}', '3': ' {answerC}'},
    retriever=dict(type='zero'), evaluator='accuracy')]
"""


def _run(compass, name: str, text: str) -> tuple[str, list, list]:
    (compass.cwd / name).write_text(text)
    res = compass("eval", name, "--data-dir", str(DATA), "--debug", "-w", f"out_{name}")
    assert res.code == 0, res.err
    run = next((compass.cwd / f"out_{name}").iterdir())
    preds = [json.loads(ln)["prediction"] for ln in next((run / "predictions").rglob("*.jsonl")).read_text().splitlines()]
    ver = [json.loads(ln)["correct"] for ln in next((run / "results").rglob("*.samples.jsonl")).read_text().splitlines()]
    row = [ln for ln in res.out.splitlines() if ln.startswith("my_siqa ")][0]
    return row, preds, ver


def test_toml_and_python_dict_agree(compass):
    a = _run(compass, "decl.toml", TOML)
    b = _run(compass, "decl.py", PY)
    assert a == b
    assert a[0].split()[-1] == "40.00"  # the first answer where the mock knows none, right twice


@pytest.mark.parametrize("old, new, key", [
    ('"answerC"]', '"answerC", "nope"]', "reader.input_columns: column 'nope'"),
    ("Answer:", "Answer: {mood}", "prompt: field '{mood}'"),
    ('type = "zero"', 'type = "bm25"', "retriever.type: unknown retriever 'bm25'"),
])
def test_malformed_declaration_is_one_line_with_file_and_key(compass, old, new, key):
    assert old in TOML
    (compass.cwd / "bad.toml").write_text(TOML.replace(old, new))
    res = compass("eval", "bad.toml", "--data-dir", str(DATA), "--dry-run")
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1, res.err
    assert lines[0].startswith("error: bad.toml: datasets[0]: ") and key in lines[0], lines[0]
