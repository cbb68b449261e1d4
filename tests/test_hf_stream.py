"""``generate_stream``: continuous batching gives the answers of one-by-one greedy ``generate``.

Rows leave the batch as they finish and waiting requests take their slots; a shared
prompt prefix is read once. None of it may change a greedy answer.
"""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("torch")
require_extra("transformers")

from compass._types import GenerateRequest, Message  # noqa: E402

import hf_models  # noqa: E402
from compass_hf.backend import HFCausalLM  # noqa: E402

pytestmark = pytest.mark.model  # every test here loads a (tiny) real model

PROMPTS = ["The quick brown fox", "Paris is the capital of France. Berlin is the capital of",
           "Question: what is two plus two? Answer:",
           "Once upon a time there was a small model that liked to count: one, two, three,", "答案：", "A"]
SHOTS = "".join(f"Question: what is {i} plus {i}? Answer: {2 * i}.\n" for i in range(1, 9))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_stream")
    return {"llama": str(hf_models.build_llama(root / "llama")), "gpt2": str(hf_models.build_gpt2(root / "gpt2")),
            "llama_chat": str(hf_models.build_llama(root / "llama_chat", chat=True))}


def build(tiny, name, **kw):
    return HFCausalLM(tiny[name], hf_type="chat" if name == "llama_chat" else "base", **kw)


def one_by_one(m, reqs):
    return [m.generate([r])[0] for r in reqs]


def human(text):
    return (Message("HUMAN", text),)


@pytest.mark.parametrize("name", ["llama", "gpt2", "llama_chat"])
@pytest.mark.parametrize("batch_size", [1, 4, "auto"])
def test_stream_equals_greedy_one_by_one(tiny, name, batch_size):
    m = build(tiny, name, batch_size=batch_size)
    reqs = [GenerateRequest(human(p), max_out_len=n) for p in PROMPTS for n in (3, 12, 40)]
    got = dict(m.generate_stream(reqs))
    assert sorted(got) == list(range(len(reqs)))
    assert [got[i] for i in range(len(reqs))] == one_by_one(m, reqs)


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_stream_stop_words_min_out_len_and_truncation(tiny, name):
    m = build(tiny, name, batch_size=3, max_seq_len=40)
    base = m.generate([GenerateRequest(human(PROMPTS[1]), max_out_len=16)])[0].text
    stop = base[len(base) // 2: len(base) // 2 + 2]
    reqs = [GenerateRequest(human(p), max_out_len=16, stop=(stop,)) for p in PROMPTS]
    reqs += [GenerateRequest(human(p), max_out_len=10, min_out_len=4, stop=(base[:1],)) for p in PROMPTS]
    reqs += [GenerateRequest(human("one, two, three, four, five. " * 8), max_out_len=8)]
    got = dict(m.generate_stream(reqs))
    ref = one_by_one(m, reqs)
    assert [got[i] for i in range(len(reqs))] == ref
    assert any(c.finish_reason == "stop" and c.completion_tokens < 16 for c in ref[:len(PROMPTS)])
    assert ref[-1].prompt_tokens == 40 - 8


def test_stream_yields_short_answers_first_and_refills(tiny):
    m = build(tiny, "llama", batch_size=2)
    lengths = [40, 2, 40, 3, 2, 40]
    reqs = [GenerateRequest(human(p), max_out_len=n) for p, n in zip(PROMPTS, lengths)]
    order = [pos for pos, _ in m.generate_stream(reqs)]
    # With two slots, the short answers finish (and free their slot) before the long ones.
    assert order.index(1) < order.index(0)
    assert sorted(order) == list(range(len(reqs)))


def test_stream_shared_chat_prefix_read_once(tiny):
    m = build(tiny, "llama_chat", batch_size=8)
    reqs = [GenerateRequest((Message("SYSTEM", SHOTS), Message("HUMAN", p)), max_out_len=10) for p in PROMPTS]
    got = dict(m.generate_stream(reqs))
    prefix = m._decoder().prefix
    assert len(prefix.tokens) >= 32 and prefix.cache is not None
    assert [got[i] for i in range(len(reqs))] == one_by_one(m, reqs)


def test_stream_sampling_falls_back_to_generate(tiny):
    m = build(tiny, "gpt2", batch_size=4, generation_kwargs={"do_sample": True, "top_k": 50})
    reqs = [GenerateRequest(human(p), max_out_len=6) for p in PROMPTS]
    got = dict(m.generate_stream(reqs))
    assert sorted(got) == list(range(len(reqs)))
    assert m._decoder_obj is None  # never built: every request went through generate()


def test_stream_token_counts(tiny):
    m = build(tiny, "gpt2", batch_size=4)
    reqs = [GenerateRequest(human(p), max_out_len=5) for p in PROMPTS]
    before = dict(m.token_counts)
    got = dict(m.generate_stream(reqs))
    after = m.token_counts
    assert after["completion"] - before["completion"] == sum(c.completion_tokens for c in got.values())
    assert after["prompt"] - before["prompt"] == sum(c.prompt_tokens for c in got.values())
