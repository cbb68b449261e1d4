"""OpenCompass's LLM-judge evaluators: ``GenericLLMEvaluator``, ``LMEvaluator``, ``CascadeEvaluator``.

A judge model reads the evaluator's own ``prompt_template`` filled with the row's columns,
``prediction`` (the answer after ``eval_cfg.pred_postprocessor`` and the evaluator's own
``pred_postprocessor``), ``obj_gold`` (the reference) and ``reference`` (blank: it is the
judge dataset's output column, as in OpenCompass); the messages are made as OpenCompass's
API template parser makes them (:func:`compass_opencompass.icl.chat_messages`).

* ``dict_postprocessor`` ``generic_llmjudge_postprocess``: the first ``A`` or ``B`` of the
  reply is the grade, ``A`` is correct; ``accuracy`` = correct / all, with
  ``accuracy_given_attempted``, ``f1``, ``attempted_ratio`` and the counts, as there
  (``generic_llmjudge_academic_postprocess``: the same, under its ``metric_name``, no ``f1``);
* ``CascadeEvaluator``: the ``rule_evaluator`` first; the judge sees what the rule calls
  wrong (``parallel=True``: everything) and a reply that is ``A`` or starts with ``CORRECT``
  is correct; ``accuracy`` counts a sample right by either.

The judge model: the evaluator's ``judge_cfg`` (an OpenCompass model dict, turned into a
compass model as ``models`` are); where it is empty (as in OpenCompass's dataset configs) the
run's judge (``--judge MODEL`` / ``[eval_settings] judge``, as for compass's own judged
datasets), else OpenCompass's own fallback (``OC_JUDGE_MODEL`` at ``OC_JUDGE_API_BASE``,
key in ``OC_JUDGE_API_KEY``). A dry run without one says so in one note line; a real run
stops before inference. :class:`JudgedByModel` holds what every OpenCompass judge evaluator
here shares (this module's, :mod:`~compass_opencompass.pairwise`'s and
:mod:`~compass_opencompass.subjective`'s): that preflight (:func:`check_run_judge`, which also
builds the run's judge, so an unknown model or an unset API key is found then), the judge spec,
the evaluation key and the judge model; :func:`generate` asks it in batches.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from typing import Any, Iterator, Mapping

from compass.sdk import CompassError, GenerateRequest, Message, parse_kv

from compass_opencompass.icl import MESSAGE_ROLES

#: OpenCompass's default judge: an OpenAI-compatible service named by these variables
OC_ENV = ("OC_JUDGE_MODEL", "OC_JUDGE_API_BASE", "OC_JUDGE_API_KEY")
DICT_POSTPROCESSORS = ("generic_llmjudge_postprocess", "generic_llmjudge_academic_postprocess")
_ROLE = MESSAGE_ROLES
_NOTED: set[str] = set()


# ------------------------------------------------------------------ text postprocessors of judges
def xml_tag(text: str, tag: str) -> str:
    """``xml_tag_postprocessor``: the last ``<tag>…</tag>`` content, stripped, else ``NO ANSWER FOUND``."""
    found = re.findall(rf"{tag}(.*?)</{tag[1:-1]}>", text or "", re.DOTALL)
    return found[-1].strip() if found else "NO ANSWER FOUND"


def non_reasoning(text: str, think_start_token: str = "<think>", think_end_token: str = "</think>") -> str:
    """``extract_non_reasoning_content``: the text without its reasoning part."""
    text = text or ""
    if think_end_token in text and think_start_token not in text:
        return text.split(think_end_token)[-1].strip()
    pattern = re.escape(think_start_token) + r".*?" + re.escape(think_end_token)
    return re.sub(pattern, "", text, flags=re.DOTALL).strip()


OWN_POSTPROCESSORS = {"xml_tag_postprocessor": xml_tag, "extract_non_reasoning_content": non_reasoning}


def _postprocessor(cfg: Mapping | None, where: str) -> list | None:
    """``[compass postprocessor name or own name, kwargs]`` of an OpenCompass postprocessor dict."""
    if not cfg:
        return None
    name = cfg.get("type")
    kwargs = {k: v for k, v in cfg.items() if k != "type"}
    if name in OWN_POSTPROCESSORS:
        return [f"own:{name}", kwargs]
    from compass_opencompass.datasets import POSTPROCESSOR_DROP, PRED_POSTPROCESSORS

    if name not in PRED_POSTPROCESSORS:
        raise CompassError(f"{where}: compass does not know {name}; it offers "
                           f"{', '.join([*PRED_POSTPROCESSORS, *OWN_POSTPROCESSORS])}")
    return [PRED_POSTPROCESSORS[name], {k: v for k, v in kwargs.items() if k not in POSTPROCESSOR_DROP.get(name, ())}]


def _apply(post: list | None, text: str, host: Any) -> str:
    if not post:
        return text
    name, kwargs = post
    if name.startswith("own:"):
        return OWN_POSTPROCESSORS[name[4:]](text, **kwargs)
    return host.registry.get("postprocessors", name).load()(text, **kwargs)


# ------------------------------------------------------------------ the judge model
def judge_model(judge_cfg: Mapping | None, where: str, check: bool = True) -> dict | None:
    """A config's ``judge_cfg`` as a compass model (``{"type": ..., **kwargs}``); ``None`` when empty
    (``check=False``: not resolved yet, e.g. its API key is read when the run starts)."""
    if not judge_cfg:
        return None
    cfg = dict(judge_cfg)
    cfg.pop("pred_postprocessor", None)  # applied to the judge's replies here (_judge_kwargs), not a model setting
    name = cfg.get("type")
    from compass_opencompass.shims import placeholder
    from compass_opencompass.translate import model as translate_model

    if isinstance(name, str) and name[:1].isupper():  # an OpenCompass class, by name
        cfg["type"] = placeholder("opencompass.models", name)
    out = translate_model(cfg, f"{where}.judge_cfg")
    for key in ("abbr", "max_seq_len", "meta_template", "tokenizer_path", "pred_postprocessor", "run_cfg"):
        out.pop(key, None)
    if check:
        _check_model(json.dumps(out, sort_keys=True, default=str), f"{where}.judge_cfg")
    return out


@functools.lru_cache(maxsize=32)
def _check_model(spec: str, where: str) -> None:
    """An unknown judge model or option fails when the config is read, not after inference."""
    from compass.sdk import Component, make_plugin_host, resolve_model

    kwargs = json.loads(spec)
    kind = kwargs.pop("type")
    kwargs.pop("max_out_len", None)  # the judge's request setting, not the model's
    try:
        resolve_model(make_plugin_host(), Component(kind, kwargs))
    except CompassError as exc:
        raise CompassError(f"{where}: {exc}") from None


def run_judge(settings: Mapping[str, Any]) -> dict | None:
    """The run's judge: ``--judge`` (+ ``--judge-kwargs``), else OpenCompass's ``OC_JUDGE_*`` variables."""
    given = settings.get("judge")
    if isinstance(given, str) and given:
        return {"type": given, **parse_kv(settings.get("judge_kwargs"), "--judge-kwargs")}
    if isinstance(given, Mapping) and given.get("type"):
        rest = {k: v for k, v in given.items() if k not in ("abbr",)}
        return {**rest, **parse_kv(settings.get("judge_kwargs"), "--judge-kwargs")}
    if os.environ.get("OC_JUDGE_MODEL"):
        return {"type": "openai", "model": os.environ["OC_JUDGE_MODEL"], "api_key_env": "OC_JUDGE_API_KEY",
                "api_base": re.sub(r"/+$", "", os.environ.get("OC_JUDGE_API_BASE") or "https://api.openai.com/v1"),
                "temperature": 0.001}
    return None


NO_JUDGE = ("needs a judge model and its judge_cfg is empty: set judge_cfg in your eval config (as in OpenCompass: "
            "for d in datasets: d['eval_cfg']['evaluator']['judge_cfg'] = your_judge), or pass --judge MODEL "
            "(or [eval_settings] judge), or export OC_JUDGE_MODEL, OC_JUDGE_API_BASE, OC_JUDGE_API_KEY")


def _note(text: str, once: str | None = None) -> None:
    """Say ``text`` once per process (per ``once`` where given: the same matter in other words)."""
    key = once or text
    if key not in _NOTED:
        _NOTED.add(key)
        print(f"note: {text}", file=sys.stderr)


def out_len(value: Any, where: str, default: int = 1024) -> int:
    """A ``max_out_len`` setting as a positive int (``default`` when unset); anything else is a
    one-line :class:`CompassError` naming ``where``."""
    if value is None or value == "" or value == 0:
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n <= 0 or isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise CompassError(f"{where}: max_out_len must be a positive whole number of tokens, not {value!r}")
    return n


def generate(model: Any, requests: list) -> Iterator[Any]:
    """The model's completions of ``requests``, in order, ``batch_size`` (else 8) at a time: each
    batch is yielded before the next is asked, so a caller records verdicts as they come."""
    size = max(1, int(getattr(model, "batch_size", 0) or 8))
    for start in range(0, len(requests), size):
        yield from model.generate(requests[start:start + size])


def check_run_judge(settings: Mapping[str, Any], what: str) -> None:
    """Before inference: the run's judge (``--judge``, ``judge_models``, ``OC_JUDGE_*``) is there and
    compass can build it (a known model, its API key set). A dry run says what is wrong in one
    note line; a real run stops with it (one error line)."""
    spec = run_judge(settings)
    try:
        if spec is None:
            raise CompassError(f"{what} {NO_JUDGE}")
        _check_model(json.dumps(spec, sort_keys=True, default=str), "the run's judge (--judge, judge_models, OC_JUDGE_*)")
    except CompassError as exc:
        if not settings.get("dry_run"):
            raise
        print(f"note: {exc}", file=sys.stderr, flush=True)


class JudgedByModel:
    """What OpenCompass's judge evaluators share (a mixin): the judge is the evaluator's own
    ``judge`` (from ``judge_cfg``) or the run's; the run's is checked before inference where the
    evaluator has none (``needs_run_judge``); it keys the stored evaluation."""

    run_as_task = True
    needs_run_judge = False
    #: how the preflight names the evaluator when the run has no judge
    preflight_label = "OpenCompass's judge evaluator"
    label = "LMEvaluator"
    judge: dict | None

    @classmethod
    def preflight(cls, settings: Mapping[str, Any]) -> None:
        if cls.needs_run_judge:
            check_run_judge(settings, cls.preflight_label)

    def _judge(self, context: Any) -> dict:
        spec = self.judge or run_judge(context.settings)
        if spec is None:
            raise CompassError(f"{context.dataset}: {self.label} {NO_JUDGE}")
        return dict(spec)

    def evaluation_key(self, context: Any) -> list:
        spec = self._judge(context)
        return [spec.get("type"), sorted((k, repr(v)) for k, v in spec.items())]

    def _judge_model(self, context: Any) -> tuple[Any, int]:
        """The judge model and its request's ``max_out_len`` (the judge spec's, else 1024)."""
        spec = self._judge(context)
        kind = spec.pop("type")
        max_out = out_len(spec.pop("max_out_len", None), f"{context.dataset}: the judge's max_out_len")
        return context.model(kind, **spec), max_out


# ------------------------------------------------------------------ config -> compass scoring
def _template(ev: Mapping, where: str) -> dict:
    t = ev.get("prompt_template") or {}
    from compass_opencompass.raw_prompt import is_raw

    if is_raw(t):  # a RawPromptTemplate: the judge's messages as written
        return dict(t)
    if not isinstance(t, Mapping) or "template" not in t:
        raise CompassError(f"{where}: the judge evaluator has no prompt_template(template=...)")
    return {k: t[k] for k in ("template", "ice_token", "sep_token") if k in t}


def _judge_kwargs(ev: Mapping, d: Mapping, where: str, label: str) -> dict:
    post = ev.get("dict_postprocessor") or {"type": "generic_llmjudge_postprocess"}
    if post.get("type") not in DICT_POSTPROCESSORS:
        raise CompassError(f"{where}.dict_postprocessor: compass does not know {post.get('type')}; it offers "
                           f"{', '.join(DICT_POSTPROCESSORS)}")
    judge_cfg = ev.get("judge_cfg") or {}
    return {"template": _template(ev, where), "judge": judge_model(judge_cfg, where),
            "judge_post": _postprocessor(judge_cfg.get("pred_postprocessor"), f"{where}.judge_cfg.pred_postprocessor"),
            "pred_post": _postprocessor(ev.get("pred_postprocessor"), f"{where}.pred_postprocessor"),
            "academic": post["type"] == "generic_llmjudge_academic_postprocess",
            **{k: post[k] for k in ("true_tag", "false_tag", "metric_name") if k in post},
            "input_columns": list((d.get("reader_cfg") or {}).get("input_columns") or []), "label": label}


def _scoring(kwargs: dict) -> dict:
    return {"evaluator": "opencompass_llm_judge" if kwargs["judge"] else "opencompass_llm_judge_run",
            "evaluator_kwargs": kwargs}


def generic(ev: Mapping, d: Mapping, where: str) -> dict:
    return _scoring(_judge_kwargs(ev, d, f"{where}.eval_cfg.evaluator", "GenericLLMEvaluator"))


def lm(ev: Mapping, d: Mapping, where: str) -> dict:
    _note("LMEvaluator is run as GenericLLMEvaluator (the same prompt_template and dict_postprocessor; the judge "
          "from judge_cfg or --judge, not from a subjective partitioner's judge_models)")  # once per process
    return _scoring(_judge_kwargs(ev, d, f"{where}.eval_cfg.evaluator", "LMEvaluator"))


def cascade(ev: Mapping, d: Mapping, where: str) -> dict:
    w = f"{where}.eval_cfg.evaluator"
    llm = ev.get("llm_evaluator") or {}
    if llm.get("type") not in ("GenericLLMEvaluator", "LMEvaluator"):
        raise CompassError(f"{w}.llm_evaluator: compass runs GenericLLMEvaluator there, not {llm.get('type')}")
    rule = ev.get("rule_evaluator") or {}
    if not rule:
        raise CompassError(f"{w}: CascadeEvaluator without rule_evaluator (a sample_score_fn) is not run by compass; "
                           f"give a rule_evaluator")
    from compass_opencompass.datasets import EVALUATOR_KWARGS, EVALUATORS

    if rule.get("type") not in EVALUATORS:
        raise CompassError(f"{w}.rule_evaluator: compass does not know the OpenCompass class {rule.get('type')}; it "
                           f"offers {', '.join(EVALUATORS)}")
    kwargs = _judge_kwargs(llm, d, f"{w}.llm_evaluator", "CascadeEvaluator")
    kwargs.update(rule=EVALUATORS[rule["type"]], rule_kwargs=dict(EVALUATOR_KWARGS.get(rule["type"], {})),
                  rule_post=_postprocessor(rule.get("pred_postprocessor"), f"{w}.rule_evaluator.pred_postprocessor"),
                  parallel=bool(ev.get("parallel", True)))
    return _scoring(kwargs)


BUILDERS = {"GenericLLMEvaluator": generic, "LMEvaluator": lm, "CascadeEvaluator": cascade}


# ------------------------------------------------------------------ the evaluator
def grade(reply: str, true_tag: str = "A", false_tag: str = "B") -> str:
    """``generic_llmjudge_postprocess``'s grade: the first true or false tag in the reply, else ``unknown``."""
    m = re.search(f"({re.escape(true_tag)}|{re.escape(false_tag)})", reply or "")
    return m.group(0) if m else "unknown"


def cascade_correct(reply: str) -> bool:
    """CascadeEvaluator's reading of the judge: the reply is ``A`` or starts with ``CORRECT``."""
    said = (reply or "").strip().upper()
    return said == "A" or said.startswith("CORRECT")


def judge_messages(template: Mapping, row: Mapping, prediction: str, gold: Any) -> tuple[Message, ...]:
    """The judge's prompt for one sample, as OpenCompass's judge inferencer renders it."""
    from compass_opencompass import icl
    from compass_opencompass.raw_prompt import RawSpec, is_raw

    entry = {k: v for k, v in row.items() if not str(k).startswith("_oc_")}
    entry.update(prediction=prediction, obj_gold=gold, reference=gold)
    if is_raw(template):
        return RawSpec(template, {}, "the judge's prompt_template").render({**entry, "reference": ""}, chat=True)
    t = icl.Template(template["template"], template.get("ice_token"), template.get("sep_token"))
    prompt = t.gen_prompt(entry, "reference", "")
    return tuple(Message(_ROLE[m["role"]], m["content"]) for m in icl.chat_messages(prompt, mode="gen"))


class LLMJudge(JudgedByModel):
    """``opencompass_llm_judge``: OpenCompass's judge evaluators (the judge from the config's judge_cfg)."""

    preflight_label = "OpenCompass's judge evaluator (GenericLLMEvaluator/CascadeEvaluator)"

    def __init__(self, template: Mapping, judge: Mapping | None = None, judge_post: list | None = None,
                 pred_post: list | None = None, academic: bool = False, true_tag: str = "A", false_tag: str = "B",
                 metric_name: str = "accuracy", input_columns: list | None = None, label: str = "GenericLLMEvaluator",
                 rule: str | None = None, rule_kwargs: Mapping | None = None, rule_post: list | None = None,
                 parallel: bool = True):
        self.template, self.judge = dict(template), dict(judge) if judge else None
        self.judge_post, self.pred_post = judge_post, pred_post
        self.academic, self.true_tag, self.false_tag, self.metric = academic, true_tag, false_tag, metric_name
        self.label = label
        self.rule, self.rule_kwargs, self.rule_post, self.parallel = rule, dict(rule_kwargs or {}), rule_post, parallel

    def _rule(self, samples: list, context: Any) -> list[bool]:
        ev = context.host.registry.get("evaluators", self.rule).load()(**self.rule_kwargs)
        answers = [_apply(self.rule_post, s.answer if isinstance(s.answer, str) else str(s.answer or ""),
                          context.host) for s in samples]
        golds = [s.gold for s in samples]
        if hasattr(ev, "details"):
            listed = list(ev.details(answers, golds))
        elif hasattr(ev, "score"):
            listed = list((ev.score(answers, golds) or {}).get("details") or [])
        else:
            raise CompassError(f"CascadeEvaluator: its rule_evaluator ({self.rule}) scores whole samples, not "
                               f"answer lists; use a rule evaluator such as MATHEvaluator or AccEvaluator")
        if len(listed) != len(samples):
            raise CompassError(f"CascadeEvaluator: its rule_evaluator ({self.rule}) gave {len(listed)} verdicts for "
                               f"{len(samples)} samples (it must give one per sample, in 'details')")
        return [bool(v) for v in listed]

    def score_samples(self, samples, context) -> Iterator[tuple[int, dict]]:
        todo = [s for s in samples if s.error is None]
        for s in samples:
            if s.error is not None:
                yield s.index, {"correct": False, "grade": "unknown", "path": "failed"}
        rule = dict(zip((s.index for s in todo), self._rule(todo, context))) if self.rule else {}
        ask = []
        for s in todo:
            if rule.get(s.index) and not self.parallel:
                yield s.index, {"correct": True, "path": "rule", "rule_correct": True}
            else:
                ask.append(s)
        if not ask:
            return
        model, max_out = self._judge_model(context)
        requests = []
        for s in ask:
            answer = s.answer if isinstance(s.answer, str) else str(s.answer or "")
            prediction = _apply(self.pred_post, answer, context.host)
            requests.append(GenerateRequest(judge_messages(self.template, s.row, prediction, s.gold),
                                            max_out_len=max_out))
        for s, done in zip(ask, generate(model, requests)):
            if done.error:
                continue  # not a verdict: left unevaluated, -r asks again
            reply = _apply(self.judge_post, done.text, context.host)
            if self.rule:
                ok = cascade_correct(reply)
                rec = {"correct": ok or bool(rule.get(s.index)), "path": "judge", "judge_correct": ok,
                       "rule_correct": bool(rule.get(s.index))}
            else:
                g = grade(reply, self.true_tag, self.false_tag)
                rec = {"correct": g == self.true_tag, "grade": g, "path": "judge"}
            yield s.index, {**rec, "judge_reply": done.text}

    def aggregate(self, records: Mapping, context) -> dict:
        n = len(context.samples)
        recs = list(records.values())
        if self.rule:
            rule_ok = sum(bool(r.get("rule_correct")) for r in recs)
            judged = [r for r in recs if r.get("path") == "judge"]
            judge_ok = sum(bool(r.get("judge_correct")) for r in judged)
            right = sum(bool(r.get("correct")) for r in recs)
            return {"accuracy": 100.0 * right / n if n else 0.0, "rule_accuracy": 100.0 * rule_ok / n if n else 0.0,
                    "llm_evaluated": float(len(judged)), "llm_correct": float(judge_ok),
                    "llm_accuracy": 100.0 * judge_ok / len(judged) if judged else 0.0,
                    "notes": [f"CascadeEvaluator ({'parallel' if self.parallel else 'cascade'}): {rule_ok} correct by "
                              f"the rule, {judge_ok} of {len(judged)} judged correct"]}
        grades = [r.get("grade", "unknown") for r in recs]
        right = grades.count(self.true_tag)
        wrong = grades.count(self.false_tag)
        count = n or 1
        acc = right / count
        given = acc / ((right + wrong) / count) if right + wrong else 0.0
        out = {self.metric: 100.0 * acc, f"{self.metric}_given_attempted": 100.0 * given}
        if not self.academic:
            out["f1"] = 2 * given * acc / (given + acc) if given + acc > 0 else 0.0
        out.update(attempted_ratio=100.0 * (right + wrong) / count, correct_count=float(right),
                   incorrect_count=float(wrong), not_attempted_count=float(n - right - wrong))
        return out


class LLMJudgeRunJudge(LLMJudge):
    """``opencompass_llm_judge_run``: the same, for a config whose judge_cfg is empty (the run names the judge)."""

    needs_run_judge = True
