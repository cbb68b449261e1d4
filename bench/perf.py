#!/usr/bin/env python3
"""compass against lm-eval and the hardware floor, side by side in one run (issue 7).

Workloads (SmolLM2-135M-Instruct, CPU, the same threads for everyone):

* ``w1``: GSM8K test, first N, zero-shot chat, greedy, at most 256 new tokens;
* ``w2``: C-Eval val, first 200 questions in sorted subject order (7 subjects), zero-shot,
  prompt ``{question}\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\n答案：``, option scored by the
  log-likelihood of `` A``..`` D``; ``w2_5shot``: the same with each subject's 5 dev rows;
* ``w3``: ARC-Easy test, first N, zero-shot, the full answer texts as continuations.

Each harness runs as a whole process under ``/usr/bin/time -v`` (one after another, never
two at once). compass runs through its CLI with a TOML config written here; lm-eval
(``--lmeval``, default ``/tmp/peers/lmeval/bin/lm_eval``) through task YAMLs written here
that read the same local files. The hardware floor is the fewest tokens each workload
must push through the model ÷ plain transformers' best tokens/s, measured in this run.
For ``w2_5shot`` a second floor prices each question's tokens at plain transformers' best
rate for tokens that attend to a cached prefix as long as the subject's examples (the
first floor prices them as if they attended to ~128 tokens, which no exact computation does).

Usage: ``python bench/perf.py [--quick] [--workloads w2,w3] [--skip-lmeval]``; results
go to ``--out`` (``/tmp/compass-perf``) as ``summary.json`` plus a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"  # the shared data folder beside the checkout
FULL = {"w1": 100, "w2": 200, "w2_5shot": 200, "w3": 500}
QUICK = {"w1": 8, "w2": 40, "w2_5shot": 40, "w3": 60}


# ---------------------------------------------------------------------------- helpers
def timed(cmd: list[str], out: Path, env: dict) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; wall, cpu and peak RSS."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "cmd.txt").write_text(" ".join(cmd) + "\n")
    t0 = time.time()
    with open(out / "stdout.txt", "w") as log:
        rc = subprocess.call(["/usr/bin/time", "-v", "-o", str(out / "time.txt"), *cmd], stdout=log,
                             stderr=subprocess.STDOUT, env=env, cwd=out)
    wall = time.time() - t0
    tv = (out / "time.txt").read_text() if (out / "time.txt").exists() else ""
    grab = lambda pat: (re.search(pat, tv) or [None, None])[1]  # noqa: E731
    return {"rc": rc, "wall_s": round(wall, 1), "cpu_pct": grab(r"Percent of CPU this job got: (\d+)%"),
            "peak_rss_mb": round(int(grab(r"Maximum resident set size \(kbytes\): (\d+)") or 0) / 1024)}


def ceval_subjects(data: Path, n: int) -> tuple[list[str], int]:
    """The first subjects in sorted order covering ``n`` val questions (and how many that is)."""
    val = data / "ceval" / "formal_ceval" / "val"
    chosen, total = [], 0
    for f in sorted(val.glob("*_val.csv")):
        if total >= n:
            break
        with open(f, encoding="utf-8") as fh:
            rows = sum(1 for _ in csv.DictReader(fh))
        chosen.append(f.name[: -len("_val.csv")])
        total += rows
    return chosen, total


# ---------------------------------------------------------------------------- compass
def compass_config(work: Path, wl: str, n: int, args) -> Path:
    """TOML config for one workload."""
    model = ['type = "smollm2-135m-instruct"', f"threads = {args.threads}"]
    if wl == "w1":
        model += ["max_out_len = 256"]
        ds = ['type = "gsm8k"', 'prompt = "{question}"']  # lm-eval's W1 prompt, no boxed instruction
    elif wl.startswith("w2"):
        subjects, _ = ceval_subjects(Path(args.data), n)
        shots = 5 if wl == "w2_5shot" else 0
        model += ['hf_type = "base"']
        ds = ['type = "ceval_compass_ppl"', f"subjects = {json.dumps(subjects)}", f"shots = {shots}",
              "header = false", 'cue = "答案："']
    else:
        model += ['hf_type = "base"']
        ds = ['type = "arc_e_compass_ppl"']
    text = (f'work_dir = "{work / "outputs"}"\ndata_dir = "{args.data}"\n\n[[models]]\n' + "\n".join(model)
            + "\n\n[[datasets]]\n" + "\n".join(ds) + "\n")
    path = work / "config.toml"
    work.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def compass_accuracy(work: Path, wl: str, n: int) -> tuple[float | None, dict]:
    """Question-weighted accuracy from the predictions (first ``n`` in subject order)."""
    runs = sorted((work / "outputs").glob("*/"))
    if not runs:
        return None, {}
    run = runs[-1]
    tokens = {"prompt": 0, "completion": 0}
    if wl == "w1":
        for f in (run / "summary").glob("summary_*.csv"):
            rows = list(csv.reader(open(f, encoding="utf-8")))
            for r in rows[1:]:
                if r and r[0].startswith("gsm8k"):
                    try:
                        acc = float(r[-1])
                    except ValueError:
                        acc = None
        for f in (run / "predictions").rglob("*.jsonl"):
            for line in open(f, encoding="utf-8"):
                u = json.loads(line).get("usage") or {}
                tokens["prompt"] += u.get("prompt_tokens", 0)
                tokens["completion"] += u.get("completion_tokens", 0)
        return acc, tokens
    files = sorted((run / "predictions").rglob("*.jsonl"))
    recs = []
    for f in files:  # subject files sort like the subjects
        got = [json.loads(line) for line in open(f, encoding="utf-8")]
        recs += sorted(got, key=lambda r: r["index"])
    if not recs:
        return None, tokens
    return 100.0 * sum(r["prediction"] == r["gold"] for r in recs) / len(recs), tokens


def compass_inference_span(work: Path) -> float | None:
    """Seconds from the first task's start to the last task's end (model loads excluded)."""
    runs = sorted((work / "outputs").glob("*/"))
    files = sorted((runs[-1] / "summary").glob("telemetry_*.json")) if runs else []
    if not files:
        return None
    tasks = json.loads(files[-1].read_text())
    start = min(t["started_at"] + t.get("model_load_seconds", 0.0) for t in tasks)
    return round(max(t["started_at"] + t.get("model_load_seconds", 0.0) + t["seconds"] for t in tasks) - start, 1)


def run_compass(wl: str, n: int, args, env: dict) -> dict:
    work = Path(args.out) / f"compass_{wl}"
    shutil.rmtree(work, ignore_errors=True)
    cfg = compass_config(work, wl, n, args)
    cmd = [str(ROOT / ".venv" / "bin" / "compass"), "eval", str(cfg)]
    if wl in ("w1", "w3"):
        cmd += ["--limit", str(n)]
    res = timed(cmd, work, env)
    res["accuracy"], res["tokens"] = compass_accuracy(work, wl, n)
    res["inference_s"] = compass_inference_span(work)
    return res


# ---------------------------------------------------------------------------- lm-eval
def lmeval_tasks(folder: Path, wl: str, n: int, args) -> str:
    """Write the task YAML(s) for one workload; returns the task (or group) name."""
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(args.data)
    if wl == "w1":
        (folder / "w1.yaml").write_text(f"""task: w1
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data / 'gsm8k' / 'test.jsonl'}
output_type: generate_until
test_split: test
num_fewshot: 0
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{answer.split('#### ')[-1].strip()}}}}"
generation_kwargs:
  until: ["<|im_end|>"]
  do_sample: false
  max_gen_toks: 256
filter_list:
  - name: last-number
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[$0-9.,]{{2,}})|(-?[0-9]+)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"]
metadata:
  version: 1.0
""")
        return "w1"
    if wl.startswith("w2"):
        subjects, _ = ceval_subjects(data, n)
        root = data / "ceval" / "formal_ceval"
        shots = 5 if wl == "w2_5shot" else 0
        names = []
        for s in subjects:
            name = f"{wl}_{s}"
            for split in ("val", "dev"):  # dev files carry an extra 'explanation' column
                with open(root / split / f"{s}_{split}.csv", encoding="utf-8") as fh:
                    rows = [{k: r[k] for k in ("id", "question", "A", "B", "C", "D", "answer")}
                            for r in csv.DictReader(fh)]
                with open(folder / f"{s}_{split}.csv", "w", encoding="utf-8", newline="") as fh:
                    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(rows)
            names.append(name)
            fewshot = ("fewshot_split: dev\nfewshot_config:\n  sampler: first_n\nfewshot_delimiter: \"\\n\"\n"
                       if shots else "")
            (folder / f"{name}.yaml").write_text(f"""task: {name}
dataset_path: csv
dataset_kwargs:
  data_files:
    test: {folder / (s + '_val.csv')}
    dev: {folder / (s + '_dev.csv')}
output_type: multiple_choice
test_split: test
{fewshot}num_fewshot: {shots}
doc_to_text: "{{{{question}}}}\\nA. {{{{A}}}}\\nB. {{{{B}}}}\\nC. {{{{C}}}}\\nD. {{{{D}}}}\\n答案："
doc_to_choice: ["A", "B", "C", "D"]
doc_to_target: "{{{{['A', 'B', 'C', 'D'].index(answer)}}}}"
metric_list:
  - metric: acc
    aggregation: mean
metadata:
  version: 1.0
""")
        return ",".join(names)
    (folder / "w3.yaml").write_text(f"""task: w3
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data / 'arc' / 'ARC-e' / 'ARC-Easy-Test.jsonl'}
output_type: multiple_choice
test_split: test
num_fewshot: 0
doc_to_text: "Question: {{{{question.stem}}}}\\nAnswer:"
doc_to_choice: "{{{{question.choices | map(attribute='text') | list}}}}"
doc_to_target: "{{{{(question.choices | map(attribute='label') | list).index(answerKey)}}}}"
metric_list:
  - metric: acc
    aggregation: mean
metadata:
  version: 1.0
""")
    return "w3"


def lmeval_accuracy(out: Path, n: int) -> float | None:
    """Question-weighted accuracy over the logged samples."""
    correct = total = 0
    for f in sorted(out.rglob("samples_*.jsonl")):
        for line in open(f, encoding="utf-8"):
            rec = json.loads(line)
            for key in ("acc", "exact_match"):
                if key in rec:
                    correct += float(rec[key])
                    total += 1
                    break
    return 100.0 * correct / total if total else None


def run_lmeval(wl: str, n: int, args, env: dict) -> dict:
    work = Path(args.out) / f"lmeval_{wl}"
    shutil.rmtree(work, ignore_errors=True)
    tasks = lmeval_tasks(work / "tasks", wl, n, args)
    bs = "16" if wl == "w1" else "1"  # the peers' best batch size per workload (RESULTS.md)
    cmd = [args.lmeval, "--model", "hf", "--model_args", f"pretrained={args.model_dir},dtype=float32",
           "--device", "cpu", "--tasks", tasks, "--include_path", str(work / "tasks"),
           "--batch_size", bs, "--log_samples", "--output_path", str(work / "out"), "--seed", "0"]
    if wl in ("w1", "w3"):
        cmd += ["--limit", str(n)]
    if wl == "w1":
        cmd += ["--apply_chat_template"]
    res = timed(cmd, work, env)
    res["accuracy"] = lmeval_accuracy(work / "out", n)
    res["batch_size"] = int(bs)
    return res


def w1_agreement(compass_work: Path, lmeval_work: Path) -> dict:
    """How many W1 answers are the same text in compass and lm-eval (greedy, same prompt)."""
    runs = sorted((compass_work / "outputs").glob("*/"))
    ours: dict[int, str] = {}
    for f in (runs[-1] / "predictions").rglob("*.jsonl") if runs else []:
        for line in open(f, encoding="utf-8"):
            rec = json.loads(line)
            ours[int(rec["index"])] = (rec.get("prediction") or "").strip()
    theirs: dict[int, str] = {}
    for f in (lmeval_work / "out").rglob("samples_*.jsonl"):
        for line in open(f, encoding="utf-8"):
            rec = json.loads(line)
            theirs[int(rec["doc_id"])] = str(rec["resps"][0][0]).strip()
    both = sorted(set(ours) & set(theirs))
    same = [i for i in both if ours[i] == theirs[i]]
    return {"compared": len(both), "same": len(same),
            "differ": [i for i in both if ours[i] != theirs[i]][:20]}


# ---------------------------------------------------------------------------- OpenCompass
def transformers4_model_dir(src: Path, dest: Path) -> Path:
    """The model folder as transformers 4 (OpenCompass's pin) can read it: the same weights
    and tokenizer.json (symlinked), the tokenizer class named the v4 way, ``rope_theta`` at the top."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name not in ("tokenizer_config.json", "config.json") and not (dest / f.name).exists():
            (dest / f.name).symlink_to(f.resolve())
    # transformers 5 writes rope_theta only inside rope_parameters; transformers 4 reads the top-level
    # key and without it runs SmolLM2 with 10000 instead of 100000 (a different model)
    config = json.loads((src / "config.json").read_text())
    config.setdefault("rope_theta", (config.get("rope_parameters") or {}).get("rope_theta", 10000.0))
    (dest / "config.json").write_text(json.dumps(config, indent=1))
    cfg = json.loads((src / "tokenizer_config.json").read_text())
    if cfg.get("tokenizer_class") == "TokenizersBackend":
        cfg["tokenizer_class"] = "GPT2Tokenizer"  # what SmolLM2 names; no token_type_ids
        cfg.pop("backend", None)
    (dest / "tokenizer_config.json").write_text(json.dumps(cfg, indent=1))
    return dest


def opencompass_config(work: Path, wl: str, n: int, args, bs: int) -> Path:
    """An OpenCompass (0.5.x) Python config reading the same local files.

    W1: GSM8K first ``n``, ``{question}`` as the one HUMAN turn of the chat template,
    greedy, 256 new tokens, OpenCompass's own gsm8k postprocessor and evaluator. W2: the
    same C-Eval subjects as compass and lm-eval, ``ceval_compass_ppl``-style: four candidate texts
    ``..答案： X`` scored by their loss (what OpenCompass's PPLInferencer does).
    """
    data = Path(args.data)
    model_type = "HuggingFacewithChatTemplate" if wl == "w1" else "HuggingFaceBaseModel"
    model_dir = transformers4_model_dir(Path(args.model_dir), work / "model")
    model = f"""models = [dict(type={model_type}, abbr='smollm2-135m-instruct', path={str(model_dir)!r},
    model_kwargs=dict(torch_dtype='torch.float32', device_map='cpu'), max_out_len=256, batch_size={bs},
    generation_kwargs=dict(do_sample=False), run_cfg=dict(num_gpus=0))]
"""
    if wl == "w1":
        text = f"""from opencompass.models import HuggingFacewithChatTemplate
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import GenInferencer
from opencompass.datasets import GSM8KDataset, Gsm8kEvaluator, gsm8k_dataset_postprocess, gsm8k_postprocess

datasets = [dict(abbr='w1_gsm8k', type=GSM8KDataset, path={str(data / 'gsm8k')!r},
    reader_cfg=dict(input_columns=['question'], output_column='answer', test_range='[0:{n}]'),
    infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template=dict(round=[dict(role='HUMAN', prompt='{{question}}')])),
                   retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer, max_out_len=256)),
    eval_cfg=dict(evaluator=dict(type=Gsm8kEvaluator), pred_postprocessor=dict(type=gsm8k_postprocess),
                  dataset_postprocessor=dict(type=gsm8k_dataset_postprocess)))]
"""
    else:
        subjects, _ = ceval_subjects(data, n)
        text = f"""from opencompass.models import HuggingFaceBaseModel
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import PPLInferencer
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.datasets import CEvalDataset

datasets = [dict(abbr='w2_ceval-' + s, type=CEvalDataset, path={str(data / 'ceval' / 'formal_ceval')!r}, name=s,
    reader_cfg=dict(input_columns=['question', 'A', 'B', 'C', 'D'], output_column='answer',
                    train_split='dev', test_split='val'),
    infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template={{
                       x: '{{question}}\\nA. {{A}}\\nB. {{B}}\\nC. {{C}}\\nD. {{D}}\\n答案： ' + x for x in 'ABCD'}}),
                   retriever=dict(type=ZeroRetriever), inferencer=dict(type=PPLInferencer)),
    eval_cfg=dict(evaluator=dict(type=AccEvaluator))) for s in {subjects!r}]
"""
    path = work / f"oc_{wl}.py"
    work.mkdir(parents=True, exist_ok=True)
    path.write_text(text + model)
    return path


def opencompass_accuracy(out: Path, wl: str, n: int, args) -> float | None:
    """Question-weighted accuracy from OpenCompass's summary CSV (None if a cell is '-')."""
    files = sorted(out.rglob("summary_*.csv"))
    if not files:
        return None
    rows = list(csv.DictReader(open(files[-1], encoding="utf-8")))
    col = "smollm2-135m-instruct"
    try:
        if wl == "w1":
            return float(rows[0][col])
        data = Path(args.data) / "ceval" / "formal_ceval" / "val"
        total = correct = 0.0
        for r in rows:
            s = r["dataset"].removeprefix("w2_ceval-")
            k = sum(1 for _ in csv.DictReader(open(data / f"{s}_val.csv", encoding="utf-8")))
            correct += float(r[col]) * k
            total += k
        return correct / total if total else None
    except (ValueError, KeyError):
        return None


def run_opencompass(wl: str, n: int, args, env: dict) -> dict:
    work = Path(args.out) / f"opencompass_{wl}"
    shutil.rmtree(work, ignore_errors=True)
    bs = 16 if wl == "w1" else 1  # its best batch size per workload (shared RESULTS.md)
    cfg = opencompass_config(work, wl, n, args, bs)
    res = timed([args.opencompass, str(cfg), "-w", str(work / "out")], work, env)
    res["accuracy"] = opencompass_accuracy(work / "out", wl, n, args)
    res["batch_size"] = bs
    return res


# ---------------------------------------------------------------------------- floor
def floor(workloads: dict[str, int], args, compass_tokens: dict) -> dict:
    """Fewest tokens per workload and plain transformers' best tokens/s, measured now."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    tok = AutoTokenizer.from_pretrained(args.model_dir)
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32).eval()
    speed = {}
    with torch.inference_mode():
        for bs, length in ((8, 128), (4, 256)):
            ids = torch.randint(100, 10000, (bs, length))
            for kind, keep in (("last", 1), ("full", 0)):
                model(ids[:1, :16], logits_to_keep=keep)
                t = time.perf_counter()
                for _ in range(2):
                    model(ids, logits_to_keep=keep)
                rate = 2 * bs * length / (time.perf_counter() - t)
                speed[kind] = max(speed.get(kind, 0), rate)
        bs, steps = 32, 32
        ids = torch.randint(100, 10000, (bs, 64))
        out = model(ids, use_cache=True)
        past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        t = time.perf_counter()
        for _ in range(steps):
            out = model(nxt, past_key_values=past, use_cache=True)
            past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        speed["decode_bs32"] = bs * steps / (time.perf_counter() - t)
    data = Path(args.data)
    need: dict[str, dict] = {}
    prefix_keys = 0  # tail tokens × the few-shot examples they attend to (w2_5shot)
    for wl, n in workloads.items():
        if wl.startswith("w2"):
            subjects, n = ceval_subjects(data, n)
            root = data / "ceval" / "formal_ceval"
            left = n
            prefix = tails = 0  # 5-shot: the examples once per subject; the questions' own tokens
            for s in subjects:
                rows = list(csv.DictReader(open(root / "val" / f"{s}_val.csv", encoding="utf-8")))[:left]
                left -= len(rows)
                shot = ""
                if wl == "w2_5shot":
                    dev = list(csv.DictReader(open(root / "dev" / f"{s}_dev.csv", encoding="utf-8")))[:5]
                    shot = "".join(f"{r['question']}\nA. {r['A']}\nB. {r['B']}\nC. {r['C']}\nD. {r['D']}\n答案： "
                                   f"{r['answer']}\n" for r in dev)
                shared = len(tok(shot).input_ids) if shot else 0
                own = sum(len(tok(shot + q).input_ids) - shared for q in (
                    f"{r['question']}\nA. {r['A']}\nB. {r['B']}\nC. {r['C']}\nD. {r['D']}\n答案：" for r in rows))
                prefix, tails = prefix + shared, tails + own
                prefix_keys += own * shared
                if left <= 0:
                    break
            need[wl] = {"prefill_last": prefix + tails}
            if prefix:
                need[wl].update(prefix=prefix, tails=tails)
        elif wl == "w3":
            ctx = cont = 0
            with open(data / "arc" / "ARC-e" / "ARC-Easy-Test.jsonl", encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    if i >= n:
                        break
                    q = json.loads(line)["question"]
                    text = f"Question: {q['stem']}\nAnswer:"
                    c = len(tok(text).input_ids)
                    ctx += c
                    cont += sum(len(tok(text + " " + ch["text"]).input_ids) - c for ch in q["choices"])
            need[wl] = {"prefill_last": ctx, "prefill_full": cont}
        elif wl == "w1":
            t = compass_tokens.get("w1") or {}
            need[wl] = {"prefill_last": t.get("prompt", 0), "decode": t.get("completion", 0)}
    seconds = {}
    for wl, d in need.items():
        seconds[wl] = round(d.get("prefill_last", 0) / speed["last"] + d.get("prefill_full", 0) / speed["full"]
                            + d.get("decode", 0) / speed["decode_bs32"], 1)
    result: dict = {"tokens": need, "floor_s": seconds}
    if "w2_5shot" in need and need["w2_5shot"].get("tails"):
        # The floor above prices a question's tokens as if they attended to ~128 others; in
        # 5-shot each attends to its subject's examples too. Plain transformers' best rate for
        # such tokens, measured at the workload's mean examples length, gives a floor that
        # includes that attention.
        d = need["w2_5shot"]
        mean_prefix = round(prefix_keys / d["tails"])
        speed["after_prefix"] = after_prefix_rate(model, mean_prefix)
        result["floor_with_examples_s"] = {"w2_5shot": round(
            d["prefix"] / speed["last"] + d["tails"] / speed["after_prefix"], 1)}
        d["mean_examples_tokens"] = mean_prefix
    result["speed_tok_s"] = {k: round(v, 1) for k, v in speed.items()}
    return result


def after_prefix_rate(model, prefix_len: int) -> float:
    """Plain transformers' best tokens/s for new tokens after a cached ``prefix_len``-token
    prefix (last-position logits), over a few batch shapes."""
    import torch
    from transformers import DynamicCache

    best = 0.0
    with torch.inference_mode():
        prefix = model(torch.randint(100, 10000, (1, prefix_len)), use_cache=True).past_key_values
        layers = [(layer.keys, layer.values) for layer in prefix.layers]
        for bs, length in ((1, 256), (4, 128), (8, 128), (4, 256)):
            ids = torch.randint(100, 10000, (bs, length))
            mask = torch.ones((bs, prefix_len + length), dtype=torch.long)
            pos = torch.arange(prefix_len, prefix_len + length)[None].expand(bs, -1)
            times = []
            for _ in range(3):
                past = DynamicCache(ddp_cache_data=[(k.expand(bs, -1, -1, -1).contiguous(),
                                                     v.expand(bs, -1, -1, -1).contiguous()) for k, v in layers])
                t = time.perf_counter()
                model(ids, attention_mask=mask, position_ids=pos, past_key_values=past, logits_to_keep=1)
                times.append(time.perf_counter() - t)
            best = max(best, bs * length / min(times[1:]))
    return best


# ---------------------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small N for a smoke run")
    p.add_argument("--workloads", default="w2,w2_5shot,w3,w1")
    p.add_argument("--n", action="append", default=[], metavar="WL=N", help="override N, e.g. w3=200")
    p.add_argument("--skip-lmeval", action="store_true")
    p.add_argument("--skip-compass", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.environ.get("COMPASS_DATA_DIR", str(DATA)),
                   help="data folder (default: $COMPASS_DATA_DIR, else ../shared/data beside the repository)")
    p.add_argument("--model-dir", default=os.environ.get("MODEL_DIR") or str(next(
        iter(sorted((Path.home() / ".cache/compass/gguf").glob("SmolLM2-135M-Instruct*"))), "/tmp/models/smollm2")))
    p.add_argument("--lmeval", default="/tmp/peers/lmeval/bin/lm_eval")
    p.add_argument("--opencompass", default="/tmp/peers/opencompass/bin/opencompass",
                   help="OpenCompass 0.5.x CLI (runs W1 and W2 zero-shot)")
    p.add_argument("--skip-opencompass", action="store_true")
    p.add_argument("--out", default="/tmp/compass-perf")
    args = p.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    for item in args.n:
        k, _, v = item.partition("=")
        sizes[k] = int(v)
    for wl in ("w2", "w2_5shot"):  # whole subjects: the first ones covering N questions
        sizes[wl] = ceval_subjects(Path(args.data), sizes[wl])[1]
    wls = [w for w in args.workloads.split(",") if w]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results: dict = {"sizes": {w: sizes[w] for w in wls}, "compass": {}, "lmeval": {}, "opencompass": {}}
    for wl in wls:
        if not args.skip_compass:
            results["compass"][wl] = r = run_compass(wl, sizes[wl], args, env)
            print(f"compass {wl}: {r}", flush=True)
        if not args.skip_lmeval:
            results["lmeval"][wl] = r = run_lmeval(wl, sizes[wl], args, env)
            print(f"lm-eval {wl}: {r}", flush=True)
        if not args.skip_opencompass and wl in ("w1", "w2") and Path(args.opencompass).exists():
            results["opencompass"][wl] = r = run_opencompass(wl, sizes[wl], args, env)
            print(f"OpenCompass {wl}: {r}", flush=True)
        if wl == "w1" and not (args.skip_compass or args.skip_lmeval):
            results["w1_same_answers"] = r = w1_agreement(Path(args.out) / "compass_w1", Path(args.out) / "lmeval_w1")
            print(f"W1 answers compass vs lm-eval: {r}", flush=True)
    toks = {w: r.get("tokens") for w, r in results["compass"].items()}
    results["floor"] = floor({w: sizes[w] for w in wls}, args, toks)
    print(f"floor: {results['floor']}", flush=True)
    lines = ["| workload | N | compass s (inference s) | acc | lm-eval s | acc | lm-eval ÷ compass "
             "| peak RSS compass / lm-eval MB | RSS compass ÷ lm-eval | OpenCompass s | acc "
             "| OpenCompass ÷ compass | floor s | compass ÷ floor (inference ÷ floor) "
             "| floor with attention to the examples s | inference ÷ that floor |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda a: "-" if a is None else f"{a:.1f}%"  # noqa: E731
    ratio = lambda a, b: f"{a / b:.2f}×" if a and b else "-"  # noqa: E731
    for wl in wls:
        c, l_, o = (results[k].get(wl, {}) for k in ("compass", "lmeval", "opencompass"))
        fl = results["floor"]["floor_s"].get(wl)
        fx = results["floor"].get("floor_with_examples_s", {}).get(wl)
        lines.append(f"| {wl} | {sizes[wl]} | {c.get('wall_s', '-')} ({c.get('inference_s', '-')}) | "
                     f"{fmt(c.get('accuracy'))} | {l_.get('wall_s', '-')} | {fmt(l_.get('accuracy'))} | "
                     f"{ratio(l_.get('wall_s'), c.get('wall_s'))} | {c.get('peak_rss_mb', '-')} / "
                     f"{l_.get('peak_rss_mb', '-')} | {ratio(c.get('peak_rss_mb'), l_.get('peak_rss_mb'))} | "
                     f"{o.get('wall_s', '-')} | {fmt(o.get('accuracy'))} | "
                     f"{ratio(o.get('wall_s'), c.get('wall_s'))} | {fl} | {ratio(c.get('wall_s'), fl)} "
                     f"({ratio(c.get('inference_s'), fl)}) | {fx or '-'} | {ratio(c.get('inference_s'), fx)} |")
    table = "\n".join(lines)
    print(table)
    (Path(args.out) / "summary.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    (Path(args.out) / "summary.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
