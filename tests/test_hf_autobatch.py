"""``batch_size="auto"`` on CPU: a KV cache sized to what a run uses, not to the free RAM.

W1 (GSM8K 100, ≤ 256 new tokens, SmolLM2-135M float32) peaked at 6.3 GB RSS when the
budget was 40% of free RAM (100 rows at once, a buffer grown by half again); lm-eval
peaks at 1.5 GB. The rule: on CPU the KV budget is at most ``CPU_KV_BYTES`` (2.5 GiB: W1
keeps all its rows, so its speed), the decoder takes as many rows as fit at (longest prompt +
longest output), and allocates that buffer once.
"""

from __future__ import annotations

import pytest
from extras import require_extra

torch = require_extra("torch")
require_extra("transformers")

from compass._types import GenerateRequest, Message  # noqa: E402

import hf_models  # noqa: E402
from compass_hf.autobatch import budget, kv_bytes_per_token  # noqa: E402
from compass_hf.backend import HFCausalLM  # noqa: E402
from compass_hf.decoding import Budget, Job  # noqa: E402
from compass_hf.generation import Settings  # noqa: E402
from compass_hf.slots import SlotBuffer  # noqa: E402

GIB = 1 << 30


def smollm2_shape():
    """A model with SmolLM2-135M's shape, on the meta device (no weights, no memory)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3)
    with torch.device("meta"):
        return LlamaForCausalLM(cfg)


def w1_jobs(n=100, longest=158, max_new=256):
    settings = Settings(max_new=max_new, min_new=0, stops=(), temperature=0.0)
    return [Job(i, [1] * (longest if i == 7 else 60 + i % 90), settings) for i in range(n)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(hf_models.build_llama(tmp_path_factory.mktemp("autobatch") / "llama"))


def test_cpu_auto_kv_budget_is_capped_whatever_the_free_ram():
    model = smollm2_shape()
    assert kv_bytes_per_token(model) == 2 * 30 * 3 * 64 * 4 == 46080
    for free in (8 * GIB, 22 * GIB, 200 * GIB):
        b = budget(model, "cpu", "cpu", "auto", free=free)
        assert b.kv_tokens == min(int(free * 0.4), 2560 << 20) // 46080, free
        assert b.max_rows == 128
    assert budget(model, "cpu", "cpu", "auto", free=200 * GIB).kv_tokens == 58254
    # a small machine keeps the share of what is free
    assert budget(model, "cpu", "cpu", "auto", free=1 * GIB).kv_tokens == int(GIB * 0.4) // 46080
    # accelerators and an explicit batch size keep 40% of the free memory
    assert budget(model, "cuda", None, "auto", free=22 * GIB).kv_tokens == int(22 * GIB * 0.4) // 46080
    assert budget(model, "cpu", "cpu", 64, free=22 * GIB).kv_tokens == int(22 * GIB * 0.4) // 46080


@pytest.mark.model
def test_w1_default_takes_all_100_rows_of_446_columns_allocated_once(tiny):
    """GSM8K's first 100 prompts are ≤ 158 tokens: 100 rows × (158 + 256 + 32) columns, 2.05 GB."""
    decoder = HFCausalLM(tiny, hf_type="base", batch_size="auto")._decoder()
    decoder.budget = budget(smollm2_shape(), "cpu", "cpu", "auto", free=22 * GIB)
    rows, columns = decoder.rows_for(w1_jobs())
    assert (rows, columns) == (100, 446)
    assert rows * columns * 46080 <= 2560 << 20
    assert decoder.rows_for(w1_jobs(n=10)) == (10, 446)  # never more rows than requests
    # a longer run is cut to what fits: 130 rows of 446 columns would be 2.5 GiB
    assert decoder.rows_for(w1_jobs(n=300))[0] == 128


def test_slot_buffer_with_max_columns_is_allocated_once():
    with torch.inference_mode():  # as the decoder runs it
        slots = SlotBuffer("cpu", max_rows=3, max_tokens=3 * 12, max_columns=12)

        def prefilled(rows, width):
            return [(torch.ones(rows, 2, width, 4), torch.ones(rows, 2, width, 4))], torch.ones(rows, width, dtype=torch.long)

        slots.add(*prefilled(2, 4), room=8)
        assert slots.capacity == (3, 12)
        keys = slots.keys[0]
        for _ in range(5):
            slots.step_mask()
            slots.advance()
        slots.add(*prefilled(1, 6), room=8)  # width 9 + room 8 > 12: steps shift the region instead
        for _ in range(2):
            slots.step_mask()
            slots.advance()
        slots.remove([0, 1])  # the two old rows end; the newcomer decodes on to 6 + 6 columns
        for _ in range(4):  # the region reaches the right edge and moves to the left one
            slots.step_mask()
            slots.advance()
        assert slots.capacity == (3, 12) and slots.keys[0] is keys  # never reallocated
        assert slots.width == 6 + 2 + 4 and slots.start == 0


@pytest.mark.model
def test_answers_unchanged_when_the_kv_budget_limits_rows(tiny):
    m = HFCausalLM(tiny, hf_type="base", batch_size="auto")
    prompts = ["The quick brown fox", "Paris is the capital of", "Question: what is two plus two? Answer:",
               "Once upon a time", "A", "def add(a, b):"]
    reqs = [GenerateRequest((Message("HUMAN", p),), max_out_len=n) for p in prompts for n in (5, 30)]
    decoder = m._decoder()
    decoder.budget = Budget(max_rows=128, kv_tokens=3 * 45, prefill_tokens=4096)
    jobs = [Job(i, m.encoder.encode_one(m.encoder.render(r.prompt)), m._settings(r)) for i, r in enumerate(reqs)]
    assert decoder.rows_for(jobs)[0] < len(reqs)
    got = dict(m.generate_stream(reqs))
    assert [got[i] for i in range(len(reqs))] == [m.generate([r])[0] for r in reqs]
