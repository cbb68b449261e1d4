"""OpenCompass configs on a fresh machine: their data is fetched on first use, through the real
client, into the files OpenCompass's own dataset classes read; offline, the run stops at one line.

The configs are OpenCompass's own (tests/data/opencompass_main: the quick start's demo gsm8k and
MATH datasets, and ``mmlu_gen_4d595a`` made zero-shot as OpenCompass's
``eval_mmlu_with_zero_retriever_overwritten.py`` does); the loopback hub serves the small
repositories of :mod:`hub_fixtures`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from extras import require_extra

require_extra("huggingface_hub")  # the [data] extra: skipped without it (a failure in CI)
require_extra("pyarrow")

from compass.sdk import DataMissing  # noqa: E402
from compass_datasets.prepare import where  # noqa: E402
from compass_datasets.recipes import recipe_for_path  # noqa: E402
from compass_opencompass.datasets import opencompass  # noqa: E402

from conftest import compass_env, run_compass  # noqa: E402
from hub_fixtures import repos  # noqa: E402
from hub_server import HubServer  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "data" / "opencompass_main" / "opencompass" / "configs"
SUBJECTS = ("abstract_algebra", "anatomy")  # the MMLU subjects the loopback hub holds
FETCHED = ("gsm8k", "hellaswag", "math", "mmlu", "winogrande")

EVAL = f"""from copy import deepcopy

from mmengine.config import read_base

from opencompass.openicl.icl_retriever import ZeroRetriever

with read_base():
    from opencompass.configs.datasets.demo.demo_gsm8k_base_gen import gsm8k_datasets
    from opencompass.configs.datasets.demo.demo_math_base_gen import math_datasets
    from opencompass.configs.datasets.mmlu.mmlu_gen_4d595a import mmlu_datasets
    from opencompass.configs.datasets.hellaswag.hellaswag_gen_6faab5 import hellaswag_datasets
    from opencompass.configs.datasets.winogrande.winogrande_gen_a027b6 import winogrande_datasets

mmlu_zero_shot = []
for d in mmlu_datasets:
    if d['name'] in {SUBJECTS!r}:
        d = deepcopy(d)
        d['infer_cfg']['retriever'] = dict(type=ZeroRetriever)
        mmlu_zero_shot.append(d)

datasets = gsm8k_datasets + math_datasets + mmlu_zero_shot + hellaswag_datasets + winogrande_datasets
models = ['mock']
"""


@pytest.fixture(scope="module")
def hub():
    wanted = {repo_id: repo for name, (repo_id, repo) in repos().items() if name in FETCHED}
    with HubServer(wanted) as server:
        yield server


def _env(tmp: Path, hub, **extra: str) -> dict:
    return compass_env(HF_HOME=str(tmp / "hf-home"), COMPASS_CACHE_DIR=str(tmp / "cache"), HF_ENDPOINT=hub.url,
                       HF_HUB_DISABLE_PROGRESS_BARS="1", COMPASS_OFFLINE="0",
                       COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS), **extra)


def test_an_opencompass_config_fetches_its_data_then_runs_and_scores(hub, tmp_path):
    (tmp_path / "eval_demo.py").write_text(EVAL)
    data = tmp_path / "data"
    args = ["eval", "eval_demo.py", "--data-dir", str(data), "--max-num-workers", "1"]
    res = run_compass(args, tmp_path, _env(tmp_path, hub), timeout=600)
    assert res.code == 0, res.err[-3000:]
    assert "benchmark(s) missing" in res.err and f"{', '.join(FETCHED)}; fetching" in res.err, res.err
    # the files OpenCompass's classes read, in their format
    math = json.loads((data / "math" / "math.json").read_text(encoding="utf-8"))
    assert sorted(math) == ["0", "1"] and set(math["0"]) >= {"problem", "solution", "level", "type"}
    assert (data / "gsm8k" / "test.jsonl").is_file()
    assert all((data / "mmlu" / split / f"{s}_{split}.csv").is_file() for s in SUBJECTS for split in ("dev", "test"))
    run = next((tmp_path / "outputs" / "default").iterdir())
    preds = {p.stem: [json.loads(x) for x in p.read_text().splitlines()]
             for p in (run / "predictions" / "mock").glob("*.jsonl")}
    assert {"demo_gsm8k", "demo_math", *(f"lukaemon_mmlu_{s}" for s in SUBJECTS), "hellaswag"} <= set(preds)
    assert any(name.startswith("winogrande_") for name in preds), sorted(preds)
    # HellaSwag read as OpenCompass's copy has it (query "<activity>: <ctx_a> <Ctx_b>", which
    # HellaswagDataset_V2 cuts after the activity); the label a letter
    first = preds["hellaswag"][0]
    assert first["origin_prompt"][0]["content"].startswith("A man cracks an egg. He\nQuestion: Which ending")
    assert first["gold"] == "A" and preds["hellaswag"][1]["gold"] == "B"
    assert len(preds["demo_gsm8k"]) == 2 and len(preds["demo_math"]) == 2  # the hub's rows, cut to [0:64]
    assert all("Question:" not in m["content"].split("Question:", 1)[1]  # zero-shot: one question, no examples
               for r in preds["lukaemon_mmlu_anatomy"] for m in r["origin_prompt"])
    results = {p.stem: json.loads(p.read_text()) for p in (run / "results" / "mock").glob("*.json")}
    assert {"demo_gsm8k", "demo_math", *(f"lukaemon_mmlu_{s}" for s in SUBJECTS)} <= set(results), sorted(results)
    for name, rows in preds.items():  # scored: the accuracy is that of the predictions against the fetched golds
        if name.startswith(("lukaemon_mmlu_", "hellaswag", "winogrande_")):
            right = sum(r["prediction"].strip()[:1] == r["gold"] for r in rows)
            assert results[name]["metrics"]["accuracy"] == pytest.approx(100 * right / len(rows))
    record = json.loads(next((run / "configs").glob("data_*.json")).read_text())
    repos_read = {r["repo"] for entry in record.values() for r in entry.get("recipes", [entry])}
    assert repos_read == {"openai/gsm8k", "EleutherAI/hendrycks_math", "cais/mmlu", "Rowan/hellaswag",
                          "allenai/winogrande"}, record
    again = run_compass(args, tmp_path, _env(tmp_path, hub), timeout=600)  # present now: nothing is fetched
    assert again.code == 0 and "fetching" not in again.err, again.err[-2000:]


def test_offline_the_config_stops_with_the_one_missing_data_line(hub, tmp_path):
    (tmp_path / "eval_demo.py").write_text(EVAL)
    before = len(hub.log)
    res = run_compass(["eval", "eval_demo.py", "--data-dir", str(tmp_path / "data"), "--offline"], tmp_path,
                      _env(tmp_path, hub))
    assert res.code == 2 and "Traceback" not in res.err, res.err
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, res.err
    assert "looked for" in errors[0] and any(f in errors[0] for f in ("gsm8k/test.jsonl", "math/math.json",
                                                                       "abstract_algebra_test.csv")), errors[0]
    assert len(hub.log) == before  # nothing was asked of the hub


MATH = dict(dataset_class="MATHDataset", abbr="math", path="opencompass/math",
            reader_cfg=dict(input_columns=["problem"], output_column="solution"),
            infer_cfg=dict(prompt_template=dict(type="PromptTemplate", template="Problem:\n{problem}\nSolution:"),
                           retriever=dict(type="ZeroRetriever"), inferencer=dict(type="GenInferencer")),
            eval_cfg=dict(evaluator=dict(type="MATHEvaluator")))


def test_a_missing_file_in_a_present_folder_names_the_file_and_its_recipe(tmp_path):
    # MATH-500's files make math/ exist; OpenCompass's MATHDataset still lacks math/math.json
    (tmp_path / "math" / "math500").mkdir(parents=True)
    (tmp_path / "math" / "math500" / "test.jsonl").write_text("{}\n")
    bench = opencompass(datasets=[MATH])
    with pytest.raises(DataMissing) as info:
        bench.subsets[0].load.locate(tmp_path)
    assert Path(info.value.looked_for) == tmp_path / "math" / "math.json"
    assert recipe_for_path("math/math.json").name == "math"
    assert where(bench, tmp_path) == (set(), {"math"})
    (tmp_path / "math" / "math.json").write_text(json.dumps({"0": {"problem": "1+1?", "solution": "$\\boxed{2}$"}}))
    assert bench.subsets[0].load.locate(tmp_path) == tmp_path / "math" / "math.json"
    assert where(bench, tmp_path) == ({"math"}, set())
    assert bench.subsets[0].load(tmp_path).test[0]["solution"] == "2"


def test_where_compass_layout_has_it_finds_the_recipe_too(tmp_path):
    # OpenCompass's own file for AIME 2024 is aime.jsonl, which no recipe writes; compass's layout
    # (aime/aime24/test.jsonl), where the loader also looks, is the aime2024 recipe's
    aime = opencompass(datasets=[{**MATH, "dataset_class": "Aime2024Dataset", "abbr": "aime",
                                  "path": "opencompass/aime2024"}])
    with pytest.raises(DataMissing) as info:
        aime.subsets[0].load.locate(tmp_path)
    assert Path(info.value.looked_for) == tmp_path / "aime.jsonl"
    assert where(aime, tmp_path) == (set(), {"aime2024"})


def test_hellaswag_of_the_official_release_reads_as_opencompass_copy(tmp_path):
    row = {"ind": 4, "activity_label": "Home and Garden", "ctx_a": "[header] How to paint a wall [title] Buy paint.",
           "ctx_b": "then", "endings": ["stir  it.", "[step] drink it.", "eat it.", "burn it."], "label": "2"}
    (tmp_path / "hellaswag").mkdir()
    (tmp_path / "hellaswag" / "hellaswag.jsonl").write_text(json.dumps(row) + "\n")
    cfg = {**MATH, "dataset_class": "HellaswagDataset", "abbr": "hellaswag", "path": "opencompass/hellaswag",
           "reader_cfg": {"input_columns": ["ctx", "A", "B", "C", "D"], "output_column": "label"}}
    got = opencompass(datasets=[cfg]).subsets[0].load(tmp_path).test[0]
    # lm-evaluation-harness's cleaning, which OpenCompass's copy went through; HellaswagDataset keeps the gold index
    assert got["ctx"] == "How to paint a wall. Buy paint. Then"
    assert [got[c] for c in "ABCD"] == ["stir it.", " drink it.", "eat it.", "burn it."] and got["label"] == 2


def test_data_the_fetched_copy_lacks_is_one_line_naming_the_file(hub, tmp_path):
    # OpenCompass's eval_mmlu_with_zero_retriever_overwritten.py: all 57 subjects; the hub here holds 2
    (tmp_path / "eval_mmlu.py").write_text(
        "from copy import deepcopy\nfrom mmengine.config import read_base\n"
        "from opencompass.openicl.icl_retriever import ZeroRetriever\n"
        "with read_base():\n    from opencompass.configs.datasets.mmlu.mmlu_gen_4d595a import mmlu_datasets\n"
        "datasets = []\nfor d in mmlu_datasets:\n    d = deepcopy(d)\n"
        "    d['infer_cfg']['retriever'] = dict(type=ZeroRetriever)\n    datasets.append(d)\nmodels = ['mock']\n")
    res = run_compass(["eval", "eval_mmlu.py", "--data-dir", str(tmp_path / "data")], tmp_path, _env(tmp_path, hub),
                      timeout=600)
    assert res.code == 2 and "Traceback" not in res.err, res.err
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "mmlu was fetched, but" in errors[0], res.err
    assert str(tmp_path / "data" / "mmlu" / "test" / "college_biology_test.csv") in errors[0]
    assert "compass data import" in errors[0]


def test_natural_questions_read_what_the_nq_open_recipe_writes(tmp_path):
    nq = opencompass(datasets=[{**MATH, "dataset_class": "NaturalQuestionDataset", "abbr": "nq",
                                "path": "opencompass/natural_question",
                                "reader_cfg": {"input_columns": ["question"], "output_column": "answer",
                                               "train_split": "test"}}])
    assert where(nq, tmp_path) == (set(), {"nq_open"})
    (tmp_path / "nq_open").mkdir()
    (tmp_path / "nq_open" / "NQ-open.dev.jsonl").write_text(json.dumps({"question": "who?", "answer": ["Kai"]}) + "\n")
    assert where(nq, tmp_path) == ({"nq_open"}, set())
    assert nq.subsets[0].load(tmp_path).test[0]["question"] == "who?"
