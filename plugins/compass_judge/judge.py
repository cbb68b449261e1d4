"""The judge: which models judge (from the run's settings), and asking them.

One object per judge model; :meth:`Judge.ask` sends every question at once (an API judge's
backend keeps its connections busy, with its own rate limits and retries), reads each reply
with :mod:`compass_judge.verdicts`, re-asks an unparseable reply once with the template's
stricter reminder, and hands back a :class:`Judgement` per question as it is settled. A
request the backend could not answer (after its retries) is a failure, not a verdict: the
sample is left unjudged, so ``-r`` asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from compass.sdk import CompassError, GenerateRequest, Message, parse_kv

from compass_judge import verdicts
from compass_judge.templates import Template

@dataclass(frozen=True)
class JudgeSpec:
    """A judge model: its registry name, keyword arguments and the name it is reported by."""

    type: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    abbr: str = ""

    @property
    def name(self) -> str:
        return self.abbr or self.type

    def key(self) -> list:
        """What changes its verdicts (operational settings such as concurrency included:
        they are few, and a changed judge must never be taken for the old one)."""
        return [self.type, sorted((k, repr(v)) for k, v in self.kwargs.items())]


def _spec(obj: Any, where: str) -> JudgeSpec:
    if isinstance(obj, str):
        return JudgeSpec(obj)
    if isinstance(obj, Mapping):
        rest = dict(obj)
        type_ = rest.pop("type", None)
        if not isinstance(type_, str) or not type_:
            raise CompassError(f"{where}: a judge needs type = \"MODEL\" (a registered model name)")
        abbr = rest.pop("abbr", "") or ""
        kwargs = parse_kv(rest.pop("kwargs", None), where) if "kwargs" in rest else {}
        return JudgeSpec(type_, {**rest, **kwargs}, str(abbr))
    raise CompassError(f"{where}: a judge is a model name or a table with type = \"MODEL\", got {obj!r}")


def judges_from_settings(settings: Mapping[str, Any]) -> list[JudgeSpec]:
    """The judges a run names: ``judge`` (+ ``judge_kwargs``) and/or ``judges`` (a list)."""
    out: list[JudgeSpec] = []
    if settings.get("judge"):
        one = _spec(settings["judge"], "judge")
        extra = parse_kv(settings.get("judge_kwargs"), "--judge-kwargs")
        out.append(JudgeSpec(one.type, {**one.kwargs, **extra}, one.abbr))
    elif settings.get("judge_kwargs"):
        raise CompassError("--judge-kwargs without --judge: name the judge model with --judge MODEL")
    listed = settings.get("judges") or []
    if not isinstance(listed, (list, tuple)):
        raise CompassError("judges: give a list of judges ([[eval_settings.judges]] tables)")
    out += [_spec(j, f"judges[{i}]") for i, j in enumerate(listed)]
    names = [j.name for j in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CompassError(f"judge {dupes[0]!r} is named twice; give each judge its own abbr")
    return out


def preflight(settings: Mapping[str, Any], dataset: str) -> list[JudgeSpec]:
    """Refuse a run whose judges cannot work, before any model loads."""
    specs = judges_from_settings(settings)
    if not specs:
        raise CompassError(f"dataset '{dataset}' is scored by a judge model: pass --judge MODEL "
                           f"(e.g. --judge smollm2-135m-instruct) or [eval_settings.judge] in a config")
    from compass.sdk import Component, make_plugin_host, resolve_model

    host = make_plugin_host()
    for spec in specs:
        try:
            host.registry.get("models", spec.type)
        except CompassError as exc:
            raise CompassError(f"judge: {exc}") from None
        resolved = resolve_model(host, Component(spec.type, dict(spec.kwargs)))
        if not resolved.traits.is_chat or "gen" not in resolved.traits.modes:
            raise CompassError(f"judge '{spec.name}' cannot serve chat generation (a judge answers chat "
                               f"prompts); pick a chat model, e.g. --judge smollm2-135m-instruct")
    return specs


@dataclass
class Judgement:
    """One settled question: the verdict (``None``: unparseable), every reply, or a failure."""

    verdict: Any = None
    replies: list[str] = field(default_factory=list)
    error: str | None = None

    cached: bool = False

    def as_record(self) -> dict:
        return {"verdict": self.verdict, "reply": self.replies[-1] if self.replies else None,
                "replies": self.replies, "unparseable": self.error is None and self.verdict is None,
                **({"cached": True} if self.cached else {})}


def stream_answers(model: Any, requests: list[GenerateRequest]) -> Iterator[tuple[int, Any]]:
    """``(position, Completion)`` as answers come: ``generate_stream`` (all at once) when the
    backend has it, else ``generate`` in chunks of its ``batch_size``."""
    stream = getattr(model, "generate_stream", None)
    if stream is not None:
        yield from stream(requests)
        return
    size = max(1, int(getattr(model, "batch_size", 0) or 8))
    for start in range(0, len(requests), size):
        for k, c in enumerate(model.generate(requests[start:start + size])):
            yield start + k, c


PARSE_MODES = ("reference", "forgiving")


def parse_mode(settings: Mapping[str, Any]) -> str:
    """``judge_parser``: ``reference`` (default: each official template's reference parser) or
    ``forgiving`` (compass's own); anything else is refused in one line."""
    mode = str(settings.get("judge_parser") or "reference")
    if mode not in PARSE_MODES:
        raise CompassError(f"--judge-parser {mode}: pick 'reference' (the reference implementations' parsers) "
                           f"or 'forgiving' (compass's own)")
    return mode


class Judge:
    """A judge model and how it is asked.

    Each request carries the template's own settings (the reference's output limit, and for
    AlpacaEval's classifier its temperature and top log-probabilities); ``max_out_len`` in the
    judge's settings overrides the limit of every template."""

    def __init__(self, spec: JudgeSpec, model: Any, mode: str = "reference"):
        from compass_judge import cache

        self.spec = spec
        self.model = model
        self.mode = mode
        fixed = spec.kwargs.get("max_out_len")
        self.max_out_len = int(fixed) if fixed else None
        self.cache = cache.JudgementCache(spec.key()) if cache.enabled() else None

    @classmethod
    def build(cls, spec: JudgeSpec, context: Any) -> "Judge":
        return cls(spec, context.model(spec.type, **dict(spec.kwargs)), parse_mode(context.settings))

    def _request(self, messages: tuple[Message, ...], template: Template) -> GenerateRequest:
        extra = {} if template.temperature is None else {"temperature": template.temperature}
        return GenerateRequest(messages, max_out_len=self.max_out_len or template.max_out_len,
                               top_logprobs=template.top_logprobs, **extra)

    def _key(self, template: Template, fields: dict) -> str:
        return self.cache.key(f"{template.hash}:{self.mode}", fields) if self.cache else ""

    def ask(self, questions: Iterable[tuple[Any, Template, dict]]) -> Iterator[tuple[Any, Judgement]]:
        """``(key, template, fields)`` → ``(key, Judgement)`` as each is settled."""
        items = []
        for key, template, fields in questions:
            ckey = self._key(template, fields)
            known = self.cache.get(ckey) if self.cache else None
            if known is not None:
                yield key, Judgement(known["verdict"], list(known["replies"]), cached=True)
            else:
                items.append((key, template, fields, ckey))
        for key, judgement, ckey in self._ask(items):
            if self.cache is not None and judgement.error is None:
                self.cache.put(ckey, judgement.verdict, judgement.replies)
            yield key, judgement

    def _ask(self, items: list[tuple]) -> Iterator[tuple[Any, Judgement, str]]:
        first: list[tuple[Message, ...]] = []
        for _, template, fields, _ in items:
            system, user = template.render(**fields)
            first.append(((Message("SYSTEM", system),) if system else ()) + (Message("HUMAN", user),))
        again: dict[int, tuple[str, str]] = {}
        reqs = [self._request(m, items[pos][1]) for pos, m in enumerate(first)]
        for pos, completion in stream_answers(self.model, reqs):
            key, template, _, ckey = items[pos]
            if completion.error:
                yield key, Judgement(error=str(completion.error)), ckey
                continue
            verdict = verdicts.read(template, completion.text, self.mode, completion.top_logprobs)
            follow_up = verdicts.reask(template, completion.text, self.mode) if verdict is None else ""
            if follow_up:
                again[pos] = (completion.text, follow_up)
                continue
            yield key, Judgement(verdict, [completion.text]), ckey
        if not again:
            return
        order = list(again)
        # re-asked once: the conversation so far, then the follow-up (the reference's, or the
        # forgiving parser's stricter reminder); the reply is read together with the first one
        # (arena-hard v0.1 reads the two judgements joined)
        reqs = [self._request(first[pos] + (Message("BOT", again[pos][0]), Message("HUMAN", again[pos][1])),
                              items[pos][1]) for pos in order]
        for k, completion in stream_answers(self.model, reqs):
            pos = order[k]
            key, template, _, ckey = items[pos]
            if completion.error:
                yield key, Judgement(error=str(completion.error)), ckey
                continue
            text = completion.text
            if self.mode == "reference" and template.parser == "arena-v0.1":
                text = "\n" + again[pos][0] + "\n" + completion.text
            verdict = verdicts.read(template, text, self.mode, completion.top_logprobs)
            yield key, Judgement(verdict, [again[pos][0], completion.text]), ckey
