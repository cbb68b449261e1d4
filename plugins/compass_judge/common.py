"""What the judged evaluators share: preflight, the key of a judgement, the accounting."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from compass_judge import judge as judging
from compass_judge import templates


class JudgedEvaluator:
    """Base of the evaluators that ask judge models (run by the runner as tasks of their own)."""

    run_as_task = True
    template_names: tuple[str, ...] = ()

    @classmethod
    def preflight(cls, settings: Mapping[str, Any]) -> None:
        judging.preflight(settings, cls.label)
        judging.parse_mode(settings)

    label = "subjective"

    def evaluation_key(self, context: Any) -> list:
        """Judge settings, templates and parser: a finished judgement is reused only if all are the same."""
        override = context.settings.get("judge_templates")
        key = [[j.key() for j in judging.judges_from_settings(context.settings)],
               {n: templates.get(n, override).hash for n in self.template_names}]
        mode = judging.parse_mode(context.settings)
        return key + [mode] if mode != "reference" else key

    def judge_names(self, context: Any) -> list[str]:
        return [spec.name for spec in judging.judges_from_settings(context.settings)]

    def template(self, name: str, context: Any) -> templates.Template:
        return templates.get(name, context.settings.get("judge_templates"))


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def settle(context: Any, questions: dict[str, list[tuple]], parts: dict[int, int]):
    """Ask each judge its questions; yield ``(index, {judge: {part: record}})`` per sample once
    every part of it is settled, leaving out samples with a failed request (``-r`` retries them).

    Each judge model is built just before it is asked (a worker holds one model at a time:
    the candidate that played MT-Bench's turn 2, then each judge in turn)."""
    specs = judging.judges_from_settings(context.settings)
    got: dict[int, dict] = {}
    failed: set[int] = set()
    left = {i: n * len(specs) for i, n in parts.items()}
    if not parts:
        return
    for spec in specs:
        j = judging.Judge.build(spec, context)
        for (index, part), verdict in j.ask(questions[j.spec.name]):
            if verdict.error is not None:
                failed.add(index)
            got.setdefault(index, {}).setdefault(j.spec.name, {})[part] = verdict.as_record()
            left[index] -= 1
            if left[index] == 0 and index not in failed:
                yield index, got.pop(index)


def unparseable_note(records: Iterable[Mapping]) -> tuple[int, int]:
    """(unparseable, all) judgements among the records' ``judgements``."""
    bad = total = 0
    for rec in records:
        for parts in (rec.get("judgements") or {}).values():
            for j in parts.values():
                total += 1
                bad += bool(j.get("unparseable"))
    return bad, total


def cached_count(records: Iterable[Mapping]) -> int:
    """How many of the records' judgements came from the judgement cache."""
    return sum(bool(j.get("cached")) for rec in records for parts in (rec.get("judgements") or {}).values()
               for j in parts.values())
