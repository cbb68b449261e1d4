"""OpenCompass's pairwise subjective datasets: ``ArenaHardDataset``, ``AlpacaEvalDataset``, ``SubjectiveCmpDataset``.

Such a config (``configs/datasets/subjective/arena_hard/arena_hard_compare*.py``,
``alpaca_eval/alpacav2_judgeby_gpt4*.py``) has the model answer ``{question}``, then an
``LMEvaluator`` whose judge compares that answer with a baseline's (``mode='m2n'``,
``base_models``; the baseline's answers shipped with the data: ``given_pred``). Here:

* rows: OpenCompass's own files (``<path>/<name>.jsonl`` / ``.json``, the baseline's
  ``<given_pred path>/<name>.json`` predictions) or compass's copies of the upstream data
  (``arena_hard/arena-hard-v0.1/question.jsonl`` + ``model_answer/gpt-4-0314.jsonl``;
  ``alpaca_eval/results/gpt4_1106_preview/model_outputs.json``: the instructions, their
  ``dataset`` as the capability, the ``gpt4-turbo`` baseline's outputs);
* judge prompt: the evaluator's ``prompt_template`` filled as ``LMEvaluator`` fills it (the row,
  ``prediction`` = the answer in position A, ``prediction2`` = position B, their word counts,
  ``obj_gold``), made into messages as OpenCompass's API judge receives them;
* order (``infer_order``): ``double`` judges both orders (A = baseline first), none the
  baseline first; ``random`` shuffles each row's pair with Python's ``random`` seeded 666 once per model, row by
  row, as ``order_preds_and_record_references`` does;
* score: Arena-Hard (``arenahard_postprocess`` / ``ArenaHardSummarizer``): the first
  ``[[A>>B]]``-style label, a strong verdict weighing 3, the model's win rate against the
  baseline from the Bradley-Terry fit of its battles (with two players its MLE is the share of
  won battles, a tie half), and the summarizer's 95% bootstrap interval (numpy seeded 42,
  100 rounds); AlpacaEval (``alpacaeval_postprocess`` / ``AlpacaSummarizer``): the reply's
  first character ``m``/``M`` names the winner, ``total`` and per-capability win rates.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from compass.sdk import CompassError, DataError, DataMissing, GenerateRequest, Message
from compass_opencompass.icl import MESSAGE_ROLES
from compass_opencompass.judge import JudgedByModel, _note
from compass_opencompass.qa_sets import read_jsonl

CLASSES_ARENA = ("ArenaHardDataset",)
CLASSES_ALPACA = ("AlpacaEvalDataset", "SubjectiveCmpDataset")
#: OpenCompass's baseline abbrs -> the name of that model's answers in compass's copies of the data
ALIASES = {"gpt4-0314": "gpt-4-0314", "gpt4-turbo": "gpt4_1106_preview"}
#: how each scoring config names its reading: dict_postprocessor types and summarizer types
ARENA_NAMES = ("arenahard_postprocess", "arenahard", "ArenaHardSummarizer")
ALPACA_NAMES = ("alpacaeval_postprocess", "alpacaeval", "AlpacaSummarizer")
BRADLEY_TERRY = ("arenahard_bradleyterry_postprocess", "alpacaeval_bradleyterry_postprocess",
                 "arenahard_bradleyterry", "alpacaeval_bradleyterry")
SEED = 666  # order_preds_and_record_references' seed
WEIGHT = 3  # a strong Arena-Hard verdict counts three battles
_BASE = "_oc_base"  # the baseline's answer, in each row
_LABEL = re.compile(r"\[\[([AB<>=]+)\]\]")
#: the data dir each OpenCompass-layout file was found in (by :func:`locate`, just before its rows are read)
_DATA_DIRS: dict[str, Path] = {}


def is_pairwise(d: Mapping) -> bool:
    """A dataset config whose LMEvaluator compares two answers (OpenCompass's ``m2n``/``allpair`` modes)."""
    return d.get("mode") in ("m2n", "allpair") or bool(d.get("base_models")) or d.get("dataset_class") in (
        *CLASSES_ARENA, *CLASSES_ALPACA)


# ------------------------------------------------------------------ files
def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None


def _base(d: Mapping, where: str) -> tuple[str, str]:
    """The baseline's abbr and its ``given_pred`` path."""
    bases = d.get("base_models") or []
    bases = [bases] if isinstance(bases, Mapping) else list(bases)
    if len(bases) != 1 or not isinstance(bases[0], Mapping) or not bases[0].get("abbr"):
        raise CompassError(f"{where}.base_models: compass compares each model with one baseline (a dict with its "
                           f"abbr); got {bases!r}"[:300])
    abbr = str(bases[0]["abbr"])
    given = [g for g in d.get("given_pred") or [] if isinstance(g, Mapping) and g.get("abbr") == abbr]
    if not given:
        raise CompassError(f"{where}.given_pred: the baseline {abbr} has no given_pred entry; compass judges against "
                           f"a baseline whose answers ship with the data: add given_pred=[dict(abbr='{abbr}', "
                           f"path=...)]")
    return abbr, str(given[0].get("path", ""))


def _under(path: str, data_dir: Path) -> list[Path]:
    from compass_opencompass.datasets import _candidates

    out = []
    for c in _candidates(path):
        p = Path(c).expanduser()
        out.append(p if p.is_absolute() else data_dir / p)
    return out


def locate(d: Mapping, data_dir: Path) -> Path:
    """The file the class reads first: OpenCompass's ``<path>/<name>.jsonl|json``, else compass's copy."""
    cls, name = d.get("dataset_class"), str(d.get("name", ""))
    ext = ".jsonl" if cls in CLASSES_ARENA else ".json"
    tried = []
    for folder in _under(str(d.get("path", "")), Path(data_dir)):
        tried.append(folder / f"{name}{ext}")
        if tried[-1].is_file():
            _DATA_DIRS[str(tried[-1])] = Path(data_dir)  # where _given stops looking for the baseline's answers
            return tried[-1]
    abbr, _ = _base(d, "OpenCompass dataset")
    own = ALIASES.get(abbr, abbr)
    found = (Path(data_dir) / "arena_hard" / "arena-hard-v0.1" / "question.jsonl" if cls in CLASSES_ARENA
             else Path(data_dir) / "alpaca_eval" / "results" / own / "model_outputs.json")
    if found.is_file():
        return found
    exc = DataMissing(f"OpenCompass {cls} {name}: looked for {tried[0]} (OpenCompass's layout) and {found} "
                      f"(compass's copy: compass data fetch {'arena_hard' if cls in CLASSES_ARENA else 'alpaca_eval'})")
    exc.looked_for = found
    raise exc


def _tops(first: Path) -> list[Path]:
    """The folders ``given_pred``'s path is read against: those above the dataset's file, up to the
    data dir it was found in (its folder only where that is not known)."""
    stop = _DATA_DIRS.get(str(first))
    if stop is None or stop not in first.parents:
        return [first.parent]
    tops = []
    for top in first.parents:
        tops.append(top)
        if top == stop:
            return tops
    return tops


def _given(first: Path, name: str, abbr: str, path: str) -> list[str]:
    """The baseline's answers in OpenCompass's prediction format (``<given path>/<name>.json``),
    the path read against each folder above the dataset's file up to the data dir."""
    tops = _tops(first)
    for top in tops:
        for folder in _under(path, top):
            f = folder / f"{name}.json"
            if f.is_file():
                preds = _read_json(f)
                try:
                    return [preds[str(i)]["prediction"] for i in range(len(preds))]
                except (KeyError, TypeError):
                    raise DataError(f"{f}: not OpenCompass's predictions ({{\"0\": {{\"prediction\": ...}}, ...}})") \
                        from None
    raise DataMissing(f"the baseline {abbr}'s answers: {path}/{name}.json (given_pred) not found under "
                      f"{tops[-1]}; put OpenCompass's {name}.json of {abbr} there")


def _attach(rows: list[dict], answers: list[str], where: Path, abbr: str) -> list[dict]:
    if len(answers) < len(rows):
        raise DataError(f"{where}: the baseline {abbr} has {len(answers)} answers for {len(rows)} questions")
    for r, a in zip(rows, answers):
        r[_BASE] = a
    return rows


def arena_hard(first: Path, name: str = "arenahard", base_models: Any = None, given_pred: Any = None,
               **_: Any) -> list[dict]:
    """``ArenaHardDataset``'s rows (question, capability = cluster, judge) with the baseline's answer."""
    abbr, given = _base({"base_models": base_models, "given_pred": given_pred}, str(first))
    rows, ids = [], []
    for p in read_jsonl(first):
        q = p["turns"][0]["content"]
        rows.append({"question": q, "capability": p["cluster"],
                     "judge": {"capability": p["cluster"], "question": q, "question_id": p["question_id"]}})
        ids.append(p["question_id"])
    if first.name == "question.jsonl":  # compass's copy: model_answer/<baseline>.jsonl, by question_id
        f = first.parent / "model_answer" / f"{ALIASES.get(abbr, abbr)}.jsonl"
        by_id = {a["question_id"]: a["choices"][0]["turns"][0]["content"] for a in read_jsonl(f)}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise DataError(f"{f}: no answer for question {missing[0]} ({len(missing)} missing)")
        return _attach(rows, [by_id[i] for i in ids], f, abbr)
    return _attach(rows, _given(first, name, abbr, given), first, abbr)


def alpaca(first: Path, name: str = "alpaca_eval", base_models: Any = None, given_pred: Any = None,
           **_: Any) -> list[dict]:
    """``AlpacaEvalDataset`` / ``SubjectiveCmpDataset``'s rows (question, capability, others, judge)."""
    abbr, given = _base({"base_models": base_models, "given_pred": given_pred}, str(first))
    data = _read_json(first)
    if not isinstance(data, list):
        raise DataError(f"{first}: expected a JSON list of questions")
    if first.name == "model_outputs.json":  # AlpacaEval's own file: the baseline's outputs, instruction by instruction
        rows = [{"question": p["instruction"], "capability": p["dataset"], "others": {},
                 "judge": {"capability": p["dataset"], "question": p["instruction"]}} for p in data]
        return _attach(rows, [p["output"] for p in data], first, abbr)
    rows = [{"question": p["question"], "capability": p["capability"], "others": p["others"],
             "judge": {"capability": p["capability"], "question": p["question"]}} for p in data]
    return _attach(rows, _given(first, name, abbr, given), first, abbr)


CLASSES: dict[str, Callable[..., Any]] = {"ArenaHardDataset": arena_hard, "AlpacaEvalDataset": alpaca,
                                          "SubjectiveCmpDataset": alpaca}
LOCATORS: dict[str, Callable[[Mapping, Path], Path]] = {c: locate for c in CLASSES}


# ------------------------------------------------------------------ config -> scoring
def _kind(ev: Mapping, d: Mapping, where: str) -> str:
    post = (ev.get("dict_postprocessor") or {}).get("type")
    summ = (d.get("summarizer") or {}).get("type") if isinstance(d.get("summarizer"), Mapping) else None
    for name in (post, summ):
        if name in BRADLEY_TERRY:
            _note(f"{where}: {name} (OpenCompass's Bradley-Terry leaderboard with style features) is not computed by "
                  f"compass; the win rate against the baseline is reported instead", once=name)
            continue
        if name in ARENA_NAMES:
            return "arenahard"
        if name in ALPACA_NAMES:
            if summ == "AlpacaSummarizer" and (d.get("summarizer") or {}).get("judge_type", "v2") != "v2":
                raise CompassError(f"{where}.summarizer: compass reads AlpacaEval's judge_type='v2' verdicts (m/M), "
                                   f"not {d['summarizer'].get('judge_type')!r}")
            return "alpaca"
        if name is not None and name not in BRADLEY_TERRY:
            raise CompassError(f"{where}: compass reads pairwise verdicts as {', '.join(ARENA_NAMES[:1] + ALPACA_NAMES[:1])}"
                               f" do, not as {name}")
    return "arenahard" if d.get("dataset_class") in CLASSES_ARENA else "alpaca"


def scoring(ev: Mapping, d: Mapping, where: str) -> dict:
    """``LMEvaluator`` on a pairwise dataset -> compass's ``opencompass_pairwise`` evaluator."""
    w = f"{where}.eval_cfg.evaluator"
    cls = d.get("dataset_class")
    if cls not in CLASSES:
        raise CompassError(f"{where}: compass runs pairwise LMEvaluator configs on {', '.join(CLASSES)}, not {cls}")
    if d.get("mode", "m2n") != "m2n":
        raise CompassError(f"{where}.mode: compass runs mode='m2n' (each model against the baseline), not "
                           f"{d.get('mode')!r}")
    given = d.get("infer_order")
    if given not in ("random", "double", None):
        raise CompassError(f"{where}.infer_order: 'random', 'double' or none (the baseline first), not {given!r}")
    order = given or "fixed"  # none given: OpenCompass judges the pair as listed, baseline first
    from compass_opencompass import judge

    abbr, _ = _base(d, where)
    judge_cfg = ev.get("judge_cfg") or {}
    kwargs = {"template": judge._template(ev, w), "judge": judge.judge_model(judge_cfg, w),
              "pred_post": judge._postprocessor(ev.get("pred_postprocessor"), f"{w}.pred_postprocessor"),
              "judge_post": judge._postprocessor(judge_cfg.get("pred_postprocessor"),
                                                 f"{w}.judge_cfg.pred_postprocessor"),
              "order": order, "kind": _kind(ev, d, w), "base": abbr, "meta": judge_cfg.get("meta_template")}
    return {"evaluator": "opencompass_pairwise" if kwargs["judge"] else "opencompass_pairwise_run",
            "evaluator_kwargs": kwargs}


def dispatch(single: Callable[[Mapping, Mapping, str], dict]) -> Callable[[Mapping, Mapping, str], dict]:
    """``LMEvaluator``: the pairwise reading on a pairwise dataset, ``single`` (the one-answer builder) otherwise."""
    def build(ev: Mapping, d: Mapping, where: str) -> dict:
        return scoring(ev, d, where) if is_pairwise(d) else single(ev, d, where)

    return build


# ------------------------------------------------------------------ orders and prompts
def orders(n: int, order: str) -> list[list[bool]]:
    """Per row, the games to judge: ``True`` = the baseline in position A. ``random``: OpenCompass's
    shuffle of ``[baseline, model]`` with ``random.seed(666)`` set once, row after row; ``double``:
    both; ``fixed`` (a config without ``infer_order``): the baseline first."""
    if order == "double":
        return [[True, False] for _ in range(n)]
    if order == "fixed":  # no infer_order: the pair as the partitioner lists it, (baseline, model)
        return [[True] for _ in range(n)]
    rng = random.Random(SEED)
    out = []
    for _ in range(n):
        pair = [True, False]
        rng.shuffle(pair)
        out.append([pair[0]])
    return out


def english_words(text: str) -> int:
    return len(re.findall(r"\b[a-zA-Z]+\b", text))


def chinese_characters(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def judge_messages(template: Mapping, row: Mapping, first: str, second: str, reference: Mapping,
                   meta: Mapping | None = None) -> tuple[Message, ...]:
    """The judge's prompt for one game: the entry in the column order ``LMEvaluator`` builds it,
    made into what an API judge is sent — with no ``meta_template`` (OpenCompass's API models'
    default) one user message of the turns joined by ``"\\n"``, else the meta template's turns."""
    from compass_opencompass import icl
    from compass_opencompass.raw_prompt import RawSpec, is_raw

    entry = {k: v for k, v in row.items() if not str(k).startswith("_oc_")}
    entry.update(prediction=first, obj_gold=reference, prediction_en_word_count=english_words(first),
                 prediction_cn_word_count=chinese_characters(first), prediction2=second,
                 prediction2_en_word_count=english_words(second), prediction2_cn_word_count=chinese_characters(second),
                 reference=reference)
    if is_raw(template):  # a RawPromptTemplate: the judge's messages as written
        return RawSpec(template, {}, "the judge's prompt_template").render({**entry, "reference": ""}, chat=True)
    t = icl.Template(template["template"], template.get("ice_token"), template.get("sep_token"))
    prompt = t.gen_prompt(entry, "reference", "")
    if not meta:
        return (Message("HUMAN", icl.base_text(prompt)),)
    return tuple(Message(_ROLE[m["role"]], m["content"]) for m in icl.chat_messages(prompt, meta, mode="gen"))


_ROLE = MESSAGE_ROLES


def games_in_order(rows: list[Mapping], answers: list[str], settings: Mapping, model: str = "model") -> list[dict]:
    """Every game of ``answers`` (one per row) against the rows' baseline, in the order OpenCompass's
    ``LMEvaluator`` judges them (every row's first game, then with ``double`` every row's second):
    ``{"row", "base_first", "capability", "messages"}``. ``settings``: the evaluator's (template,
    order, base, meta). For checks against OpenCompass (tests, ``bench/opencompass_pairwise_check.py``)."""
    per_row = orders(len(rows), settings["order"])
    rounds: list[list[dict]] = [[], []]
    for i, row in enumerate(rows):
        for k, base_first in enumerate(per_row[i]):
            a, b = (row[_BASE], answers[i]) if base_first else (answers[i], row[_BASE])
            names = (settings["base"], model) if base_first else (model, settings["base"])
            ref = {**row["judge"], "answer1": names[0], "answer2": names[1], "base_models": [settings["base"]]}
            msgs = judge_messages(settings["template"], row, a, b, ref, settings.get("meta"))
            rounds[k].append({"row": i, "base_first": base_first, "capability": row["capability"],
                              "messages": [{"role": {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}[m.role],
                                            "content": m.content} for m in msgs]})
    return rounds[0] + rounds[1]


def arena_label(reply: str) -> str | None:
    """``post_process_arenahard``: the first ``[[...]]`` label of A, B, <, >, =."""
    found = _LABEL.findall(reply or "")
    return found[0] if found else None


def alpaca_rank(reply: str) -> int | None:
    """``post_process_alpacav2``: 1 when the reply starts with ``m`` (position A won), 2 with ``M``."""
    return {"m": 1, "M": 2}.get((reply or "")[:1])


# ------------------------------------------------------------------ scores
#: the Arena-Hard labels that are a verdict: ``label -> (winner's position or tie, battles)``
WINNERS = {"A=B": ("tie", 1), "A>B": ("a", 1), "A>>B": ("a", WEIGHT), "B>A": ("b", 1), "B>>A": ("b", WEIGHT)}


def battles(games: list[dict], model: str = "model", base: str = "gpt4-0314") -> list[tuple[str, str, str]]:
    """Each game's battles ``(model_a, model_b, winner)``, a strong verdict three times, as
    ``get_battles_from_judgment`` makes them (``winner``: ``model_a``, ``model_b`` or ``tie``)."""
    out = []
    for g in games:
        label = arena_label(g.get("reply", ""))
        if label not in WINNERS:
            continue
        side, weight = WINNERS[label]
        pair = (base, model) if g["base_first"] else (model, base)
        out.extend([(*pair, {"tie": "tie", "a": "model_a", "b": "model_b"}[side])] * weight)
    return out


def sklearn_at_least(version: str, want: tuple[int, int]) -> bool:
    """Whether a scikit-learn version string (``'1.8.0'``, ``'1.8rc1'``, ``'1.10.dev0'``) is ``want`` or later."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version).release[:2] >= want
    except InvalidVersion:
        raise CompassError(f"scikit-learn reports version {version!r}, which is not a version number") from None


def _logistic():
    """scikit-learn's unpenalised LogisticRegression as ``compute_mle_elo`` sets it up (tol 1e-8),
    spelled for the installed version; ``None`` without scikit-learn."""
    try:
        import sklearn
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    if sklearn_at_least(sklearn.__version__, (1, 8)):
        return LogisticRegression(fit_intercept=False, C=math.inf, tol=1e-8)
    return LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)


def mle_elo(rows: list[tuple[str, str, str]], anchor: str = "gpt4-0314") -> dict[str, float]:
    """``compute_mle_elo``: the Bradley-Terry fit of the battles (each twice, a tie once a win for
    each side) on the Elo scale, ``anchor`` at 1000. Without scikit-learn, the fit's closed form
    for two players (the share of won battles)."""
    import numpy as np

    names = list(dict.fromkeys([r[0] for r in rows] + [r[1] for r in rows]))
    col = {m: i for i, m in enumerate(names)}
    n = len(rows)
    x = np.zeros([2 * n, len(names)])
    y = np.zeros(2 * n)
    for i, (a, b, winner) in enumerate(rows + rows):
        x[i, col[a]], x[i, col[b]] = math.log(10), -math.log(10)
        y[i] = 1.0 if winner == "model_a" or (winner == "tie" and i < n) else 0.0
    fit = _logistic()
    if fit is not None and len(set(y.tolist())) > 1:
        fit.fit(x, y)
        elo = 400 * fit.coef_[0] + 1000
    elif len(names) == 2:  # two players: p = the first's share of the (doubled) wins
        first = sum(1 for (a, _, _), v in zip(rows + rows, y) if (a == names[0]) == bool(v)) / (2 * n)
        first = min(max(first, 1e-12), 1 - 1e-12)
        diff = 200 * math.log10(first / (1 - first))
        elo = np.array([1000 + diff, 1000 - diff])
    else:
        raise CompassError("Arena-Hard's Bradley-Terry fit needs scikit-learn: pip install 'compass-eval[judge]'")
    if anchor in col:
        elo = elo + 1000 - elo[col[anchor]]
    return dict(zip(names, (float(v) for v in elo)))


def _win_rate(ratings: Mapping[str, float], model: str, base: str) -> float:
    """``predict_win_rate`` read at the baseline's column, as a percentage rounded to 2 places."""
    names = list(ratings)
    wins: dict = defaultdict(dict)
    for a in names:
        for b in names:
            ea = 1 / (1 + 10 ** ((ratings[b] - ratings[a]) / 400))
            wins[a][b], wins[b][a] = ea, 1 - ea
    return round(wins[model][base] * 100, 2)


def arena_score(rows: list[tuple[str, str, str]], model: str = "model", base: str = "gpt4-0314",
                rounds: int = 100, seed: int = 42) -> dict:
    """The model's Arena-Hard score against the baseline (``arenahard_postprocess``: the fit's
    ratings, best first, read as a win rate), and ``ArenaHardSummarizer``'s 95% interval:
    ``rounds`` fits on battles drawn with replacement (numpy's legacy generator seeded ``seed``),
    each side's 2.5th / 97.5th percentile rating read as a win rate."""
    import numpy as np

    if not rows:
        return {"score": 0.0}
    ratings = mle_elo(rows)
    best_first = dict(sorted(ratings.items(), key=lambda kv: -kv[1]))
    rng = np.random.RandomState(seed)
    n = len(rows)
    boot = [mle_elo([rows[i] for i in rng.randint(0, n, size=n)]) for _ in range(rounds)]
    out = {"score": _win_rate(best_first, model, base)}
    for key, q in (("lower", 2.5), ("upper", 97.5)):
        pct = {m: float(np.percentile([b.get(m, math.nan) for b in boot], q)) for m in sorted(ratings)}
        out[key] = _win_rate(pct, model, base)
    return out


def alpaca_score(games: list[dict]) -> dict:
    """``total`` and per-capability win rates of the model (a reply without ``m``/``M`` is left out)."""
    count: dict[str, float] = defaultdict(float)
    wins: dict[str, float] = defaultdict(float)
    for g in games:
        rank = alpaca_rank(g.get("reply", ""))
        if rank is None:
            continue
        for key in ("total", g["capability"]):
            count[key] += 1
            if (rank == 1) != bool(g["base_first"]):  # position A won and the model was A, or B and B
                wins[key] += 1
    return {k: round(wins[k] / count[k] * 100, 2) if wins.get(k) else 0.0 for k in count}


# ------------------------------------------------------------------ the evaluator
class PairwiseJudge(JudgedByModel):
    """``opencompass_pairwise``: OpenCompass's pairwise LMEvaluator (the judge from the config's judge_cfg)."""

    preflight_label = "OpenCompass's pairwise judge (LMEvaluator)"

    def __init__(self, template: Mapping, judge: Mapping | None = None, pred_post: list | None = None,
                 judge_post: list | None = None, order: str = "random", kind: str = "arenahard",
                 base: str = "gpt4-0314", meta: Mapping | None = None):
        self.template, self.judge = dict(template), dict(judge) if judge else None
        self.meta = dict(meta) if meta else None
        self.pred_post, self.judge_post = pred_post, judge_post
        self.order, self.kind, self.base = order, kind, base

    def evaluation_key(self, context: Any) -> list:
        return [*super().evaluation_key(context), self.order, self.kind]

    def score_samples(self, samples, context) -> Iterator[tuple[int, dict]]:
        from compass_opencompass import judge

        ordered = orders(max((s.index for s in context.samples), default=-1) + 1, self.order)
        for s in samples:
            if s.error is not None:
                yield s.index, {"correct": False, "games": [], "path": "failed"}
        todo = [s for s in samples if s.error is None]
        if not todo:
            return
        model, max_out = self._judge_model(context)
        games, requests = [], []
        for s in todo:
            answer = s.prediction if isinstance(s.prediction, str) else str(s.prediction or "")
            answer = judge._apply(self.pred_post, answer, context.host)
            base_answer = judge._apply(self.pred_post, str(s.row.get(_BASE, "")), context.host)
            for base_first in ordered[s.index]:
                a, b = (base_answer, answer) if base_first else (answer, base_answer)
                names = (self.base, context.model_abbr) if base_first else (context.model_abbr, self.base)
                ref = {**(dict(s.gold) if isinstance(s.gold, Mapping) else {}), "answer1": names[0],
                       "answer2": names[1], "base_models": [self.base]}
                games.append((s, base_first))
                requests.append(GenerateRequest(judge_messages(self.template, s.row, a, b, ref, self.meta),
                                                max_out_len=max_out))
        replies: dict[int, list] = defaultdict(list)
        failed: set[int] = set()
        for (s, base_first), done in zip(games, judge.generate(model, requests)):
            if done.error:
                failed.add(s.index)  # not a verdict: the sample is left unevaluated, -r asks again
                continue
            reply = judge._apply(self.judge_post, done.text, context.host)
            replies[s.index].append({"base_first": base_first, "reply": reply,
                                     "capability": str((s.gold or {}).get("capability", "")
                                                       if isinstance(s.gold, Mapping) else "")})
        for s in todo:
            if s.index in failed:
                continue
            got = replies[s.index]
            if self.kind == "arenahard":
                won = [(a if w == "model_a" else b) for a, b, w in battles(got, context.model_abbr, self.base)
                       if w != "tie"]
                correct = won.count(context.model_abbr) > len(won) / 2
            else:
                correct = alpaca_score(got).get("total", 0.0) > 50
            yield s.index, {"correct": correct, "games": got, "path": "judge"}

    def aggregate(self, records: Mapping, context) -> dict:
        # the games in OpenCompass's order: every row's first game, then (double) every row's second
        recs = [records[k] for k in sorted(records)]
        games = [g for r in recs for g in r.get("games", [])[:1]] + [g for r in recs for g in r.get("games", [])[1:]]
        judged = len(games)
        if self.kind == "arenahard":
            unread = sum(1 for g in games if arena_label(g["reply"]) not in WINNERS)
            out = arena_score(battles(games, context.model_abbr, self.base), context.model_abbr, self.base)
        else:
            unread = sum(1 for g in games if alpaca_rank(g["reply"]) is None)
            scores = alpaca_score(games)
            out = {"total": scores.pop("total", 0.0), **dict(sorted(scores.items()))}
        out["notes"] = [f"{judged} judgements against {self.base} ({self.order} order); {unread} "
                        f"without a verdict OpenCompass reads (left out, as there)"]
        return out


class PairwiseJudgeRunJudge(PairwiseJudge):
    """``opencompass_pairwise_run``: the same, for a config whose judge_cfg is empty (the run names the judge)."""

    needs_run_judge = True
