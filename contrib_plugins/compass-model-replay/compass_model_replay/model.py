"""The ``replay`` model: a :class:`compass.sdk.Model` that looks each prompt up in a file.

A request is matched to the recorded prompt that is its whole text, else to the longest
recorded prompt its text contains (a recorded question inside the dataset's template), else
answered with ``""``. Generation returns the recorded answer; log-likelihood scores a continuation 0.0 when it is the
recorded answer (stripped) and -1.0 otherwise, so ppl-mode datasets pick the recorded option.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import (Completion, CompassError, GenerateRequest, LoglikelihoodRequest, ModelTraits,
                         prompt_to_text, read_jsonl, require)


def replay_traits(path: str | None = None, chat: bool = False, **_) -> ModelTraits:
    """Checked at plan time, before any task starts: the file must exist."""
    if not path:
        raise CompassError("replay: needs --replay-file FILE (JSON Lines with prompt and answer)")
    if not Path(path).is_file():
        raise CompassError(f"replay: {path} is not a file; give --replay-file FILE")
    return ModelTraits(is_chat=bool(chat), modes=frozenset({"gen", "ppl"}))




class ReplayModel:
    """Answers recorded in ``path``; ``chat`` says whether datasets should treat it as a chat model."""

    def __init__(self, path: str, chat: bool = False, **_):
        self.answers: dict[str, str] = {}
        for line, row in read_jsonl(Path(path)):
            require(row, ("prompt", "answer"), Path(path), line)
            self.answers[str(row["prompt"]).strip()] = str(row["answer"])
        self._longest_first = sorted(self.answers, key=len, reverse=True)

    def answer(self, prompt) -> str:
        text = prompt_to_text(prompt).strip()
        if text in self.answers:
            return self.answers[text]
        return next((self.answers[p] for p in self._longest_first if p and p in text), "")

    def generate(self, requests: list[GenerateRequest]) -> list[Completion]:
        return [Completion(self.answer(r.prompt)) for r in requests]

    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...]]:
        out = []
        for r in requests:
            recorded = self.answer(r.prompt).strip()
            out.append(tuple(0.0 if c.strip() == recorded else -1.0 for c in r.continuations))
        return out
