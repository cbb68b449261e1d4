"""GAOKAO-Bench (Zhang et al. 2023), objective questions: 14 papers, 1,781 question records.

Layouts: ``<data>/gaokao/Data/Objective_Questions/<paper>.json`` with the benchmark's prompts
in ``<data>/gaokao/Bench/Obj_Prompt.json`` (the official repository's folders), or the same
under ``<data>/GAOKAO-BENCH/`` or ``<data>/GaokaoBench/``. A paper file is ``{"keywords",
"example": [{"year", "category", "question", "answer": [letters], "analysis", "index",
"score"}]}``; a prompt entry ``{"type", "keyword", "prefix_prompt"}``.

Prompt: the paper's own ``prefix_prompt`` followed by the question (zero-shot, as the
benchmark runs it): the model reasons and writes ``【答案】 X <eoa>``. Scoring in exam points
by the ``gaokao`` evaluator (multi-question records, physics partial credit; see
``compass_metrics.gaokao``). Rows: one per paper (``gaokao-<paper>``), the subjects that
span several papers (``gaokao-english``, ``gaokao-math``, ``gaokao-chinese``) and ``gaokao``
— weighted by each paper's points, as the benchmark totals its scoring rate.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, Group, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_json

#: paper: (subject, points in the whole paper file)
PAPERS = {
    "2010-2022_Math_II_MCQs": ("math", 1090), "2010-2022_Math_I_MCQs": ("math", 1070),
    "2010-2022_History_MCQs": ("history", 1148), "2010-2022_Biology_MCQs": ("biology", 900),
    "2010-2022_Political_Science_MCQs": ("politics", 1280), "2010-2022_Physics_MCQs": ("physics", 384),
    "2010-2022_Chemistry_MCQs": ("chemistry", 744), "2010-2013_English_MCQs": ("english", 105),
    "2010-2022_Chinese_Modern_Lit": ("chinese", 261), "2010-2022_English_Fill_in_Blanks": ("english", 900),
    "2012-2022_English_Cloze_Test": ("english", 260), "2010-2022_Geography_MCQs": ("geography", 380),
    "2010-2022_English_Reading_Comp": ("english", 940), "2010-2022_Chinese_Lang_and_Usage_MCQs": ("chinese", 240),
}
ROOTS = ("gaokao", "GAOKAO-BENCH", "GaokaoBench", "GAOKAO-Bench")
TYPES = ("single_choice", "multi_choice", "multi_question_choice", "five_out_of_seven")
MAX_OUT_LEN = 1024


def read_prompts(path: Path) -> dict[str, tuple[str, str]]:
    """``Obj_Prompt.json`` as ``{paper: (type, prefix_prompt)}``."""
    doc = read_json(path)
    entries = doc.get("examples") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise DataError(f"{path}:1: expected an object with an 'examples' list")
    out = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("type") not in TYPES or not isinstance(e.get("prefix_prompt"), str):
            raise DataError(f"{path}:1: prompt {i} needs 'keyword', a 'type' of {', '.join(TYPES)} "
                            "and a 'prefix_prompt'")
        out[str(e.get("keyword"))] = (e["type"], e["prefix_prompt"])
    return out


class GaokaoLoader(CachedLoader):
    """One paper's records: ``question`` (stripped, as the benchmark sends it), ``answer``
    (the list of gold letters), ``score`` (points per sub-answer), ``year``, ``type`` and
    ``prefix`` (the paper's prompt)."""

    def __init__(self, paper: str):
        super().__init__()
        self.paper = paper

    @property
    def key(self) -> tuple:
        return ("gaokao", self.paper)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), [f"{r}/Data/Objective_Questions/{self.paper}.json" for r in ROOTS],
                    name="gaokao", what=f"GAOKAO-Bench paper {self.paper}")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        prompts_path = path.parent.parent.parent / "Bench" / "Obj_Prompt.json"
        if not prompts_path.exists():
            raise DataError(f"{path}: the benchmark's prompts are missing: looked for {prompts_path} "
                            "(Bench/Obj_Prompt.json of GAOKAO-Bench)")
        prompts = read_prompts(prompts_path)
        if self.paper not in prompts:
            raise DataError(f"{prompts_path}:1: no prompt for {self.paper}")
        kind, prefix = prompts[self.paper]
        doc = read_json(path)
        records = doc.get("example") if isinstance(doc, dict) else None
        if not isinstance(records, list):
            raise DataError(f"{path}:1: expected an object with an 'example' list")
        rows = []
        for i, rec in enumerate(records):
            answer = rec.get("answer") if isinstance(rec, dict) else None
            if not isinstance(answer, list) or not answer or not isinstance(rec.get("question"), str):
                raise DataError(f"{path}:1: record {i} needs a 'question' and a non-empty 'answer' list")
            try:
                score = float(rec.get("score") or 0)
            except (TypeError, ValueError):
                raise DataError(f"{path}:1: record {i}: 'score' {rec.get('score')!r} is not a number") from None
            rows.append({"question": rec["question"].strip(), "answer": [str(a).strip() for a in answer],
                         "score": score, "year": str(rec.get("year", "")), "type": kind, "prefix": prefix,
                         "index": str(rec.get("index", i))})
        return Rows(test=rows)


def build(name: str, papers=None, max_out_len: int | None = None) -> Benchmark:
    chosen = (papers,) if isinstance(papers, str) else tuple(papers or PAPERS)
    unknown = [p for p in chosen if p not in PAPERS]
    if unknown:
        raise CompassError(f"{name}: unknown GAOKAO-Bench paper(s) {', '.join(unknown)}; "
                           f"choose from {', '.join(PAPERS)}")
    subsets = tuple(Subset(f"gaokao-{p}", GaokaoLoader(p), PromptTemplate(human="{prefix}{question}\n"),
                           mode="gen", gold="answer", max_out_len=int(max_out_len or MAX_OUT_LEN),
                           evaluator="gaokao")
                    for p in chosen)
    groups = []
    for subject in ("english", "math", "chinese"):
        members = tuple(f"gaokao-{p}" for p in chosen if PAPERS[p][0] == subject)
        if len(members) > 1:
            groups.append(Group(f"gaokao-{subject}", members,
                                weights=tuple((m, float(PAPERS[m[len('gaokao-'):]][1])) for m in members)))
    groups.append(Group("gaokao", tuple(s.name for s in subsets),
                        weights=tuple((f"gaokao-{p}", float(PAPERS[p][1])) for p in chosen)))
    return Benchmark(name, subsets, tuple(groups))


def gaokao(papers=None, max_out_len: int | None = None) -> Benchmark:
    """GAOKAO-Bench objective questions (14 papers); ``papers=[...]`` picks some."""
    return build("gaokao", papers, max_out_len)


def gaokao_gen(papers=None, max_out_len: int | None = None) -> Benchmark:
    return build("gaokao_gen", papers, max_out_len)
