"""Scores from echoed completions: the log-likelihood of a continuation given a context.

A completions request with ``echo=True, logprobs=1`` (vLLM, LMDeploy, OpenAI's legacy
models) returns the prompt's own tokens, each with its log-probability given everything
before it, and each token's character offset. The score of ``continuation`` after
``context`` is the sum over the tokens that hold any of the continuation's characters —
the same quantity a local model computes in ppl mode. A token straddling the boundary
counts with the continuation (it holds some of it); the first token has no score.
"""

from __future__ import annotations

from compass_openai.retry import MalformedResponse


def _offsets(tokens: list[str], offsets: list[int] | None) -> list[int]:
    if offsets and len(offsets) == len(tokens):
        return [int(o) for o in offsets]
    out, pos = [], 0  # no offsets given: the tokens spell the text
    for tok in tokens:
        out.append(pos)
        pos += len(tok)
    return out


def span_logprob(logprobs, start: int, end: int) -> float:
    """Sum of the log-probabilities of the tokens overlapping characters ``[start, end)``."""
    if logprobs is None:
        raise MalformedResponse("the server returned no logprobs (does it support echo + logprobs?)")
    tokens = list(_get(logprobs, "tokens") or [])
    values = list(_get(logprobs, "token_logprobs") or [])
    if not tokens or len(values) != len(tokens):
        raise MalformedResponse("logprobs without tokens or token_logprobs")
    total, seen = 0.0, False
    for tok, off, value in zip(tokens, _offsets(tokens, _get(logprobs, "text_offset")), values):
        if off >= end:
            break
        if off + max(len(tok), 1) <= start or value is None:
            continue
        total += float(value)
        seen = True
    if not seen and end > start:
        raise MalformedResponse("no scored token covers the continuation")
    return total


def _get(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
