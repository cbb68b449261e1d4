"""OpenCompass's LLM-judge evaluators (GenericLLMEvaluator, CascadeEvaluator) run from an
OpenCompass-style config: the judge from judge_cfg, the run's judge, or a one-line refusal;
the judge reads the evaluator's own prompt and "A" is correct. Rows: AIME 2025 (the small copy
under tests/data/datasets/aime, see its SOURCE.md), read by OpenCompass's CustomDataset."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import compass_env, run_compass

from compass_opencompass import judge

DATA = Path(__file__).resolve().parent / "data" / "datasets" / "aime"
ROWS = [json.loads(line) for line in (DATA / "aime" / "aime25" / "test.jsonl").read_text("utf-8").splitlines()]

GRADER = ("Grade the predicted answer as A: CORRECT or B: INCORRECT.\n"
          "<Original Question Begin>: \n{question}\n<Original Question End>\n\n"
          "<Gold Target Begin>: \n{answer}\n<Gold Target End>\n\n"
          "<Predicted Answer Begin>: \n{prediction}\n<Predicted End>\n\n")
RIGHT = "The answer is \\boxed{%s}" % ROWS[0]["answer"]


def _config(tmp_path: Path, evaluator: str, extra: str = "", judge_cfg: str = "dict()") -> Path:
    """aime2025 as OpenCompass's aime2025_llmjudge_gen config defines it (two rows), with ``evaluator``."""
    answers = {ROWS[0]["problem"][:40]: RIGHT,
               ROWS[1]["problem"][:40]: "The answer is \\boxed{1}"}  # the first right, the second wrong
    cfg = tmp_path / "eval_judge.py"
    cfg.write_text(f'''
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import GenInferencer
from opencompass.datasets import CustomDataset, generic_llmjudge_postprocess
from opencompass.evaluator import GenericLLMEvaluator, CascadeEvaluator, MATHVerifyEvaluator
from opencompass.models import OpenAISDK

reader_cfg = dict(input_columns=['question'], output_column='answer', test_range='[0:2]')
llm = dict(
    type=GenericLLMEvaluator,
    prompt_template=dict(type=PromptTemplate, template=dict(
        begin=[dict(role='SYSTEM', fallback_role='HUMAN', prompt="You are a helpful grader.")],
        round=[dict(role='HUMAN', prompt={GRADER!r})])),
    dataset_cfg=dict(type=CustomDataset, path='opencompass/aime2025', reader_cfg=reader_cfg),
    judge_cfg={judge_cfg},
    dict_postprocessor=dict(type=generic_llmjudge_postprocess),
)
evaluator = {evaluator}
datasets = [dict(
    type=CustomDataset, abbr='aime2025', path='opencompass/aime2025', reader_cfg=reader_cfg,
    infer_cfg=dict(
        prompt_template=dict(type=PromptTemplate, template=dict(round=[
            dict(role='HUMAN', prompt='{{question}}\\nRemember to put your final answer within \\\\boxed{{}}.')])),
        retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer)),
    eval_cfg=dict(evaluator=evaluator))]
models = [dict(type='mock', abbr='cand', chat=True, answers={answers!r}, default='no idea')]
data_dir = {str(DATA)!r}
{extra}
''')
    return cfg


def _judge_settings() -> str:
    # the mock judge grades "A" exactly when the prediction it is shown is the first row's answer
    key = "<Predicted Answer Begin>: \n" + RIGHT + "\n"
    return f"eval_settings = dict(judge=dict(type='mock', answers={{{key!r}: 'A'}}, default='B'))"


def _result(tmp_path: Path) -> dict:
    found = sorted(tmp_path.glob("outputs/*/*/results/cand/aime2025.json"))
    assert found, sorted(str(p) for p in tmp_path.rglob("*.json"))[:20]
    return json.loads(found[-1].read_text())


def test_a_dry_run_without_a_judge_plans_and_says_how_to_give_one(tmp_path):
    cfg = _config(tmp_path, "llm")
    res = run_compass(["eval", str(cfg), "--dry-run"], tmp_path, compass_env())
    assert res.code == 0, res.err
    notes = [ln for ln in res.err.splitlines() if "judge" in ln]
    assert len(notes) == 1 and "judge_cfg" in notes[0] and "--judge" in notes[0], res.err


def test_a_real_run_without_a_judge_stops_before_inference(tmp_path):
    cfg = _config(tmp_path, "llm")
    env = {k: v for k, v in compass_env().items() if not k.startswith("OC_JUDGE")}
    res = run_compass(["eval", str(cfg)], tmp_path, env)
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1 and "judge_cfg" in lines[0], res.err
    assert not list(tmp_path.glob("outputs/*/*/predictions"))


def test_the_run_judge_grades_with_the_evaluators_own_prompt(tmp_path):
    cfg = _config(tmp_path, "llm", _judge_settings())
    res = run_compass(["eval", str(cfg)], tmp_path, compass_env())
    assert res.code == 0, res.err
    result = _result(tmp_path)
    m = result["metrics"]
    assert m["accuracy"] == 50.0 and m["correct_count"] == 1.0 and m["incorrect_count"] == 1.0
    assert m["accuracy_given_attempted"] == 50.0 and m["attempted_ratio"] == 100.0
    evals = [json.loads(line) for f in tmp_path.glob("outputs/*/*/evaluations/cand/aime2025*") for line in
             f.read_text().splitlines() if line.strip()]
    assert sorted(e["grade"] for e in evals) == ["A", "B"]


def test_cascade_asks_the_judge_only_what_the_rule_calls_wrong(tmp_path):
    cascade = "dict(type=CascadeEvaluator, rule_evaluator=dict(type=MATHVerifyEvaluator), llm_evaluator=llm, parallel=False)"
    # this judge says "A" to everything: the rule's wrong answer becomes right by the judge
    cfg = _config(tmp_path, cascade, "eval_settings = dict(judge=dict(type='mock', default='A'))")
    res = run_compass(["eval", str(cfg)], tmp_path, compass_env())
    assert res.code == 0, res.err
    m = _result(tmp_path)["metrics"]
    assert m["accuracy"] == 100.0 and m["rule_accuracy"] == 50.0 and m["llm_evaluated"] == 1.0


def test_judge_cfg_names_a_served_judge_that_reads_the_rendered_prompt(tmp_path):
    from extras import require_extra

    require_extra("openai")
    from openai_server import FakeOpenAI, ServerConfig

    with FakeOpenAI(ServerConfig(require_key="sk-judge-Q7")) as srv:
        judge_cfg = f"dict(type=OpenAISDK, path='test-model', key='ENV', openai_api_base='{srv.url}', max_out_len=64)"
        cfg = _config(tmp_path, "llm", judge_cfg=judge_cfg)
        res = run_compass(["eval", str(cfg)], tmp_path, compass_env(OPENAI_API_KEY="sk-judge-Q7"))
        assert res.code == 0, res.err
        prompts = srv.stats.ok_prompts()
    assert len(prompts) == 2
    want = judge.judge_messages({"template": {"begin": [{"role": "SYSTEM", "fallback_role": "HUMAN",
                                                         "prompt": "You are a helpful grader."}],
                                              "round": [{"role": "HUMAN", "prompt": GRADER}]}},
                                {"question": ROWS[0]["problem"], "answer": ROWS[0]["answer"], "id": ROWS[0]["id"]},
                                RIGHT, str(ROWS[0]["answer"]))
    assert len(want) == 1 and want[0].content.startswith("You are a helpful grader.\nGrade the predicted answer")
    assert want[0].content in prompts  # the served judge got exactly OpenCompass's judge prompt
    m = _result(tmp_path)["metrics"]  # the server does not grade: no A/B, nothing attempted
    assert m["accuracy"] == 0.0 and m["not_attempted_count"] == 2.0


def test_grade_and_cascade_readings():
    assert judge.grade("A") == "A" and judge.grade("The grade is B") == "B" and judge.grade("pong") == "unknown"
    assert judge.cascade_correct(" a ") and judge.cascade_correct("CORRECT, it is") and not judge.cascade_correct("B")
    assert judge.xml_tag("x <conclude>42</conclude> y <conclude> 7 </conclude>", "<conclude>") == "7"


def test_a_judge_cfg_compass_cannot_build_is_one_line_when_the_config_is_read(tmp_path):
    bad = "dict(type=OpenAISDK, path='test-model', key='ENV', openai_api_base='http://127.0.0.1:9/v1', bogus_opt=3)"
    cfg = _config(tmp_path, "llm", judge_cfg=bad)
    res = run_compass(["eval", str(cfg), "--dry-run"], tmp_path, compass_env())
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1 and "judge_cfg" in lines[0] and "bogus_opt" in lines[0], res.err


def test_the_runs_judge_without_its_key_is_a_note_when_planning_and_an_error_before_inference(tmp_path):
    """OC_JUDGE_MODEL names the judge, OC_JUDGE_API_KEY is not set: found before any model answers."""
    from extras import require_extra

    require_extra("openai")
    cfg = _config(tmp_path, "llm")
    env = {k: v for k, v in compass_env().items() if not k.startswith("OC_JUDGE") and k != "OPENAI_API_KEY"}
    env.update(OC_JUDGE_MODEL="gpt-4o", OC_JUDGE_API_BASE="http://127.0.0.1:9/v1")
    dry = run_compass(["eval", str(cfg), "--dry-run"], tmp_path, env)
    assert dry.code == 0, dry.err
    notes = [ln for ln in dry.err.splitlines() if "OC_JUDGE_API_KEY" in ln]
    assert len(notes) == 1 and notes[0].startswith("note: the run's judge"), dry.err
    real = run_compass(["eval", str(cfg)], tmp_path, env)
    lines = [ln for ln in real.err.splitlines() if ln.strip()]
    assert real.code == 2 and len(lines) == 1 and "OC_JUDGE_API_KEY" in lines[0], real.err
    assert not list(tmp_path.glob("outputs/*/*/predictions/*/*"))  # stopped before inference


def test_one_preflight_for_every_judge_evaluator():
    from compass_opencompass import pairwise, subjective

    for cls in (judge.LLMJudgeRunJudge, pairwise.PairwiseJudgeRunJudge, subjective.SubjectiveJudgeRun):
        assert cls.preflight.__func__ is judge.JudgedByModel.preflight.__func__, cls
        assert cls.needs_run_judge
    for cls in (judge.LLMJudge, pairwise.PairwiseJudge, subjective.SubjectiveJudge):
        assert not cls.needs_run_judge
        cls.preflight({})  # the judge is the config's own: nothing to check for the run


def test_judge_requests_go_in_batches_in_order_one_batch_at_a_time():
    from compass.sdk import Completion

    class Recording:
        batch_size = 2

        def __init__(self):
            self.batches: list[list[int]] = []

        def generate(self, requests):
            self.batches.append(list(requests))
            return [Completion(text=str(r)) for r in requests]

    model = Recording()
    replies = judge.generate(model, list(range(5)))
    assert next(replies).text == "0" and model.batches == [[0, 1]]  # the next batch waits for the caller
    assert [c.text for c in replies] == ["1", "2", "3", "4"] and model.batches == [[0, 1], [2, 3], [4]]
    model.batch_size = 0  # unset: eight at a time
    assert len(list(judge.generate(model, list(range(9))))) == 9 and model.batches[-2:] == [list(range(8)), [8]]
