"""Generation (gen mode) on top of ``model.generate``: stop words, end of turn, min length.

A row stops at the model's end-of-sequence token, at the chat format's end-of-turn token
(``<|im_end|>``, ``<|eot_id|>``…), at a stop word, or after ``max_out_len`` new tokens.
Stop words are cut from the text, and so is everything after them. ``min_out_len`` makes
the model write at least that many tokens before any of these may end it; a stop word
inside those first tokens is kept as text.

Greedy decoding unless ``generation_kwargs`` ask for sampling (``do_sample=True``) or the
request has a temperature above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from compass_hf.batching import chunks, left_pad


@dataclass(frozen=True)
class Settings:
    """Everything that must be equal for requests to share a ``generate`` call."""

    max_new: int
    min_new: int
    stops: tuple[str, ...]
    temperature: float


@dataclass(frozen=True)
class Output:
    text: str
    completion_tokens: int
    finish_reason: str


def find_stop(text: str, stops: Sequence[str], start: int = 0) -> int | None:
    """Index where the earliest stop string that ends after ``start`` begins, or None."""
    best = None
    for stop in stops:
        if not stop:
            continue
        pos = text.find(stop, max(0, start - len(stop) + 1))
        if pos >= 0 and (best is None or pos < best):
            best = pos
    return best


class StopOnStrings:
    """Stopping criterion: a row is done once a stop string appears in its new tokens
    (after the first ``min_new``). Records the step at which each row stopped."""

    def __init__(self, tokenizer: Any, stops: Sequence[str], prompt_len: int, min_new: int):
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.prompt_len = prompt_len
        self.min_new = min_new
        # Enough trailing tokens to contain any stop string (tokens are rarely shorter
        # than a character; byte-level pieces of one character need a few more).
        self.window = max((len(s) for s in self.stops), default=0) + 4
        self.stopped_at: dict[int, int] = {}

    def __call__(self, input_ids: torch.Tensor, scores: Any = None, **kwargs: Any) -> torch.Tensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        n_new = input_ids.shape[1] - self.prompt_len
        if not self.stops or n_new <= self.min_new:
            return done
        start = max(self.prompt_len + self.min_new, input_ids.shape[1] - self.window)
        tails = self.tokenizer.batch_decode(input_ids[:, start:].tolist(), skip_special_tokens=False)
        for row, tail in enumerate(tails):
            if row in self.stopped_at:
                done[row] = True
            elif any(stop in tail for stop in self.stops):
                self.stopped_at[row] = n_new
                done[row] = True
        return done


def generation_config(settings: Settings, user: dict, *, eos_ids: Sequence[int], pad_id: int) -> dict:
    """Keyword arguments for ``model.generate``: greedy by default, the user's
    ``generation_kwargs`` on top, the request's lengths always."""
    kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1}
    if settings.temperature > 0:
        kwargs.update(do_sample=True, temperature=settings.temperature)
    kwargs.update(user)
    kwargs.update(max_new_tokens=settings.max_new, min_new_tokens=settings.min_new or None,
                  eos_token_id=list(eos_ids) or None, pad_token_id=pad_id)
    if not kwargs.get("do_sample"):
        for key in ("temperature", "top_p", "top_k"):
            kwargs.pop(key, None)
    return {k: v for k, v in kwargs.items() if v is not None}


def finish(tokenizer: Any, new_ids: Sequence[int], *, eos_ids: Sequence[int], stops: Sequence[str],
           min_new: int, max_new: int, stopped_at: int | None) -> Output:
    """Text, token count and finish reason of one row of new tokens."""
    n = len(new_ids)
    reason = "length"
    eos = set(eos_ids)
    for i, tok in enumerate(new_ids):
        if tok in eos and i >= min_new:
            n, reason = i + 1, "stop"
            break
    if stopped_at is not None and stopped_at < n:
        n, reason = stopped_at, "stop"
    kept = [t for t in new_ids[:n] if t not in eos]
    text = tokenizer.decode(kept, skip_special_tokens=True)
    head = tokenizer.decode(kept[:min_new], skip_special_tokens=True) if min_new else ""
    boundary = len(head) if text.startswith(head) else 0
    cut = find_stop(text, stops, boundary)
    if cut is not None:
        text, reason = text[:cut], "stop"
    elif reason == "length" and n < max_new:
        reason = "stop"
    return Output(text, n, reason)


def generate_batch(model: Any, tokenizer: Any, prompts: list[list[int]], settings: Settings, *,
                   user_kwargs: dict, eos_ids: Sequence[int], end_strings: Sequence[str] = (),
                   pad_id: int, device: Any, batch_size: int) -> list[Output]:
    """Generate for already-tokenised, already-truncated prompts sharing ``settings``.

    ``eos_ids`` end a row as tokens; ``end_strings`` are end-of-turn markers: cut from the
    text, and watched for as text when they are not among ``eos_ids``.
    """
    results: list[Output | None] = [None] * len(prompts)
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    eos_text = {tokenizer.convert_ids_to_tokens(i) for i in eos_ids}
    watch = tuple(dict.fromkeys((*settings.stops, *(s for s in end_strings if s not in eos_text))))
    trim = tuple(dict.fromkeys((*settings.stops, *end_strings)))
    kwargs = generation_config(settings, user_kwargs, eos_ids=eos_ids, pad_id=pad_id)
    with torch.inference_mode():
        for sub in chunks(order, batch_size):
            ids, mask = left_pad([prompts[i] for i in sub], pad_id, device)
            criterion = StopOnStrings(tokenizer, watch, ids.shape[1], settings.min_new)
            extra = {"stopping_criteria": _criteria([criterion])} if watch else {}
            out = model.generate(input_ids=ids, attention_mask=mask, **kwargs, **extra)
            new = out[:, ids.shape[1]:].tolist()
            for row, i in enumerate(sub):
                results[i] = finish(tokenizer, new[row], eos_ids=eos_ids, stops=trim,
                                    min_new=settings.min_new, max_new=settings.max_new,
                                    stopped_at=criterion.stopped_at.get(row))
    return [r for r in results if r is not None]


def _criteria(items: list) -> Any:
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Adapter(StoppingCriteria):
        def __init__(self, fn: Any):
            self.fn = fn

        def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
            return self.fn(input_ids, scores, **kwargs)

    return StoppingCriteriaList([_Adapter(item) for item in items])
