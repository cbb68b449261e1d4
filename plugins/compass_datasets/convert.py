"""Turning a hub repository's files into the OpenCompass layout compass reads.

Each converter is ``convert(src, out)``: ``src`` is the downloaded repository (its files at
their repository paths), ``out`` a folder laid out like the data dir. Files are looked up
by pattern under ``src`` so a mirror that keeps them in another folder converts the same.
Parquet is read with pyarrow. Nothing here touches the network or the real data dir: the
caller moves ``out``'s files into place once every converter step succeeded.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import shutil
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from compass.sdk import CompassError

Converter = Callable[[Path, Path], None]


def files(src: Path, pattern: str) -> list[Path]:
    """Files under ``src`` whose repository path matches ``pattern`` (or, failing that, whose
    path ends with a match: a mirror may nest the files one folder deeper)."""
    found = sorted(p for p in Path(src).rglob("*") if p.is_file())
    rels = [(p, p.relative_to(src).as_posix()) for p in found]
    hits = [p for p, rel in rels if fnmatch.fnmatch(rel, pattern)]
    if not hits:
        hits = [p for p, rel in rels if fnmatch.fnmatch(rel, "*/" + pattern)]
    return hits


def need(src: Path, pattern: str) -> list[Path]:
    hits = files(src, pattern)
    if not hits:
        raise CompassError(f"the downloaded repository has no file matching {pattern!r}; "
                           f"its layout changed: report it, or use `compass data import` with OpenCompass's archive")
    return hits


def parquet_rows(path: Path) -> list[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CompassError("converting the downloaded parquet files needs pyarrow: "
                           "pip install 'compass-eval[data]'") from None
    return pq.read_table(path).to_pylist()


def _rows(paths: Iterable[Path]) -> list[dict]:
    out: list[dict] = []
    for path in paths:
        if path.suffix == ".parquet":
            out += parquet_rows(path)
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            out += data if isinstance(data, list) else [data]
        else:
            out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    """One JSON object a line, non-ASCII escaped: a raw U+2028 or U+0085 inside a string would
    be a line break to readers that split on every Unicode line boundary (``str.splitlines``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=True, default=str) + "\n")


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def copy(src_file: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src_file, dest)


def unzip_root(archive: Path, dest: Path, marker: str) -> None:
    """Unpack ``archive`` and put the folder holding ``marker`` (a sub-folder name) at ``dest``."""
    tmp = dest.parent / (dest.name + ".unzip")
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():  # no absolute paths, no ..: a hostile archive stays inside
            if member.startswith("/") or ".." in Path(member).parts:
                raise CompassError(f"{archive.name}: unsafe path {member!r} in the archive")
        zf.extractall(tmp)
    roots = [p.parent for p in sorted(tmp.rglob(marker)) if p.is_dir() and "__MACOSX" not in p.parts]
    if not roots:
        raise CompassError(f"{archive.name}: no '{marker}/' folder in the archive")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(roots[0]), dest)
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# the converters, one per recipe
# ---------------------------------------------------------------------------


def ceval(src: Path, out: Path) -> None:
    unzip_root(need(src, "ceval-exam.zip")[0], out / "ceval" / "formal_ceval", "val")


def cmmlu(src: Path, out: Path) -> None:
    unzip_root(need(src, "cmmlu*.zip")[0], out / "cmmlu", "test")


MMLU_SPLITS = {"dev": "dev", "validation": "val", "test": "test"}


def mmlu(src: Path, out: Path) -> None:
    """``<subject>/<split>-*.parquet`` (question, choices, answer index) -> headerless CSVs; or
    the original ``data.tar`` (ModelScope's copy), whose ``data/{dev,val,test}/`` are those CSVs."""
    tars = files(src, "data.tar")
    if tars:
        _mmlu_tar(tars[0], out / "mmlu")
        return
    for split, short in MMLU_SPLITS.items():
        for path in need(src, f"*/{split}-*.parquet"):
            subject = path.parent.name
            if subject in ("all", "auxiliary_train"):
                continue
            dest = out / "mmlu" / short / f"{subject}_{short}.csv"
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(dest, "a", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                for row in parquet_rows(path):
                    choices = list(row["choices"])
                    writer.writerow([row["question"], *choices, "ABCD"[int(row["answer"])]])


def _mmlu_tar(archive: Path, dest: Path) -> None:
    import tarfile

    wanted = {"dev", "val", "test"}
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and len(parts) >= 3 and parts[-2] in wanted and parts[-1].endswith(".csv") \
                    and ".." not in parts and not member.name.startswith("/"):
                target = dest / parts[-2] / parts[-1]
                target.parent.mkdir(parents=True, exist_ok=True)
                with tf.extractfile(member) as fh:
                    target.write_bytes(fh.read())
    if not all((dest / split).is_dir() for split in wanted):
        raise CompassError(f"{archive.name}: no data/dev, data/val and data/test folders of CSVs in the archive")


def gsm8k(src: Path, out: Path) -> None:
    for split in ("test", "train"):
        write_jsonl(out / "gsm8k" / f"{split}.jsonl",
                    ({"question": r["question"], "answer": r["answer"]} for r in _rows(need(src, f"*{split}-*.parquet"))))


def math(src: Path, out: Path) -> None:
    keep = ("problem", "level", "type", "solution")
    rows = [{k: r[k] for k in keep if k in r} for r in _rows(need(src, "*/test-*.parquet"))]
    write_jsonl(out / "math" / "test.jsonl", rows)
    # OpenCompass's MATHDataset reads math/math.json: one object, {"<index>": {problem, level, type, solution}}
    write_json(out / "math" / "math.json", {str(i): r for i, r in enumerate(rows)})


def math500(src: Path, out: Path) -> None:
    copy(need(src, "test.jsonl")[0], out / "math" / "math500" / "test.jsonl")


def arc(src: Path, out: Path) -> None:
    for long, short in (("ARC-Challenge", "ARC-c"), ("ARC-Easy", "ARC-e")):
        for split, name in (("test", "Test"), ("validation", "Dev")):
            rows = _rows(need(src, f"{long}/{split}-*.parquet"))
            write_jsonl(out / "ARC" / short / f"{long}-{name}.jsonl", (
                {"id": r["id"], "answerKey": r["answerKey"],
                 "question": {"stem": r["question"],
                              "choices": [{"text": t, "label": lab}
                                          for t, lab in zip(r["choices"]["text"], r["choices"]["label"])]}}
                for r in rows))


def _with_labels(folder: Path, rows: list[dict], fields: tuple[str, ...], label: Callable[[dict], str]) -> None:
    write_jsonl(folder / "dev.jsonl", ({k: r[k] for k in fields} for r in rows))
    (folder / "dev-labels.lst").write_text("".join(label(r) + "\n" for r in rows), encoding="utf-8")


def siqa(src: Path, out: Path) -> None:
    rows = _rows(need(src, "*validation*.parquet"))
    _with_labels(out / "siqa", rows, ("context", "question", "answerA", "answerB", "answerC"),
                 lambda r: str(r["label"]).strip())


def piqa(src: Path, out: Path) -> None:
    rows = _rows(need(src, "*validation*.parquet"))
    _with_labels(out / "piqa", rows, ("goal", "sol1", "sol2"), lambda r: str(int(r["label"])))


def winogrande(src: Path, out: Path) -> None:
    rows = _rows(need(src, "*validation*.parquet"))
    write_jsonl(out / "winogrande" / "dev.jsonl",
                ({k: str(r[k]) for k in ("sentence", "option1", "option2", "answer")} for r in rows))


def hellaswag(src: Path, out: Path) -> None:
    keep = ("ind", "activity_label", "ctx_a", "ctx_b", "ctx", "endings", "source_id", "split", "split_type", "label")
    rows = _rows(need(src, "*validation*.parquet"))
    write_jsonl(out / "hellaswag" / "hellaswag.jsonl",
                ({**{k: r[k] for k in keep if k in r}, "label": str(r["label"])} for r in rows))


def boolq(src: Path, out: Path) -> None:
    rows = _rows(need(src, "*validation-*.parquet"))
    write_jsonl(out / "SuperGLUE" / "BoolQ" / "val.jsonl",
                ({"question": r["question"], "passage": r["passage"], "label": bool(r["answer"]), "idx": i}
                 for i, r in enumerate(rows)))


def bbh(src: Path, out: Path) -> None:
    from importlib import resources

    prompts = resources.files("compass_datasets").joinpath("data/bbh/cot-prompts")
    for path in need(src, "*/test-*.parquet"):
        task = path.parent.name
        examples = [{"input": r["input"], "target": r["target"]} for r in parquet_rows(path)]
        write_json(out / "bbh" / "bbh" / f"{task}.json", {"examples": examples})
        prompt = prompts.joinpath(f"{task}.txt")
        if prompt.is_file():  # compass ships the paper's chain-of-thought prompts (MIT)
            dest = out / "bbh" / "cot-prompts" / f"{task}.txt"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(prompt.read_text(encoding="utf-8"), encoding="utf-8")


def ifeval(src: Path, out: Path) -> None:
    copy(need(src, "*input_data.jsonl")[0], out / "IFEval" / "input_data.jsonl")


def aime2024(src: Path, out: Path) -> None:
    rows = _rows(need(src, "data/*.parquet"))
    write_jsonl(out / "aime" / "aime24" / "test.jsonl",
                ({**{k: v for k, v in r.items() if k != "answer"}, "answer": str(r["answer"]).strip()} for r in rows))


def aime2025(src: Path, out: Path) -> None:
    rows = _rows(need(src, "aime2025-I.jsonl") + need(src, "aime2025-II.jsonl"))
    write_jsonl(out / "aime" / "aime25" / "test.jsonl",
                ({**r, "id": i, "answer": str(r["answer"]).strip()} for i, r in enumerate(rows)))


def nq_open(src: Path, out: Path) -> None:
    rows = _rows(need(src, "*validation-*.parquet"))
    write_jsonl(out / "nq_open" / "NQ-open.dev.jsonl",
                ({"question": r["question"], "answer": list(r["answer"])} for r in rows))


def humaneval(src: Path, out: Path) -> None:
    keep = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
    write_jsonl(out / "humaneval" / "HumanEval.jsonl",
                ({k: r[k] for k in keep} for r in _rows(need(src, "*test-*.parquet"))))


def mbpp(src: Path, out: Path) -> None:
    keep = ("task_id", "text", "code", "test_list", "test_setup_code", "challenge_test_list")
    rows = sorted(_rows(need(src, "full/*.parquet")), key=lambda r: int(r["task_id"]))
    write_jsonl(out / "mbpp" / "mbpp.jsonl", ({k: r.get(k, [] if k.endswith("_list") else "") for k in keep}
                                              for r in rows))


def mtbench(src: Path, out: Path) -> None:
    """FastChat's ``question.jsonl`` (the hub copy names ``turns`` ``prompt``); GPT-4's reference
    answers where the repository has them (else the questions' own ``reference``)."""
    rows = _rows(need(src, "*question.jsonl"))
    write_jsonl(out / "mt_bench" / "question.jsonl",
                ({**{k: v for k, v in r.items() if k != "prompt"}, "turns": r.get("turns") or r.get("prompt")}
                 for r in rows))
    refs = files(src, "*reference_answer/gpt-4.jsonl")
    if refs:
        copy(refs[0], out / "mt_bench" / "reference_answer" / "gpt-4.jsonl")


def alpaca_eval(src: Path, out: Path) -> None:
    results = out / "alpaca_eval" / "results"
    copy(need(src, "alpaca_eval.json")[0], results / "text_davinci_003" / "model_outputs.json")
    copy(need(src, "alpaca_eval_gpt4_baseline.json")[0], results / "gpt4_1106_preview" / "model_outputs.json")


def _answer_text(message: dict) -> str:
    content = message.get("content")
    return content.get("answer", "") if isinstance(content, dict) else str(content or "")


def arena_hard(src: Path, out: Path) -> None:
    """Arena-Hard v0.1 questions and GPT-4-0314's answers in the v0.1 form compass reads.

    The hub repository holds them in the later form (``uid``, ``prompt``; answers as
    ``messages``); the v0.1 form (``question_id``, ``turns``; ``choices``) passes unchanged.
    """
    base = out / "arena_hard" / "arena-hard-v0.1"
    questions = _rows(need(src, "*arena-hard-v0.1/question.jsonl"))
    write_jsonl(base / "question.jsonl", (q if "turns" in q else {
        "question_id": q["uid"], "category": q.get("category", "arena-hard-v0.1"), "cluster": q.get("cluster", ""),
        "turns": [{"content": q["prompt"]}]} for q in questions))
    answers = _rows(need(src, "*arena-hard-v0.1/model_answer/gpt-4-0314.jsonl"))
    write_jsonl(base / "model_answer" / "gpt-4-0314.jsonl", (a if "choices" in a else {
        "question_id": a["uid"], "model_id": a.get("model", "gpt-4-0314"),
        "choices": [{"index": 0, "turns": [{"content": _answer_text(a["messages"][-1])}]}]} for a in answers))


def _copy_tree(src: Path, out: Path, patterns: tuple[str, ...], dest: str) -> None:
    """Every file matching ``patterns`` copied unchanged to ``out/dest/<its repository path>``."""
    for pattern in patterns:
        for path in files(src, pattern):
            copy(path, out / dest / path.relative_to(src))


def agieval(src: Path, out: Path) -> None:
    """The paper's ``data/v1/<task>.jsonl`` unchanged, as ``agieval/data/v1/``."""
    need(src, "data/v1/*.jsonl")
    _copy_tree(src, out, ("data/v1/*.jsonl", "data/v1/LICENSE", "data/few_shot_prompts.csv"), "agieval")


def gaokao(src: Path, out: Path) -> None:
    """The objective papers and their prompts unchanged, under ``gaokao/`` (the repository's folders)."""
    need(src, "Data/Objective_Questions/*.json")
    need(src, "Bench/Obj_Prompt.json")
    _copy_tree(src, out, ("Data/Objective_Questions/*.json", "Bench/Obj_Prompt.json"), "gaokao")


def alignbench(src: Path, out: Path) -> None:
    """The v1.1 questions and the judge's ``config/`` unchanged, under ``alignbench/``."""
    need(src, "data/data_v1.1_release.jsonl")
    need(src, "config/*.json")
    _copy_tree(src, out, ("data/data_v1.1_release.jsonl", "config/*.json"), "alignbench")


CONVERTERS: dict[str, Converter] = {
    "ceval": ceval, "cmmlu": cmmlu, "mmlu": mmlu, "gsm8k": gsm8k, "math": math, "math500": math500, "arc": arc,
    "siqa": siqa, "piqa": piqa, "winogrande": winogrande, "hellaswag": hellaswag, "boolq": boolq, "bbh": bbh,
    "ifeval": ifeval, "aime2024": aime2024, "aime2025": aime2025, "nq_open": nq_open, "humaneval": humaneval,
    "mbpp": mbpp, "mtbench": mtbench, "alpaca_eval": alpaca_eval, "arena_hard": arena_hard,
    "agieval": agieval, "gaokao": gaokao, "alignbench": alignbench,
}
