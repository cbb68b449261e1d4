#!/usr/bin/env python3
"""compass against lm-eval on the same weights and the same local files: do the scores agree?

Parts (``--parts``, default all three), SmolLM2-135M-Instruct (the embedded GGUF model's
float32 copy, both harnesses on CPU):

* ``hellaswag``: the first N (500) validation items, ``acc`` and ``acc_norm``. The shared
  copy is llama.cpp's text form (already cleaned; ``ctx_b`` not capitalised), lm-eval needs
  the official jsonl layout. This script writes that layout for the N items, splitting each
  context back into ``ctx_a`` / ``ctx_b`` at its last ``". "`` followed by a lower-case word
  (the ActivityNet fragment the text form left lower-case). Three runs:
  ``compass_text`` (compass ``hellaswag_compass_ppl`` on the shared text form: what a user gets),
  ``compass_jsonl`` and ``lmeval`` (compass ``hellaswag_compass_ppl`` and lm-eval's own ``hellaswag``
  task — its YAML and ``process_docs`` included — on that one jsonl: both capitalise
  ``ctx_b`` and clean it the same way, so the prompts are the same text). Per item the
  four log-likelihoods are compared as well as the verdicts.
* ``bbh``: a few tasks (``--bbh-tasks``), the first N of each (``--bbh-limit``), 3-shot
  chain of thought with the shipped prompts, greedy, as plain text completion (no chat
  template). compass ``bbh`` vs two lm-eval tasks built on ``bbh_cot_fewshot_<task>``
  (included; the dataset pointed at the local task file): ``fid_same_<task>`` with compass's
  prompt text, stop and length, and ``fid_stock_<task>`` with lm-eval's own prompt and stops.
  Reports each harness's exact match with its own answer extraction, how many prompts and
  generations are the same text, and each extraction applied to the other's generations (to
  tell extraction from generation differences).
* ``ifeval``: compass generates the 541 responses once (chat, greedy, ``--ifeval-max-out``
  new tokens); compass's checkers (its evaluator's ``judge``) and lm-eval's (its ``ifeval``
  task's ``process_results``) judge the same responses. NLTK's ``punkt`` data cannot be
  downloaded here, so in the lm-eval process ``nltk.download`` is a no-op,
  ``nltk.sent_tokenize`` and ``nltk.data.load("...punkt...")`` become an untrained
  ``PunktSentenceTokenizer()`` (NLTK's algorithm without the learned English model) and
  ``nltk.word_tokenize`` becomes ``NLTKWordTokenizer`` over those sentences (what
  ``word_tokenize`` does, minus the trained model); langdetect is seeded 0 in both and
  ``random`` seeded 0 in lm-eval. Per-instruction verdicts are compared, strict and loose,
  every disagreement listed with its cause; the same is done on 14 constructed responses per
  prompt (``--no-ifeval-constructed`` skips them).

Usage: ``python bench/fidelity.py [--parts hellaswag,bbh,ifeval] [--out /tmp/compass-fidelity]
[--reuse] [--parallel] [--lmeval-threads 1] [--ifeval-responses RUN_DIR]`` (``--lmeval``: the
lm-eval virtual environment, default ``/tmp/peers/lmeval``). Results: ``<out>/summary.json``;
IFEval's disagreements in ``<out>/ifeval/*disagreements.json``.
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from perf import DATA, ROOT, timed  # noqa: E402  (the speed benchmark's helpers)

COMPASS = str(ROOT / ".venv" / "bin" / "compass")
REUSE = False  # --reuse: keep a finished run of the same config instead of running it again


# ---------------------------------------------------------------------------- common
def compass_run(work: Path, model: list[str], datasets: list[str], data_dir: str, env: dict,
                limit: int | None = None) -> Path:
    """Run compass's CLI on a TOML config written here; the run folder."""
    text = (f'work_dir = "{work / "outputs"}"\ndata_dir = "{data_dir}"\n\n[[models]]\n' + "\n".join(model) + "\n"
            + "".join("\n[[datasets]]\n" + d + "\n" for d in datasets))
    if REUSE and (work / "config.toml").exists() and (work / "config.toml").read_text() == text \
            and (work / "limit.txt").read_text() == str(limit):
        while (work / "stdout.txt").exists() and not (work / "time.txt").exists():
            time.sleep(10)  # the same run, still going (an earlier invocation's)
        done = sorted((work / "outputs").glob("*/results"))
        if done:
            return done[-1].parent
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "limit.txt").write_text(str(limit))
    (work / "config.toml").write_text(text)
    cmd = [COMPASS, "eval", str(work / "config.toml"), "--dump-eval-details"]
    if limit:
        cmd += ["--limit", str(limit)]
    res = timed(cmd, work, env)
    if res["rc"]:
        raise SystemExit(f"compass failed ({res}); see {work / 'stdout.txt'}")
    return sorted((work / "outputs").glob("*/"))[-1]


def compass_records(run: Path, stem: str, kind: str = "predictions") -> dict[int, dict]:
    """index -> record of one dataset (all shards): ``predictions`` (what the model gave) or
    ``evaluations`` (the per-sample evaluator's verdicts)."""
    recs: dict[int, dict] = {}
    for f in sorted((run / kind).rglob(f"{stem}*.jsonl")):
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            recs[int(r["index"])] = r
    return recs


def compass_metrics(run: Path, stem: str) -> dict:
    for f in sorted((run / "results").rglob(f"{stem}.json")):
        return json.loads(f.read_text())["metrics"]
    return {}


def lmeval_run(work: Path, tasks: str, include: Path, args, env: dict, extra: list[str] = ()) -> Path:
    if REUSE and (work / "rc.txt").exists() and (work / "rc.txt").read_text() == "0 " + tasks:
        return work / "out"
    shutil.rmtree(work, ignore_errors=True)
    cmd = [str(Path(args.lmeval) / "bin" / "lm_eval"), "--model", "hf", "--model_args",
           f"pretrained={args.model_dir},dtype=float32", "--device", "cpu", "--tasks", tasks,
           "--include_path", str(include), "--batch_size", "1", "--log_samples",
           "--output_path", str(work / "out"), "--seed", "0", *extra]
    if args.lmeval_threads:  # on an oversubscribed machine, OpenMP barriers across 2 threads crawl
        env = dict(env, OMP_NUM_THREADS=str(args.lmeval_threads), MKL_NUM_THREADS=str(args.lmeval_threads))
    res = timed(cmd, work, env)
    if res["rc"]:
        raise SystemExit(f"lm-eval failed ({res}); see {work / 'stdout.txt'}")
    (work / "rc.txt").write_text("0 " + tasks)
    return work / "out"


def lmeval_samples(out: Path, task: str) -> dict[int, dict]:
    recs = {}
    for f in sorted(out.rglob(f"samples_{task}_*.jsonl")):
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            recs[int(r["doc_id"])] = r
    return recs


def lmeval_task_dir(args) -> Path:
    found = sorted(Path(args.lmeval).glob("lib/python3*/site-packages/lm_eval/tasks"))
    if not found:
        raise SystemExit(f"no lm-eval under {args.lmeval}: bash /work/shared/tools/peer-bench/peers/install_lm_eval.sh")
    return found[0]


def together(args, jobs: dict) -> dict:
    """Run independent harness runs (name -> thunk) one after another, or all at once with
    ``--parallel`` (on a shared machine only the scores matter, not the timings)."""
    if not args.parallel:
        return {k: f() for k, f in jobs.items()}
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {k: pool.submit(f) for k, f in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


# ---------------------------------------------------------------------------- HellaSwag
def hellaswag_text_rows(data: Path, n: int) -> list[tuple[str, int, list[str]]]:
    """(context line, gold, endings) of the first ``n`` items of the text form."""
    path = data / "hellaswag" / "hellaswag_val_full.txt.bz2"
    lines = bz2.decompress(path.read_bytes()).decode("utf-8").split("\n")
    return [(lines[i].strip(), int(lines[i + 1]), [e.strip() for e in lines[i + 2:i + 6]])
            for i in range(0, 6 * n, 6)]


_CTX_B = re.compile(r"^(.*[.!?]) ([a-z].*)$")


def official_layout(query: str, gold: int, endings: list[str], ind: int) -> dict:
    """One item in ``hellaswag_val.jsonl``'s layout, ``ctx_b`` split back off the context."""
    label, _, ctx = query.partition(": ")
    m = _CTX_B.match(ctx)
    ctx_a, ctx_b = (m.group(1), m.group(2)) if m else (ctx, "")
    return {"ind": ind, "activity_label": label, "ctx_a": ctx_a, "ctx_b": ctx_b, "ctx": ctx,
            "endings": endings, "source_id": "", "split": "val", "split_type": "", "label": str(gold)}


def part_hellaswag(args, env: dict) -> dict:
    n, out = args.hellaswag_n, Path(args.out) / "hellaswag"
    rows = hellaswag_text_rows(Path(args.data), n)
    local = out / "data" / "hellaswag"
    local.mkdir(parents=True, exist_ok=True)
    jsonl = local / "hellaswag.jsonl"
    with open(jsonl, "w", encoding="utf-8") as fh:
        for i, (q, g, e) in enumerate(rows):
            fh.write(json.dumps(official_layout(q, g, e, i)) + "\n")
    model = ['type = "smollm2-135m-instruct"', f"threads = {args.threads}", 'hf_type = "base"']
    ds = ['type = "hellaswag_compass_ppl"']
    # lm-eval: its own task, only the dataset replaced by the local jsonl
    tasks = out / "lmeval_tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "hellaswag_local.yaml").write_text(
        f"include: {lmeval_task_dir(args) / 'hellaswag' / 'hellaswag.yaml'}\ntask: hellaswag_local\n"
        f"dataset_path: json\ndataset_name: null\ndataset_kwargs:\n  data_files:\n"
        f"    train: {jsonl}\n    validation: {jsonl}\n")
    runs = together(args, {
        "compass_text": lambda: compass_run(out / "compass_text", model, ds, args.data, env, limit=n),
        "compass_jsonl": lambda: compass_run(out / "compass_jsonl", model, ds, str(out / "data"), env, limit=n),
        "lmeval": lambda: lmeval_run(out / "lmeval", "hellaswag_local", tasks, args, env,
                                     ["--limit", str(args.lmeval_limit)] if args.lmeval_limit else [])})
    lm_out = runs.pop("lmeval")
    theirs = lmeval_samples(lm_out, "hellaswag_local")

    result: dict = {"n": n, "ctx_b_split": sum(1 for q, _, _ in rows if _CTX_B.match(q.partition(": ")[2]))}
    per: dict[str, dict[int, tuple[bool, bool]]] = {}
    for name, run in runs.items():
        recs = compass_records(run, "hellaswag", "evaluations")
        res = compass_metrics(run, "hellaswag")
        per[name] = {i: (bool(r.get("correct_raw")), bool(r.get("correct"))) for i, r in recs.items()}
        result[name] = {"acc": res.get("acc"), "acc_norm": res.get("acc_norm"), "items": len(recs)}
    per["lmeval"] = {i: (bool(r["acc"]), bool(r["acc_norm"])) for i, r in theirs.items()}
    result["lmeval"] = {"acc": 100.0 * sum(a for a, _ in per["lmeval"].values()) / max(len(theirs), 1),
                        "acc_norm": 100.0 * sum(b for _, b in per["lmeval"].values()) / max(len(theirs), 1),
                        "items": len(theirs)}
    if len(theirs) < n:  # lm-eval on fewer items (--lmeval-limit): compass on those same items
        for name in runs:
            got = [per[name][i] for i in theirs if i in per[name]]
            result[name + "_on_lmeval_items"] = {"acc": 100.0 * sum(a for a, _ in got) / max(len(got), 1),
                                                 "acc_norm": 100.0 * sum(b for _, b in got) / max(len(got), 1),
                                                 "items": len(got)}
    # log-likelihoods, item by item (compass jsonl run vs lm-eval: the same four texts)
    ours = compass_records(runs["compass_jsonl"], "hellaswag")
    diffs = []
    for i, r in theirs.items():
        lls = [float(x[0]) for x in r["filtered_resps"]]
        sc = (ours.get(i) or {}).get("scores") or {}
        if len(sc) == 4:
            diffs += [abs(sc[lab] - ll) for lab, ll in zip("ABCD", lls)]
    result["loglik_max_abs_diff"] = max(diffs) if diffs else None
    result["loglik_compared"] = len(diffs)
    for a, b in (("compass_jsonl", "lmeval"), ("compass_text", "compass_jsonl")):
        both = set(per[a]) & set(per[b])
        result[f"same_verdicts_{a}_vs_{b}"] = {
            "acc": sum(per[a][i][0] == per[b][i][0] for i in both),
            "acc_norm": sum(per[a][i][1] == per[b][i][1] for i in both), "of": len(both)}
    return result


# ---------------------------------------------------------------------------- BBH
def _q(text: str) -> str:
    """A YAML scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def lmeval_extract(text: str, pattern: str) -> str:
    """lm-eval's ``get-answer`` filter (its template's ``regex`` + ``take_first``), on any text."""
    found = re.findall(pattern, text)
    if not found:
        return "[invalid]"
    got = found[0]
    return (got[0] if isinstance(got, tuple) else got).strip()


def write_bbh_tasks(args, tasks: list[str], m: int, folder: Path) -> tuple[dict, str]:
    """lm-eval task YAMLs per BBH task: ``fid_same_<task>`` (compass's prompt text, stop and
    length) and ``fid_stock_<task>`` (lm-eval's own); also lm-eval's answer regex."""
    from compass_datasets.bbh import COT_CUE, read_prompt

    data = Path(args.data)
    cot = lmeval_task_dir(args) / "bbh" / "cot_fewshot"
    template = (cot / "_cot_fewshot_template_yaml").read_text()
    pattern = re.search(r'regex_pattern:\s*"(.*)"', template).group(1).encode().decode("unicode_escape")
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for t in tasks:
        files = (f"  data_files:\n    test: {data / 'bbh' / 'bbh' / (t + '.json')}\n  field: examples\n")
        # same: compass's prompt text exactly (the shipped description and examples, then
        # "Q: <input>\nA: Let's think step by step."), compass's stop and length
        hint = read_prompt(data / "bbh" / "cot-prompts" / f"{t}.txt")
        (folder / f"fid_same_{t}.yaml").write_text(
            f"include: {cot / (t + '.yaml')}\ntask: fid_same_{t}\ndataset_path: json\ndataset_name: null\n"
            f"dataset_kwargs:\n{files}description: {_q(hint + chr(10) + chr(10))}\n"
            f"doc_to_text: {_q('Q: {{input}}' + chr(10) + COT_CUE)}\nnum_fewshot: 0\n"
            f"fewshot_config:\n  sampler: first_n\n  samples: []\n"
            f"generation_kwargs:\n  until: [{_q(chr(10) + chr(10) + 'Q:')}]\n  do_sample: false\n"
            f"  temperature: 0.0\n  max_gen_toks: {m}\n")
        # stock: lm-eval's own task (its prompt and stops), only the data and length set
        (folder / f"fid_stock_{t}.yaml").write_text(
            f"include: {cot / (t + '.yaml')}\ntask: fid_stock_{t}\ndataset_path: json\ndataset_name: null\n"
            f"dataset_kwargs:\n{files}generation_kwargs:\n  until: [\"</s>\", \"Q\", \"\\n\\n\"]\n"
            f"  do_sample: false\n  temperature: 0.0\n  max_gen_toks: {m}\n")
        names[t] = (f"fid_same_{t}", f"fid_stock_{t}")
    return names, pattern


def prompt_text(rec: dict) -> str:
    """compass's prompt as sent to a base model (the turns' text)."""
    p = rec.get("origin_prompt")
    return p if isinstance(p, str) else "".join(str(m.get("content", "")) for m in p or [])


def lmeval_context(rec: dict) -> str:
    """The context lm-eval sent (its sample log's first argument)."""
    a = rec.get("arguments")
    if isinstance(a, dict):
        a = next(iter(a.values()))
        return a.get("arg_0") if isinstance(a, dict) else a[0]
    return a[0][0]


def part_bbh(args, env: dict) -> dict:
    from compass_datasets.bbh import MULTIPLE_CHOICE
    from compass_metrics.bbh_extract import bbh as compass_extract

    out, data = Path(args.out) / "bbh", Path(args.data)
    tasks = [t for t in args.bbh_tasks.split(",") if t]
    n, m = args.bbh_limit, args.bbh_max_out
    model = ['type = "smollm2-135m-instruct"', f"threads = {args.threads}", 'hf_type = "base"']
    ds = ['type = "bbh"', f"tasks = {json.dumps(tasks)}", f"max_out_len = {m}"]
    names, pattern = write_bbh_tasks(args, tasks, m, out / "lmeval_tasks")
    folder = out / "lmeval_tasks"
    variants = ["same"] + (["stock"] if args.bbh_stock else [])

    def lm_job(k: int, v: str):
        return lambda: lmeval_run(out / f"lmeval_{v}", ",".join(x[k] for x in names.values()), folder, args, env,
                                  ["--limit", str(n)])

    lm = together(args, {"compass": lambda: compass_run(out / "compass", model, ["\n".join(ds)], args.data, env,
                                                        limit=n),
                         **{v: lm_job(k, v) for k, v in enumerate(variants)}})
    run = lm.pop("compass")

    result: dict = {"tasks": tasks, "limit": n, "max_out_len": m, "lmeval_regex": pattern, "per_task": {}}
    totals: dict[str, list[float]] = {}
    for t in tasks:
        mcq = t in MULTIPLE_CHOICE
        ours = compass_records(run, f"bbh-{t}")
        metric = compass_metrics(run, f"bbh-{t}")
        row: dict = {"compass": metric.get("accuracy", next(iter(metric.values()), None)), "n": len(ours)}
        for k, v in enumerate(variants):
            theirs = lmeval_samples(lm[v], names[t][k])
            gold = {i: str(r["target"]).strip() for i, r in theirs.items()}
            gen = {i: str(r["resps"][0][0]) for i, r in theirs.items()}
            em = 100.0 * sum(float(r.get("exact_match", 0)) for r in theirs.values()) / max(len(theirs), 1)
            row[f"lmeval_{v}"] = em
            if v == "same":
                both = sorted(set(ours) & set(theirs))
                same_text = [i for i in both if (ours[i]["prediction"] or "").strip() == gen[i].strip()]
                row["same_generation"] = f"{len(same_text)}/{len(both)}"
                row["same_prompt"] = f"{sum(prompt_text(ours[i]) == lmeval_context(theirs[i]) for i in both)}/{len(both)}"
                # each extraction on the other harness's generations
                row["compass_extract_on_lmeval_gens"] = 100.0 * sum(
                    compass_extract(gen[i], mcq=mcq) == gold[i] for i in both) / max(len(both), 1)
                row["lmeval_extract_on_compass_gens"] = 100.0 * sum(
                    lmeval_extract(ours[i]["prediction"] or "", pattern) == gold[i] for i in both) / max(len(both), 1)
                row["differ"] = [i for i in both if i not in same_text][:10]
        for key in ("compass", *[f"lmeval_{v}" for v in variants], "compass_extract_on_lmeval_gens",
                    "lmeval_extract_on_compass_gens"):
            if row.get(key) is not None:
                totals.setdefault(key, []).append(row[key])
        result["per_task"][t] = row
    result["average"] = {k: sum(v) / len(v) for k, v in totals.items()}
    return result


# ---------------------------------------------------------------------------- IFEval
LMEVAL_IFEVAL = r"""
import json, sys
import nltk
from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktSentenceTokenizer

# NLTK's punkt data cannot be downloaded here: no download, and its two tokenizer calls
# replaced. sent_tokenize: an untrained Punkt model (nltk's own algorithm, no learned
# abbreviations). word_tokenize: what nltk.word_tokenize does (sentences, then the
# Treebank-style NLTKWordTokenizer), over those sentences.
_punkt = PunktSentenceTokenizer()
_words = NLTKWordTokenizer()
def sent_tokenize(text, language="english"):
    return _punkt.tokenize(text)
def word_tokenize(text, language="english", preserve_line=False):
    return [t for s in ([text] if preserve_line else sent_tokenize(text)) for t in _words.tokenize(s)]
class _Loaded:
    tokenize = staticmethod(sent_tokenize)
nltk.download = lambda *a, **k: True
nltk.sent_tokenize, nltk.word_tokenize = sent_tokenize, word_tokenize
nltk.tokenize.sent_tokenize, nltk.tokenize.word_tokenize = sent_tokenize, word_tokenize
_load = nltk.data.load
nltk.data.load = lambda res, *a, **k: _Loaded() if "punkt" in str(res) else _load(res, *a, **k)
import langdetect, random
langdetect.DetectorFactory.seed = 0
random.seed(0)  # letter_frequency swaps a non-letter ('#', '!') for random.choice(ascii_letters)
from lm_eval.tasks.ifeval import utils
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    job = json.loads(line)
    r = utils.process_results(job["doc"], [job["response"]])
    out.append({"index": job["index"], "strict": [bool(x) for x in r["inst_level_strict_acc"]],
                "loose": [bool(x) for x in r["inst_level_loose_acc"]]})
json.dump(out, open(sys.argv[2], "w"))
"""


def why_differ(instruction: str, kwargs: dict) -> str:
    """The known cause of a verdict that differs, by instruction (checked by hand on each
    disagreement this script has listed so far)."""
    if instruction == "length_constraints:number_sentences":
        return ("sentence splitter: compass uses pysbd, which also ends a sentence at a line break "
                "(list items, headings, '***' lines); Punkt keeps unpunctuated lines in one sentence")
    if instruction == "keywords:letter_frequency" and not str(kwargs.get("letter", "a")).isalpha():
        return (f"lm-eval replaces the non-letter {kwargs.get('letter')!r} by a random ASCII letter "
                "(random.choice) and counts that; compass counts the character the prompt asks for")
    if instruction == "change_case:capital_word_frequency":
        return "word tokens: compass's Treebank-like regex vs NLTK's word_tokenize substitute"
    return "not classified: see disagreements.json"


#: hand-made responses with the features the checkers look at (titles, bullets, highlights,
#: sections, JSON, quotes, postscripts, separators, case, abbreviations, another language)
CONSTRUCTED = (
    "<<My Title>>\n\n* first point\n* second point\n- third *highlighted part* here\n\n**Bold section**\n\n"
    "SECTION 1\nSome text. More text!\nSECTION 2\nEnd.\n\nP.S. see you\nP.P.S done",
    '```json\n{"a": 1, "b": [1, 2]}\n```',
    '"This is quoted, with a comma. It\'s DONE and I\'M HAPPY."',
    "Paragraph one is here.\n\n***\n\nParagraph two, with [placeholder] and [name].\n\n***\n\n"
    "Paragraph three. Is there anything else I can help with?",
    "My answer is yes.",
    "Answer one here.\n******\nAnswer two here.",
    "SECTION 1\n*one* *two* *three*\nSection 2\nwhy? because. Mr. Smith went to Washington D.C. at 3 p.m. "
    "today. U.S.A. is big.\n\nAny other questions?",
    "the quick brown fox jumps over the lazy dog, and then the end. peace!",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG. NO COMMAS HERE AT ALL",
    "Das ist ein deutscher Satz, der etwas länger ist, damit die Sprache erkannt wird.",
    "* one\n* two\n* three\n* four\n* five",
    "I can't do THIS, but you CAN'T either. IT's OK. NASA and the U.S. gov't e-mail us.",
)


def lmeval_verdicts(args, env: dict, out: Path, name: str, jobs: list[dict]) -> dict[int, dict]:
    """lm-eval's ``process_results`` on each (doc, response), in the lm-eval environment."""
    path = out / f"{name}_jobs.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for job in jobs:
            fh.write(json.dumps(job) + "\n")
    (out / "lmeval_ifeval.py").write_text(LMEVAL_IFEVAL)
    subprocess.run([str(Path(args.lmeval) / "bin" / "python"), str(out / "lmeval_ifeval.py"), str(path),
                    str(out / f"{name}_lmeval.json")], check=True, env=env, cwd=out, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return {r["index"]: r for r in json.loads((out / f"{name}_lmeval.json").read_text())}


def compare_verdicts(jobs: list[dict], ours: dict[int, dict], theirs: dict[int, dict]) -> dict:
    """Per-instruction verdicts side by side, strict and loose; the disagreements, with why."""
    disagree, total, same = [], 0, 0
    for job in jobs:
        i, doc = job["index"], job["doc"]
        for kind in ("strict", "loose"):
            for k, inst in enumerate(doc["instruction_id_list"]):
                total += 1
                a, b = ours[i][kind][k], theirs[i][kind][k]
                if a == b:
                    same += 1
                else:
                    disagree.append({"index": i, "key": doc["key"], "instruction": inst, "kind": kind,
                                     "compass": a, "lmeval": b, "kwargs": doc["kwargs"][k],
                                     "why": why_differ(inst, doc["kwargs"][k])})
    by: dict[str, int] = {}
    for d in disagree:
        by[d["instruction"]] = by.get(d["instruction"], 0) + 1
    return {"verdicts_compared": total, "verdicts_identical": same, "identical_pct": 100.0 * same / max(total, 1),
            "disagreements_by_instruction": by, "disagreements": disagree}


def part_ifeval(args, env: dict) -> dict:
    from compass_metrics.ifeval import accuracies, judge

    out = Path(args.out) / "ifeval"
    out.mkdir(parents=True, exist_ok=True)
    if args.ifeval_responses:
        run = Path(args.ifeval_responses)
    else:
        model = ['type = "smollm2-135m-instruct"', f"threads = {args.threads}",
                 f"max_out_len = {args.ifeval_max_out}"]
        run = compass_run(out / "compass", model, ['type = "ifeval"'], args.data, env)
    preds = {i: r for i, r in compass_records(run, "ifeval").items() if not r.get("error")}
    rows = [json.loads(line) for line in open(Path(args.data) / "ifeval" / "input_data.jsonl", encoding="utf-8")]
    jobs = [{"index": i, "doc": rows[i], "response": preds[i].get("prediction") or ""} for i in sorted(preds)]
    # compass's verdicts: its evaluator's judge() on each response; where the run has been
    # evaluated, they must be the ones it wrote (checked)
    ours = {j["index"]: judge(j["response"], j["doc"]["instruction_id_list"], j["doc"]["kwargs"]) for j in jobs}
    written = compass_records(run, "ifeval", "evaluations")
    mismatch = [i for i, r in written.items() if i in ours and (r["strict"], r["loose"]) != (
        ours[i]["strict"], ours[i]["loose"])]
    theirs = lmeval_verdicts(args, env, out, "responses", jobs)
    result: dict = {"responses": len(jobs), "of": len(rows), "run": str(run), "max_out_len": args.ifeval_max_out,
                    "truncated": sum(1 for r in preds.values() if r.get("finish_reason") == "length"),
                    "compass_reported": compass_metrics(run, "ifeval"),
                    "compass_evaluations_checked": len(written), "compass_evaluations_differ": mismatch,
                    "substitutes": {
                        "nltk.sent_tokenize": "untrained nltk PunktSentenceTokenizer() (no punkt data)",
                        "nltk.word_tokenize": "nltk NLTKWordTokenizer over those sentences",
                        "nltk.data.load('...punkt...')": "the same untrained Punkt",
                        "nltk.download": "a no-op",
                        "langdetect": "DetectorFactory.seed = 0 (compass seeds 0 too); random.seed(0)"}}
    result["compass"] = accuracies([ours[j["index"]] for j in jobs])
    result["lmeval"] = accuracies([theirs[j["index"]] for j in jobs])
    result.update(compare_verdicts(jobs, ours, theirs))
    (out / "disagreements.json").write_text(json.dumps(
        [{**d, "response": preds[d["index"]].get("prediction")} for d in result["disagreements"]], indent=1,
        ensure_ascii=False))
    if not args.ifeval_constructed:
        return result
    # the same checkers on constructed responses: every prompt's instructions against each
    # text in CONSTRUCTED, another prompt's text, and that text upper-cased
    made = []
    for i, row in enumerate(rows):
        texts = CONSTRUCTED + (rows[(i + 7) % len(rows)]["prompt"], rows[(i + 100) % len(rows)]["prompt"].upper())
        made += [{"index": i * 100 + k, "doc": row, "response": t} for k, t in enumerate(texts)]
    ours_made = {j["index"]: judge(j["response"], j["doc"]["instruction_id_list"], j["doc"]["kwargs"]) for j in made}
    cmp_made = compare_verdicts(made, ours_made, lmeval_verdicts(args, env, out, "constructed", made))
    result["constructed"] = {k: v for k, v in cmp_made.items() if k != "disagreements"}
    result["constructed"]["responses"] = len(made)
    (out / "constructed_disagreements.json").write_text(json.dumps(
        [{**d, "response": made[[j["index"] for j in made].index(d["index"])]["response"]}
         for d in cmp_made["disagreements"]], indent=1, ensure_ascii=False))
    return result


# ---------------------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="hellaswag,bbh,ifeval")
    p.add_argument("--hellaswag-n", type=int, default=500)
    p.add_argument("--bbh-tasks", default="sports_understanding,boolean_expressions")
    p.add_argument("--bbh-limit", type=int, default=50)
    p.add_argument("--bbh-max-out", type=int, default=192)
    p.add_argument("--bbh-stock", action=argparse.BooleanOptionalAction, default=True,
                   help="also run lm-eval's own bbh_cot_fewshot prompt (its stops)")
    p.add_argument("--ifeval-max-out", type=int, default=256)
    p.add_argument("--ifeval-responses", default=None,
                   help="reuse a compass run folder's ifeval predictions instead of generating")
    p.add_argument("--ifeval-constructed", action=argparse.BooleanOptionalAction, default=True,
                   help="also judge 14 constructed responses per prompt with both checkers")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.environ.get("COMPASS_DATA_DIR", str(DATA)))
    p.add_argument("--model-dir", default=os.environ.get("MODEL_DIR") or str(next(
        iter(sorted((Path.home() / ".cache/compass/gguf").glob("SmolLM2-135M-Instruct*"))), "/tmp/models/smollm2")))
    p.add_argument("--lmeval", default="/tmp/peers/lmeval", help="the lm-eval virtual environment")
    p.add_argument("--out", default="/tmp/compass-fidelity")
    p.add_argument("--reuse", action="store_true", help="keep finished runs of the same settings in --out "
                   "(and wait for one still running from an earlier invocation)")
    p.add_argument("--lmeval-limit", type=int, default=None,
                   help="HellaSwag: lm-eval on the first N items only (compass's figures are then also given on those)")
    p.add_argument("--lmeval-threads", type=int, default=None, help="torch threads for lm-eval (default --threads)")
    p.add_argument("--parallel", action="store_true", help="a part's harness runs at once, not one by one")
    args = p.parse_args()
    global REUSE
    REUSE = args.reuse
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    summary_path = Path(args.out) / "summary.json"
    parts = {"hellaswag": part_hellaswag, "bbh": part_bbh, "ifeval": part_ifeval}
    for name in [x for x in args.parts.split(",") if x]:
        r = parts[name](args, env)
        print(f"{name}: {json.dumps(r, indent=1)}", flush=True)
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}  # parts may run apart
        summary[name] = r
        summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
