"""Packed last-logits passes (compass_hf.segments): contexts end to end in one row, no
padding, a cached few-shot prefix read in place. Every number is compared with a plain,
unpadded forward pass of the whole text."""

from __future__ import annotations

import pytest
from extras import require_extra

torch = require_extra("torch")
require_extra("transformers")

from compass._types import Message, OptionsRequest  # noqa: E402

import hf_models  # noqa: E402
from compass_hf import segments  # noqa: E402
from compass_hf.backend import HFCausalLM  # noqa: E402
from compass_hf.batching import Features, budget_chunks  # noqa: E402

TOL = 1e-4
SHOTS = "".join(f"Question: what is {i} plus {i}? Answer: {2 * i}.\n" for i in range(1, 9))
QUESTIONS = ["Question: what is two plus two? Answer:", "Q: once upon a time Answer:",
             "Question: A. red B. green C. blue D. yellow? Answer:", "Question: 答案 Answer:"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_segments")
    return {"llama": str(hf_models.build_llama(root / "llama")), "gpt2": str(hf_models.build_gpt2(root / "gpt2"))}


def load(folder):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def plain_last(model, ids):
    with torch.inference_mode():
        return model(torch.tensor([ids])).logits[0, -1]


@pytest.mark.model
@pytest.mark.parametrize("name", ["llama", "gpt2"])  # grouped-query attention (4 heads, 2 kv) and plain
def test_packed_logits_equal_one_pass_per_text(tiny, name):
    model = load(tiny[name])
    assert segments.available(model, Features.of(model), "cpu")
    seqs = [[5, 9, 31, 7, 8, 100, 3], [42], [17, 17, 17, 2, 250, 11, 12, 13, 14, 15, 16, 60], [3, 4]]
    with torch.inference_mode():
        got = segments.packed_last_logits(model, seqs, "cpu")
    assert got.shape == (len(seqs), model.config.vocab_size)
    for row, seq in zip(got, seqs):
        assert torch.allclose(row, plain_last(model, seq), atol=TOL, rtol=0)


@pytest.mark.model
@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_packed_tails_read_a_cached_prefix(tiny, name):
    model = load(tiny[name])
    prefix = [7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47] * 3
    tails = [[5, 9, 31], [42], [60, 61, 62, 63, 64, 65, 66, 67, 68]]
    with torch.inference_mode():
        cache = model(torch.tensor([prefix]), use_cache=True).past_key_values
        got = segments.packed_last_logits(model, tails, "cpu", prefix=cache, offset=len(prefix))
    for row, tail in zip(got, tails):
        assert torch.allclose(row, plain_last(model, prefix + tail), atol=TOL, rtol=0)


def test_attention_it_does_not_compute_is_refused():
    q = torch.zeros(1, 4, 3, 8)
    kv = torch.zeros(1, 2, 3, 8)
    with pytest.raises(segments.Unsupported):
        segments.segment_attention(None, q, kv, kv, None, compass_segments=[(0, 3)], sliding_window=2)
    with pytest.raises(segments.Unsupported):
        segments.segment_attention(None, torch.zeros(2, 4, 3, 8), kv, kv, None, compass_segments=[(0, 3)])


def human(text):
    return (Message("HUMAN", text),)


@pytest.mark.model
def test_scorer_packs_fewshot_tails_with_the_same_numbers(tiny):
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size="auto")
    padded = HFCausalLM(tiny["llama"], hf_type="base", batch_size="auto")
    padded.scorer.segments = False
    reqs = [OptionsRequest(human(SHOTS + q), (" A", " B", " C", " D")) for q in QUESTIONS]
    got = m.option_logprobs(reqs)
    assert m.scorer.segments is True and m.scorer.prefix.cache is not None
    for scores, ref in zip(got, padded.option_logprobs(reqs)):
        assert list(scores) == pytest.approx(list(ref), abs=TOL)
    # Only the prefix once and each question's own tail went through the model.
    n = len(m.scorer.prefix.tokens)
    assert m.token_counts["prompt"] == n + sum(len(m.encoder.encode_one(SHOTS + q)) - n for q in QUESTIONS)


@pytest.mark.model
def test_a_model_whose_attention_ignores_the_segments_keeps_padded_passes(tiny, monkeypatch, capsys):
    """A model that runs its own attention over the packed row (here: plain causal SDPA,
    so the texts see each other) fails the first-pass check and is scored padded."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def ignores_segments(module, q, k, v, mask, compass_segments=(), compass_prefix=None, **kw):
        return sdpa_attention_forward(module, q, k, v, mask, is_causal=True, **kw)

    monkeypatch.setattr(segments, "segment_attention", ignores_segments)
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=8)
    padded = HFCausalLM(tiny["llama"], hf_type="base", batch_size=8)
    padded.scorer.segments = False
    reqs = [OptionsRequest(human(q), (" A", " B")) for q in QUESTIONS]
    got = m.option_logprobs(reqs)
    assert m.scorer.segments is False
    assert "scored in padded batches" in capsys.readouterr().err
    for scores, ref in zip(got, padded.option_logprobs(reqs)):
        assert list(scores) == pytest.approx(list(ref), abs=TOL)


def test_budget_chunks_packed_bounds_the_sum():
    lengths = [100, 90, 60, 50, 50, 10, 10, 10, 10, 1000]
    got = [list(c) for c in budget_chunks(lengths, 99, 200, lambda n: n, packed=True)]
    assert got == [[100, 90], [60, 50, 50, 10, 10, 10, 10], [1000]]  # 200 fits exactly
    assert [len(c) for c in budget_chunks(lengths, 3, 10_000, lambda n: n, packed=True)] == [3, 3, 3, 1]


@pytest.mark.model
def test_a_sliding_window_model_is_scored_padded(tmp_path, capsys):
    """Mistral asks its attention for a sliding window, which packed passes do not compute:
    the first pass raises, the note says why, and the padded path gives the numbers."""
    from transformers import MistralConfig, MistralForCausalLM

    folder = tmp_path / "mistral"
    folder.mkdir()
    hf_models.build_tokenizer(folder, chat=False)
    config = MistralConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, max_position_embeddings=256, sliding_window=64,
                           **hf_models._ids(folder))
    torch.manual_seed(0)
    MistralForCausalLM(config).save_pretrained(folder)
    m = HFCausalLM(str(folder), hf_type="base", batch_size=8)
    reqs = [OptionsRequest(human(q), (" A", " B")) for q in QUESTIONS]
    got = m.option_logprobs(reqs)
    assert m.scorer.segments is False
    assert "Unsupported: packed scoring needs plain causal attention" in capsys.readouterr().err
    padded = HFCausalLM(str(folder), hf_type="base", batch_size=8)
    padded.scorer.segments = False
    for scores, ref in zip(got, padded.option_logprobs(reqs)):
        assert list(scores) == pytest.approx(list(ref), abs=TOL)
