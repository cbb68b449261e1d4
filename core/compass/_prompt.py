"""Prompt templates and few-shot retrievers, shared by every dataset.

A template renders one dataset row into role-tagged messages. In-context examples become
HUMAN/BOT turns before the question. Base models receive the concatenated text (templates
carry their own separators); chat models receive the messages and apply their own chat
template.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from compass._types import Message, Prompt

_FIELD = re.compile(r"\{(\w+)\}")


def fill(template: str, row: Mapping[str, object]) -> str:
    """Replace ``{field}`` by ``row[field]`` for the fields the row has.

    Unlike ``str.format`` other braces are left alone, so LaTeX such as ``\\boxed{}`` or
    JSON in a template needs no escaping.
    """
    return _FIELD.sub(lambda m: str(row[m.group(1)]) if m.group(1) in row else m.group(0), template)


@dataclass(frozen=True)
class PromptTemplate:
    """How one row becomes a prompt.

    :param human: the question turn, with ``{field}`` placeholders.
    :param bot: how an in-context example's answer is written (``"{answer}"``).
    :param system: an optional system turn (chat models) / leading text (base models).
    :param instruction: text put once before the first HUMAN turn (e.g. C-Eval's
        ``以下是中国关于…考试的单项选择题``); may use placeholders too.
    :param example_sep: appended after each in-context answer for base models only
        (chat turns are already separated by the chat template).
    """

    human: str
    bot: str = "{answer}"
    system: str = ""
    instruction: str = ""
    example_sep: str = "\n"

    def render(self, row: Mapping[str, object], examples: Sequence[Mapping[str, object]] = (),
               *, chat: bool) -> Prompt:
        """The prompt for ``row`` with ``examples`` as in-context turns."""
        messages: list[Message] = []
        if self.system:
            messages.append(Message("SYSTEM", fill(self.system, row)))
        lead = fill(self.instruction, row)
        for ex in examples:
            messages.append(Message("HUMAN", lead + fill(self.human, ex)))
            answer = fill(self.bot, ex)
            messages.append(Message("BOT", answer if chat else answer + self.example_sep))
            lead = ""
        messages.append(Message("HUMAN", lead + fill(self.human, row)))
        return tuple(messages)

    def describe(self) -> dict:
        return {"human": self.human, "bot": self.bot, "system": self.system,
                "instruction": self.instruction, "example_sep": self.example_sep}


@dataclass(frozen=True)
class FewShot:
    """Which rows of the few-shot split become in-context examples.

    ``FewShot()`` is zero-shot; ``FewShot(indices=(0, 1, 2, 3, 4))`` always uses those rows
    (fixed-k); ``FewShot(k=5, seed=42)`` draws k rows per question, reproducibly.
    """

    k: int = 0
    indices: tuple[int, ...] = ()
    seed: int = 42

    @property
    def kind(self) -> str:
        if self.indices:
            return "fixed"
        return "random" if self.k else "zero"

    def select(self, pool: Sequence[Mapping[str, object]], index: int) -> list[Mapping[str, object]]:
        """The examples for the question at ``index`` of the evaluated split."""
        if self.indices:
            return [pool[i] for i in self.indices if i < len(pool)]
        if not self.k or not pool:
            return []
        rng = random.Random(self.seed * 1_000_003 + index)
        return [pool[i] for i in rng.sample(range(len(pool)), min(self.k, len(pool)))]

    def describe(self) -> dict:
        return {"kind": self.kind, "k": self.k, "indices": list(self.indices), "seed": self.seed}
