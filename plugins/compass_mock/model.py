"""A deterministic model for running the whole pipeline without weights.

Like inspect's ``mockllm``: it needs nothing installed, answers instantly (or after
``delay`` seconds per batch, to exercise interruption), and its answers are predictable:

* ``answers``: ``{substring: answer}``; the first key found in the prompt's last HUMAN
  turn decides the answer;
* otherwise ``echo=True`` repeats the last HUMAN turn, else ``default`` is answered.

In ppl and clp mode the candidate equal to that answer (ignoring surrounding blanks)
scores 0.0 and every other candidate -1.0 minus a small penalty by position, so ties
never happen.
"""

from __future__ import annotations

import time

from compass.sdk import Completion, GenerateRequest, LoglikelihoodRequest, ModelTraits, OptionsRequest


def mock_traits(chat: bool = True, **_: object) -> ModelTraits:
    # its scores favour the configured answer whatever the rule, so it serves every ppl rule
    return ModelTraits(is_chat=bool(chat), operational=frozenset({"batch_size", "delay"}),
                       ppl_scores=frozenset({"sum", "mean_all"}))


class MockModel:
    def __init__(self, answers: dict | None = None, default: str = "A", echo: bool = False,
                 chat: bool = True, batch_size: int = 4, delay: float = 0.0,
                 max_out_len: int | None = None, stop_words: list | None = None):
        self.answers = dict(answers or {})
        self.default = default
        self.echo = echo
        self.chat = chat
        self.batch_size = batch_size
        self.delay = delay

    def _answer(self, prompt) -> str:
        question = next((m.content for m in reversed(prompt) if m.role == "HUMAN"), "")
        for key, answer in self.answers.items():
            if key in question:
                return str(answer)
        return question if self.echo else self.default

    def _pause(self) -> None:
        if self.delay:
            time.sleep(self.delay)

    def generate(self, requests: list[GenerateRequest]) -> list[Completion]:
        self._pause()
        out = []
        for req in requests:
            text = self._answer(req.prompt)[: max(req.max_out_len, 0) * 8]
            for stop in req.stop:
                if stop and stop in text:
                    text = text[: text.index(stop)]
            out.append(Completion(text, prompt_tokens=sum(len(m.content.split()) for m in req.prompt),
                                  completion_tokens=len(text.split()), finish_reason="stop"))
        return out

    def _scores(self, prompt, candidates) -> tuple[float, ...]:
        answer = self._answer(prompt).strip()
        return tuple(0.0 if c.strip() == answer else -1.0 - 0.01 * i for i, c in enumerate(candidates))

    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...]]:
        self._pause()
        return [self._scores(r.prompt, r.continuations) for r in requests]

    def option_logprobs(self, requests: list[OptionsRequest]) -> list[tuple[float, ...]]:
        self._pause()
        return [self._scores(r.prompt, r.options) for r in requests]
