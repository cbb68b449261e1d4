"""Config files (TOML and Python), redaction, prompt templates and few-shot retrievers.

Runs whose flags are not what is tested go through ``compass.api`` in this process (``evaluate``)."""

from __future__ import annotations

import json

import pytest

from compass._config import redact
from compass._prompt import FewShot, PromptTemplate, fill
from compass._types import Message, prompt_to_text
from conftest import only_run_dir


def _summary_lines(out):
    return [ln for ln in out.splitlines() if ln.startswith("toy")]


def test_toml_and_python_configs_give_the_same_run(evaluate, tmp_path):
    (tmp_path / "a.toml").write_text(
        'work_dir = "out_toml"\n[[models]]\ntype = "arith"\nbatch_size = 3\n'
        '[[datasets]]\ntype = "toy"\nn = 6\n[runner]\ntype = "local"\nmax_num_workers = 2\n')
    (tmp_path / "b.py").write_text(
        '# OpenCompass users write configs like this\nwork_dir = "out_py"\n'
        'models = [dict(type="arith", batch_size=3)]\n'
        'datasets = [dict(type="toy", n=6)]\nrunner = dict(type="local", max_num_workers=2)\n')
    a = evaluate("a.toml")
    b = evaluate("b.py")
    assert a.code == b.code == 0, a.err + b.err
    assert _summary_lines(a.out) == _summary_lines(b.out)
    assert _summary_lines(a.out)[0].split()[-1] == "50.00"
    assert (tmp_path / "out_toml").is_dir() and (tmp_path / "out_py").is_dir()


def test_flags_override_the_config_file(compass, tmp_path):
    (tmp_path / "a.toml").write_text('[[models]]\ntype = "arith"\n[[datasets]]\ntype = "toy"\n')
    res = compass("eval", "a.toml", "-d", "toy_pair", "--debug", "-w", "elsewhere")
    assert res.code == 0, res.err
    assert "toy-first" in res.out and "toy-gen" not in res.out
    assert (tmp_path / "elsewhere").is_dir()


def test_refused_secret_option_is_not_echoed_or_written(compass, tmp_path):
    # a model that does not take the option refuses it before anything is written,
    # and the error names the option, never its value
    (tmp_path / "a.toml").write_text('[[models]]\ntype = "mock"\napi_key = "sk-very-secret"\n'
                                     '[[datasets]]\ntype = "toy"\n')
    res = compass("eval", "a.toml", "--debug")
    assert res.code == 2 and "does not take 'api_key'" in res.err
    assert "sk-very-secret" not in res.err and not (tmp_path / "outputs").exists()


def test_redact_replaces_secret_values_at_any_depth():
    cfg = {"models": [{"api_key": "x", "token": "y", "path": "p", "extra": {"password": "z"}}]}
    assert redact(cfg) == {"models": [{"api_key": "***", "token": "***", "path": "p",
                                       "extra": {"password": "***"}}]}


def test_config_dump_is_the_config_used(compass):
    res = compass("eval", "-m", "arith", "-d", "toy", "--limit", "2", "--debug")
    assert res.code == 0
    dumped = json.loads(next((only_run_dir(compass.cwd) / "configs").glob("*.json")).read_text())
    assert dumped["limit"] == 2 and dumped["runner"] == {"type": "debug"}
    assert dumped["datasets"] == [{"type": "toy"}]


def test_fill_leaves_unknown_braces_alone():
    assert fill(r"{question} \boxed{} {missing}", {"question": "Q"}) == r"Q \boxed{} {missing}"


def test_template_base_and_chat_forms():
    t = PromptTemplate(human="Q: {q}\nA:", bot=" {a}", system="Be brief.", instruction="Quiz.\n")
    examples = [{"q": "1+1", "a": "2"}]
    base = t.render({"q": "2+2"}, examples, chat=False)
    assert prompt_to_text(base) == "Be brief.Quiz.\nQ: 1+1\nA: 2\nQ: 2+2\nA:"
    chat = t.render({"q": "2+2"}, examples, chat=True)
    assert chat == (Message("SYSTEM", "Be brief."), Message("HUMAN", "Quiz.\nQ: 1+1\nA:"),
                    Message("BOT", " 2"), Message("HUMAN", "Q: 2+2\nA:"))


def test_retrievers():
    pool = [{"i": i} for i in range(10)]
    assert FewShot().select(pool, 0) == []
    assert FewShot(indices=(0, 3)).select(pool, 5) == [pool[0], pool[3]]
    r = FewShot(k=3, seed=7)
    assert r.select(pool, 1) == r.select(pool, 1)  # reproducible per question
    assert len(r.select(pool, 1)) == 3
    assert any(r.select(pool, i) != r.select(pool, 1) for i in range(2, 6))  # varies across questions


def test_summarizer_groups_from_the_config(evaluate, tmp_path):
    (tmp_path / "g.toml").write_text(
        'models = ["arith"]\ndatasets = ["toy", "toy_pair"]\n'
        '[summarizer]\ngroups = [{ name = "all-toys", members = ["toy-gen", "toy-pair-weighted"] },\n'
        '  { name = "all-toys-weighted", members = ["toy-gen", "toy-second"], weighted = true }]\n')
    res = evaluate("g.toml")
    assert res.code == 0, res.err
    rows = {ln.split()[0]: ln.split() for ln in res.out.splitlines() if ln.startswith("all-toys")}
    assert rows["all-toys"][-1] == "51.67"  # (50 + 53.33) / 2
    assert rows["all-toys-weighted"][-1] == "53.33"  # (50*10 + 60*5) / 15
    (tmp_path / "bad.toml").write_text('models = ["arith"]\ndatasets = ["toy"]\n[summarizer]\ngroups = [1]\n')
    res = evaluate("bad.toml")
    assert res.code == 2 and "summarizer.groups[0]" in res.err


@pytest.mark.parametrize("order, words", [("5", "summarizer.order must be a list"),
                                          ('"ab"', "summarizer.order must be a list"),
                                          ("[[]]", "summarizer.order[0] = []"),
                                          ('["toy-gen", 3]', "summarizer.order[1] = 3")])
def test_summarizer_order_is_checked_when_the_config_is_read(evaluate, tmp_path, order, words):
    (tmp_path / "o.toml").write_text(f'models = ["arith"]\ndatasets = ["toy"]\n[summarizer]\norder = {order}\n')
    res = evaluate("o.toml")
    assert res.code == 2 and words in res.err and "Traceback" not in res.err, res.err
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("predictions/*/*.jsonl"))
