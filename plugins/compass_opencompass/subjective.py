"""OpenCompass's subjective MT-Bench and AlignBench configs, run by their own definition.

* ``MTBenchDataset`` (``configs/datasets/subjective/multiround/mtbench_single_judge_diff_temp*.py``):
  the rows OpenCompass's class makes (``dialogue``, ``capability``, ``system_prompt``,
  ``prompt_template``, ``others``) from FastChat's ``mt_bench/question.jsonl`` and its GPT-4
  reference answers (the data compass has; OpenCompass ships the same questions as
  ``mtbench_<temperature>.json``). ``ChatInferencer(infer_mode='every')``: inference answers
  turn 1; the evaluation task asks the same model turn 2 with its own turn-1 answer in the
  history (as compass's own ``mtbench`` does), then the ``LMEvaluator``'s ``prompt_template``
  (``{system_prompt}`` + ``{prompt_template}``, FastChat's single-answer grading templates with
  OpenCompass's ``{prediction_r1}``/``{prediction_r2}``) is rendered and sent to the judge.
  One judgement per question, on the whole conversation (OpenCompass's ``multi_turn=True``).
  ``mtbench_postprocess``: the first ``Rating: [[n]]``; the average per category and ``total``
  (1-10, two decimals). FastChat's ``judge_prompts.jsonl`` is read next to ``question.jsonl``
  when there, else from the unchanged copy compass ships (``compass_judge/templates/mt_bench.jsonl``):
  the ``mtbench`` recipe fetches the questions and reference answers only.
* ``AlignmentBenchDataset`` (``configs/datasets/subjective/alignbench/alignbench_v1_1_*.py``):
  AlignBench v1.1's rows and ``config/`` files, ``critiquellm_prefix`` OpenCompass's CritiqueLLM
  prompt (``subjective_prompts.json``); ``alignbench_postprocess``: the last ``{...}`` rating
  dict, ``综合得分`` the score; per-category averages, ``中文推理总分``, ``中文语言总分`` and
  ``总分`` as OpenCompass computes them.

Bad data is one :class:`DataError` line naming the file (and line) and the fault; the loader's
``locate`` names the file each class reads first, so ``compass eval`` fetches missing data through
the ``mtbench`` / ``alignbench`` recipes and hashes it into the dataset's version.

The judge: the evaluator's ``judge_cfg``, else the run's (``--judge``, the config's top-level
``judge_models``, ``OC_JUDGE_*``: :func:`compass_opencompass.judge.run_judge`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

from compass.sdk import CompassError, DataError, DataMissing, GenerateRequest, Message, Rows, Subset
from compass_opencompass import judge
from compass_opencompass.icl import MESSAGE_ROLES
from compass_opencompass.judge import JudgedByModel, generate

MTBENCH_CATEGORIES = ("total", "writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem",
                      "humanities")
NEED_REF = ("math", "reasoning", "coding", "arena-hard-200")
#: AlignBench's two top-level groups (OpenCompass's ``CATEGORIES``)
ALIGN_GROUPS = {"中文推理": ("数学计算", "逻辑推理"),
                "中文语言": ("基本任务", "中文理解", "综合问答", "文本写作", "角色扮演", "专业能力")}
ALIGN_DIMENSIONS = ("事实正确性", "满足用户需求", "安全无害", "清晰度", "逻辑性", "完备性", "创造性", "可负责程度",
                    "逻辑连贯性", "公平与可负责程度", "丰富度", "综合得分")
ALIGN_TYPES = {"事实与解释型回答": ("事实正确性", "满足用户需求", "清晰度", "完备性"),
               "逻辑推理型回答": ("事实正确性", "满足用户需求", "逻辑连贯性", "完备性"),
               "生成型回答": ("事实正确性", "满足用户需求", "逻辑连贯性", "创造性", "丰富度"),
               "建议型回答": ("事实正确性", "满足用户需求", "公平与可负责程度", "创造性")}
CLASSES = ("MTBenchDataset", "AlignmentBenchDataset")
LOCAL = {"data/subjective/mtbench": ("mt_bench",), "data/subjective/alignment_bench": ("alignbench",),
         "data/subjective/alignment_bench/config": ("alignbench/config",)}
_ROLE = MESSAGE_ROLES


@lru_cache(maxsize=1)
def _prompts() -> dict:
    return json.loads(resources.files("compass_opencompass").joinpath("subjective_prompts.json").read_text("utf-8"))


def _lines(path: Path) -> list[tuple[int, dict]]:
    """``(line number, object)`` of each line of a jsonl file; a line that is not a JSON object is a
    one-line :class:`DataError` naming the file and the line."""
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    return _parse_lines(path.read_text("utf-8"), str(path))


def _parse_lines(text: str, where: str) -> list[tuple[int, dict]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{where}:{n}: expected a JSON object, got {type(obj).__name__}")
        out.append((n, obj))
    return out


def _jsonl(path: Path) -> list[dict]:
    return [obj for _, obj in _lines(path)]


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: {what} is not JSON ({exc.msg} at line {exc.lineno})") from None


def _field(obj: Mapping, key: str, where: str, kind: type | tuple = object) -> Any:
    """``obj[key]``, else a one-line :class:`DataError` naming ``where`` and the key."""
    if key not in obj:
        raise DataError(f"{where}: no {key!r} field (has {', '.join(map(repr, obj)) or 'none'})")
    value = obj[key]
    if not isinstance(value, kind):
        raise DataError(f"{where}: {key!r} is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
    return value


# ------------------------------------------------------------------ MT-Bench rows
#: where FastChat's ``judge_prompts.jsonl`` comes from when the data has none (the mtbench recipe
#: writes the questions and reference answers only): compass's judge templates ship it unchanged
SHIPPED_JUDGE_PROMPTS = ("compass_judge", "templates/mt_bench.jsonl")
FASTCHAT_JUDGE_PROMPTS = "lm-sys/FastChat's fastchat/llm_judge/data/judge_prompts.jsonl"


def _judge_prompts(root: Path) -> tuple[str, str]:
    """``(text, where)`` of FastChat's judge prompts: ``<root>/judge_prompts.jsonl`` when the data
    has it, else the copy compass ships (``compass_judge``'s templates, the same file)."""
    path = root / "judge_prompts.jsonl"
    if path.is_file():
        return path.read_text("utf-8"), str(path)
    package, rel = SHIPPED_JUDGE_PROMPTS
    try:
        shipped = resources.files(package).joinpath(rel)
        return shipped.read_text("utf-8"), f"{package}/{rel}"
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        raise DataMissing(f"{path} not found: MT-Bench's judge prompts; put {FASTCHAT_JUDGE_PROMPTS} there "
                          f"(compass's copy, {package}/{rel}, is not installed)") from None


def _fastchat_templates(root: Path) -> dict[str, dict]:
    text, source = _judge_prompts(root)
    out = {}
    for n, r in _parse_lines(text, source):
        where = f"{source}:{n}"
        out[str(_field(r, "name", where))] = {"system_prompt": str(_field(r, "system_prompt", where)),
                                              "prompt_template": str(_field(r, "prompt_template", where)),
                                              "_where": where}
    return out


def mtbench_judge_prompt(problem: Mapping, templates: Mapping[str, Mapping], multi_turn: bool = True,
                         where: str = "MT-Bench") -> tuple[str, str]:
    """``(system_prompt, prompt_template)`` of one OpenCompass MT-Bench problem (single-answer
    grading): FastChat's template with the questions (and references) filled in and
    ``{prediction_r1}``/``{prediction_r2}`` left for the judge's prompt. Data that cannot make
    it is a one-line :class:`DataError` naming ``where``."""
    dialogue = problem["dialogue"]
    qid = problem["others"].get("question_id")
    ref = problem["capability"] in NEED_REF
    name = ("single-math-v1" if ref else "single-v1") + ("-multi-turn" if multi_turn else "")
    t = templates.get(name)
    if t is None:
        raise DataError(f"{where}: the judge prompts have no {name!r} (FastChat's judge_prompts.jsonl has it; "
                        f"found {', '.join(sorted(templates)) or 'none'})")
    fields: dict[str, str] = {"answer": "{prediction_r1}", "answer_1": "{prediction_r1}",
                              "answer_2": "{prediction_r2}"}
    if multi_turn:
        if len(dialogue) < 3:
            raise DataError(f"{where}: question {qid} has {len(dialogue) // 2} turn; MT-Bench's multi-turn judge "
                            f"needs 2 (or set multi_turn=False)")
        fields.update(question_1=dialogue[0]["content"], question_2=dialogue[2]["content"])
    else:
        fields["question"] = dialogue[0]["content"]
    if ref:
        refs = problem["others"]["reference"]
        if len(refs) < (2 if multi_turn else 1):
            raise DataError(f"{where}: question {qid} ({problem['capability']}) has {len(refs)} reference "
                            f"answer(s); its judge needs one per turn")
        fields["ref_answer_1"] = refs[0]
        if multi_turn:
            fields["ref_answer_2"] = refs[1]
    try:
        return t["system_prompt"], t["prompt_template"].format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise DataError(f"{t.get('_where', where)}: judge prompt {name!r} is not a FastChat template "
                        f"({type(exc).__name__}: {exc})") from None


def mtbench_problems(root: Path) -> list[dict]:
    """OpenCompass's MT-Bench problems (``dialogue``, ``capability``, ``others``) from FastChat's files."""
    refs: dict = {}
    ref_path = root / "reference_answer" / "gpt-4.jsonl"
    if ref_path.is_file():
        for n, r in _lines(ref_path):
            where = f"{ref_path}:{n}"
            choices = _field(r, "choices", where, list)
            if not choices or not isinstance(choices[0], Mapping):
                raise DataError(f"{where}: 'choices' must list at least one {{'turns': [...]}}")
            refs[_field(r, "question_id", where)] = _field(choices[0], "turns", f"{where}: choices[0]", list)
    out = []
    path = root / "question.jsonl"
    for n, q in _lines(path):
        where = f"{path}:{n}"
        qid, category = _field(q, "question_id", where), str(_field(q, "category", where))
        turns = _field(q, "turns", where, list)
        if not turns or not all(isinstance(t, str) for t in turns):
            raise DataError(f"{where}: 'turns' must list the question's turns as strings")
        dialogue = []
        for turn in turns:
            dialogue += [{"role": "user", "content": turn}, {"role": "assistant", "content": ""}]
        others: dict[str, Any] = {"question_id": qid}
        ref = refs.get(qid) or q.get("reference")
        if ref:
            others["reference"] = list(ref) if isinstance(ref, (list, tuple)) else [ref]
        elif category in NEED_REF:
            raise DataError(f"{where}: question {qid} ({category}) has no reference answer; "
                            f"put FastChat's reference_answer/gpt-4.jsonl next to question.jsonl")
        out.append({"dialogue": dialogue, "capability": category, "others": others, "_where": where})
    return out


def mtbench_rows(root: Path, multi_turn: bool = True) -> list[dict]:
    """The rows ``MTBenchDataset.load`` makes."""
    templates = _fastchat_templates(root)
    rows = []
    for p in mtbench_problems(root):
        system, prompt = mtbench_judge_prompt(p, templates, multi_turn, p.pop("_where"))
        others = dict(p["others"])
        others["round"] = len(p["dialogue"]) // 2
        others["question"] = " ".join(m["content"] for m in p["dialogue"] if m["role"] == "user")
        rows.append({"dialogue": p["dialogue"], "capability": p["capability"], "system_prompt": system,
                     "prompt_template": prompt, "others": others,
                     "judge": {"capability": p["capability"], "others": others}})
    return rows


# ------------------------------------------------------------------ AlignBench rows
def align_config(folder: Path, name: str) -> dict:
    """AlignBench's ``config/<name>.json`` and the files it names: ``subcategory -> dimensions``
    and ``dimension -> definition``."""
    path = folder / f"{name}.json"
    if not path.is_file():
        raise DataMissing(f"{path} not found (AlignBench's config folder)")
    top = _json(path, "AlignBench's config")
    paths = _field(top, "Paths", str(path), dict) if isinstance(top, dict) else None
    if paths is None:
        raise DataError(f"{path}: expected a JSON object with 'Paths' (AlignBench's config)")

    def read(key: str) -> dict:
        rel = str(_field(paths, key, f"{path}: Paths"))
        # OpenCompass joins the path to the config folder; AlignBench's repository to its root
        for cand in (folder / rel, folder.parent / rel):
            if cand.is_file():
                got = _json(cand, f"AlignBench's {key}")
                if not isinstance(got, dict):
                    raise DataError(f"{cand}: AlignBench's {key} must be a JSON object")
                return got
        raise DataMissing(f"{path}: {key} {rel} not found under {folder} or {folder.parent}")

    return {"sets": read("dimension_set_filepath"), "defs": read("dimension_def_filepath"),
            "types": read("subcategory_mapping")}


def critiquellm_prefix(row: Mapping, config: Mapping) -> str:
    """OpenCompass's CritiqueLLM judge prompt for one AlignBench row (its ``critiquellm_prefix``).
    A subcategory the config does not map to dimensions is a :class:`DataError`."""
    sub = row["others"]["subcategory"]
    kind = config["types"].get(sub)
    dims = config["sets"].get(kind)
    if not isinstance(dims, list):
        raise DataError(f"subcategory {sub!r} has no dimensions in AlignBench's config "
                        + (f"(subcategory_mapping gives {kind!r}, which dimension_set does not list)" if kind
                           else "(subcategory_mapping does not list it)"))
    text = "".join(f"{i + 1}. {d}: {config['defs'].get(d)}\n" for i, d in enumerate(dims))
    values = {"category": row["capability"], "dimensions": text, "question": row["question"],
              "reference": row["others"]["reference"]}
    return re.sub(r"\{(category|dimensions|question|reference)\}", lambda m: str(values[m.group(1)]),
                  _prompts()["alignbench_critiquellm_prefix"])


def alignbench_rows(data_file: Path, config: Mapping | None) -> list[dict]:
    """The rows ``AlignmentBenchDataset.load`` makes from AlignBench's release jsonl."""
    rows = []
    for n, r in _lines(data_file):
        where = f"{data_file}:{n}"
        others = {"subcategory": _field(r, "subcategory", where), "reference": r.get("reference") or "",
                  "question_id": _field(r, "question_id", where)}
        question, category = _field(r, "question", where), _field(r, "category", where)
        row = {"question": question, "capability": category, "others": others,
               "judge": {"capability": category, "question": question, "others": others}}
        if config is not None:
            try:
                row["critiquellm_prefix"] = critiquellm_prefix(row, config)
            except DataError as exc:
                raise DataError(f"{where}: {exc}") from None
        row["ref"] = others["reference"]
        rows.append(row)
    return rows


ALIGN_FILES = {"alignment_bench_v1_1": "data/data_v1.1_release.jsonl", "alignment_bench": "data/data_release.jsonl"}


class SubjectiveLoader:
    """``load(data_dir) -> Rows`` of one ``MTBenchDataset`` / ``AlignmentBenchDataset`` config."""

    def __init__(self, d: Mapping, where: str):
        self.d, self.where = d, where
        self.reader = d.get("reader_cfg") or {}
        self._cache: tuple[str, Rows] | None = None

    @property
    def key(self) -> tuple:
        return ("opencompass_subjective", json.dumps(self.d, sort_keys=True, default=str))

    def _locate(self, path: str, data_dir: Path, need: str = "") -> Path:
        from compass_opencompass.datasets import locate

        return locate(path, data_dir, need)

    def _first(self) -> tuple[str, str]:
        """The config's ``path`` and the file under it the class reads first."""
        path = str(self.d.get("path", ""))
        if self.d["dataset_class"] == "MTBenchDataset":
            return path, "question.jsonl"
        name = str(self.d.get("name", "alignment_bench_v1_1"))
        rel = ALIGN_FILES.get(name)
        if rel is None:
            raise DataError(f"{self.where}: AlignmentBenchDataset name {name!r}: compass reads "
                            f"{', '.join(ALIGN_FILES)}")
        return path, rel

    def locate(self, data_dir) -> Path:
        """The exact file the class reads first. A miss is :class:`DataMissing` whose ``looked_for``
        is that file in OpenCompass's layout mapped to compass's (``mt_bench/question.jsonl``,
        ``alignbench/data/...``), so the recipe that writes it is fetched and hashed into the
        dataset's version."""
        path, need = self._first()
        if need == ALIGN_FILES["alignment_bench"]:  # AlignBench v1.0: no recipe writes it
            try:
                root = self._locate(path, Path(data_dir), need)
            except DataMissing:
                raise DataMissing(f"{self.where}: {self._v10_fix(Path(data_dir) / 'alignbench' / need)}") from None
        else:
            root = self._locate(path, Path(data_dir), need)
        return root / need if root.is_dir() else root

    @staticmethod
    def _v10_fix(data_file: Path) -> str:
        return (f"{data_file} not found; AlignBench v1.0 (data_release.jsonl) is not in compass's data: use "
                f"alignbench_v1_1_judgeby_critiquellm (name='alignment_bench_v1_1'), or put THUDM/AlignBench's "
                f"v1.0 data_release.jsonl at {data_file}")

    def __call__(self, data_dir) -> Rows:
        if self._cache is None or self._cache[0] != str(data_dir):
            self._cache = (str(data_dir), Rows(test=self._read(Path(data_dir)), fewshot=[]))
        return self._cache[1]

    def _read(self, data_dir: Path) -> list[dict]:
        from compass_opencompass.datasets import _cut

        try:
            rows = self._rows(data_dir)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            # what the checks above do not name: still one line, naming the dataset and the cause
            raise DataError(f"{self.where}: not the data OpenCompass's {self.d['dataset_class']} reads "
                            f"({type(exc).__name__}: {exc})") from None
        return [dict(r) for r in _cut(rows, self.reader.get("test_range"), f"{self.where}.reader_cfg.test_range")]

    def _rows(self, data_dir: Path) -> list[dict]:
        d = self.d
        path, rel = self._first()
        if d["dataset_class"] == "MTBenchDataset":
            return mtbench_rows(self._locate(path, data_dir, rel), bool(d.get("multi_turn", True)))
        root = self._locate(path, data_dir)
        data_file = root / rel
        if not data_file.is_file():
            name = str(d.get("name", "alignment_bench_v1_1"))
            oc_file = root / f"{name}.json"
            if oc_file.is_file():
                raise DataError(f"{self.where}: {oc_file} is OpenCompass's converted copy; compass reads "
                                f"AlignBench's own release file {data_file} (THUDM/AlignBench)")
            if rel == ALIGN_FILES["alignment_bench"]:
                raise DataMissing(f"{self.where}: {self._v10_fix(data_file)}")
            self.locate(data_dir)  # the DataMissing naming the file looked for, as `compass data` reads it
            raise DataMissing(f"{self.where}: {data_file} not found; put THUDM/AlignBench's {rel} there")
        config = None
        if d.get("alignment_bench_config_path"):
            name = str(d.get("alignment_bench_config_name") or "multi-dimension")
            config = align_config(self._locate(d["alignment_bench_config_path"], data_dir, f"{name}.json"), name)
        return alignbench_rows(data_file, config)


class SubjectiveTemplate:
    """The candidate's prompt: MT-Bench's first user turn (``ChatInferencer``: the later turns
    are asked in the evaluation task), AlignBench's ``infer_cfg`` prompt."""

    def __init__(self, d: Mapping):
        self.d = d
        self.infer = d.get("infer_cfg") or {}

    def render(self, row, examples=(), *, chat: bool):
        if self.d["dataset_class"] == "MTBenchDataset":
            first = row["dialogue"][0]["content"]
            return (Message("HUMAN", first),)
        from compass_opencompass import icl
        from compass_opencompass.raw_prompt import RawSpec, is_raw

        t = self.infer.get("prompt_template")
        if is_raw(t):
            return RawSpec(t, self.infer, "infer_cfg.prompt_template").render(row, chat=chat)
        spec = icl.from_config(self.infer, self.d.get("reader_cfg") or {})
        p = spec.gen(row, [])
        if not chat:
            return (Message("HUMAN", icl.base_text(p)),)
        return tuple(Message(_ROLE[m["role"]], m["content"]) for m in icl.chat_messages(p, mode="gen"))

    def describe(self) -> dict:
        return {"opencompass_infer_cfg": json.loads(json.dumps(self.infer, sort_keys=True, default=str))}


# ------------------------------------------------------------------ config -> subset
def _kind(d: Mapping) -> str:
    return "mtbench" if d["dataset_class"] == "MTBenchDataset" else "alignbench"


def subset(d: Mapping, where: str) -> Subset:
    infer = d.get("infer_cfg") or {}
    inf = infer.get("inferencer") or {}
    kind = _kind(d)
    if kind == "mtbench":
        if inf.get("type") != "ChatInferencer":
            raise CompassError(f"{where}.infer_cfg.inferencer: MTBenchDataset is answered turn by turn: compass runs "
                               f"it with ChatInferencer(infer_mode='every'), not {inf.get('type')}")
        if d.get("judge_type", "single") != "single":
            raise CompassError(f"{where}: MTBenchDataset judge_type={d.get('judge_type')!r} (model vs model) is not "
                               f"scored by compass's OpenCompass configs; use judge_type='single', or compass's "
                               f"mtbench with judge_mode='pairwise-baseline'")
    elif inf.get("type", "GenInferencer") != "GenInferencer":
        raise CompassError(f"{where}.infer_cfg.inferencer: compass runs AlignmentBenchDataset with GenInferencer, "
                           f"not {inf.get('type')}")
    ev = (d.get("eval_cfg") or {}).get("evaluator") or {}
    if ev.get("type") != "LMEvaluator":
        raise CompassError(f"{where}.eval_cfg.evaluator: compass scores {d['dataset_class']} with LMEvaluator, not "
                           f"{ev.get('type')}")
    post = (ev.get("dict_postprocessor") or {}).get("type")
    want = "mtbench_postprocess" if kind == "mtbench" else "alignbench_postprocess"
    if post and post != want:
        raise CompassError(f"{where}.eval_cfg.evaluator.dict_postprocessor: compass reads {d['dataset_class']}'s "
                           f"judgements with {want}, not {post}")
    w = f"{where}.eval_cfg.evaluator"
    judge_cfg = ev.get("judge_cfg") or {}
    kwargs = {"kind": kind, "template": judge._template(ev, w), "judge": judge.judge_model(judge_cfg, w),
              "input_columns": list((d.get("reader_cfg") or {}).get("input_columns") or []),
              "max_out_len": judge.out_len(inf.get("max_out_len"), f"{where}.infer_cfg.inferencer.max_out_len")}
    if inf.get("temperature"):
        judge._note(f"{d.get('abbr') or d['dataset_class']}: the inferencer's temperature={inf['temperature']} is not "
             f"applied; the model's own sampling settings answer every turn (set them on the model)")
    evaluator = "opencompass_subjective" if kwargs["judge"] else "opencompass_subjective_run"
    return Subset(d.get("abbr") or d["dataset_class"], SubjectiveLoader(d, where), SubjectiveTemplate(d), mode="gen",
                  gold="judge", max_out_len=kwargs["max_out_len"], evaluator=evaluator, evaluator_kwargs=kwargs)


# ------------------------------------------------------------------ reading the judge (OpenCompass's rules)
def mtbench_rating(reply: str) -> dict | None:
    """``post_process_mtbench``: the first ``Rating: [[n]]`` as ``{'score': n}``, else ``None``."""
    found = re.findall(r"Rating:\s*\[\[([\d.]+)\]\]", reply or "")
    if not found:
        return None
    try:
        return {"score": float(found[0])}
    except ValueError:
        return None


def mtbench_summary(judged: list[dict], capabilities: list[str]) -> dict:
    """``mtbench_postprocess``'s numbers: the mean score per capability and ``total``, 2 decimals."""
    if not judged:
        return {c: "" for c in MTBENCH_CATEGORIES}
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for ans, cap in zip(judged, capabilities):
        for key in ("total", cap):
            sums[key] += ans["score"]
            counts[key] += 1
    return {k: round(sums[k] / counts[k], 2) for k in sums}


def _missing_ratings(text: str, kind: str) -> dict:
    out: dict[str, Any] = {}
    for k in ALIGN_TYPES[kind]:
        out[k] = None
        for line in reversed(re.findall(rf"{k}.*?\n", text)):
            nums = re.findall(r"\d{1,2}", line)
            if nums:
                out[k] = int(nums[-1])
                break
    overall = re.findall(r"\d{1,2}", text)
    if not overall:
        return {}
    out["综合得分"] = int(overall[-1])
    return out


def _answer_type(text: str) -> str | None:
    if "清晰度" in text and "完备性" in text:
        return "事实与解释型回答"
    if "完备性" in text and "逻辑连贯性" in text:
        return "逻辑推理型回答"
    if "创造性" in text and "丰富度" in text:
        return "生成型回答"
    if "创造性" in text and "公平与可负责程度" in text:
        return "建议型回答"
    return None


def align_ratings(text: str) -> dict | None:
    """``extract_rating``: the last ``{...}``'s ``'key': n`` pairs; without braces, each of the
    answer type's dimensions from its last line with a number, the last number overall."""
    m = re.search(r"{(.*?)}(?![^{]*{)", text)
    if m:
        return {k: int(v) for k, v in re.findall(r"'(.*?)': (\d+)", m.group(1))}
    kind = _answer_type(text)
    return _missing_ratings(text, kind) if kind else None


def alignbench_rating(reply: str) -> dict | None:
    """``post_process_alignbench``: ``{'rating': dict, 'score': 综合得分}``, ``None`` when the
    dict, a dimension (0-10, known) or the score cannot be read."""
    text = reply or ""
    rating = align_ratings(text)
    if rating is None:
        return None
    score = rating.get("综合得分", -1)
    if score == -1:
        m = re.search(r"(综合得分): (\d+(\.\d{1,2})?)", text)
        try:  # OpenCompass reads group 1 (the key) here, so this fallback never yields a number
            score = float(m.group(1)) if m else -1
        except ValueError:
            score = -1
    if score is None or not 0 <= score <= 10:
        score = -1
    for k, v in rating.items():
        if not (isinstance(v, (int, float)) and k in ALIGN_DIMENSIONS and 0 <= v <= 10):
            return None
    if score == -1:
        return None
    return {"rating": rating, "score": score}


def alignbench_summary(judged: list[dict], capabilities: list[str]) -> dict:
    """``alignbench_postprocess``'s numbers: the mean per category, each group's mean of its
    categories (a category without judgements counts 0), ``总分`` their mean; 2 decimals."""
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for ans, cap in zip(judged, capabilities):
        sums[cap] += ans["score"]
        counts[cap] += 1
    out: dict[str, float] = {k: round(sums[k] / counts[k], 2) for k in sums}
    groups = []
    for group, cats in ALIGN_GROUPS.items():
        for c in cats:
            out.setdefault(c, 0.0)  # as OpenCompass's defaultdict: a category nobody judged is a 0
        out[group + "总分"] = round(sum(out[c] for c in cats) / len(cats), 2)
        groups.append(group + "总分")
    out["总分"] = round(sum(out[g] for g in groups) / len(groups), 2)
    return out


def alignbench_dimensions(judged: list[dict]) -> dict:
    """The mean of each rated dimension (``综合得分`` included), 2 decimals (OpenCompass's
    ``get_dimension_results``)."""
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for ans in judged:
        for k, v in ans["rating"].items():
            sums[k] += v
            counts[k] += 1
    return {k: round(sums[k] / counts[k], 2) for k in sums}


# ------------------------------------------------------------------ the evaluator
def judge_messages(template: Mapping, row: Mapping, input_columns: list, predictions: list[str]) -> tuple[Message, ...]:
    """The judge's prompt for one row, as OpenCompass's ``LMEvaluator`` renders it: the row's
    columns, then ``prediction`` (one turn) or ``prediction_r1``, ``prediction_r2``, … (a
    conversation), each replaced in that order; ``reference`` is blank."""
    entry = {k: row[k] for k in row if not str(k).startswith("_oc_")}
    if len(predictions) == 1 and "dialogue" not in row:
        return judge.judge_messages(template, entry, predictions[0], row.get("judge"))
    for i, p in enumerate(predictions):
        entry[f"prediction_r{i + 1}"] = p
    from compass_opencompass import icl

    t = icl.Template(template["template"], template.get("ice_token"), template.get("sep_token"))
    entry["reference"] = ""
    prompt = t.gen_prompt(entry, "reference", "")
    return tuple(Message(_ROLE[m["role"]], m["content"]) for m in icl.chat_messages(prompt, mode="gen"))


class SubjectiveJudge(JudgedByModel):
    """``opencompass_subjective``: OpenCompass's ``LMEvaluator`` on MT-Bench / AlignBench."""

    preflight_label = "OpenCompass's LMEvaluator (MT-Bench/AlignBench)"

    def __init__(self, kind: str, template: Mapping, judge: Mapping | None = None, input_columns: list | None = None,
                 max_out_len: int = 1024):
        self.kind, self.template = kind, dict(template)
        self.judge = dict(judge) if judge else None
        self.input_columns = list(input_columns or [])
        self.max_out_len = max_out_len

    def _later_turns(self, samples: list, context: Any) -> dict[int, list[str]]:
        """Each conversation's answers: turn 1 from inference, later turns asked here with the
        model's own earlier answers in the history (``infer_mode='every'``)."""
        answers = {s.index: [s.answer if isinstance(s.answer, str) else str(s.answer or "")] for s in samples}
        if self.kind != "mtbench":
            return answers
        cand = context.candidate
        model = context.model(cand["type"], **dict(cand["kwargs"]))
        gen = getattr(context, "generation", None) or {}
        users = {s.index: [m["content"] for m in s.row["dialogue"] if m["role"] == "user"] for s in samples}
        out_len = judge.out_len(gen.get("max_out_len"), "the run's generation max_out_len", self.max_out_len)
        for turn in range(1, max((len(u) for u in users.values()), default=1)):
            todo = [s for s in samples if len(users[s.index]) > turn and len(answers[s.index]) == turn]
            reqs = []
            for s in todo:
                msgs: list[Message] = []
                for q, a in zip(users[s.index][:turn], answers[s.index]):
                    msgs += [Message("HUMAN", q), Message("BOT", a)]
                msgs.append(Message("HUMAN", users[s.index][turn]))
                reqs.append(GenerateRequest(tuple(msgs), max_out_len=out_len, stop=tuple(gen.get("stop") or ())))
            for s, done in zip(todo, generate(model, reqs)):
                if not done.error:
                    answers[s.index].append(done.text or "")
        return {i: a for i, a in answers.items() if len(a) == len(users[i])}

    def score_samples(self, samples, context) -> Iterator[tuple[int, dict]]:
        todo = [s for s in samples if s.error is None]
        if not todo:
            return
        convs = self._later_turns(todo, context)
        model, max_out = self._judge_model(context)
        asked = [s for s in todo if s.index in convs]
        reqs = [GenerateRequest(judge_messages(self.template, s.row, self.input_columns, convs[s.index]),
                                max_out_len=max_out) for s in asked]
        for s, done in zip(asked, generate(model, reqs)):
            if done.error:
                continue  # not a verdict: left unevaluated, -r asks again
            read = mtbench_rating(done.text) if self.kind == "mtbench" else alignbench_rating(done.text)
            rec = {"capability": s.row["capability"], "judge_reply": done.text, "parsed": read,
                   "correct": read["score"] if read else None}
            if len(convs[s.index]) > 1:
                rec["turn_predictions"] = convs[s.index]
            yield s.index, rec

    def aggregate(self, records: Mapping, context) -> dict:
        recs = [records[k] for k in sorted(records)]
        judged = [r["parsed"] for r in recs if r.get("parsed")]
        caps = [r["capability"] for r in recs if r.get("parsed")]
        if self.kind == "mtbench":
            summary = mtbench_summary(judged, caps)
            order = [c for c in MTBENCH_CATEGORIES if c in summary]
        else:
            summary = alignbench_summary(judged, caps)
            dims = alignbench_dimensions(judged)
            summary.update({f"dimension:{k}": v for k, v in dims.items()})
            order = ["总分", *[g + "总分" for g in ALIGN_GROUPS], *sorted(k for k in summary if not k.endswith("总分"))]
        out = {k: float(summary[k]) for k in order if summary.get(k) != ""}
        out["notes"] = [f"{len(judged)} of {len(recs)} judgements read by OpenCompass's "
                        f"{'mtbench' if self.kind == 'mtbench' else 'alignbench'}_postprocess "
                        f"({len(recs) - len(judged)} unparseable, left out as OpenCompass does); scores on "
                        f"OpenCompass's 1-10 scale"]
        return out


class SubjectiveJudgeRun(SubjectiveJudge):
    """``opencompass_subjective_run``: the same, judged by the run's judge (empty judge_cfg)."""

    needs_run_judge = True


# ------------------------------------------------------------------ top-level judge_models
def judge_models_setting(namespace: Mapping, out: dict, where: str) -> None:
    """OpenCompass's ``judge_models`` (top level, or ``eval.partitioner.judge_models``) as the
    run's judge (``eval_settings.judge``), below ``--judge`` and a config's own
    ``eval_settings.judge``, above ``OC_JUDGE_*``. Only the first judges (a note says so)."""
    from compass_opencompass.judge import judge_model
    from compass_opencompass.translate import note

    ev = namespace.get("eval") if isinstance(namespace.get("eval"), Mapping) else {}
    part = ev.get("partitioner") if isinstance(ev.get("partitioner"), Mapping) else {}
    given = namespace.get("judge_models") or part.get("judge_models")
    if not given:
        return
    given = list(given) if isinstance(given, (list, tuple)) else [given]
    key = "judge_models" if namespace.get("judge_models") else "eval.partitioner.judge_models"
    if not all(isinstance(m, Mapping) for m in given):
        raise CompassError(f"{where}: {key} must list model dicts (like models = [...])")
    settings = out.setdefault("eval_settings", {})
    if settings.get("judge"):
        return
    settings["judge"] = judge_model(given[0], f"{where}: {key}[0]", check=False)  # checked by preflight
    if len(given) > 1:
        note(f"{where}: {key}: compass judges with the first of the {len(given)} judge models "
             f"({given[0].get('abbr') or given[0].get('path')}); OpenCompass runs each")
