"""Data on demand, through the real clients: every fetch recipe run against a loopback server
that speaks the Hugging Face hub's API (``huggingface_hub`` itself downloads) and one that
speaks ModelScope's; conversion into the OpenCompass layout, ``compass data`` counting the
samples, runs on the result, provenance, and the failures (offline, unreachable, 404, a
download cut off half-way, a hostile archive).

The repositories are made in :mod:`hub_fixtures` (a few rows each, in each hub repository's
own format); nothing leaves the machine.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from extras import require_extra

require_extra("huggingface_hub")  # the [data] extra: skipped without it (a failure in CI)
require_extra("pyarrow")
require_extra("requests")  # the GitHub source

from compass import api  # noqa: E402
from compass_datasets.recipes import RECIPES  # noqa: E402

from conftest import compass_env, only_run_dir, run_compass  # noqa: E402
from hub_fixtures import GITHUB, RUN, jsonl, mmlu_tar, pq, repos  # noqa: E402
from hub_server import GitHubServer, HubServer, ModelScopeServer, Repo  # noqa: E402


def _env(tmp: Path, **extra: str) -> dict:
    return compass_env(HF_HOME=str(tmp / "hf-home"), COMPASS_CACHE_DIR=str(tmp / "cache"),
                       HF_HUB_DISABLE_PROGRESS_BARS="1", COMPASS_OFFLINE="0", **extra)


@pytest.fixture(scope="module")
def fixtures():
    return repos()


def _source(name: str) -> str:
    return "github" if name in GITHUB else "hf"


def _gh_env(gh) -> dict:
    return {"GITHUB_API_URL": gh.url, "COMPASS_GITHUB_RAW_URL": gh.url}


@pytest.fixture(scope="module")
def hub(fixtures):
    with HubServer({repo_id: repo for n, (repo_id, repo) in fixtures.items() if n not in GITHUB}) as server:
        yield server


@pytest.fixture(scope="module")
def github(fixtures):
    with GitHubServer({repo_id: repo for n, (repo_id, repo) in fixtures.items() if n in GITHUB}) as server:
        yield server


@pytest.fixture(scope="module")
def fetched(hub, github, tmp_path_factory):
    """Every recipe fetched once with ``compass data fetch`` into one data dir."""
    tmp = tmp_path_factory.mktemp("fetched")
    data = tmp / "data"
    res = run_compass(["data", "fetch", *RECIPES, "--data-dir", str(data)], tmp,
                      _env(tmp, HF_ENDPOINT=hub.url, **_gh_env(github)), timeout=600)
    assert res.code == 0, res.err
    return tmp, data, res


def _table(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines()[3:] if line and line[0] != " "}


def test_every_recipe_has_a_fixture_and_a_run(fixtures):
    assert set(fixtures) == set(RECIPES) == set(RUN)
    for name, (repo_id, _) in fixtures.items():
        assert RECIPES[name].repo(_source(name)) == repo_id and RECIPES[name].sources()[0] == _source(name)


def test_fetch_every_recipe_through_huggingface_hub(fetched, hub, github, fixtures):
    tmp, data, res = fetched
    for name, recipe in RECIPES.items():  # provenance: source, repo, commit, each file's sha256
        prov = json.loads((data / ".compass" / "provenance" / f"{name}.json").read_text())
        repo_id, repo = fixtures[name]
        assert (prov["source"], prov["repo"], prov["sha"]) == (_source(name), repo_id, repo.sha), name
        assert prov["files"] and all(len(h) == 64 for h in prov["files"].values())
        assert set(prov["files"]) <= set(repo.files)
        assert prov["outputs"] and all((data / rel).is_file() for rel in prov["outputs"]), name
        assert f"fetching {recipe.title}: {repo_id}" in res.err
    # only the needed files were downloaded: not the repositories' other files
    got = {path for method, path, _ in hub.log if method == "GET" and "/resolve/" in path}
    assert not any(p.endswith(("README.md", "socratic/test-00000-of-00001.parquet", "train-00000-of-00001.parquet"))
                   and "/boolq/" in p for p in got)
    assert not any("socratic" in p for p in got)
    # GitHub: the pinned commit, its tree, and only the files the recipe names
    raw = {p for method, p, _ in github.log if method == "GET" and not p.startswith("/repos/")}
    assert "/repos/ruixiangcui/AGIEval/commits/5c77d073fda993f1652eaae3cf5d04cc5fd21d40" in \
        {p for _, p, _ in github.log}
    assert "/ruixiangcui/AGIEval/5c77d073fda993f1652eaae3cf5d04cc5fd21d40/data/v1/sat-math.jsonl" in raw
    assert not any(p.endswith(("README.md", "splits/test/chinese.jsonl", "data_release.jsonl"))
                   or "Subjective" in p for p in raw)
    assert "AGIEval v1 is not on the Hugging Face hub: it comes from GitHub" in res.err
    # the hub's parquet export was read at its own revision
    assert any(p.startswith("/api/datasets/ybisk/piqa/revision/refs/convert/parquet") for _, p, _ in hub.log)
    # conversions into the OpenCompass layout
    assert (data / "mmlu" / "val" / "anatomy_val.csv").read_text().startswith("anatomy question 0?,w,x,y,z,A")
    assert not (data / "mmlu" / "test" / "all_test.csv").exists()
    arc = json.loads((data / "ARC" / "ARC-c" / "ARC-Challenge-Test.jsonl").read_text().splitlines()[1])
    assert arc["question"]["choices"][1] == {"text": "green", "label": "B"} and arc["answerKey"] == "B"
    assert (data / "siqa" / "dev-labels.lst").read_text() == "1\n2\n"
    assert (data / "bbh" / "cot-prompts" / "date_understanding.txt").read_text().count("Q:") == 3
    assert [json.loads(x)["task_id"] for x in (data / "mbpp" / "mbpp.jsonl").read_text().splitlines()] == \
        [2, 3, 4, 11, 12, 511, 601]
    question = json.loads((data / "mt_bench" / "question.jsonl").read_text().splitlines()[0])
    assert question["turns"] == ["Write a poem 0.", "Now shorter."] and "prompt" not in question
    answer = json.loads((data / "arena_hard" / "arena-hard-v0.1" / "model_answer" / "gpt-4-0314.jsonl")
                        .read_text().splitlines()[1])
    assert answer == {"question_id": "q1", "model_id": "gpt-4-0314",
                      "choices": [{"index": 0, "turns": [{"content": "Because 1."}]}]}
    # the authors' files, unchanged, where compass's loaders read them
    for name, dest in (("agieval", "agieval"), ("gaokao", "gaokao"), ("alignbench", "alignbench")):
        repo = fixtures[name][1]
        for rel in prov_files(data, name):
            assert (data / dest / rel).read_bytes() == repo.files[rel], rel
    assert (data / "agieval" / "data" / "v1" / "LICENSE").is_file()
    assert (data / "gaokao" / "Bench" / "Obj_Prompt.json").is_file()
    assert (data / "alignbench" / "config" / "dimension_definition.json").is_file()
    assert not (data / "alignbench" / "data" / "data_release.jsonl").exists()


def prov_files(data: Path, name: str) -> list[str]:
    return list(json.loads((data / ".compass" / "provenance" / f"{name}.json").read_text())["files"])


def test_compass_data_counts_and_says_where_from(fetched, fixtures):
    tmp, data, _ = fetched
    res = run_compass(["data", "--data-dir", str(data)], tmp, _env(tmp))
    assert res.code == 0, res.err
    table = _table(res.out)
    for name, (dataset, _, samples) in RUN.items():
        row = table[dataset]
        assert row[1] in ("present", "partial") and row[2] == str(samples), row
        repo_id, repo = fixtures[name]
        assert row[-1] == f"{_source(name)}:{repo_id}@{repo.sha[:8]}", row


def test_a_run_on_every_fetched_benchmark(fetched, fixtures):
    tmp, data, _ = fetched
    datasets = [{"type": ds, **kwargs} for ds, kwargs, _ in RUN.values()]
    result = api.evaluate({"models": [{"type": "mock"}], "datasets": datasets, "data_dir": str(data),
                           "work_dir": str(tmp / "outputs"), "mode": "infer", "max_num_workers": 1})
    assert result.exit_code == 0, result.failures
    assert {t.dataset_type for t in result.plan.tasks} == {d["type"] for d in datasets}
    record = json.loads(next((result.run_dir / "configs").glob("data_*.json")).read_text())
    for name, (dataset, _, _) in RUN.items():
        assert record[dataset]["recipe"] == name and record[dataset]["source"] == _source(name)
        assert record[dataset]["sha"] == fixtures[name][1].sha and len(record[dataset]["identity"]) == 16
        assert all(len(h) == 64 for h in record[dataset]["files"].values())
    preds = list((result.run_dir / "predictions" / "mock").glob("*.jsonl"))
    assert len(preds) >= len(RUN)


def test_eval_fetches_on_first_use_and_version_follows_the_data(hub, tmp_path):
    env = _env(tmp_path, HF_ENDPOINT=hub.url)
    args = ["eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(tmp_path / "data"), "--max-num-workers", "1"]
    first = run_compass(args, tmp_path, env)
    assert first.code == 0, first.err
    assert "data: 1 benchmark(s) missing" in first.err and "fetching GSM8K: openai/gsm8k (main) from the " \
        f"Hugging Face hub at {hub.url}" in first.err
    again = run_compass(args, tmp_path, env)  # present now: nothing is fetched
    assert again.code == 0 and "fetching" not in again.err
    runs = sorted((tmp_path / "outputs" / "default").iterdir())
    versions = [json.loads(next((r / "results" / "mock").glob("*.json")).read_text())["version"] for r in runs]
    assert versions[0] == versions[1]
    (tmp_path / "data" / "gsm8k" / "test.jsonl").write_text(jsonl([{"question": "1 + 1?", "answer": "#### 2"}]).decode())
    third = run_compass(args, tmp_path, env)  # other data: another version, and the record says it changed
    assert third.code == 0, third.err
    run = sorted((tmp_path / "outputs" / "default").iterdir())[-1]
    assert json.loads(next((run / "results" / "mock").glob("*.json")).read_text())["version"] != versions[0]
    record = json.loads(next((run / "configs").glob("data_*.json")).read_text())["gsm8k"]
    assert record["modified"] is True and record["repo"] == "openai/gsm8k"
    # `compass compare` names the data as a reason the runs differ
    cmp = run_compass(["compare", str(runs[0]), str(run)], tmp_path, env)
    assert cmp.code == 0, cmp.err
    line = next(ln for ln in cmp.out.splitlines() if "data:" in ln)
    assert "hf:openai/gsm8k@" in line and "(changed since fetched)" in line


@pytest.mark.parametrize("how", ["--offline", "HF_HUB_OFFLINE"])
def test_offline_stops_with_the_missing_data_line(hub, tmp_path, how):
    env = _env(tmp_path, HF_ENDPOINT=hub.url, **({"HF_HUB_OFFLINE": "1"} if how == "HF_HUB_OFFLINE" else {}))
    before = len(hub.log)
    args = ["eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(tmp_path / "data")]
    res = run_compass(args + (["--offline"] if how == "--offline" else []), tmp_path, env)
    assert res.code == 2
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "gsm8k: GSM8K test split not found" in errors[0]
    assert "compass data fetch gsm8k" in errors[0] and "Traceback" not in res.err
    assert len(hub.log) == before  # nothing was asked of the hub
    if how == "HF_HUB_OFFLINE":  # an explicit fetch says why it does nothing
        res = run_compass(["data", "fetch", "gsm8k", "--data-dir", str(tmp_path / "data")], tmp_path, env)
        assert res.code == 2 and "HF_HUB_OFFLINE is set" in res.err and len(hub.log) == before


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_a_dry_run_plans_without_the_data_and_fetches_nothing(hub, tmp_path, offline):
    """A dry run shows the whole plan when data is missing: the subsets without data have an
    unknown size (``?``), one line per dataset names the file looked for, and nothing is
    downloaded (the real run fetches it first, unless offline)."""
    env = _env(tmp_path, HF_ENDPOINT=hub.url)
    before = len(hub.log)
    data = tmp_path / "data"
    args = ["eval", "-m", "mock", "-d", "gsm8k", "mmlu", "demo_gsm8k", "--data-dir", str(data), "--dry-run"]
    res = run_compass(args + (["--offline"] if offline else []), tmp_path, env)
    assert res.code == 0, res.err
    assert len(hub.log) == before and not data.exists()  # nothing asked of the hub, nothing written
    said = "--offline: the run would stop at them" if offline else "the run fetches them first"
    assert f"data: 2 benchmark(s) missing from {data.resolve()}: gsm8k, mmlu; {said}" in res.err
    rows = {ln.split()[0]: ln.split() for ln in res.out.splitlines() if ln.startswith("mock/")}
    assert rows["mock/gsm8k"][2] == "?" and rows["mock/mmlu-anatomy"][2] == "?" and rows["mock/demo_gsm8k"][2] == "64"
    assert "59 inference tasks, 64 samples (and those of 58 subsets whose data is missing)" in res.out
    missing = [ln for ln in res.out.splitlines() if ln.startswith("data missing:")]
    assert len(missing) == 2  # one line per dataset, not per subset
    assert missing[0].startswith("data missing: gsm8k: ") and str(data / "gsm8k" / "test.jsonl") in missing[0]
    assert missing[1].startswith("data missing: mmlu: ") and missing[1].endswith("(and 56 more of its subsets)")
    assert not (tmp_path / "outputs").exists()
    real = run_compass(args[:-1] + ["--offline"], tmp_path, env)  # the real run still stops at the data
    assert real.code == 2 and "error: gsm8k: GSM8K test split not found" in real.err and len(hub.log) == before


def test_modelscope_source(fixtures, hub, tmp_path):
    ms_repos = {RECIPES[n].ms: fixtures[n][1] for n in ("gsm8k", "ceval") if RECIPES[n].ms}
    ms_repos["modelscope/mmlu"] = Repo({"data.tar": mmlu_tar(), "README.md": b"MMLU"})  # the original archive
    with ModelScopeServer(ms_repos) as ms:
        env = _env(tmp_path, MODELSCOPE_ENDPOINT=ms.url, DATASET_SOURCE="ModelScope", HF_ENDPOINT=hub.url)
        res = run_compass(["eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(tmp_path / "data")], tmp_path, env)
        assert res.code == 0, res.err
        assert f"fetching GSM8K: modelscope/gsm8k (master) from ModelScope at {ms.url}" in res.err
        flag_env = {k: v for k, v in env.items() if k != "DATASET_SOURCE"}  # the flag alone picks ModelScope
        res = run_compass(["eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(tmp_path / "data2"),
                           "--data-source", "modelscope"], tmp_path, flag_env)
        assert res.code == 0 and "from ModelScope at" in res.err, res.err
        res = run_compass(["data", "fetch", "ceval_gen", "--source", "modelscope", "--data-dir",
                           str(tmp_path / "data")], tmp_path, env)
        assert res.code == 0, res.err
        paths = [p for _, p, _ in ms.log]
    assert "/api/v1/datasets/modelscope/gsm8k" in paths and "/api/v1/datasets/modelscope/gsm8k/repo" in paths
    assert any(p.endswith("/repo/tree") and p.split("/")[4].isdigit() for p in paths)  # listed by numeric id
    prov = json.loads((tmp_path / "data" / ".compass" / "provenance" / "ceval.json").read_text())
    assert (prov["source"], prov["repo"], prov["sha"]) == ("modelscope", "modelscope/ceval-exam",
                                                           fixtures["ceval"][1].sha)
    assert (tmp_path / "data" / "ceval" / "formal_ceval" / "val" / "computer_network_val.csv").is_file()
    # MMLU: ModelScope's mirror holds the original data.tar, not the hub's parquet files
    with ModelScopeServer(ms_repos) as ms:
        res = run_compass(["data", "fetch", "mmlu", "--source", "modelscope", "--data-dir", str(tmp_path / "data")],
                          tmp_path, _env(tmp_path, MODELSCOPE_ENDPOINT=ms.url, HF_ENDPOINT=hub.url))
        assert res.code == 0, res.err
    assert (tmp_path / "data" / "mmlu" / "val" / "anatomy_val.csv").read_text().startswith("anatomy tar question 0?")
    assert sorted(p.name for p in (tmp_path / "data" / "mmlu").iterdir()) == ["dev", "test", "val"]
    res = run_compass(["data", "--data-dir", str(tmp_path / "data"), "--filter", "mmlu_compass_gen"], tmp_path, _env(tmp_path))
    row = _table(res.out)["mmlu_compass_gen"]
    assert row[1:3] == ["partial", "4"] and row[-1].startswith("modelscope:modelscope/mmlu@"), row
    # a benchmark ModelScope has no copy of says so, and where it is instead
    res = run_compass(["data", "fetch", "siqa", "--source", "modelscope", "--data-dir", str(tmp_path / "data")],
                      tmp_path, env)
    assert res.code == 2 and "Social IQa is not on ModelScope; fetch it with --source hf" in res.err
    # a run takes it from the hub instead, and says so
    res = run_compass(["eval", "-m", "mock", "-d", "siqa", "--data-dir", str(tmp_path / "data")], tmp_path, env)
    assert res.code == 0, res.err
    assert "Social IQa is not on ModelScope: it comes from the Hugging Face hub" in res.err
    assert json.loads((tmp_path / "data" / ".compass" / "provenance" / "siqa.json").read_text())["source"] == "hf"


def test_unreachable_hub_fails_with_one_line(tmp_path):
    env = _env(tmp_path, HF_ENDPOINT="http://127.0.0.1:9")  # nothing listens there
    res = run_compass(["data", "fetch", "ceval", "--data-dir", str(tmp_path / "data"), "--timeout", "2"], tmp_path, env)
    assert res.code == 2
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.err
    assert "cannot reach the Hugging Face hub at http://127.0.0.1:9" in errors[0]
    assert "--source modelscope" in errors[0] and "compass data import" in errors[0] and "HF_ENDPOINT" in errors[0]
    assert not (tmp_path / "data").exists()


def test_not_found_names_the_repository_and_the_file(tmp_path):
    with HubServer({"openai/gsm8k": Repo({"main/test-00000-of-00001.parquet": pq([{"question": "q", "answer": "a"}])})}) \
            as hub:
        env = _env(tmp_path, HF_ENDPOINT=hub.url)
        res = run_compass(["data", "fetch", "gsm8k", "--data-dir", str(tmp_path / "data")], tmp_path, env)
        assert res.code == 2
        assert "gsm8k: dataset repository openai/gsm8k@" in res.err and "'main/train-*.parquet' (HTTP 404)" in res.err
        res = run_compass(["data", "fetch", "ifeval", "--data-dir", str(tmp_path / "data")], tmp_path, env)
        assert res.code == 2 and "dataset repository google/IFEval not found at " + hub.url in res.err
    assert not (tmp_path / "data" / "gsm8k").exists()


def test_unknown_names(tmp_path):
    res = run_compass(["data", "fetch", "cevl"], tmp_path)
    assert res.code == 2 and "did you mean 'ceval'" in res.err


def test_a_download_cut_off_is_resumed_never_left_corrupt(fixtures, tmp_path):
    repo_id, repo = fixtures["ifeval"]
    size = len(repo.files["ifeval_input_data.jsonl"])
    with HubServer({repo_id: repo}) as hub, ModelScopeServer({"opencompass/ifeval": repo}) as ms:
        env = _env(tmp_path, HF_ENDPOINT=hub.url, MODELSCOPE_ENDPOINT=ms.url)
        out = tmp_path / "data" / "IFEval" / "input_data.jsonl"
        # ModelScope: the first attempt stops half-way, leaves no file, the second resumes from there
        ms.break_once["ifeval_input_data.jsonl"] = size // 2
        args = ["data", "fetch", "ifeval", "--source", "modelscope", "--data-dir", str(tmp_path / "data")]
        first = run_compass(args, tmp_path, env)
        assert first.code == 2 and "run again to resume" in first.err and not out.exists()
        second = run_compass(args, tmp_path, env)
        assert second.code == 0, second.err
        ranges = [h.get("range") for m, p, h in ms.log if p.endswith("/repo") and h.get("range")]
        assert ranges == [f"bytes={size // 2}-"]
        assert out.read_bytes() == repo.files["ifeval_input_data.jsonl"]
        # the Hugging Face client retries a cut-off download itself (from the bytes it kept, with a
        # Range request; this file is smaller than its read size, so from the start) and only a
        # complete, checked file is used
        hub.break_once["ifeval_input_data.jsonl"] = size // 3
        res = run_compass(["data", "fetch", "ifeval", "--data-dir", str(tmp_path / "hfdata")], tmp_path, env)
        assert res.code == 0, res.err
        assert "Trying to resume download" in res.err
        gets = [p for m, p, h in hub.log if m == "GET" and p.endswith("/ifeval_input_data.jsonl")]
        assert len(gets) == 2
        assert (tmp_path / "hfdata" / "IFEval" / "input_data.jsonl").read_bytes() == repo.files["ifeval_input_data.jsonl"]
        assert not list((tmp_path / "hf-home").rglob("*.incomplete"))


def test_import_opencompass_archive(tmp_path):
    archive = tmp_path / "OpenCompassData-core-20240207.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/gsm8k/test.jsonl", jsonl([{"question": "1 + 1?", "answer": "#### 2"}]))
        zf.writestr("data/gsm8k/train.jsonl", jsonl([{"question": "2 + 2?", "answer": "#### 4"}]))
        zf.writestr("data/nq_open/NQ-open.dev.jsonl", jsonl([{"question": "who", "answer": ["me"]}]))
    data = tmp_path / "data"
    res = run_compass(["data", "import", str(archive), "--data-dir", str(data)], tmp_path)
    assert res.code == 0, res.err
    assert "imported 3 file(s)" in res.out and "gsm8k, nq_open" in res.out
    prov = json.loads((data / ".compass" / "provenance" / "gsm8k.json").read_text())
    assert prov["source"] == "archive" and prov["repo"] == archive.name
    table = _table(run_compass(["data", "--data-dir", str(data)], tmp_path).out)
    assert table["gsm8k"][1:3] == ["present", "1"] and table["gsm8k"][-1].startswith("archive:")
    hostile = tmp_path / "bad.zip"
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("../escape.txt", "x")
    res = run_compass(["data", "import", str(hostile), "--data-dir", str(data)], tmp_path)
    assert res.code == 2 and "unsafe path '../escape.txt'" in res.err and not (tmp_path / "escape.txt").exists()


def test_modelscope_listing_pages_through_large_repositories(monkeypatch):
    from compass_datasets.sources import ms_list

    repo = Repo({f"part/{i:03d}.jsonl": b"{}\n" for i in range(230)})
    with ModelScopeServer({"owner/big": repo}) as ms:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", ms.url)
        files, sha = ms_list("owner/big", "master", timeout=5)
        pages = [p for _, p, _ in ms.log if p.endswith("/repo/tree")]
    assert sorted(f["Path"] for f in files) == sorted(repo.files) and sha == repo.sha
    assert len(pages) == 3


def test_fetching_again_keeps_what_was_there(hub, tmp_path):
    env = _env(tmp_path, HF_ENDPOINT=hub.url)
    data = tmp_path / "data"
    (data / "gsm8k").mkdir(parents=True)
    (data / "gsm8k" / "mine.jsonl").write_text("{}\n")
    res = run_compass(["data", "fetch", "gsm8k", "--data-dir", str(data)], tmp_path, env)
    assert res.code == 0, res.err
    assert "the earlier " + str(data / "gsm8k") + " is kept in" in res.err
    kept = list((data / ".compass" / "replaced").glob("*/gsm8k/mine.jsonl"))
    assert len(kept) == 1 and not (data / "gsm8k" / "mine.jsonl").exists()
    assert (data / "gsm8k" / "test.jsonl").is_file()


def test_compass_data_on_a_fresh_dir_says_what_is_fetchable_and_from_where(tmp_path):
    res = run_compass(["data", "--data-dir", str(tmp_path / "empty")], tmp_path, _env(tmp_path))
    assert res.code == 0, res.err
    table = _table(res.out)
    lines = res.out.splitlines()
    rule = next(ln for ln in lines if ln.startswith("---"))
    start = rule.rstrip().rfind(" ") + 1  # the "from" column, wrapped over the lines below its row

    def origin_of(dataset: str) -> str:
        i = next(i for i, ln in enumerate(lines) if ln.split()[:1] == [dataset])
        rows = [lines[i]]
        for ln in lines[i + 1:]:
            if not ln.startswith(" "):
                break
            rows.append(ln)
        return "".join(r[start:].strip() for r in rows)

    for dataset, expect in (("agieval", "github:ruixiangcui/AGIEval@5c77d073"),
                            ("gaokao", "github:OpenLMLab/GAOKAO-Bench@6dbb24f8"),
                            ("alignbench", "github:THUDM/AlignBench@5b79d4a8"),
                            ("mmlu", "hf:cais/mmlu,")):
        assert table[dataset][1] == "missing" and expect in origin_of(dataset).replace(" ", ""), origin_of(dataset)


def test_github_source_resumes_checks_and_fails_clearly(fixtures, tmp_path):
    repo_id, small = fixtures["alignbench"]
    name = "data/data_v1.1_release.jsonl"
    rows = [{"question_id": i, "category": "基本任务", "subcategory": "翻译", "question": f"把“{i}”译成英文。" * 8,
             "reference": str(i), "evidences": []} for i in range(1500)]  # larger than a read: a part is kept
    repo = Repo({**small.files, name: jsonl(rows)}, sha=small.sha)
    size = len(repo.files[name])
    with GitHubServer({repo_id: repo}) as gh:
        env = _env(tmp_path, **_gh_env(gh))
        args = ["data", "fetch", "alignbench", "--data-dir", str(tmp_path / "data")]
        out = tmp_path / "data" / "alignbench" / "data" / "data_v1.1_release.jsonl"
        # cut off half-way: one line, nothing installed; the next fetch asks only for the rest
        gh.break_once[name] = size // 2
        first = run_compass(args, tmp_path, env)
        assert first.code == 2 and "run again to resume" in first.err and not out.exists(), first.err
        assert len([ln for ln in first.err.splitlines() if ln.startswith("error:")]) == 1
        second = run_compass(args, tmp_path, env)
        assert second.code == 0, second.err
        ranges = [h.get("range") for m, p, h in gh.log if p.endswith(name) and h.get("range")]
        assert len(ranges) == 1 and 0 < int(ranges[0][len("bytes="):-1]) <= size // 2, ranges
        assert out.read_bytes() == repo.files[name]
        # a cached file that no longer matches its git blob is fetched again, not used
        cached = next((tmp_path / "cache").rglob("data_v1.1_release.jsonl"))
        cached.write_bytes(b"corrupt\n")
        before = len(gh.log)
        third = run_compass(args + ["--source", "github"], tmp_path, env)
        assert third.code == 0, third.err
        assert any(p.endswith(name) for _, p, _ in gh.log[before:]) and out.read_bytes() == repo.files[name]
    # a repository without the file: the repository, the commit and the file named
    with GitHubServer({repo_id: Repo({"config/dimension_set.json": b"{}"}, sha=repo.sha)}) as gh:
        res = run_compass(["data", "fetch", "alignbench", "--data-dir", str(tmp_path / "d2")], tmp_path,
                          _env(tmp_path, **_gh_env(gh)))
        assert res.code == 2 and "GitHub repository THUDM/AlignBench@5b79d4a84e56 has no file matching " \
            "'data/data_v1.1_release.jsonl' (HTTP 404)" in res.err, res.err
    # nothing listening: one line naming GitHub and the alternatives, in seconds
    env = _env(tmp_path, GITHUB_API_URL="http://127.0.0.1:9", COMPASS_GITHUB_RAW_URL="http://127.0.0.1:9")
    res = run_compass(["data", "fetch", "gaokao", "--data-dir", str(tmp_path / "d3"), "--timeout", "2"], tmp_path, env)
    errors = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert res.code == 2 and len(errors) == 1 and "Traceback" not in res.err
    assert "cannot reach GitHub at 127.0.0.1:9" in errors[0] and "GITHUB_TOKEN" in errors[0]
    assert "compass data import" in errors[0] and not (tmp_path / "d3" / "gaokao").exists()


def test_eval_fetches_a_github_benchmark_on_first_use(fixtures, tmp_path):
    repo_id, repo = fixtures["alignbench"]
    with GitHubServer({repo_id: repo}) as gh:
        env = _env(tmp_path, DATASET_SOURCE="ModelScope", **_gh_env(gh))
        res = run_compass(["eval", "-m", "mock", "-d", "alignbench", "--mode", "infer", "--data-dir",
                           str(tmp_path / "data"), "--max-num-workers", "1"], tmp_path, env)
    assert res.code == 0, res.err
    assert "AlignBench v1.1 is not on ModelScope: it comes from GitHub" in res.err
    assert f"fetching AlignBench v1.1: THUDM/AlignBench ({repo.sha}) from GitHub at {gh.url}" in res.err
    run = next((tmp_path / "outputs" / "default").iterdir())
    record = json.loads(next((run / "configs").glob("data_*.json")).read_text())["alignbench"]
    assert (record["source"], record["repo"], record["sha"]) == ("github", repo_id, repo.sha)


def test_github_token_goes_to_github_and_the_api_server_named_never_to_a_raw_mirror(monkeypatch):
    from compass_datasets.github import _token_for

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.setenv("COMPASS_GITHUB_RAW_URL", "https://mirror.example.org")
    assert _token_for("https://api.github.com/repos/o/n/commits/main") == {"Authorization": "Bearer ghp_secret"}
    assert _token_for("https://raw.githubusercontent.com/o/n/sha/f") == {"Authorization": "Bearer ghp_secret"}
    assert _token_for("https://mirror.example.org/o/n/sha/f") == {}
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3")  # the server the token belongs to
    assert _token_for("https://ghe.example.com/api/v3/repos/o/n") == {"Authorization": "Bearer ghp_secret"}
    assert _token_for("https://mirror.example.org/o/n/sha/f") == {}
    monkeypatch.delenv("GITHUB_TOKEN")
    assert _token_for("https://api.github.com/repos/o/n") == {}
