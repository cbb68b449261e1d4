"""OpenCompass's pairwise subjective configs (Arena-Hard, AlpacaEval 2.0) run as written.

The oracle is OpenCompass 0.5.4 itself: ``bench/opencompass_pairwise.py`` ran its ``LMEvaluator``
on its own config files with the rows of ``tests/data/datasets/subjective`` (see SOURCE.md), a
made-up candidate and a recording judge, and saved every judge prompt, the judge's replies and
the scores of each config's reading (``tests/data/opencompass_pairwise.json``). Here compass
builds the same prompts, reads the same replies and computes the same scores, and a whole
``compass eval`` of an OpenCompass-format config (``tests/data/opencompass_subjective``) with a
served model and a served judge gets OpenCompass's numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_opencompass import pairwise
from compass_opencompass.datasets import subset
from compass_opencompass.shims import run_config
from compass_opencompass.translate import dataset as translate_dataset

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "datasets" / "subjective"
CONFIGS = HERE / "data" / "opencompass_subjective"
FIXTURE = json.loads((HERE / "data" / "opencompass_pairwise.json").read_text("utf-8"))
CASES = sorted(FIXTURE["cases"])


def _subset(case: str, data: Path = DATA):
    """The compass subset of the fixture case's OpenCompass config file, and its rows."""
    ns = run_config(CONFIGS / "opencompass" / "configs" / "datasets" / FIXTURE["cases"][case]["config"])
    d = next(v for k, v in ns.items() if k.endswith("_datasets"))[0]
    t = translate_dataset(d, case)
    assert t["type"] == "opencompass"
    sub = subset(t["datasets"][0], case)
    return sub, sub.load(data).test


def _games(case: str) -> list[dict]:
    """The case's games in OpenCompass's order with compass's prompt for each."""
    sub, rows = _subset(case)
    return pairwise.games_in_order(rows, FIXTURE["cases"][case]["candidate"], sub.evaluator_kwargs, "cand")


@pytest.mark.parametrize("case", CASES)
def test_judge_prompts_are_opencompass_byte_for_byte(case):
    games = _games(case)
    want = [j["messages"] for j in FIXTURE["cases"][case]["judgements"]]
    assert len(games) == len(want) == (12 if "arena" in case else 10)
    for n, (g, w) in enumerate(zip(games, want)):
        assert g["messages"] == w, f"{case}: judgement {n} differs"


def test_random_order_is_opencompass_seeded_shuffle():
    # random.seed(666), one shuffle of [baseline, model] per row: the baseline is first exactly where
    # the prompt OpenCompass rendered has the baseline's answer as model "m" (position A)
    rows = _subset("alpacav2_judgeby_gpt4")[1]
    order = [o[0] for o in pairwise.orders(len(rows), "random")]
    theirs = []
    for r, j in zip(rows, FIXTURE["cases"]["alpacav2_judgeby_gpt4"]["judgements"]):
        first = j["messages"][0]["content"].split('"model_identifier": "m"')[1].split('"model_identifier": "M"')[0]
        theirs.append(r["_oc_base"] in first)
    assert order == theirs
    assert 0 < sum(order) < len(order)  # both orders occur in these ten rows
    assert pairwise.orders(3, "double") == [[True, False]] * 3
    assert pairwise.orders(3, "fixed") == [[True]] * 3  # no infer_order: OpenCompass leaves the pair as listed


def test_verdicts_are_read_as_opencompass_reads_them():
    ex = FIXTURE["extraction"]
    assert [pairwise.arena_label(r) for r in ex["replies"]] == ex["arena"]
    ranks = [pairwise.alpaca_rank(r) for r in ex["replies"]]
    assert [{"rank": r} if r else None for r in ranks] == ex["alpaca"]


@pytest.mark.parametrize("n", range(len(FIXTURE["arena_sets"])))
def test_arena_hard_score_and_interval_equal_opencompass(n):
    s = FIXTURE["arena_sets"][n]
    games = [{"reply": f"[[{g['label']}]]" if g["label"] else "none", "base_first": g["base_first"]}
             for g in s["games"]]
    got = pairwise.arena_score(pairwise.battles(games, "cand"), "cand")
    assert got["score"] == s["postprocess_score"] == s["summarizer"]["score"]
    assert (got["lower"], got["upper"]) == (s["summarizer"]["lower"], s["summarizer"]["upper"])


@pytest.mark.parametrize("case", CASES)
def test_scores_from_the_judges_replies_equal_opencompass(case):
    games = _games(case)
    for g, j in zip(games, FIXTURE["cases"][case]["judgements"]):
        g["reply"] = j["reply"]
    want = FIXTURE["cases"][case]["scores"]
    if "arena" in case:
        got = pairwise.arena_score(pairwise.battles(games, "cand"), "cand")
        assert {k: got[k] for k in want} == want
    else:
        assert pairwise.alpaca_score(games) == want


def _opencompass_layout(root: Path) -> None:
    """OpenCompass's own files of both sets (its questions file, the baseline as given_pred predictions)."""
    arena, alpaca = root / "subjective" / "arena_hard", root / "subjective" / "alpaca_eval"
    arena.mkdir(parents=True)
    (alpaca / "gpt4-turbo").mkdir(parents=True)
    q = (DATA / "arena_hard" / "arena-hard-v0.1" / "question.jsonl").read_text("utf-8")
    (arena / "arenahard.jsonl").write_text(q, "utf-8")
    answers = [json.loads(x) for x in (DATA / "arena_hard" / "arena-hard-v0.1" / "model_answer" /
                                        "gpt-4-0314.jsonl").read_text("utf-8").splitlines()]
    (arena / "arenahard.json").write_text(json.dumps(
        {str(i): {"prediction": "OC " + a["choices"][0]["turns"][0]["content"]} for i, a in enumerate(answers)}))
    rows = json.loads((DATA / "alpaca_eval" / "results" / "gpt4_1106_preview" / "model_outputs.json").read_text())
    (alpaca / "alpaca_eval.json").write_text(json.dumps(
        [{"question": r["instruction"], "capability": r["dataset"], "others": {"n": i}} for i, r in enumerate(rows)]))
    (alpaca / "gpt4-turbo" / "alpaca_eval.json").write_text(json.dumps(
        {str(i): {"prediction": "OC " + r["output"]} for i, r in enumerate(rows)}))


@pytest.mark.parametrize("case", ["arena_hard_compare", "alpacav2_judgeby_gpt4_new"])
def test_opencompass_own_data_layout_is_read_too(case, tmp_path):
    _opencompass_layout(tmp_path)
    _, theirs = _subset(case, tmp_path)
    _, ours = _subset(case)
    assert [r["question"] for r in theirs] == [r["question"] for r in ours]
    assert [r["judge"] for r in theirs] == [r["judge"] for r in ours]
    assert [r["_oc_base"] for r in theirs] == ["OC " + r["_oc_base"] for r in ours]  # the given_pred file's
    if "alpaca" in case:
        assert [r["others"] for r in theirs] == [{"n": i} for i in range(len(ours))]


def _dataset_config(tmp_path: Path, **changes) -> Path:
    """arena_hard_compare.py as a dataset list of an eval config, with ``changes`` on its dict."""
    cfg = tmp_path / "eval_bad.py"
    lines = "".join(f"arenahard_datasets[0][{k!r}] = {v!r}\n" for k, v in changes.items())
    cfg.write_text("from mmengine.config import read_base\nwith read_base():\n"
                   "    from opencompass.configs.datasets.subjective.arena_hard.arena_hard_compare import "
                   "arenahard_datasets\n" + lines + "datasets = arenahard_datasets\n"
                   "models = [dict(type='mock', abbr='cand', chat=True, default='x')]\n")
    return cfg


@pytest.mark.parametrize("changes, says", [
    ({"given_pred": []}, "given_pred"),
    ({"mode": "allpair"}, "mode='m2n'"),
    ({"infer_order": "sorted"}, "infer_order"),
])
def test_settings_compass_does_not_run_are_one_line(changes, says, tmp_path, monkeypatch):
    from conftest import compass_env, run_compass

    cfg = _dataset_config(tmp_path, **changes)
    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS / "opencompass" / "configs"))
    res = run_compass(["eval", str(cfg), "--data-dir", str(DATA), "--dry-run"], tmp_path, env)
    lines = [ln for ln in res.err.splitlines() if ln.startswith("error")]
    assert res.code == 2 and len(lines) == 1 and says in lines[0], res.err
    assert "Traceback" not in res.err


def test_a_dry_run_without_a_judge_says_how_to_give_one(tmp_path):
    from conftest import compass_env, run_compass

    cfg = _dataset_config(tmp_path)
    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS / "opencompass" / "configs"))
    for var in ("OC_JUDGE_MODEL", "OC_JUDGE_API_BASE"):
        env.pop(var, None)
    res = run_compass(["eval", str(cfg), "--data-dir", str(DATA), "--dry-run"], tmp_path, env)
    assert res.code == 0, res.err
    assert sum("judge_cfg" in ln for ln in res.err.splitlines()) == 1, res.err
    res = run_compass(["eval", str(cfg), "--data-dir", str(DATA)], tmp_path, env)
    assert res.code == 2 and "judge_cfg" in res.err and "Traceback" not in res.err, res.err


def test_compass_eval_of_an_opencompass_config_gets_opencompass_scores(evaluate, monkeypatch):
    """examples/eval_pairwise.py (OpenCompass's arena_hard_compare + alpacav2_judgeby_gpt4_new as
    written): the candidate served with the fixture's answers, the judge served with the replies
    OpenCompass's run got for each prompt; every prompt the judge gets is one OpenCompass sent,
    and the scores are OpenCompass's."""
    from extras import require_extra

    require_extra("openai")
    from openai_server import FakeOpenAI, ServerConfig

    cases = ("arena_hard_compare", "alpacav2_judgeby_gpt4_new")
    questions = {c: [r["question"] for r in _subset(c)[1]] for c in cases}
    answers = {q: a for c in cases for q, a in zip(questions[c], FIXTURE["cases"][c]["candidate"])}
    replies = {j["messages"][0]["content"]: j["reply"] for c in cases for j in FIXTURE["cases"][c]["judgements"]}
    monkeypatch.delenv("COMPASS_OPENCOMPASS_CONFIGS", raising=False)
    with FakeOpenAI(ServerConfig(judge="length", replies=answers)) as model, \
            FakeOpenAI(ServerConfig(judge="length", replies=replies)) as judge:
        res = evaluate(str(CONFIGS / "examples" / "eval_pairwise.py"), data_dir=str(DATA),
                       env={"PAIRWISE_MODEL_API": model.url, "PAIRWISE_JUDGE_API": judge.url,
                            "OPENAI_API_KEY": "sk-pairwise-test"})
        sent = judge.stats.ok_prompts()
    assert res.code == 0, res.err
    assert sorted(sent) == sorted(replies)  # 22 judge prompts, each exactly as OpenCompass rendered it
    found = {p.stem: json.loads(p.read_text())["metrics"]
             for p in (evaluate.cwd / "outputs").glob("default/*/results/cand/*.json")}
    arena, alpaca = FIXTURE["cases"]["arena_hard_compare"]["scores"], FIXTURE["cases"]["alpacav2_judgeby_gpt4_new"]["scores"]
    assert {k: found["arenahard"][k] for k in arena} == arena
    assert {k: found["alpaca_eval"][k] for k in alpaca} == alpaca
    for c, read in zip(cases, (pairwise.arena_label, pairwise.alpaca_rank)):  # what the notes count, as OpenCompass reads
        unread = sum(1 for j in FIXTURE["cases"][c]["judgements"]
                     if (read(j["reply"]) not in pairwise.WINNERS if c.startswith("arena") else read(j["reply"]) is None))
        assert f"{len(FIXTURE['cases'][c]['judgements'])} judgements against" in res.out + res.err
        assert f"; {unread} without a verdict" in res.out + res.err


def test_the_runs_judge_judges_when_judge_cfg_is_empty(evaluate, tmp_path, monkeypatch):
    """OpenCompass's dataset files as written (judge_cfg empty), the run's judge from eval_settings:
    a judge that always prefers position A. Arena-Hard in both orders: each model wins the games it
    is first in (3 battles) and loses the others, a 50.0 win rate; AlpacaEval's random order: the
    model wins exactly the rows OpenCompass's seeded shuffle put it first in."""
    cfg = tmp_path / "eval_run_judge.py"
    cfg.write_text(
        "from mmengine.config import read_base\nwith read_base():\n"
        "    from opencompass.configs.datasets.subjective.arena_hard.arena_hard_compare import arenahard_datasets\n"
        "    from opencompass.configs.datasets.subjective.alpaca_eval.alpacav2_judgeby_gpt4 import alpacav2_datasets\n"
        "datasets = [*arenahard_datasets, *alpacav2_datasets]\n"
        "models = [dict(type='mock', abbr='cand', chat=True, default='my answer')]\n"
        "eval_settings = dict(judge=dict(type='mock', answers={'model_identifier': 'm'}, "
        "default='My final verdict is: [[A>>B]]'))\n")
    monkeypatch.setenv("COMPASS_OPENCOMPASS_CONFIGS", str(CONFIGS / "opencompass" / "configs"))
    res = evaluate(str(cfg), data_dir=str(DATA))
    assert res.code == 0, res.err
    found = {p.stem: json.loads(p.read_text())["metrics"]
             for p in (evaluate.cwd / "outputs").glob("default/*/results/cand/*.json")}
    arena = found["arenahard"]
    assert arena["score"] == 50.0 and arena["lower"] < 50.0 < arena["upper"]  # the interval: battles drawn again
    rows = _subset("alpacav2_judgeby_gpt4")[1]
    first = [not o[0] for o in pairwise.orders(len(rows), "random")]  # the model in position A
    assert found["alpaca_eval"]["total"] == round(100 * sum(first) / len(rows), 2)
    for cap in {r["capability"] for r in rows}:
        won = [f for f, r in zip(first, rows) if r["capability"] == cap]
        assert found["alpaca_eval"][cap] == (round(100 * sum(won) / len(won), 2) if any(won) else 0.0)


def test_the_config_names_run_those_files(tmp_path):
    from conftest import compass_env, run_compass

    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS / "opencompass" / "configs"))
    res = run_compass(["eval", "-m", "mock", "-d", "arena_hard_compare_new", "alpacav2_judgeby_gpt4", "--judge", "mock",
                       "--data-dir", str(DATA), "--dry-run"], tmp_path, env)
    assert res.code == 0, res.err
    assert "runs configs/datasets/subjective/arena_hard/arena_hard_compare_new.py" in res.err
    assert "mock/arenahard" in res.out and "mock/alpaca_eval" in res.out


def test_the_runs_judge_is_checked_before_inference(tmp_path):
    """Empty judge_cfg, the run's judge an OpenAI model whose key is not set: a note in a dry run,
    one error line (before any model answers) in a real one."""
    from conftest import compass_env, run_compass
    from extras import require_extra

    require_extra("openai")
    env = {k: v for k, v in compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS / "opencompass" / "configs")).items()
           if not k.startswith("OC_JUDGE") and k != "OPENAI_API_KEY"}
    args = ["eval", "-m", "mock", "-d", "arena_hard_compare_new", "--judge", "openai", "--judge-kwargs", "model=gpt-4o",
            "--data-dir", str(DATA)]
    dry = run_compass(args + ["--dry-run"], tmp_path, env)
    assert dry.code == 0, dry.err
    notes = [ln for ln in dry.err.splitlines() if "OPENAI_API_KEY" in ln]
    assert len(notes) == 1 and notes[0].startswith("note: the run's judge"), dry.err
    real = run_compass(args, tmp_path, env)
    errors = [ln for ln in real.err.splitlines() if ln.startswith("error")]
    assert real.code == 2 and len(errors) == 1 and "OPENAI_API_KEY" in errors[0], real.err
    assert "Traceback" not in real.err and not list(tmp_path.glob("outputs/*/*/predictions/*/*"))


def test_sklearn_versions_with_a_pre_release_tag_are_read():
    assert pairwise.sklearn_at_least("1.8rc1", (1, 8)) and pairwise.sklearn_at_least("1.10.0", (1, 8))
    assert pairwise.sklearn_at_least("1.8.dev0", (1, 8)) and not pairwise.sklearn_at_least("1.7.2", (1, 8))
    assert pairwise._logistic() is not None or pytest.importorskip("sklearn")


def _oc_layout(data: Path) -> None:
    """Arena-Hard in OpenCompass's own layout (``<path>/arenahard.jsonl``), the baseline's answers elsewhere."""
    rows = [json.loads(line) for line in (DATA / "arena_hard" / "arena-hard-v0.1" / "question.jsonl").read_text("utf-8")
            .splitlines()]
    folder = data / "subjective" / "arena_hard"
    folder.mkdir(parents=True)
    (folder / "arenahard.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")


def test_the_baselines_answers_are_looked_for_only_up_to_the_data_dir(tmp_path):
    from compass.sdk import DataMissing

    data = tmp_path / "run" / "data"
    _oc_layout(data)
    n = len((data / "subjective" / "arena_hard" / "arenahard.jsonl").read_text("utf-8").splitlines())
    preds = json.dumps({str(i): {"prediction": f"base {i}"} for i in range(n)})
    outside = tmp_path / "run" / "subjective" / "arena_hard" / "arenahard.json"  # above the data dir: not read
    outside.parent.mkdir(parents=True)
    outside.write_text(preds, "utf-8")
    with pytest.raises(DataMissing, match=f"not found under {data}"):
        _subset("arena_hard_compare", data)
    inside = data / "subjective" / "arena_hard" / "arenahard.json"  # OpenCompass's place for it
    inside.write_text(preds, "utf-8")
    rows = _subset("arena_hard_compare", data)[1]
    assert [r[pairwise._BASE] for r in rows] == [f"base {i}" for i in range(n)]


def test_a_judge_max_out_len_that_is_not_a_number_is_one_line_naming_it():
    from compass.sdk import CompassError

    from compass_opencompass import judge

    class Context:
        dataset, settings = "arenahard", {}

        def model(self, kind, **kwargs):
            raise AssertionError("not built")

    ev = pairwise.PairwiseJudge({"template": "{prediction}"}, judge={"type": "mock", "max_out_len": "lots"})
    with pytest.raises(CompassError, match="arenahard: the judge's max_out_len.*'lots'"):
        ev._judge_model(Context())
    assert judge.out_len(None, "x") == 1024 and judge.out_len("2048", "x") == 2048
