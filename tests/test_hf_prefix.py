"""Shared few-shot prefix: read once, reused across batches, same numbers as a plain pass.

Requests share a long few-shot block (as C-Eval's five dev examples do); every score is
compared with one plain, unpadded forward pass of the whole text.
"""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("torch")
require_extra("transformers")

from compass._types import LoglikelihoodRequest, Message, OptionsRequest  # noqa: E402

import hf_models  # noqa: E402
from compass_hf.backend import HFCausalLM  # noqa: E402
from compass_hf.prefix import common_prefix_len  # noqa: E402

TOL = 1e-4
SHOTS = "".join(f"Question: what is {i} plus {i}? Answer: {2 * i}.\n" for i in range(1, 9))
QUESTIONS = ["Question: what is two plus two? Answer:", "Question: the capital of France? Answer:",
             "Question: A. red B. green C. blue D. yellow? Answer:", "Q: once upon a time Answer:",
             "Question: what is one plus one?", "Question: 答案 Answer:", "Question: def add(a, b): Answer:"]
CONTS = (" A", " four", " the lazy dog jumps over", " Paris is the capital")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_prefix")
    return {"llama": str(hf_models.build_llama(root / "llama")), "gpt2": str(hf_models.build_gpt2(root / "gpt2")),
            "llama_chat": str(hf_models.build_llama(root / "llama_chat", chat=True))}


def human(text: str) -> tuple[Message, ...]:
    return (Message("HUMAN", text),)


def test_common_prefix_len():
    assert common_prefix_len([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix_len([[1], [2]]) == 0
    assert common_prefix_len([]) == 0


def _reference(m, folder, req):
    text = m.encoder.render(req.prompt)
    ctx = m.encoder.encode_one(text)
    out = []
    for cont in req.continuations:
        whole = m.encoder.encode_one(text + cont)
        n = max(i for i in range(len(ctx) + 1) if whole[:i] == ctx[:i])
        n = min(n, len(whole) - 1)
        out.append(hf_models.reference_loglikelihood(folder, whole[:n], whole[n:]))
    return out


@pytest.mark.model
@pytest.mark.parametrize("name", ["llama", "gpt2", "llama_chat"])
@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_fewshot_prefix_scores_equal_plain_forward(tiny, name, batch_size):
    m = HFCausalLM(tiny[name], hf_type="chat" if name == "llama_chat" else "base", batch_size=batch_size)
    reqs = [LoglikelihoodRequest(human(SHOTS + q), CONTS) for q in QUESTIONS]
    got = m.loglikelihood(reqs[:4]) + m.loglikelihood(reqs[4:])  # two hand-overs: the cache carries over
    assert m.scorer.prefix.cache is not None and len(m.scorer.prefix.tokens) >= 32
    for req, scores in zip(reqs, got):
        assert list(scores) == pytest.approx(_reference(m, tiny[name], req), abs=TOL)
    # Only the shared prefix once and each request's own tail are read, not the prefix per request.
    n_prefix = len(m.scorer.prefix.tokens)
    assert m.scorer.prefix.tokens_read < n_prefix * 2 + sum(len(m.encoder.encode_one(SHOTS + q)) - n_prefix
                                                           for q in QUESTIONS) + 1


@pytest.mark.model
def test_prefix_switches_between_subjects(tiny):
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=4)
    other = "".join(f"Q: {i} times {i}? A: {i * i}.\n" for i in range(1, 9))
    reqs = ([LoglikelihoodRequest(human(SHOTS + q), CONTS) for q in QUESTIONS[:3]]
            + [LoglikelihoodRequest(human(other + q), CONTS) for q in QUESTIONS[:3]])
    got = m.loglikelihood(reqs[:3]) + m.loglikelihood(reqs[3:]) + m.loglikelihood(reqs[:2])
    for req, scores in zip(reqs + reqs[:2], got):
        assert list(scores) == pytest.approx(_reference(m, tiny["llama"], req), abs=TOL)


@pytest.mark.model
def test_fewshot_prefix_option_logprobs(tiny):
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=8)
    plain = HFCausalLM(tiny["llama"], hf_type="base", batch_size=1)
    plain.scorer.prefix.enabled = False
    plain.scorer.segments = False  # padded passes over whole prompts
    reqs = [OptionsRequest(human(SHOTS + q), (" A", " B", " C", " D")) for q in QUESTIONS]
    got = m.option_logprobs(reqs)
    assert m.scorer.prefix.cache is not None
    assert plain.scorer.prefix.cache is None
    for scores, ref in zip(got, plain.option_logprobs(reqs)):
        assert list(scores) == pytest.approx(list(ref), abs=TOL)


@pytest.mark.model
def test_token_budget_counts_only_what_the_prefix_cache_does_not_serve(tiny, monkeypatch):
    """With a shared few-shot block, a pass computes only the questions' own tails, so the
    token budget must fill passes with tails: here 7 one-row passes would be a waste."""
    import compass_hf.scoring as scoring

    rows_per_pass = []
    real = scoring.Scorer._score_chunk

    def spy(self, chunk, out):
        rows_per_pass.append(len(chunk))
        return real(self, chunk, out)

    monkeypatch.setattr(scoring.Scorer, "_score_chunk", spy)
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=16)
    prompts = [m.encoder.encode_one(SHOTS + q) for q in QUESTIONS]
    longest = max(len(p) for p in prompts)
    # A budget below two whole prompts but far above seven tails.
    m.scorer.token_budget = longest + longest // 2
    reqs = [LoglikelihoodRequest(human(SHOTS + q), (" A", " B")) for q in QUESTIONS]
    got = m.loglikelihood(reqs)
    assert sum(rows_per_pass) == len(QUESTIONS) and len(rows_per_pass) <= 2, rows_per_pass
    for req, scores in zip(reqs, got):
        assert list(scores) == pytest.approx(_reference(m, tiny["llama"], req), abs=TOL)
