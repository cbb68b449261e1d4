"""Shared by the tests/test_judge_*.py files: configs with mock candidates and a loopback judge."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import compass_env

DATA = Path(__file__).resolve().parent / "data" / "datasets"
KEY = "sk-judge-test-key"
PLUGINS = "judge,openai,mock,runners,datasets,metrics,reporters"

# MT-Bench candidate answers: a substring of each turn -> the answer (lengths chosen for the
# length judge: rating = 1 + len // 10, at most 10)
MT_ANSWERS = {
    "Compose an engaging travel blog": "a" * 25, "Start every senten": "b" * 35,
    "participating in a race": "c" * 55, '"last person"': "d" * 95,
    "vertices of a triangle": "e" * 5, "circle circumscribing": "f" * 200,
    "Evaluate the following movie reviews": "g" * 70, "including the releas": "h" * 15,
}
MT_IDS = {81: ("writing", 25, 35), 101: ("reasoning", 55, 95), 111: ("math", 5, 200), 131: ("extraction", 70, 15)}

# pairwise candidates: a substring of the question -> the answer (baselines are 40 characters)
PAIR_ANSWERS = {
    "famous actors": "x" * 100, "US states get": "y" * 50, "kickball": "z" * 40, "music from the 1920s": "w" * 10,
    "ABC notation": "x" * 100, "SOLVE THIS IN C++": "y" * 50, "Alignment problem": "z" * 40,
    "semikinematic": "w" * 10,
}


def rating(n: int) -> int:
    return min(10, 1 + n // 10)


def toml_value(v) -> str:
    return json.dumps(v, ensure_ascii=False)


# compass's own judge templates (the datasets' defaults are the references' official ones)
OWN_TEMPLATE = {"alpaca_eval": "pair-three", "arena_hard": "pair-five", "alignbench": "alignbench-multi-dim"}


def config(tmp: Path, dataset: str, judge_url: str | None, *, answers: dict | None = None,
           judge_extra: str = "", extra: str = "", models: str | None = None, judge: str | None = None,
           own_template: bool = False, dataset_opts: str = "") -> Path:
    """A TOML config: mock candidate(s), the dataset, the loopback judge (or ``judge``);
    ``own_template``: judged with compass's own template instead of the official one."""
    if own_template:
        dataset_opts += f'judge_template = "{OWN_TEMPLATE[dataset]}"\n'

    answers = answers if answers is not None else (MT_ANSWERS if dataset == "mtbench" else PAIR_ANSWERS)
    table = ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in answers.items())
    models = models or f'[[models]]\ntype = "mock"\nabbr = "cand"\nanswers = {{ {table} }}\n'
    if judge is None and judge_url is not None:
        judge = (f'[eval_settings.judge]\ntype = "openai"\napi_base = "{judge_url}"\nmodel = "judge-model"\n'
                 f'api_key_env = "JUDGE_KEY"\nmax_retries = 12\nbackoff_base = 0.05\nbackoff_max = 0.2\n'
                 f'max_concurrency = 8\n{judge_extra}')
    text = (f'data_dir = "{DATA}"\n{models}[[datasets]]\ntype = "{dataset}"\n{dataset_opts}'
            f'[runner]\ntype = "local"\nmax_num_workers = 2\n{extra}{judge or ""}')
    path = tmp / f"{dataset}.toml"
    path.write_text(text)
    return path


def env(**extra: str) -> dict:
    """The CLI's environment; the judgement cache is off unless a test turns it on."""
    return compass_env("", **{"COMPASS_PLUGINS": PLUGINS, "JUDGE_KEY": KEY, "COMPASS_JUDGE_CACHE": "0", **extra})


def run_dir(cwd: Path) -> Path:
    runs = sorted((cwd / "outputs" / "default").iterdir())
    return runs[-1]


def result(run: Path, model: str, dataset: str) -> dict:
    return json.loads((run / "results" / model / f"{dataset}.json").read_text())


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def in_process(**extra: str) -> dict:
    """The ``evaluate`` fixture's settings for a judged run made in this process (compass.api):
    the judge's plugins and key, no extra plugin, the judgement cache off unless turned on."""
    return {"plugins": "", "env": {"COMPASS_PLUGINS": PLUGINS, "JUDGE_KEY": KEY, "COMPASS_JUDGE_CACHE": "0", **extra}}
