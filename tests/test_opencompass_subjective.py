"""OpenCompass's subjective MT-Bench and AlignBench configs run as written: the judge prompts
compass renders equal OpenCompass 0.5.4's byte for byte, its postprocessors and summaries read
the same judge replies to the same numbers (``tests/data/opencompass_subjective.json``, made
by ``bench/opencompass_subjective.py`` with OpenCompass's own classes), and a real
OpenCompass-format eval config (``tests/data/opencompass_subjective/eval_subjective.py``:
``judge_models``, ``SubjectiveNaivePartitioner``, ``SubjectiveEvalTask``) runs through
``compass eval`` against loopback model and judge servers. Rows: the small copies under
``tests/data/datasets/oc_subjective`` (see its SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import compass_env, run_compass

from compass_opencompass import subjective

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "datasets" / "oc_subjective"
CONFIGS = HERE / "data" / "opencompass_subjective"
ORACLE = json.loads((HERE / "data" / "opencompass_subjective.json").read_text("utf-8"))
MT_TEMPLATE = {"template": {"begin": [{"role": "SYSTEM", "fallback_role": "HUMAN", "prompt": "{system_prompt}"}],
                            "round": [{"role": "HUMAN", "prompt": "{prompt_template}"}]}}
AB_TEMPLATE = {"template": {"round": [{"role": "HUMAN", "prompt": "{critiquellm_prefix}[助手的答案开始]\n{prediction}\n"
                                                                  "[助手的答案结束]\n"}]}}
OPENAI_ROLE = {"SYSTEM": "system", "HUMAN": "user", "BOT": "assistant"}
QUESTIONS = [json.loads(line) for line in (DATA / "mt_bench" / "question.jsonl").read_text("utf-8").splitlines()]
ALIGN = [json.loads(line) for line in
         (DATA / "alignbench" / "data" / "data_v1.1_release.jsonl").read_text("utf-8").splitlines()]


def _as_openai(messages) -> list[dict]:
    return [{"role": OPENAI_ROLE[m.role], "content": m.content} for m in messages]


# ------------------------------------------------------------------ judge prompts, byte for byte
def test_mtbench_rows_and_judge_prompts_equal_opencompass():
    rows = subjective.mtbench_rows(DATA / "mt_bench")
    assert len(rows) == len(ORACLE["mtbench"]) == 6
    cols = ["dialogue", "capability", "system_prompt", "prompt_template"]
    for i, (row, want) in enumerate(zip(rows, ORACLE["mtbench"])):
        assert row["others"]["question_id"] == want["question_id"]
        assert (row["capability"], row["system_prompt"], row["prompt_template"]) == \
            (want["capability"], want["system_prompt"], want["prompt_template"])
        got = subjective.judge_messages(MT_TEMPLATE, row, cols, [f"<turn 1 answer t{i}>", f"<turn 2 answer t{i}>"])
        assert _as_openai(got) == want["messages"], row["others"]["question_id"]
    # the math/reasoning/coding rows are judged against GPT-4's reference answers, both turns
    math = next(m for r, m in zip(rows, ORACLE["mtbench"]) if r["capability"] == "math")
    assert "### Reference answer:" in math["messages"][0]["content"]
    assert "<turn 2 answer" in math["messages"][0]["content"]


def test_alignbench_rows_and_judge_prompts_equal_opencompass():
    loader = subjective.SubjectiveLoader({"dataset_class": "AlignmentBenchDataset", "path": "data/subjective/alignment_bench",
                                          "name": "alignment_bench_v1_1",
                                          "alignment_bench_config_path": "data/subjective/alignment_bench/config",
                                          "alignment_bench_config_name": "multi-dimension"}, "test")
    rows = loader(DATA).test
    assert len(rows) == len(ORACLE["alignbench"]) == 8
    for i, (row, want) in enumerate(zip(rows, ORACLE["alignbench"])):
        assert row["others"]["question_id"] == want["question_id"]
        assert row["critiquellm_prefix"] == want["critiquellm_prefix"]
        got = subjective.judge_messages(AB_TEMPLATE, row, ["question", "capability", "critiquellm_prefix"],
                                        [f"<answer t{i}>"])
        assert _as_openai(got) == want["messages"], row["others"]["question_id"]


# ------------------------------------------------------------------ reading the judge, summaries
def test_postprocessors_read_replies_as_opencompass_does():
    for case in ORACLE["mtbench_replies"]:
        assert subjective.mtbench_rating(case["reply"]) == case["read"], case["reply"]
    for case in ORACLE["alignbench_replies"]:
        assert subjective.alignbench_rating(case["reply"]) == case["read"], case["reply"]
    assert sum(c["read"] is None for c in ORACLE["alignbench_replies"]) >= 4  # the battery has failures


def test_summaries_equal_opencompass():
    for name, rate, summarize in (("mtbench", subjective.mtbench_rating, subjective.mtbench_summary),
                                  ("alignbench", subjective.alignbench_rating, subjective.alignbench_summary)):
        case = ORACLE[f"{name}_summary"]
        read = [(rate(r), c) for r, c in zip(case["replies"], case["capabilities"])]
        judged = [(x, c) for x, c in read if x]
        got = summarize([x for x, _ in judged], [c for _, c in judged])
        assert got == pytest.approx(case["summary"]), name
    judged = [x for x in map(subjective.alignbench_rating, ORACLE["alignbench_summary"]["replies"]) if x]
    assert subjective.alignbench_dimensions(judged) == pytest.approx(ORACLE["alignbench_dimensions"])
    assert subjective.mtbench_summary([], []) == {c: "" for c in subjective.MTBENCH_CATEGORIES}


# ------------------------------------------------------------------ end to end, compass eval
MT_RATING = {81: "Rating: [[3]]", 82: "Rating: [[5]]", 101: "Rating: [[7]]", 111: "Rating: [[1]]",
             121: "Rating: [[10]]", 131: "I would give it [[4]]"}  # 131: not OpenCompass's format
AB_RATING = {1: 8, 125: 4, 237: 6, 305: 10, 472: 2, 397: 5, 530: 7, 646: 3}


def _servers():
    from openai_server import FakeOpenAI, ServerConfig

    cand: dict[str, str] = {}
    for q in QUESTIONS:  # turn 2 first: its prompt holds the turn-1 question too
        cand[q["turns"][1][:60]] = f"<<T2-{q['question_id']:03d}>>"
    for q in QUESTIONS:
        cand[q["turns"][0][:60]] = f"<<T1-{q['question_id']:03d}>>"
    for r in ALIGN:
        cand[r["question"][:60]] = f"<<AB-{r['question_id']:03d}>>"
    judge = {f"<<T2-{k:03d}>>": f"Some explanation. {v}" for k, v in MT_RATING.items()}
    for k, v in AB_RATING.items():
        judge[f"<<AB-{k:03d}>>"] = f"理由从略。\n{{'事实正确性': {v}, '满足用户需求': {v}, '综合得分': {v}}}"
    judge["<<AB-646>>"] = "没有打分。"  # unparseable: left out, its category counts 0 as in OpenCompass
    return (FakeOpenAI(ServerConfig(judge="length", replies=cand)),
            FakeOpenAI(ServerConfig(judge="length", replies=judge, require_key="sk-judge-S1")))


def test_the_opencompass_eval_config_runs_with_judge_models(evaluate, tmp_path):
    from extras import require_extra

    require_extra("openai")
    model_srv, judge_srv = _servers()
    with model_srv, judge_srv:
        env = {"OC_SUBJ_MODEL_API": model_srv.url, "OC_SUBJ_JUDGE_API": judge_srv.url,
               "OPENAI_API_KEY": "sk-judge-S1"}
        res = evaluate(str(CONFIGS / "eval_subjective.py"), data_dir=str(DATA), env=env)
        assert res.code == 0, res.err
        asked = model_srv.stats.ok_prompts()
        judged = judge_srv.stats.ok_prompts()
    # turn 2 was asked with the model's own turn-1 answer in the history
    for q in QUESTIONS:
        second = [p for p in asked if q["turns"][1][:60] in p]
        assert len(second) == 1 and f"<<T1-{q['question_id']:03d}>>" in second[0]
    assert len(asked) == 6 * 2 + 8 and len(judged) == 6 + 8
    rows = subjective.mtbench_rows(DATA / "mt_bench")
    cols = ["dialogue", "capability", "system_prompt", "prompt_template"]
    for row in rows:  # the judge got exactly the prompt OpenCompass renders (checked above against the oracle)
        qid = row["others"]["question_id"]
        want = subjective.judge_messages(MT_TEMPLATE, row, cols, [f"<<T1-{qid:03d}>>", f"<<T2-{qid:03d}>>"])
        assert want[0].content in judged
    results = {p.parent.name + "/" + p.stem: json.loads(p.read_text()) for p in tmp_path.glob("outputs/*/*/results/*/*.json")}
    mt = results["cand/mtbench_0.0"]["metrics"]
    # 131's reply is not "Rating: [[n]]": left out; writing = (3 + 5) / 2, total = 26 / 5
    assert {k: mt[k] for k in ("total", "writing", "reasoning", "math", "coding")} == \
        {"total": 5.2, "writing": 4.0, "reasoning": 7.0, "math": 1.0, "coding": 10.0}
    assert "extraction" not in mt
    ab = results["cand/alignment_bench_v1_1"]["metrics"]
    assert ab["数学计算"] == 4.0 and ab["逻辑推理"] == 10.0 and ab["中文推理总分"] == 7.0
    assert ab["综合问答"] == 0.0  # its only judgement was unparseable: OpenCompass counts the category 0
    lang = round((8 + 6 + 2 + 5 + 7 + 0) / 6, 2)
    assert ab["中文语言总分"] == lang and ab["总分"] == round((7.0 + lang) / 2, 2)
    assert ab["dimension:事实正确性"] == round((8 + 4 + 6 + 10 + 2 + 5 + 7) / 7, 2)


# ------------------------------------------------------------------ refusals, one line each
def _config(tmp_path: Path, datasets: str, extra: str = "") -> Path:
    cfg = tmp_path / "eval_mine.py"
    cfg.write_text(f'''
from mmengine.config import read_base
with read_base():
    from opencompass.configs.datasets.subjective.alignbench.alignbench_judgeby_critiquellm import alignbench_datasets as ab10
    from opencompass.configs.datasets.subjective.multiround.mtbench_single_judge_diff_temp_new import mtbench_datasets
from opencompass.models import OpenAI
datasets = {datasets}
models = [dict(type='mock', abbr='cand', chat=True, default='an answer')]
{extra}
''')
    return cfg


def _env(**extra) -> dict:
    env = compass_env(**extra)
    env.pop("OPENAI_API_KEY", None)
    env.pop("OC_JUDGE_MODEL", None)
    return env


@pytest.fixture
def oc_tree(tmp_path):
    """A minimal OpenCompass configs tree holding the copied subjective files."""
    root = tmp_path / "octree" / "configs"
    for folder, name in (("multiround", "mtbench_single_judge_diff_temp_new.py"),
                         ("alignbench", "alignbench_judgeby_critiquellm.py")):
        dest = root / "datasets" / "subjective" / folder
        dest.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text((CONFIGS / name).read_text("utf-8"), "utf-8")
    (root / "models").mkdir(parents=True)
    return root


def test_alignbench_v1_0_data_is_one_line_naming_the_fix(tmp_path, oc_tree):
    cfg = _config(tmp_path, "ab10", "eval_settings = dict(judge=dict(type='mock'))")
    env = _env()
    env["COMPASS_OPENCOMPASS_CONFIGS"] = str(oc_tree)
    res = run_compass(["eval", str(cfg), "--data-dir", str(DATA)], tmp_path, env)
    assert res.code == 2, res.err
    line = [x for x in res.err.splitlines() if x.startswith("error")]
    assert len(line) == 1 and "data_release.jsonl" in line[0] and "alignment_bench_v1_1" in line[0]
    assert "Traceback" not in res.err


def test_a_judge_models_key_not_set_is_a_note_when_planning_and_an_error_when_running(tmp_path, oc_tree):
    judges = "judge_models = [dict(type=OpenAI, abbr='j', path='gpt-4o', key='ENV'), dict(type=OpenAI, path='gpt-4')]"
    cfg = _config(tmp_path, "mtbench_datasets[:1]", judges)
    env = _env()
    env["COMPASS_OPENCOMPASS_CONFIGS"] = str(oc_tree)
    dry = run_compass(["eval", str(cfg), "--data-dir", str(DATA), "--dry-run"], tmp_path, env)
    assert dry.code == 0, dry.err
    assert "note: the run's judge" in dry.err and "OPENAI_API_KEY" in dry.err
    assert "first of the 2 judge models" in dry.err
    real = run_compass(["eval", str(cfg), "--data-dir", str(DATA)], tmp_path, env)
    assert real.code == 2 and "OPENAI_API_KEY" in real.err and "Traceback" not in real.err
    assert not list(tmp_path.glob("outputs/*/*/predictions/*/*.jsonl"))  # stopped before inference
    # --judge wins over judge_models
    flag = run_compass(["eval", str(cfg), "--data-dir", str(DATA), "--dry-run", "--judge", "mock"], tmp_path, env)
    assert flag.code == 0 and "note: the run's judge" not in flag.err, flag.err


def test_the_datasets_judge_cfg_wins_over_judge_models(evaluate, tmp_path):
    cfg = tmp_path / "eval_prec.py"
    cfg.write_text('''
from mmengine.config import read_base
with read_base():
    from .mtbench_single_judge_diff_temp_new import mtbench_datasets
datasets = mtbench_datasets[:1]
datasets[0]['eval_cfg']['evaluator']['judge_cfg'] = dict(type='mock', default='Rating: [[9]]')
models = [dict(type='mock', abbr='cand', chat=True, default='an answer')]
judge_models = [dict(type='mock', default='Rating: [[2]]')]
''')
    (tmp_path / "mtbench_single_judge_diff_temp_new.py").write_text(
        (CONFIGS / "mtbench_single_judge_diff_temp_new.py").read_text("utf-8"), "utf-8")
    res = evaluate(str(cfg), data_dir=str(DATA))
    assert res.code == 0, res.err
    found = list(tmp_path.glob("outputs/*/*/results/cand/mtbench_0.0.json"))
    assert json.loads(found[0].read_text())["metrics"]["total"] == 9.0


def test_pair_judging_and_other_evaluators_are_refused_in_one_line():
    from compass.sdk import CompassError

    d = {"dataset_class": "MTBenchDataset", "abbr": "mt", "judge_type": "pair",
         "infer_cfg": {"inferencer": {"type": "ChatInferencer", "infer_mode": "every"}},
         "eval_cfg": {"evaluator": {"type": "LMEvaluator", "prompt_template": {"template": "{prediction}"}}}}
    with pytest.raises(CompassError, match="judge_type='pair'.*pairwise-baseline"):
        subjective.subset(d, "cfg")
    d.update(judge_type="single", eval_cfg={"evaluator": {"type": "AccEvaluator"}})
    with pytest.raises(CompassError, match="LMEvaluator, not AccEvaluator"):
        subjective.subset(d, "cfg")


# ------------------------------------------------------------------ bad data: one line naming the file and the fault
MT_LOADER = {"dataset_class": "MTBenchDataset", "path": "data/subjective/mtbench", "name": "mtbench_0.0"}
AB_LOADER = {"dataset_class": "AlignmentBenchDataset", "path": "data/subjective/alignment_bench",
             "name": "alignment_bench_v1_1", "alignment_bench_config_path": "data/subjective/alignment_bench/config",
             "alignment_bench_config_name": "multi-dimension"}


def _edit_jsonl(path: Path, line: int, edit) -> None:
    lines = path.read_text("utf-8").splitlines()
    lines[line - 1] = edit(lines[line - 1])
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _drop(key: str):
    return lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != key}, ensure_ascii=False)


def _set(key: str, value):
    return lambda text: json.dumps({**json.loads(text), key: value}, ensure_ascii=False)


def _one_turn(text: str) -> str:
    q = json.loads(text)
    return json.dumps({**q, "turns": q["turns"][:1]})


def _paths(edit):
    def run(path: Path) -> None:
        cfg = json.loads(path.read_text("utf-8"))
        edit(cfg)
        path.write_text(json.dumps(cfg), "utf-8")
    return run


BAD_DATA = {  # case -> (loader, file under the data copy, how it is broken, what the error names)
    "question not JSON": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 2, lambda t: t[:40]),
                          r"question\.jsonl:2: not JSON"),
    "question not an object": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 3, lambda t: "[1, 2]"),
                               r"question\.jsonl:3: expected a JSON object"),
    "question without category": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 1, _drop("category")),
                                  r"question\.jsonl:1: no 'category' field"),
    "question without turns": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 2, _drop("turns")),
                               r"question\.jsonl:2: no 'turns' field"),
    "turns not a list": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 2, _set("turns", "hi")),
                         r"question\.jsonl:2: 'turns' is str, not list"),
    "a one-turn question": (MT_LOADER, "mt_bench/question.jsonl", lambda p: _edit_jsonl(p, 1, _one_turn),
                            r"question\.jsonl:1: question 81 has 1 turn; .*needs 2"),
    "reference without choices": (MT_LOADER, "mt_bench/reference_answer/gpt-4.jsonl",
                                  lambda p: _edit_jsonl(p, 1, _drop("choices")), r"gpt-4\.jsonl:1: no 'choices' field"),
    "a judge prompt missing": (MT_LOADER, "mt_bench/judge_prompts.jsonl",
                               lambda p: p.write_text("".join(line + "\n" for line in p.read_text("utf-8").splitlines()
                                                              if '"single-v1-multi-turn"' not in line), "utf-8"),
                               r"question\.jsonl:1: the judge prompts have no 'single-v1-multi-turn'"),
    "a judge prompt without its template": (MT_LOADER, "mt_bench/judge_prompts.jsonl",
                                            lambda p: _edit_jsonl(p, 1, _drop("prompt_template")),
                                            r"judge_prompts\.jsonl:1: no 'prompt_template' field"),
    "align row without question": (AB_LOADER, "alignbench/data/data_v1.1_release.jsonl",
                                   lambda p: _edit_jsonl(p, 3, _drop("question")),
                                   r"data_v1\.1_release\.jsonl:3: no 'question' field"),
    "align row without subcategory": (AB_LOADER, "alignbench/data/data_v1.1_release.jsonl",
                                      lambda p: _edit_jsonl(p, 2, _drop("subcategory")),
                                      r"data_v1\.1_release\.jsonl:2: no 'subcategory' field"),
    "an unknown subcategory": (AB_LOADER, "alignbench/data/data_v1.1_release.jsonl",
                               lambda p: _edit_jsonl(p, 1, _set("subcategory", "火星学")),
                               r"data_v1\.1_release\.jsonl:1: subcategory '火星学' has no dimensions"),
    "config without Paths": (AB_LOADER, "alignbench/config/multi-dimension.json",
                             _paths(lambda c: c.pop("Paths")), r"multi-dimension\.json: no 'Paths' field"),
    "Paths without a file": (AB_LOADER, "alignbench/config/multi-dimension.json",
                             _paths(lambda c: c["Paths"].pop("dimension_set_filepath")),
                             r"multi-dimension\.json: Paths: no 'dimension_set_filepath' field"),
    "config not JSON": (AB_LOADER, "alignbench/config/dimension_set.json", lambda p: p.write_text("{oops", "utf-8"),
                        r"dimension_set\.json: AlignBench's dimension_set_filepath is not JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data_is_one_data_error_naming_the_file_and_fault(case, tmp_path):
    import shutil

    from compass.sdk import DataError

    loader_cfg, rel, breaks, says = BAD_DATA[case]
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    breaks(data / rel)
    with pytest.raises(DataError, match=says) as err:
        subjective.SubjectiveLoader(dict(loader_cfg), "cfg")(data)
    assert "\n" not in str(err.value)


def test_bad_data_in_a_run_is_one_error_line(tmp_path, oc_tree):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    _edit_jsonl(data / "mt_bench" / "question.jsonl", 1, _one_turn)
    cfg = _config(tmp_path, "mtbench_datasets[:1]")
    env = _env()
    env["COMPASS_OPENCOMPASS_CONFIGS"] = str(oc_tree)
    res = run_compass(["eval", str(cfg), "--data-dir", str(data), "--judge", "mock"], tmp_path, env)
    assert res.code == 2, res.err
    line = [x for x in res.err.splitlines() if x.startswith("error")]
    assert len(line) == 1 and "question.jsonl:1: question 81 has 1 turn" in line[0], res.err
    assert "Traceback" not in res.err


# ------------------------------------------------------------------ missing data: located, planned, fetched
def test_locate_names_the_file_each_class_reads_first(tmp_path):
    from compass.sdk import DataMissing

    mt, ab = subjective.SubjectiveLoader(dict(MT_LOADER), "mt"), subjective.SubjectiveLoader(dict(AB_LOADER), "ab")
    assert mt.locate(DATA) == DATA / "mt_bench" / "question.jsonl"
    assert ab.locate(DATA) == DATA / "alignbench" / "data" / "data_v1.1_release.jsonl"
    for loader, want in ((mt, "mt_bench/question.jsonl"), (ab, "alignbench/data/data_v1.1_release.jsonl")):
        with pytest.raises(DataMissing) as err:
            loader.locate(tmp_path)
        assert err.value.looked_for == tmp_path / want  # what `compass eval` fetches the recipe by
    with pytest.raises(DataMissing) as err:  # no recipe writes v1.0: the fix, and nothing to fetch
        subjective.SubjectiveLoader({**AB_LOADER, "name": "alignment_bench"}, "ab10").locate(DATA)
    assert getattr(err.value, "looked_for", None) is None and "alignment_bench_v1_1" in str(err.value)


def test_judge_prompts_not_in_the_data_come_from_compasss_copy_of_fastchats(tmp_path):
    import shutil

    shutil.copytree(DATA / "mt_bench", tmp_path / "mt_bench")
    (tmp_path / "mt_bench" / "judge_prompts.jsonl").unlink()  # as the mtbench recipe writes the data
    assert subjective.mtbench_rows(tmp_path / "mt_bench") == subjective.mtbench_rows(DATA / "mt_bench")


def _fetch_config(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "octree" / "configs"
    for folder, name in (("multiround", "mtbench_single_judge_diff_temp_new.py"),
                         ("alignbench", "alignbench_v1_1_judgeby_critiquellm_new.py")):
        dest = tree / "datasets" / "subjective" / folder
        dest.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text((CONFIGS / name).read_text("utf-8"), "utf-8")
    (tree / "models").mkdir(parents=True)
    cfg = tmp_path / "eval_fetch.py"
    cfg.write_text('''
from mmengine.config import read_base
with read_base():
    from opencompass.configs.datasets.subjective.multiround.mtbench_single_judge_diff_temp_new import mtbench_datasets
    from opencompass.configs.datasets.subjective.alignbench.alignbench_v1_1_judgeby_critiquellm_new import alignbench_datasets
datasets = [mtbench_datasets[0], *alignbench_datasets]
models = [dict(type='mock', abbr='cand', chat=True, default='an answer')]
''')
    return tree, cfg


def test_missing_mtbench_and_alignbench_data_is_planned_then_fetched_and_versioned(tmp_path):
    from extras import require_extra

    require_extra("huggingface_hub")
    require_extra("requests")
    from hub_fixtures import GITHUB, repos
    from hub_server import GitHubServer, HubServer

    fixtures = {n: repos()[n] for n in ("mtbench", "alignbench")}
    align = fixtures["alignbench"][1]  # AlignBench's repository has the judge's config/multi-dimension.json too
    align.files["config/multi-dimension.json"] = (DATA / "alignbench" / "config" / "multi-dimension.json").read_bytes()
    tree, cfg = _fetch_config(tmp_path)
    data = tmp_path / "data"
    with HubServer({r: repo for n, (r, repo) in fixtures.items() if n not in GITHUB}) as hub, \
            GitHubServer({r: repo for n, (r, repo) in fixtures.items() if n in GITHUB}) as gh:
        env = _env(HF_HOME=str(tmp_path / "hf-home"), COMPASS_CACHE_DIR=str(tmp_path / "cache"),
                   HF_HUB_DISABLE_PROGRESS_BARS="1", COMPASS_OFFLINE="0", HF_ENDPOINT=hub.url,
                   GITHUB_API_URL=gh.url, COMPASS_GITHUB_RAW_URL=gh.url, COMPASS_OPENCOMPASS_CONFIGS=str(tree))
        args = ["eval", str(cfg), "--data-dir", str(data), "--judge", "mock", "--max-num-workers", "1"]
        dry = run_compass(args + ["--dry-run"], tmp_path, env)
        assert dry.code == 0, dry.err
        assert "data: 2 benchmark(s) missing" in dry.err and "alignbench, mtbench" in dry.err, dry.err
        assert not data.exists()  # a dry run fetches nothing
        real = run_compass(args, tmp_path, env)
    assert real.code == 0, real.err
    assert "fetching MT-Bench" in real.err and "fetching AlignBench" in real.err
    assert (data / "mt_bench" / "question.jsonl").is_file() and not (data / "mt_bench" / "judge_prompts.jsonl").exists()
    record = json.loads(next((tmp_path / "outputs").glob("*/*/configs/data_*.json")).read_text())["opencompass"]
    files = {r["recipe"]: r["files"] for r in record["recipes"]}  # hashed into the dataset's version
    assert list(files["mtbench"]) == ["mt_bench/question.jsonl"]
    assert "alignbench/data/data_v1.1_release.jsonl" in files["alignbench"]


def test_a_max_out_len_that_is_not_a_number_is_one_line_naming_the_key():
    from compass.sdk import CompassError

    d = {"dataset_class": "MTBenchDataset", "abbr": "mt",
         "infer_cfg": {"inferencer": {"type": "ChatInferencer", "infer_mode": "every", "max_out_len": "long"}},
         "eval_cfg": {"evaluator": {"type": "LMEvaluator", "prompt_template": {"template": "{prediction}"}}}}
    with pytest.raises(CompassError, match=r"cfg\.infer_cfg\.inferencer\.max_out_len: .*not 'long'"):
        subjective.subset(d, "cfg")
    d["infer_cfg"]["inferencer"]["max_out_len"] = 512
    assert subjective.subset(d, "cfg").max_out_len == 512


def test_judge_prompts_nowhere_is_data_missing_naming_where_to_get_them(tmp_path, monkeypatch):
    import shutil

    from compass.sdk import DataMissing

    shutil.copytree(DATA / "mt_bench", tmp_path / "mt_bench")
    (tmp_path / "mt_bench" / "judge_prompts.jsonl").unlink()
    monkeypatch.setattr(subjective, "SHIPPED_JUDGE_PROMPTS", ("compass_judge", "templates/not_there.jsonl"))
    with pytest.raises(DataMissing, match=r"judge_prompts\.jsonl not found: .*FastChat's fastchat/llm_judge/data/"):
        subjective.mtbench_rows(tmp_path / "mt_bench")
