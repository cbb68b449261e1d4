"""How many of OpenCompass's own config files compass plans as written, and with whose prompt.

For every dataset config of the families in ``bench/opencompass_families.txt`` (the
benchmarks compass has) it writes the eval config an OpenCompass user writes::

    from mmengine.config import read_base
    with read_base():
        from opencompass.configs.datasets.<family>.<file> import <x>_datasets
    datasets = <x>_datasets
    models = [<a mock model>]

(a chat mock model for a config that needs one: ``RawPromptTemplate``)
and plans it with ``compass.api.plan`` (what ``compass eval --dry-run`` does), resolving
``opencompass.configs`` in the given OpenCompass tree. A config counts as *own prompt* when
every dataset became the ``opencompass`` dataset (its own reader/infer/eval config), as
*compass's prompt* when one was swapped for a compass built-in (a note says so). It also
plans ``examples/eval_*.py`` files given with ``--examples DIR`` as a user of that checkout
runs them: ``opencompass.configs`` resolves in the tree around the examples (walking up from
the file, e.g. main's ``opencompass/configs`` next to main's ``examples/``), not in the first
argument's; API keys a user has exported are stood in for by a dummy value (a dry run reads
but never sends them). The general-purpose examples an OpenCompass user starts from
(:data:`GENERAL`) are tallied on their own, each as *plans*, *plans, data missing* (the dry run plans,
its data not at hand: a real run fetches it first or names where to put it), *dataset class* (a
dataset class compass does not run yet) or *other*. Usage::

    .venv/bin/python bench/opencompass_dryrun.py /tmp/oc/src [--data-dir DIR] [--examples DIR] [--models] [-v]

``--models`` plans every OpenCompass model config name compass registers (``-m NAME`` in upper
case, on the shipped ``demo_gsm8k``), translating that file of the given tree.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

MOCK = "dict(type='mock', chat=False, answers={})"
#: for configs that say they need a chat model (RawPromptTemplate's message lists)
CHAT_MOCK = "dict(type='mock', chat=True, answers={})"
#: the examples an OpenCompass user starts from (quick start, model families, API models, features)
GENERAL = ("eval_api_demo eval_base_demo eval_chat_demo eval_hf_llama2 eval_hf_llama_7b eval_internlm_7b "
           "eval_llama2_7b eval_qwen_7b eval_qwen_7b_chat eval_llama3_instruct eval_lmdeploy_demo "
           "eval_internlm_chat_turbomind eval_mmlu_with_zero_retriever_overwritten eval_multi_prompt_demo "
           "eval_gpt4 eval_gpt3.5 eval_claude eval_qwen3 eval_inference_ppl eval_circular").split()
#: key variables an API example reads (a user running it has them exported)
KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MOONSHOT_API_KEY", "DEEPSEEK_API_KEY", "DASHSCOPE_API_KEY",
            "ZHIPUAI_API_KEY", "GEMINI_API_KEY")


def kind_of(outcome: str, detail: str) -> str:
    """plans / plans, data missing / dataset class / other."""
    if outcome in ("own prompt", "compass prompt"):
        return "plans"
    if outcome.endswith("data missing"):
        return "plans, data missing"
    if "Dataset" in detail and "does not know the OpenCompass class" in detail:
        return "dataset class"
    return "other"


def lists_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.endswith("_datasets")]
        for sub in ast.walk(node) if isinstance(node, ast.With) else [node]:
            if isinstance(sub, ast.ImportFrom):
                names += [a.asname or a.name for a in sub.names if (a.asname or a.name).endswith("_datasets")]
    return names


def plan(config: Path, data_dir: str | None = None) -> tuple[str, str]:
    """``(outcome, detail)``: outcome is ``own prompt`` / ``compass prompt`` (planned),
    ``own prompt, data missing`` / ``compass prompt, data missing``, or ``fails``."""
    from compass import api

    err = io.StringIO()
    route = ""
    try:
        with contextlib.redirect_stderr(err):
            cfg = api.load_config(str(config))
            if data_dir:
                cfg.data_dir = data_dir  # what --data-dir does
            cfg.dry_run = True  # what --dry-run does
            route = "own prompt" if all(c.type == "opencompass" for c in cfg.datasets) else "compass prompt"
            p = api.plan(cfg)
    except BaseException as exc:  # noqa: BLE001 - counted and shown
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:200]
        missing = type(exc).__name__ == "DataMissing" or "not found" in text or "looked for" in text
        return (f"{route}, data missing" if missing and route else "fails"), text
    if p.missing:  # planned; its data is not at hand (a real run fetches it first, or names where to put it)
        return f"{route}, data missing", next(iter(p.missing.values()))[:200]
    notes = err.getvalue().strip().splitlines()
    return route, (notes[0][:200] if notes else "")


def plan_models(verbose: bool) -> None:
    """Every OpenCompass model config name as ``-m NAME`` (upper-cased: names are case-insensitive)."""
    from compass import api
    from compass_opencompass.oc_models import listing

    for var in KEY_VARS:
        os.environ.setdefault(var, "dummy-key-for-a-dry-run")
    names = listing()
    ok = 0
    why: Counter = Counter()
    for name in names:
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                cfg = api.RunConfig(models=[api.Component(name.split("/")[-1].upper())],
                                    datasets=[api.Component("demo_gsm8k")])
                api.plan(cfg)
            ok += 1
        except BaseException as exc:  # noqa: BLE001 - counted and shown
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            short = text.split("compass does not know the OpenCompass class ")[-1].split(";")[0][:90]
            why[short] += 1
            if verbose:
                print(f"fails {name}: {text[:200]}")
    print(f"model config names: {ok} of {len(names)} plan (-m NAME, upper-cased)")
    for reason, n in why.most_common(15):
        print(f"  {n:4}  {reason}")


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    verbose = "-v" in argv
    examples = Path(argv[argv.index("--examples") + 1]) if "--examples" in argv else None
    data = argv[argv.index("--data-dir") + 1] if "--data-dir" in argv else "data"
    configs = root / "opencompass" / "configs"
    os.environ["COMPASS_OPENCOMPASS_CONFIGS"] = str(configs)
    # what runs on the data at hand: a missing file is "data missing" (compass eval would fetch it
    # when the hub is reachable), not a download attempt per config
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    families = (Path(__file__).parent / "opencompass_families.txt").read_text().split()
    tally: Counter = Counter()
    why: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for fam in families:
            for f in sorted((configs / "datasets" / fam).glob("*.py")):
                if f.name == "__init__.py":
                    continue
                names = lists_in(f)
                if not names:
                    tally["no dataset list"] += 1
                    continue
                cfg = Path(tmp) / f"eval_{f.stem}.py"
                for model in (MOCK, CHAT_MOCK):
                    cfg.write_text(f"from mmengine.config import read_base\nwith read_base():\n"
                                   f"    from opencompass.configs.datasets.{fam}.{f.stem} import {names[0]}\n"
                                   f"datasets = {names[0]}\nmodels = [{model}]\ndata_dir = {data!r}\n")
                    kind, detail = plan(cfg)
                    if not (kind == "fails" and "run it with a chat model" in detail):
                        break
                tally[kind] += 1
                if kind == "fails":
                    why[detail.split(": ", 2)[-1][:90]] += 1
                if verbose:
                    print(f"{kind:15} {fam}/{f.stem}: {detail}")
    total = sum(tally.values())
    print(f"dataset configs of {len(families)} families: {total}; " + ", ".join(f"{k}: {v}" for k, v in tally.most_common()))
    for reason, n in why.most_common(15):
        print(f"  {n:4}  {reason}")
    if "--models" in argv:
        plan_models(verbose)
    if examples:
        os.environ.pop("COMPASS_OPENCOMPASS_CONFIGS")  # each example resolves in its own checkout's tree
        os.environ["HF_HUB_OFFLINE"] = "1"  # (as above: what runs on the data at hand)
        for var in KEY_VARS:
            os.environ.setdefault(var, "dummy-key-for-a-dry-run")
        ok = 0
        general: dict[str, tuple[str, str]] = {}
        files = sorted(examples.glob("eval_*.py"))
        for f in files:
            kind, detail = plan(f, data)
            ok += kind != "fails"
            if f.stem in GENERAL:
                general[f.stem] = (kind_of(kind, detail), detail)
            print(f"{kind:15} {f.name}: {detail}")
        print(f"examples: {ok} of {len(files)} plan")
        print(f"\ngeneral-purpose examples ({len(general)} of {len(GENERAL)} present):")
        for name in GENERAL:
            if name in general:
                print(f"  {general[name][0]:13} {name}: {general[name][1][:160]}")
        counts = Counter(k for k, _ in general.values())
        print("general-purpose: " + ", ".join(f"{k}: {counts[k]}" for k in
                                              ("plans", "plans, data missing", "dataset class", "other")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
