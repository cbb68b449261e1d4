"""The ``opencompass`` dataset: one OpenCompass dataset config run by its own definition.

``translate`` turns ``dict(type=GSM8KDataset, path=..., reader_cfg=..., infer_cfg=...,
eval_cfg=...)`` into ``{"type": "opencompass", "dataset": <that dict as plain data>}``; this
module builds the benchmark from it:

* rows: read from the files OpenCompass's dataset class reads (its local layout under the
  data dir, the columns its ``load`` makes), split by ``reader_cfg`` (``test_split``,
  ``train_split``; a one-file dataset is both), cut by ``test_range`` / ``train_range``;
* prompt: :mod:`compass_opencompass.icl` renders the config's own templates and retriever
  (``FixKRetriever``'s ids, ``RandomRetriever``'s seed) — byte-identical to OpenCompass;
* mode: ``GenInferencer`` -> gen (``max_out_len``, ``stopping_criteria``), ``PPLInferencer`` /
  ``LLInferencer`` -> ppl (each label's prompt: the shared beginning is the context, the rest
  the candidate);
* scoring: ``eval_cfg``'s evaluator and ``pred_postprocessor`` by compass's names,
  ``dataset_postprocessor`` applied to the reference column.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

from compass.sdk import Benchmark, CompassError, DataError, DataMissing, FewShot, Message, Rows, Subset

from compass_opencompass import chat as chat_inferencer
from compass_opencompass import custom, exams, icl, judge, subjective
from compass_opencompass.icl import MESSAGE_ROLES
from compass_opencompass.raw_prompt import RawSpec, is_raw

#: OpenCompass dataset ids -> where its local copy lives under the data dir (OpenCompass's
#: ``DATASETS_MAPPING`` local paths), then compass's own layout for the same files
LOCAL: dict[str, tuple[str, ...]] = {
    "opencompass/gsm8k": ("gsm8k",),
    "opencompass/ceval-exam": ("ceval/formal_ceval", "ceval", "ceval-exam"),
    "opencompass/mmlu": ("mmlu", "mmlu/data"),
    "opencompass/siqa": ("siqa",),
    "opencompass/piqa": ("piqa",),
    "opencompass/ai2_arc-dev": ("ARC/ARC-c/ARC-Challenge-Dev.jsonl", "arc/ARC-c/ARC-Challenge-Dev.jsonl"),
    "opencompass/ai2_arc-test": ("ARC/ARC-c/ARC-Challenge-Test.jsonl", "arc/ARC-c/ARC-Challenge-Test.jsonl"),
    "opencompass/ai2_arc-easy-dev": ("ARC/ARC-e/ARC-Easy-Dev.jsonl", "arc/ARC-e/ARC-Easy-Dev.jsonl"),
    "opencompass/ai2_arc-easy-test": ("ARC/ARC-e/ARC-Easy-Test.jsonl", "arc/ARC-e/ARC-Easy-Test.jsonl"),
    "opencompass/bbh": ("BBH/data", "bbh/bbh", "bbh"),
    "opencompass/cmmlu": ("cmmlu", "cmmlu/data"),
    "opencompass/boolq": ("SuperGLUE/BoolQ/val.jsonl", "boolq/val.jsonl"),
    "opencompass/winogrande": ("winogrande",),
    "opencompass/math": ("math",),
    "opencompass/humaneval": ("humaneval/human-eval-v2-20210705.jsonl", "humaneval/HumanEval.jsonl.gz",
                              "humaneval/HumanEval.jsonl"),
    "opencompass/hellaswag": ("hellaswag/hellaswag.jsonl",),
    "opencompass/hellaswag_ice": ("hellaswag",),
}
#: dataset paths no download recipe writes -> what a miss says to do instead
UNFETCHED: dict[str, str] = {}
_GOLD = "_oc_gold"
_CANDS = "_oc_candidates"
_ICE = "_oc_examples"


def _candidates(path: str) -> list[str]:
    p = str(path)
    cands = list(LOCAL.get(p.rstrip("/"), ()))
    for prefix in ("./data/", "data/", "opencompass/"):
        if p.startswith(prefix):
            cands.append(p[len(prefix):])
    return list(dict.fromkeys(cands + [p]))


def locate(path: str, data_dir: Path, need: str | tuple[str, ...] = "") -> Path:
    """An OpenCompass ``path`` (a dataset id or ``./data/...``) under the data dir: the first
    candidate that exists and, where ``need`` (a file under a folder) is given, holds it. A miss
    is :class:`DataMissing` whose ``looked_for`` is the exact file OpenCompass's layout has there
    (so ``compass eval`` can fetch the benchmark that writes it)."""
    p = str(path)
    needs = (need,) if isinstance(need, str) else tuple(need)  # a file, or the places it may be (first: OpenCompass's)
    need = needs[0]
    cands = _candidates(p)
    here = [Path(c).expanduser() if Path(c).expanduser().is_absolute() else Path(data_dir) / c for c in cands]
    for found in here:
        if found.exists() and (not need or not found.is_dir() or any((found / n).is_file() for n in needs)):
            return found
    first = here[0] / need if need else here[0]
    also = [str(h / need if need else h) for h in here[1:3]]
    how = UNFETCHED.get(p.rstrip("/")) or ("compass eval fetches it when not --offline, or put OpenCompass's files "
                                            "there and point --data-dir at them")
    exc = DataMissing(f"OpenCompass dataset path {p}: looked for {first}"
                      + (f" (also {', '.join(also)})" if also else "") + "; " + how)
    exc.looked_for = first
    exc.alternatives = [h / need if need else h for h in here[1:]]  # where compass's own layout has it
    raise exc


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    rows = []
    if path.suffix == ".gz":
        import gzip

        opened = gzip.open(path, "rt", encoding="utf-8", errors="ignore")
    else:
        opened = path.open(encoding="utf-8", errors="ignore")
    with opened as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{n}: not JSON ({exc.msg})") from None
    return rows


def _csv(path: Path) -> list[list[str]]:
    """The rows as OpenCompass's CSV loaders read them: the file opened in text mode with
    universal newlines, so a quoted field's ``\r\n`` (C-Eval has them) becomes ``\n``."""
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    with path.open(encoding="utf-8") as f:
        return list(csv.reader(f))


# ---- each class: what its load() makes ({split: rows}, or a list for one-split datasets)
def _gsm8k(root: Path, **_) -> dict:
    return {s: _jsonl(root / f"{s}.jsonl") for s in ("train", "test") if (root / f"{s}.jsonl").is_file() or s == "test"}


def _ceval(root: Path, name: str, **_) -> dict:
    out = {}
    for split in ("dev", "val", "test"):
        f = root / split / f"{name}_{split}.csv"
        if not f.is_file() and split == "test":
            continue
        table = _csv(f)
        header, body = table[0], table[1:]
        out[split] = [{"explanation": "", "answer": "", **dict(zip(header, r))} for r in body]
    return out


def _mmlu(root: Path, name: str, **_) -> dict:
    out = {}
    for split in ("dev", "test"):
        f = root / split / f"{name}_{split}.csv"
        rows = []
        for n, r in enumerate(_csv(f), 1):
            if len(r) != 6:
                raise DataError(f"{f}:{n}: expected 6 columns (question, A-D, answer), got {len(r)}")
            rows.append(dict(zip(("input", "A", "B", "C", "D", "target"), r)))
        out[split] = rows
    return out


def _paired(root: Path, splits: Mapping[str, str], fix: Callable[[dict, int], None]) -> dict:
    """``{split: rows}`` of ``<file>.jsonl`` + ``<file>-labels.lst`` pairs (a missing train split is left out)."""
    out = {}
    for split, stem in splits.items():
        data, labels = root / f"{stem}.jsonl", root / f"{stem}-labels.lst"
        if split == "train" and not data.is_file():
            continue
        rows = _jsonl(data)
        if not labels.is_file():
            raise DataMissing(f"{labels} not found")
        lab = [x.strip() for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
        if len(lab) != len(rows):
            raise DataError(f"{labels}: {len(lab)} labels for {len(rows)} rows of {data}")
        for r, label in zip(rows, lab):
            fix(r, int(label))
        out[split] = rows
    return out


def _siqa_v1(r: dict, label: int) -> None:
    r["label"] = label


def _siqa_v2(r: dict, label: int) -> None:
    r["all_labels"] = {"candidates": [[f"{c}. {r['answer' + c]}", c, r["answer" + c]] for c in "ABC"],
                       "label": label - 1}
    r["label"] = " ABC"[label]


def _siqa_v3(r: dict, label: int) -> None:
    for c in "ABC":
        r[c] = r.pop("answer" + c)
    r["answer"] = "ABC"[label - 1]


def _piqa_v1(r: dict, label: int) -> None:
    r.pop("id", None)
    r["label"] = label


def _piqa_v2(r: dict, label: int) -> None:
    r.pop("id", None)
    r["answer"] = "NULL" if label < 0 else "AB"[label]


def _piqa_v3(r: dict, label: int) -> None:
    r.pop("id", None)
    r["label"] = label
    r["goal"] = r["goal"][:1].upper() + r["goal"][1:]
    case = str.upper if r["goal"].endswith(("?", ".")) else str.lower
    for k in ("sol1", "sol2"):
        r[k] = case(r[k][:1]) + r[k][1:]


_SIQA = {"train": "train", "validation": "dev"}


def _arc(path: Path, **_) -> list[dict]:
    rows = []
    for item in _jsonl(path):
        q = item["question"]
        if len(q["choices"]) != 4:
            continue
        keys = [c["label"] for c in q["choices"]]
        rows.append({"question": q["stem"], "answerKey": "ABCD"[keys.index(item["answerKey"])],
                     **{f"text{L}": q["choices"][i]["text"] for i, L in enumerate("ABCD")}})
    return rows


def _cmmlu(root: Path, name: str, **_) -> dict:
    out = {}
    for split in ("dev", "test"):
        f = root / split / f"{name}.csv"
        rows = []
        for n, r in enumerate(_csv(f)[1:], 2):
            if len(r) != 7:
                raise DataError(f"{f}:{n}: expected 7 columns (id, question, A-D, answer), got {len(r)}")
            rows.append(dict(zip(("question", "A", "B", "C", "D", "answer"), r[1:])))
        out[split] = rows
    return out


def _boolq(path: Path, **_) -> list[dict]:  # BoolQDataset: load_dataset('json', data_files=...)
    rows = _jsonl(path)
    for r in rows:
        r["answer"] = 1 if str(r["label"]).lower() == "true" else 0
    return rows


def _boolq_v2(path: Path, **_) -> list[dict]:
    rows = _jsonl(path)
    for r in rows:
        r["label"] = {"true": "A", "false": "B"}[str(r["label"]).lower()]
    return rows


def _boolq_v3(path: Path, **_) -> list[dict]:
    rows = _jsonl(path)
    for r in rows:
        r["passage"] = " -- ".join(r["passage"].split(" -- ")[1:])
        r["question"] = r["question"][:1].upper() + r["question"][1:]
    return rows


def _wino_row(line: dict, letters: bool) -> dict:
    sentence = line["sentence"]
    answer = line["answer"]
    if letters:
        answer = " AB"[int(answer)] if answer != "" else "NULL"
    return {"prompt": sentence, "only_option1": line["option1"], "only_option2": line["option2"],
            "opt1": sentence.replace("_", line["option1"]), "opt2": sentence.replace("_", line["option2"]),
            "answer": answer, "cont": sentence.split("_")[1]}


def _winogrande(root: Path, letters: bool = False, **_) -> list[dict]:
    return [_wino_row(r, letters) for r in _jsonl(root / "dev.jsonl")]


def _winogrande_v3(root: Path, **_) -> dict:
    return {split: [_wino_row(r, True) for r in _jsonl(root / f"{split}.jsonl")]
            for split in ("train_xs", "dev") if split == "dev" or (root / f"{split}.jsonl").is_file()}


def _hella_clean(text: str) -> str:
    """HellaSwag's text as OpenCompass's copy has it (lm-evaluation-harness's cleaning of the
    official release): trimmed, `` [title]`` a sentence break, other ``[...]`` tags and double
    spaces dropped."""
    return re.sub(r"\[.*?\]", "", text.strip().replace(" [title]", ". ")).replace("  ", " ")


def _hella_official(data: dict) -> dict:
    """A row of the official release (``ctx_a``, ``ctx_b``, ``endings``, ``label``: what
    ``compass data fetch hellaswag`` writes) in OpenCompass's form (``query``, ``choices``, ``gold``)."""
    ctx = f"{data['ctx_a']} {str(data['ctx_b']).capitalize()}"
    return {"query": _hella_clean(f"{data['activity_label']}: {ctx}"),
            "choices": [_hella_clean(e) for e in data["endings"]], "gold": int(data["label"])}


def _hella_row(data: dict, version: int) -> dict:
    if "query" not in data and "ctx_a" in data:
        data = _hella_official(data)
    choices = {L: data["choices"][i] for i, L in enumerate("ABCD")}
    if version == 3:
        return {"query": data["query"], **choices, "gold": data["gold"]}
    ctx = data["query"].split(": ", 2 if version == 1 else 1)[-1]
    return {"ctx": ctx, **choices, "label": data["gold"] if version == 1 else "ABCD"[data["gold"]]}


def _hellaswag(path: Path, version: int = 1, **_) -> list[dict]:
    return [_hella_row(r, version) for r in _jsonl(path)]


def _hellaswag_ice(root: Path, **_) -> dict:
    files = {"train": "hellaswag_train_sampled25.jsonl", "val": "hellaswag.jsonl"}
    return {split: [_hella_row(r, 2) for r in _jsonl(root / f)] for split, f in files.items()}


def boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (braces matched), as MATHDataset keeps it; ``None`` if none."""
    whole = exams.last_boxed(text)
    return whole[len("\\boxed{"):-1] if whole and whole.startswith("\\boxed{") else None


def _math(root: Path, file_name: str = "math.json", **_) -> dict:
    f = root / file_name
    if not f.is_file():
        raise DataMissing(f"{f} not found")
    data = json.loads(f.read_text(encoding="utf-8"))
    items = data.values() if isinstance(data, dict) else data
    rows = [{"problem": x["problem"], "solution": boxed(x["solution"])} for x in items]
    return {"test": rows, "train": rows}


def _humaneval(path: Path, num_repeats: int = 1, **_) -> list[dict]:
    rows = []
    for r in _jsonl(path):
        r["tests"] = r.get("test", "")  # what compass's code_exec runs after the program
        rows.extend(dict(r) for _ in range(int(num_repeats)))
    return rows


def _bbh(root: Path, name: str, **_) -> list[dict]:
    f = root / f"{name}.json"
    if not f.is_file() and (root / "bbh" / f"{name}.json").is_file():  # the BBH repository's own layout
        f = root / "bbh" / f"{name}.json"
    if not f.is_file():
        raise DataMissing(f"{f} not found")
    data = json.loads(f.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
        raise DataError(f"{f}: expected {{\"examples\": [...]}}")
    return data["examples"]


CLASSES: dict[str, Callable[..., Any]] = {
    "BBHDataset": _bbh, "CMMLUDataset": _cmmlu, "MATHDataset": _math, "HumanevalDataset": _humaneval,
    "WinograndeDataset": _winogrande, "WinograndeDatasetV2": lambda root, **_: _winogrande(root, letters=True),
    "WinograndeDatasetV3": _winogrande_v3,
    "HellaswagDataset": _hellaswag, "HellaswagDataset_V2": lambda p, **_: _hellaswag(p, 2),
    "HellaswagDataset_V3": lambda p, **_: _hellaswag(p, 3), "HellaswagDatasetwithICE": _hellaswag_ice,
    "BoolQDataset": _boolq, "BoolQDatasetV2": _boolq_v2, "BoolQDatasetV3": _boolq_v3,
    "GSM8KDataset": _gsm8k, "CEvalDataset": _ceval, "MMLUDataset": _mmlu,
    "siqaDataset": lambda root, **_: _paired(root, _SIQA, _siqa_v1),
    "siqaDataset_V2": lambda root, **_: _paired(root, _SIQA, _siqa_v2),
    "SiqaDatasetV3": lambda root, **_: _paired(root, _SIQA, _siqa_v3),
    "PIQADataset": lambda root, **_: _paired(root, _SIQA, _piqa_v1),
    "PIQADatasetV2": lambda root, **_: _paired(root, _SIQA, _piqa_v2),
    "PIQADatasetV3": lambda root, **_: _paired(root, _SIQA, _piqa_v3),
    "ARCDataset": _arc,
}

#: the file each class reads first, under its folder (``(kwargs) -> relative path``, or the paths
#: it may have there, OpenCompass's first): what a missing dataset's ``looked_for`` names, so the
#: recipe that writes it is fetched
NEEDS: dict[str, Callable[..., str]] = {
    "GSM8KDataset": lambda **_: "test.jsonl", "MATHDataset": lambda file_name="math.json", **_: file_name,
    "MMLUDataset": lambda name="", **_: f"test/{name}_test.csv",
    "CEvalDataset": lambda name="", **_: f"val/{name}_val.csv",
    "CMMLUDataset": lambda name="", **_: f"test/{name}.csv", "BBHDataset": lambda name="", **_: (f"{name}.json", f"bbh/{name}.json"),
    "WinograndeDataset": lambda **_: "dev.jsonl", "WinograndeDatasetV2": lambda **_: "dev.jsonl",
    "WinograndeDatasetV3": lambda **_: "dev.jsonl", "HellaswagDatasetwithICE": lambda **_: "hellaswag.jsonl",
    **{c: (lambda **_: "dev.jsonl") for c in ("siqaDataset", "siqaDataset_V2", "SiqaDatasetV3", "PIQADataset",
                                              "PIQADatasetV2", "PIQADatasetV3")},
}

#: OpenCompass text postprocessors -> compass's, for ``pred_postprocessor``
PRED_POSTPROCESSORS = {"first_capital_postprocess": "first_capital", "first_option_postprocess": "first_option",
                       "gsm8k_postprocess": "opencompass_gsm8k", "math_postprocess_v2": "math_boxed",
                       "math_postprocess": "math_boxed", "bbh_mcq_postprocess": "opencompass_bbh_mcq",
                       "bbh_freeform_postprocess": "opencompass_bbh_freeform",
                       "match_answer_pattern": "opencompass_match_answer_pattern",
                       "humaneval_postprocess_v2": "opencompass_humaneval_v2",
                       "humaneval_postprocess_v3": "opencompass_humaneval_v3"}
#: keyword arguments compass's counterpart does without
POSTPROCESSOR_DROP = {"first_option_postprocess": ("cushion",)}
#: ``dataset_postprocessor``: applied to the reference column once, when the rows are read
DATASET_POSTPROCESSORS: dict[str, Callable[[str], str]] = {
    "gsm8k_dataset_postprocess": lambda t: t.split("#### ")[1].replace(",", ""),
    "first_capital_postprocess": lambda t: next((c for c in t if c.isupper()), ""),
    "bbh_mcq_postprocess": lambda t: _scoring_module().bbh_mcq(t),
}


def _scoring_module():
    from compass_opencompass import scoring

    return scoring
EVALUATORS = {"AccEvaluator": "accuracy", "AccwithDetailsEvaluator": "accuracy", "EMEvaluator": "exact_match",
              "Gsm8kEvaluator": "opencompass_gsm8k", "MATHEvaluator": "math_equiv", "MATHVerifyEvaluator": "math_equiv",
              "BBHEvaluator": "opencompass_bbh", "BBHEvaluator_mcq": "accuracy", "HumanEvalEvaluator": "code_exec"}
#: evaluator settings that make compass's evaluator score as OpenCompass's does
EVALUATOR_KWARGS = {"HumanEvalEvaluator": {"completion": True}}  # prompt + completion + test + check(entry)
#: an evaluator's own answer extraction, applied before it scores (MBPP's)
EVALUATOR_POSTPROCESSORS: dict[str, str] = {}
#: an evaluator's settings in the config -> compass's evaluator settings
EVALUATOR_ARGS: dict[str, dict[str, str]] = {}


def _merge_sets() -> None:
    """OpenCompass's code, QA, choice and other classes (:mod:`~compass_opencompass.code_sets`,
    :mod:`~compass_opencompass.qa_sets`, :mod:`~compass_opencompass.choice_sets`,
    :mod:`~compass_opencompass.more_sets`, :mod:`~compass_opencompass.theoremqa`) into the tables above."""
    from compass_opencompass import choice_sets, code_sets, more_sets, qa_sets, theoremqa

    for m in (code_sets, qa_sets, choice_sets, more_sets, theoremqa):
        LOCAL.update(m.LOCAL)
        CLASSES.update(m.CLASSES)
        EVALUATORS.update(m.EVALUATORS)
        for table, name in ((PRED_POSTPROCESSORS, "PRED_POSTPROCESSORS"), (EVALUATOR_KWARGS, "EVALUATOR_KWARGS"),
                            (EVALUATOR_POSTPROCESSORS, "EVALUATOR_POSTPROCESSORS"), (EVALUATOR_ARGS, "EVALUATOR_ARGS"),
                            (NEEDS, "NEEDS"), (LOCATORS, "LOCATORS"), (UNFETCHED, "UNFETCHED")):
            table.update(getattr(m, name, {}))


#: classes that find their file their own way: ``(dataset cfg, data dir) -> path``
LOCATORS: dict[str, Callable[[Mapping, Path], Path]] = {"CustomDataset": custom.resolve}
_merge_sets()
# classes of their own modules: GAOKAO-Bench / AGIEval (exams), CustomDataset (custom), LLM judges (judge)
LOCAL.update(exams.LOCAL)
CLASSES.update({**exams.CLASSES, **custom.CLASSES})
EVALUATORS.update(exams.EVALUATORS)
EVALUATOR_KWARGS.update(exams.EVALUATOR_KWARGS)
PRED_POSTPROCESSORS.update(exams.PRED_POSTPROCESSORS)
#: evaluators configured by their own settings: ``(evaluator cfg, dataset cfg, where) -> scoring``
EVALUATOR_BUILDERS: dict[str, Callable[[Mapping, Mapping, str], dict]] = dict(judge.BUILDERS)
EVALUATORS["OptionSimAccEvaluator"] = "opencompass_option_sim_acc"
EVALUATOR_ARGS["OptionSimAccEvaluator"] = {"options": "options"}  # a custom set's letters (A-E, ...)
#: classes whose whole subset (rows, turns, judge) their own module builds: MT-Bench, AlignBench
SUBSET_BUILDERS: dict[str, Callable[[Mapping, str], Subset]] = {c: subjective.subset for c in subjective.CLASSES}
LOCAL.update(subjective.LOCAL)
CLASSES.update({c: None for c in subjective.CLASSES})  # read by subjective.SubjectiveLoader


def _merge_circular() -> None:
    """OpenCompass's ``Circular<X>Dataset`` (:mod:`~compass_opencompass.circular`) for each class ``<X>``
    above, and its ``CircularEvaluator``."""
    from compass_opencompass import circular

    CLASSES.update(circular.classes(CLASSES))
    NEEDS.update({c: NEEDS[s.base] for c, s in circular.SPECS.items() if c in CLASSES and s.base in NEEDS})
    EVALUATOR_BUILDERS.update(circular.BUILDERS)


_merge_circular()
_RANGE = re.compile(r"^\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\]$")


def _cut(rows: list, rng: Any, where: str) -> list:
    if rng is None:
        return rows
    if isinstance(rng, int):
        return rows[:rng]
    m = _RANGE.match(str(rng))
    if not m:
        raise CompassError(f"{where}: expected a range like '[0:64]', got {rng!r}")
    return rows[slice(*(int(x) if x else None for x in m.groups()))]


# pairwise subjective sets (Arena-Hard, AlpacaEval): their rows, and LMEvaluator comparing two answers there
from compass_opencompass import pairwise  # noqa: E402

CLASSES.update(pairwise.CLASSES)
LOCATORS.update(pairwise.LOCATORS)
EVALUATOR_BUILDERS["LMEvaluator"] = pairwise.dispatch(EVALUATOR_BUILDERS["LMEvaluator"])


class OpenCompassLoader:
    """``load(data_dir) -> Rows`` for one OpenCompass dataset config."""

    def __init__(self, d: Mapping, where: str):
        self.d, self.where = d, where
        self.reader = d.get("reader_cfg") or {}
        infer = d.get("infer_cfg") or {}
        self.retriever = infer.get("retriever") or {}
        self.spec = _spec(infer, self.reader, where)
        self.mode = _mode(d, where)
        self.text = _base_text(d, self.mode)
        post = ((d.get("eval_cfg") or {}).get("dataset_postprocessor") or {}).get("type")
        self.gold_post = DATASET_POSTPROCESSORS.get(post) if post else None
        if post and self.gold_post is None:
            raise CompassError(f"{where}.eval_cfg.dataset_postprocessor: compass does not know {post}; it offers "
                               f"{', '.join(DATASET_POSTPROCESSORS)}")
        self._cache: tuple[str, Rows] | None = None

    @property
    def key(self) -> tuple:
        return ("opencompass", json.dumps(self.d, sort_keys=True, default=str))

    def _kwargs(self) -> dict:
        return {k: v for k, v in self.d.items() if k not in ("dataset_class", "abbr", "path", "reader_cfg",
                                                             "infer_cfg", "eval_cfg", "type", "data_files")}

    def _root(self, data_dir) -> Path:
        """What the class's loader is given: its folder (holding the file it reads first) or file."""
        if self.d.get("dataset_class") in LOCATORS:  # a class that finds its file its own way
            return LOCATORS[self.d["dataset_class"]](self.d, Path(data_dir))
        path = self.d.get("path", "")
        if path == "json" and self.d.get("data_files"):  # datasets.load_dataset('json', data_files=...)
            return locate(self.d["data_files"], Path(data_dir))
        need = NEEDS.get(self.d.get("dataset_class", ""))
        return locate(path, Path(data_dir), need(**self._kwargs()) if need else "")

    def locate(self, data_dir) -> Path:
        """The exact file the class reads first (its folder where the table does not say)."""
        root = self._root(data_dir)
        need = NEEDS.get(self.d.get("dataset_class", ""))
        if not need or not root.is_dir():
            return root
        files = need(**self._kwargs())
        files = (files,) if isinstance(files, str) else files
        return next((root / f for f in files if (root / f).is_file()), root / files[0])

    def __call__(self, data_dir) -> Rows:
        if self._cache is None or self._cache[0] != str(data_dir):
            self._cache = (str(data_dir), self._read(Path(data_dir)))
        return self._cache[1]

    def _read(self, data_dir: Path) -> Rows:
        cls = self.d["dataset_class"]
        kwargs = self._kwargs()
        where = self._root(data_dir)
        try:
            loaded = CLASSES[cls](where, **kwargs)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            raise DataError(f"{where}: not the layout OpenCompass's {cls} reads ({type(exc).__name__}: {exc}); "
                            f"use OpenCompass's copy of the data") from None
        if isinstance(loaded, list):  # one split: OpenCompass uses it as train and test
            loaded = {"train": loaded, "test": loaded}
        test_split = self.reader.get("test_split", "test")
        train_split = self.reader.get("train_split", "train")
        if test_split not in loaded:
            raise DataError(f"{self.where}: reader_cfg.test_split {test_split!r}: {cls} has "
                            f"{', '.join(loaded)}")
        test = [dict(r) for r in _cut(loaded[test_split], self.reader.get("test_range"), f"{self.where}.reader_cfg.test_range")]
        pool = [dict(r) for r in _cut(loaded.get(train_split, []), self.reader.get("train_range"),
                                      f"{self.where}.reader_cfg.train_range")]
        kind = self.retriever.get("type", "ZeroRetriever")
        if kind == "FixKRetriever":
            try:
                icl.fixed(len(pool), self.retriever.get("fix_id_list") or [])
            except ValueError as exc:
                raise DataMissing(f"{self.where}: {exc} ('{train_split}' of {cls}); put that split's file "
                                  f"next to the evaluated one") from None
        elif kind == "RandomRetriever":
            ids = icl.random_ids(len(pool), len(test), int(self.retriever.get("ice_num", 1)),
                                 int(self.retriever.get("seed", 43)))
            for row, picked in zip(test, ids):
                row[_ICE] = [pool[i] for i in picked]
        out = self.reader.get("output_column")
        for row in test:
            if out is not None:
                value = row.get(out, "")
                if not isinstance(value, (list, dict)):  # NQ's answer lists, IFEval's records stay as they are
                    value = str(value)
                    value = self.gold_post(value) if self.gold_post else value
                row[_GOLD] = value
            if self.mode == "ppl":
                examples = row.get(_ICE) or [pool[i] for i in self.retriever.get("fix_id_list") or []]
                texts = {str(k): self.text(v) for k, v in self.spec.per_label(row, examples).items()}
                head, rest = _split(texts)
                row[_CANDS] = rest
        return Rows(test=test, fewshot=pool)


def _spec(infer: Mapping, reader: Mapping, where: str):
    """The prompt of an ``infer_cfg``: OpenCompass's ICL templates, or a ``RawPromptTemplate``'s messages."""
    t = infer.get("prompt_template")
    return RawSpec(t, infer, where) if is_raw(t) else icl.from_config(infer, reader)


def _base_text(d: Mapping, mode: str):
    """How a base model's text is made: its ``meta_template`` as OpenCompass's LMTemplateParser applies
    it (``model_meta_template``, set by compass_opencompass.translate), else plain text."""
    meta = d.get("model_meta_template")
    if not meta:
        return icl.base_text
    from compass_opencompass.lm_template import lm_text

    return lambda prompt: lm_text(prompt, meta, "gen" if mode == "gen" else "ppl")


def _split(texts: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    values = list(texts.values())
    n = 0
    while n < min(len(v) for v in values) and all(v[n] == values[0][n] for v in values):
        n += 1
    return values[0][:n], {k: v[n:] for k, v in texts.items()}


def _mode(d: Mapping, where: str) -> str:
    inf = ((d.get("infer_cfg") or {}).get("inferencer") or {}).get("type", "GenInferencer")
    chat_inferencer.check((d.get("infer_cfg") or {}).get("inferencer") or {}, where)  # Agent-/ChatInferencer
    modes = {"GenInferencer": "gen", "PPLInferencer": "ppl", "LLInferencer": "ppl", "ChatInferencer": "gen"}
    if inf not in modes:
        raise CompassError(f"{where}.infer_cfg.inferencer: compass does not run {inf} for OpenCompass configs "
                           f"yet; it runs {', '.join(modes)}")
    return modes[inf]


def _ppl_score(d: Mapping) -> str:
    """``PPLInferencer`` picks the label whose whole text (prompt and answer) has the lowest mean token
    loss: compass's ``mean_all`` rule; ``LLInferencer`` compares the answers' own log-likelihoods."""
    inf = ((d.get("infer_cfg") or {}).get("inferencer") or {}).get("type")
    return "mean_all" if inf == "PPLInferencer" else "sum"


class OpenCompassTemplate:
    """A subset's prompt: the config's ``infer_cfg`` rendered by :mod:`compass_opencompass.icl`."""

    def __init__(self, d: Mapping, mode: str):
        self.infer = d.get("infer_cfg") or {}
        self.reader = d.get("reader_cfg") or {}
        self.spec = _spec(self.infer, d.get("reader_cfg") or {}, "OpenCompass dataset " + str(d.get("abbr") or ""))
        self.mode = mode
        self.text = _base_text(d, mode)
        self.meta = d.get("model_meta_template")
        #: a chat model's meta_template (compass_opencompass.translate): its roles and begin message
        self.chat_meta = d.get("model_chat_meta_template") or icl.CHAT_META

    def render(self, row, examples=(), *, chat: bool):
        if isinstance(self.spec, RawSpec):  # RawPromptTemplate: chat messages as written
            return self.spec.render(row, chat=chat)
        examples = row.get(_ICE) or list(examples)
        if (self.infer.get("inferencer") or {}).get("type") == "ChatInferencer":
            return self._chat_inferencer(row, chat)
        if self.mode == "gen":
            p = self.spec.gen(row, examples)
            if not chat:
                return (Message("HUMAN", self.text(p)),)
            return tuple(Message(_ROLE[m["role"]], m["content"]) for m in icl.chat_messages(p, self.chat_meta, "gen"))
        per = self.spec.per_label(row, examples)
        texts = {str(k): self.text(v) for k, v in per.items()}
        head, _ = _split(texts)
        if not chat:
            return (Message("HUMAN", head),)
        msgs = icl.chat_messages(next(iter(per.values())), self.chat_meta, "ppl")
        if msgs and msgs[-1]["role"] == "assistant":
            msgs = msgs[:-1]
        return tuple(Message(_ROLE[m["role"]], m["content"]) for m in msgs)

    def _chat_inferencer(self, row, chat: bool):
        reader = self.reader
        cols = reader.get("input_columns") or []
        turns = chat_inferencer.history(chat_inferencer.conversation(
            self.spec.prompt_template, row, [cols] if isinstance(cols, str) else list(cols),
            reader.get("output_column")))
        if not chat:
            return (Message("HUMAN", chat_inferencer.base_text(turns)),)
        return tuple(Message(_ROLE[m["role"]], m["content"]) for m in chat_inferencer.chat_messages(turns))

    def describe(self) -> dict:
        out = {"opencompass_infer_cfg": json.loads(json.dumps(self.infer, sort_keys=True, default=str))}
        if self.text is not icl.base_text:
            out["model_meta_template"] = self.meta
        if self.chat_meta is not icl.CHAT_META:
            out["model_chat_meta_template"] = self.chat_meta
        return out


_ROLE = MESSAGE_ROLES


_NOTED: set = set()  # the extraction models already noted in this process


def _scoring(d: Mapping, where: str) -> dict:
    ev = (d.get("eval_cfg") or {}).get("evaluator") or {"type": "AccEvaluator"}
    extractor = (d.get("eval_cfg") or {}).get("model_postprocessor")
    kind = extractor.get("type") if isinstance(extractor, Mapping) else extractor
    if extractor and kind not in _NOTED:  # xFinder & co.: a second model that reads each answer (said once)
        from compass_opencompass.translate import note

        _NOTED.add(kind)
        note(f"{where}.eval_cfg.model_postprocessor: compass does not run {kind} (an answer-extraction model); "
             f"answers are read by the config's pred_postprocessor and evaluator alone, as OpenCompass does "
             f"without one")
    name = ev.get("type")
    if name not in EVALUATORS and name not in EVALUATOR_BUILDERS:
        raise CompassError(f"{where}.eval_cfg.evaluator: compass does not know the OpenCompass class {name}; it "
                           f"offers {', '.join([*EVALUATORS, *EVALUATOR_BUILDERS])}")
    build = EVALUATOR_BUILDERS.get(name)
    out: dict = build(ev, d, where) if build else {"evaluator": EVALUATORS[name]}
    if name in EVALUATOR_KWARGS:
        out["evaluator_kwargs"] = dict(EVALUATOR_KWARGS[name])
    for theirs, ours in EVALUATOR_ARGS.get(name, {}).items():
        if ev.get(theirs) is not None:
            value = ev[theirs]
            out.setdefault("evaluator_kwargs", {})[ours] = list(value) if isinstance(value, (list, tuple)) else [value]
    post = (d.get("eval_cfg") or {}).get("pred_postprocessor")
    if name in EVALUATOR_POSTPROCESSORS:
        if post:
            raise CompassError(f"{where}.eval_cfg: {name} extracts the code itself; compass runs it without a "
                               f"pred_postprocessor ({post.get('type')}): drop one of them")
        out["postprocessor"] = EVALUATOR_POSTPROCESSORS[name]
    if post:
        pname = post.get("type")
        if pname not in PRED_POSTPROCESSORS:
            raise CompassError(f"{where}.eval_cfg.pred_postprocessor: compass does not know {pname}; it offers "
                               f"{', '.join(PRED_POSTPROCESSORS)}")
        out["postprocessor"] = PRED_POSTPROCESSORS[pname]
        kw = {k: v for k, v in post.items() if k not in ("type", *POSTPROCESSOR_DROP.get(pname, ()))}
        if kw:
            out["postprocessor_kwargs"] = kw
    return out


RETRIEVERS = ("ZeroRetriever", "FixKRetriever", "RandomRetriever")


def _check(d: Mapping, where: str) -> None:
    infer = d.get("infer_cfg") or {}
    for key in ("prompt_template", "ice_template"):
        t = infer.get(key)
        if key == "prompt_template" and is_raw(t):
            RawSpec(t, infer, where)  # its own checks
            continue
        if t and (t.get("type", "PromptTemplate") != "PromptTemplate" or "template" not in t):
            raise CompassError(f"{where}.infer_cfg.{key}: compass renders PromptTemplate(template=...), not "
                               f"{t.get('type')}")
    kind = (infer.get("retriever") or {}).get("type", "ZeroRetriever")
    if kind not in RETRIEVERS:
        raise CompassError(f"{where}.infer_cfg.retriever: compass does not run {kind} (it would need a retrieval "
                           f"model or index); it offers {', '.join(RETRIEVERS)}")


def subset(d: Mapping, where: str) -> Subset:
    if d.get("dataset_class") in SUBSET_BUILDERS:
        return SUBSET_BUILDERS[d["dataset_class"]](d, where)
    _check(d, where)
    if ((d.get("infer_cfg") or {}).get("inferencer") or {}).get("type") == "LLInferencer":
        from compass_opencompass.translate import note

        note(f"{where}: LLInferencer runs as ppl: compass scores each label's whole differing ending, OpenCompass "
             f"only the row's 'cont' after it")
    loader = OpenCompassLoader(d, where)
    mode = loader.mode
    infer = d.get("infer_cfg") or {}
    retr = infer.get("retriever") or {}
    few = FewShot(indices=tuple(retr["fix_id_list"])) if retr.get("type") == "FixKRetriever" else FewShot()
    gen = infer.get("inferencer") or {}
    stop = tuple(gen.get("stopping_criteria") or ())
    gold = _GOLD if (d.get("reader_cfg") or {}).get("output_column") else "answer"
    return Subset(d.get("abbr") or d["dataset_class"], loader, OpenCompassTemplate(d, mode), mode=mode, gold=gold,
                  candidates=_CANDS if mode == "ppl" else None, fewshot=few,
                  max_out_len=gen.get("max_out_len") if mode == "gen" else None, stop=stop,
                  ppl_score=_ppl_score(d), **_scoring(d, where))


def from_config(config: str) -> list[dict]:
    """The dataset dicts of OpenCompass's ``configs/datasets/<config>.py`` in the user's tree, as plain data."""
    from compass_opencompass.shims import ENV, configs_root, run_config
    from compass_opencompass.translate import dataset as translate_dataset

    root, _ = configs_root(Path.cwd() / "_")
    if root is None:
        raise CompassError(f"dataset '{config.split('/')[-1]}' is OpenCompass's configs/datasets/{config}.py: set "
                           f"{ENV} to your opencompass/configs folder (or pip install opencompass)")
    path = root / "datasets" / f"{config}.py"
    if not path.is_file():
        raise CompassError(f"{path} not found: your OpenCompass tree ({root}) has no {config}.py")
    namespace = run_config(path)
    lists = [v for k, v in namespace.items() if k.endswith("_datasets") and isinstance(v, list)]
    if not lists:
        raise CompassError(f"{path}: defines no <name>_datasets list")
    out = []
    for i, d in enumerate(lists[0]):
        t = translate_dataset(d, f"{path}: datasets[{i}]") if isinstance(d, dict) else None
        if not isinstance(t, dict) or t.get("type") != "opencompass":
            raise CompassError(f"{path}: datasets[{i}] is not a dataset compass runs by its own definition; "
                               f"use compass's {t.get('type') if isinstance(t, dict) else 'built-in'} instead")
        out.extend(t["datasets"])
    return out


def opencompass(datasets: list | None = None, name: str | None = None, *, source: str | None = None,
                chat: bool = False, config: str | None = None, **one: Any) -> Benchmark:
    """The ``opencompass`` dataset: ``datasets`` (a list of OpenCompass dataset configs as
    plain data, with ``dataset_class``), one given as keyword arguments, or ``config``:
    the name of a file under the user's ``opencompass/configs/datasets`` (``gsm8k/gsm8k_gen_a58960``)."""
    if config is not None:
        source = source or config
        datasets = from_config(config)
    if datasets is None and not one:
        raise CompassError("opencompass dataset: needs config=NAME (a file under your opencompass/configs/datasets, "
                           "e.g. gsm8k/gsm8k_gen_1d7fe4) or datasets=[...]; or run an OpenCompass config file: "
                           "compass eval CONFIG.py")
    items = datasets if datasets is not None else [one]
    where = source or "OpenCompass dataset"
    raw = [d for d in items if is_raw((d.get("infer_cfg") or {}).get("prompt_template"))]
    if raw and not chat:  # the config says how each prompt is made; a message list needs a chat model
        raise CompassError(f"{where} {raw[0].get('abbr') or raw[0].get('dataset_class')}: RawPromptTemplate writes "
                           f"chat messages, which OpenCompass sends to chat models only; run it with a chat model")
    subsets = tuple(subset(d, f"{where} {d.get('abbr') or d.get('dataset_class')}") for d in items)
    return Benchmark(name or subsets[0].name, subsets, ())
