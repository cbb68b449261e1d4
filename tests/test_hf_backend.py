"""The hf backend on tiny random models (llama-style and gpt2-style), built in a temp dir.

Every number is checked against a plain, unpadded forward pass; batching, padding,
truncation and the shared-context KV cache must not change results.
"""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("torch")
require_extra("transformers")

from compass._errors import CompassError  # noqa: E402
from compass._types import (GenerateRequest, LoglikelihoodRequest, Message, OptionsRequest,  # noqa: E402
                           prompt_to_text)

import hf_models  # noqa: E402
from compass_hf.backend import HFCausalLM  # noqa: E402

pytestmark = pytest.mark.model  # every test here loads a (tiny) real model

TOL = 1e-4


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_tiny")
    return {
        "llama": str(hf_models.build_llama(root / "llama")),
        "llama_chat": str(hf_models.build_llama(root / "llama_chat", chat=True)),
        "gpt2": str(hf_models.build_gpt2(root / "gpt2")),
    }


_built: dict = {}


def model(tiny, name: str, **kwargs) -> HFCausalLM:
    """Build (once per name and options) a backend over a tiny model."""
    kwargs.setdefault("hf_type", "chat" if name == "llama_chat" else "base")
    key = (name, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    if key not in _built:
        _built[key] = HFCausalLM(tiny[name], **kwargs)
    return _built[key]


def human(text: str) -> tuple[Message, ...]:
    return (Message("HUMAN", text),)


PROMPTS = [
    "The quick brown fox",
    "Paris is the capital of France. Berlin is the capital of",
    "Question: what is two plus two? Answer:",
    "Once upon a time there was a small model that liked to count: one, two, three,",
    "答案：",
    "A",
]
CONTINUATIONS = (" Germany.", " four", " A", " the lazy dog jumps over the quick brown fox")

BASES = ["llama", "gpt2"]
ALL = ["llama", "gpt2", "llama_chat"]


def ll_requests() -> list[LoglikelihoodRequest]:
    return [LoglikelihoodRequest(human(p), CONTINUATIONS) for p in PROMPTS]


def gen_requests(n: int = 12) -> list[GenerateRequest]:
    return [GenerateRequest(human(p), max_out_len=n) for p in PROMPTS]


# --------------------------------------------------------------------------- ppl


@pytest.mark.parametrize("name", ALL)
def test_loglikelihood_equals_direct_forward(tiny, name):
    m = model(tiny, name, batch_size=4)
    got = m.loglikelihood(ll_requests())
    assert m.scorer.packing is True  # continuations packed after their context, checked once
    for req, scores in zip(ll_requests(), got):
        text = m.encoder.render(req.prompt)
        ctx = m.encoder.encode_one(text)
        for cont, score in zip(req.continuations, scores):
            whole = m.encoder.encode_one(text + cont)
            n = len(ctx) if whole[:len(ctx)] == ctx else max(
                i for i in range(len(ctx) + 1) if whole[:i] == ctx[:i])
            ref = hf_models.reference_loglikelihood(tiny[name], whole[:n] or [m.start_id], whole[n:])
            assert score == pytest.approx(ref, abs=TOL), (text, cont)


def _opencompass_mean_loss(folder, ids: list[int]) -> float:
    """OpenCompass's HuggingFaceBaseModel.get_ppl for one unpadded text: the cross-entropy of every
    token after the first, summed, divided by the number of tokens."""
    import torch
    import torch.nn.functional as F
    from transformers import AutoModelForCausalLM

    net = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    t = torch.tensor([ids])
    with torch.no_grad():
        logits = net(t).logits[0, :-1].float()
    return float(F.cross_entropy(logits, t[0, 1:], reduction="sum")) / len(ids)


@pytest.mark.parametrize("name", BASES)
def test_mean_all_is_opencompass_ppl_rule(tiny, name):
    """score="mean_all": minus OpenCompass's per-label loss, so the highest score is the label
    OpenCompass's PPLInferencer picks (its lowest mean loss), also where continuations differ in length
    and the summed rule would pick another."""
    m = model(tiny, name, batch_size=4)
    reqs = [LoglikelihoodRequest(human(p), CONTINUATIONS, "mean_all") for p in PROMPTS]
    got = m.loglikelihood(reqs)
    summed = m.loglikelihood(ll_requests())
    differs = 0
    for req, scores, sums in zip(reqs, got, summed):
        text = m.encoder.render(req.prompt)
        want = [-_opencompass_mean_loss(tiny[name], m.encoder.encode_one(text + c)) for c in req.continuations]
        assert scores == pytest.approx(want, abs=TOL), text
        differs += max(range(len(scores)), key=scores.__getitem__) != max(range(len(sums)), key=sums.__getitem__)
    assert differs  # the rules disagree somewhere on these prompts: the test tells them apart
    # an empty continuation is the prompt's own text, scored like any other (not "certain")
    (edge,) = m.loglikelihood([LoglikelihoodRequest(human("Question: 2+2? Answer:"), ("", " 4"), "mean_all")])
    text = m.encoder.render(human("Question: 2+2? Answer:"))
    assert edge[0] == pytest.approx(-_opencompass_mean_loss(tiny[name], m.encoder.encode_one(text)), abs=TOL)
    assert edge[0] < 0


@pytest.mark.parametrize("name", ALL)
def test_loglikelihood_independent_of_batch_size(tiny, name):
    one = model(tiny, name, batch_size=1).loglikelihood(ll_requests())
    many = model(tiny, name, batch_size=16).loglikelihood(ll_requests())
    for a, b in zip(one, many):
        assert a == pytest.approx(b, abs=TOL)


def test_loglikelihood_without_shared_cache_matches(tiny):
    shared = model(tiny, "llama", batch_size=4)
    plain = HFCausalLM(tiny["llama"], hf_type="base", batch_size=4)
    plain.scorer.share_cache = plain.scorer.packing = False  # one full forward pass per continuation
    cached = HFCausalLM(tiny["llama"], hf_type="base", batch_size=4)
    cached.scorer.packing = False  # the context's KV cache repeated per continuation
    want = shared.loglikelihood(ll_requests())
    for other in (plain, cached):
        for a, b in zip(want, other.loglikelihood(ll_requests())):
            assert a == pytest.approx(b, abs=TOL)
    assert cached.scorer.share_cache is True


def test_packing_that_disagrees_is_switched_off(tiny, monkeypatch, capsys):
    """A model whose attention ignored the packed mask would score continuations wrongly:
    the first packed batch is checked against the cache path and packing is dropped."""
    import compass_hf.scoring as scoring

    want = model(tiny, "llama", batch_size=4).loglikelihood(ll_requests())
    real_pack = scoring.pack

    def leaky_pack(*args, **kwargs):
        p = real_pack(*args, **kwargs)
        p.mask.zero_()  # every token sees every other one, as if the mask were ignored
        return p

    monkeypatch.setattr(scoring, "pack", leaky_pack)
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=4)
    got = m.loglikelihood(ll_requests())
    assert m.scorer.packing is False
    assert "does not follow a custom 4-D mask" in capsys.readouterr().err
    for a, b in zip(got, want):
        assert a == pytest.approx(b, abs=TOL)


def test_loglikelihood_left_truncation(tiny):
    m = model(tiny, "llama", batch_size=4, max_seq_len=16)
    long_ctx = "one, two, three, four, five. " * 6
    conts = (" six", " the lazy dog jumps")
    got = m.loglikelihood([LoglikelihoodRequest(human(long_ctx), conts)])[0]
    for cont, score in zip(conts, got):
        ctx = m.encoder.encode_one(long_ctx)
        whole = m.encoder.encode_one(long_ctx + cont)
        assert whole[:len(ctx)] == ctx
        cont_ids = whole[len(ctx):]
        window = whole[-17:]  # the model reads at most 16 tokens: context tail + continuation[:-1]
        ref = hf_models.reference_loglikelihood(tiny["llama"], window[:-len(cont_ids)], cont_ids)
        assert score == pytest.approx(ref, abs=TOL)


def test_loglikelihood_edge_cases(tiny):
    m = model(tiny, "gpt2", batch_size=4)
    out = m.loglikelihood([LoglikelihoodRequest(human("The quick"), ("", " brown")),
                           LoglikelihoodRequest(human(""), ("The quick",)),
                           LoglikelihoodRequest(human("x"), ())])
    assert out[0][0] == 0.0 and out[0][1] < 0
    assert len(out[1]) == 1 and out[1][0] < 0 and out[2] == ()


# --------------------------------------------------------------------------- clp


@pytest.mark.parametrize("name", ALL)
def test_option_logprobs(tiny, name):
    m = model(tiny, name, batch_size=16)
    reqs = [OptionsRequest(human(p + "\nAnswer:"), ("A", "B", "C", "D")) for p in PROMPTS]
    got = m.option_logprobs(reqs)
    one = model(tiny, name, batch_size=1).option_logprobs(reqs)
    for req, scores, scores1 in zip(reqs, got, one):
        assert scores == pytest.approx(scores1, abs=TOL)
        text = m.encoder.render(req.prompt)
        ctx = m.encoder.encode_one(text)
        for option, score in zip(req.options, scores):
            token = m.encoder.encode_one(text + option)[len(ctx)]
            ref = hf_models.reference_loglikelihood(tiny[name], ctx, [token])
            assert score == pytest.approx(ref, abs=TOL)


# --------------------------------------------------------------------------- gen


@pytest.mark.parametrize("name", ALL)
def test_greedy_generation_independent_of_batch_size(tiny, name):
    one = model(tiny, name, batch_size=1).generate(gen_requests())
    many = model(tiny, name, batch_size=16).generate(gen_requests())
    assert [c.text for c in one] == [c.text for c in many]
    assert [c.completion_tokens for c in one] == [c.completion_tokens for c in many]
    assert [c.finish_reason for c in one] == [c.finish_reason for c in many]
    assert all(c.finish_reason == ("length" if c.completion_tokens == 12 else "stop") for c in one)


def test_greedy_generation_equals_plain_generate(tiny):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    m = model(tiny, "gpt2", batch_size=16)
    tok = AutoTokenizer.from_pretrained(tiny["gpt2"])
    ref_model = AutoModelForCausalLM.from_pretrained(tiny["gpt2"], dtype=torch.float32).eval()
    got = m.generate(gen_requests(8))
    for p, c in zip(PROMPTS, got):
        ids = tok(p, return_tensors="pt")
        with torch.no_grad():
            out = ref_model.generate(**ids, max_new_tokens=8, min_new_tokens=8, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
        new = out[0, ids.input_ids.shape[1]:].tolist()
        eos = m.eos_ids[0]
        new = new[:new.index(eos)] if eos in new else new
        assert c.text == tok.decode(new, skip_special_tokens=True)
        assert c.prompt_tokens == ids.input_ids.shape[1]


def test_chat_template_applied_for_chat_only(tiny):
    chat = model(tiny, "llama_chat", batch_size=4)
    base = model(tiny, "llama", batch_size=4)
    prompt = (Message("SYSTEM", "Be brief."), Message("HUMAN", "Hi"))
    assert chat.encoder.render(prompt) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert base.encoder.render(prompt) == prompt_to_text(prompt) == "Be brief.Hi"
    # A prompt ending with a BOT turn is continued, not closed.
    cont = chat.encoder.render((Message("HUMAN", "Hi"), Message("BOT", "The answer is")))
    assert cont.endswith("<|im_start|>assistant\nThe answer is")
    # The end-of-turn token is found in the template and ends generation.
    assert chat.end_strings == ("<|im_end|>",)
    assert chat.tokenizer.convert_tokens_to_ids("<|im_end|>") in chat.eos_ids
    assert base.end_strings == () and base.eos_ids == (base.tokenizer.eos_token_id,)
    c = chat.generate([GenerateRequest(prompt, max_out_len=4)])[0]
    assert c.prompt_tokens == len(chat.tokenizer(chat.encoder.render(prompt), add_special_tokens=False).input_ids)


def test_meta_template_overrides_chat_template(tiny):
    meta = {"HUMAN": {"begin": "Q: ", "end": "\n"}, "BOT": {"begin": "A:", "end": "<|im_end|>"}}
    m = model(tiny, "llama_chat", batch_size=4, meta_template=meta)
    assert m.encoder.render(human("Hi")) == "Q: Hi\nA:"
    assert m.end_strings == ("<|im_end|>",)


def _baseline(m, prompt, n=12):
    return m.generate([GenerateRequest(human(prompt), max_out_len=n)])[0]


@pytest.mark.parametrize("name", BASES)
def test_stop_words_trimmed(tiny, name):
    m = model(tiny, name, batch_size=4)
    prompt = PROMPTS[1]
    base = _baseline(m, prompt, 16)
    text = base.text
    # Pick a stop word from the middle of what the model writes anyway.
    stop = text[len(text) // 2: len(text) // 2 + 2]
    assert stop and stop in text
    cut = text.index(stop)
    for stops in [(stop,), ("never-appears", stop)]:
        c = m.generate([GenerateRequest(human(prompt), max_out_len=16, stop=stops)])[0]
        assert c.text == text[:cut] and c.finish_reason == "stop"
        assert c.completion_tokens < 16
    # The model's own stop_words work the same way.
    m2 = model(tiny, name, batch_size=4, stop_words=[stop])
    assert m2.generate([GenerateRequest(human(prompt), max_out_len=16)])[0].text == text[:cut]


def test_generation_cut_at_eos_and_min_out_len(tiny):
    m = HFCausalLM(tiny["llama"], hf_type="base", batch_size=4)
    prompt = PROMPTS[0]
    base = _baseline(m, prompt, 10)
    ids = m.tokenizer(base.text, add_special_tokens=False).input_ids
    first = m.generate([GenerateRequest(human(prompt), max_out_len=1)])[0]
    first_id = m.tokenizer(first.text, add_special_tokens=False).input_ids[0]
    assert ids[0] == first_id
    # Pretend the model's first token is its eos: generation ends at once, text empty.
    m.eos_ids = (first_id,)
    c = m.generate([GenerateRequest(human(prompt), max_out_len=10)])[0]
    assert c.text == "" and c.completion_tokens == 1 and c.finish_reason == "stop"
    # min_out_len forbids eos for the first tokens.
    c = m.generate([GenerateRequest(human(prompt), max_out_len=10, min_out_len=3)])[0]
    assert c.completion_tokens >= 3 and c.text
    m.options = type(m.options).from_kwargs(path=tiny["llama"], hf_type="base", min_out_len=4)
    c = m.generate([GenerateRequest(human(prompt), max_out_len=10)])[0]
    assert c.completion_tokens >= 4


def test_min_out_len_keeps_early_stop_words(tiny):
    m = model(tiny, "gpt2", batch_size=4)
    base = _baseline(m, PROMPTS[2], 12)
    stop = base.text[:1]
    assert m.generate([GenerateRequest(human(PROMPTS[2]), max_out_len=12, stop=(stop,))])[0].text == ""
    c = m.generate([GenerateRequest(human(PROMPTS[2]), max_out_len=12, stop=(stop,), min_out_len=4)])[0]
    assert c.completion_tokens >= 4 and c.text.startswith(stop)


def test_generation_left_truncation(tiny):
    import torch

    m = model(tiny, "llama", batch_size=4, max_seq_len=24)
    long_prompt = "one, two, three, four, five. " * 8
    c = m.generate([GenerateRequest(human(long_prompt), max_out_len=8)])[0]
    assert c.prompt_tokens == 24 - 8
    ids = m.encoder.encode_one(long_prompt)[-16:]
    with torch.no_grad():
        out = m.model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, 16, dtype=torch.long),
                               max_new_tokens=8, do_sample=False, pad_token_id=m.pad_id, eos_token_id=list(m.eos_ids))
    new = [t for t in out[0, 16:].tolist() if t not in m.eos_ids]
    assert c.text == m.tokenizer.decode(new, skip_special_tokens=True)


def test_sampling_uses_generation_kwargs(tiny):
    m = model(tiny, "gpt2", batch_size=4, generation_kwargs={"do_sample": True, "top_k": 50})
    import torch

    torch.manual_seed(0)
    a = [c.text for c in m.generate(gen_requests(10))]
    torch.manual_seed(1)
    b = [c.text for c in m.generate(gen_requests(10))]
    assert a != b


# --------------------------------------------------------------------------- errors and misc


def test_batch_size_attribute_and_auto(tiny):
    assert model(tiny, "gpt2", batch_size=3).batch_size == 3
    auto = model(tiny, "gpt2", batch_size="auto")
    assert (auto.batch_size, auto.scorer.token_budget) == (32, 2048)  # on CPU: rows and padded tokens per pass


def test_budget_chunks_bound_rows_and_padded_tokens():
    from compass_hf.batching import budget_chunks

    lengths = [100, 90, 60, 50, 50, 10, 10, 10, 10, 1000]
    got = [list(c) for c in budget_chunks(lengths, 4, 200, lambda n: n)]
    assert got == [[100, 90], [60, 50, 50], [10, 10, 10, 10], [1000]]  # a row over budget still goes alone
    assert [len(c) for c in budget_chunks(lengths, 3, None, lambda n: n)] == [3, 3, 3, 1]
    # Much shorter items start a new chunk once it is worth a pass of its own (a quarter budget).
    assert [list(c) for c in budget_chunks([100, 100, 100, 50], 8, 1000, lambda n: n)] == [[100, 100, 100], [50]]
    assert [list(c) for c in budget_chunks([100, 50, 50], 8, 1000, lambda n: n)] == [[100, 50, 50]]


def test_load_errors_are_one_line(tiny, tmp_path):
    with pytest.raises(CompassError, match="--hf-path /does/not/exist does not exist"):
        HFCausalLM("/does/not/exist", hf_type="base")
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CompassError) as info:
        HFCausalLM(str(tmp_path), hf_type="base")
    assert "\n" not in str(info.value) and "could not load" in str(info.value)
    with pytest.raises(CompassError, match="does not take|unexpected keyword|could not load the model"):
        HFCausalLM(tiny["gpt2"], hf_type="base", model_kwargs={"no_such_option": 1})
    with pytest.raises(CompassError, match="device cuda was asked for"):
        HFCausalLM(tiny["gpt2"], hf_type="base", device="cuda")


def test_chat_without_template_is_refused(tiny):
    with pytest.raises(CompassError, match="no chat template"):
        HFCausalLM(tiny["gpt2"], hf_type="chat")


def test_close_frees_model(tiny):
    m = HFCausalLM(tiny["gpt2"], hf_type="base")
    m.close()
    assert m.model is None


def test_peft_adapter_is_applied(tiny, tmp_path):
    peft = require_extra("peft")
    import torch
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny["llama"], dtype=torch.float32)
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    torch.manual_seed(0)
    lora = peft.get_peft_model(base, config).eval()
    lora.save_pretrained(tmp_path / "lora")
    m = HFCausalLM(tiny["llama"], hf_type="base", peft_path=str(tmp_path / "lora"), batch_size=4)
    plain = model(tiny, "llama", batch_size=4)
    req = LoglikelihoodRequest(human(PROMPTS[1]), CONTINUATIONS)
    with_adapter, without = m.loglikelihood([req])[0], plain.loglikelihood([req])[0]
    assert all(abs(a - b) > 1e-3 for a, b in zip(with_adapter, without))
    ctx = m.encoder.encode_one(PROMPTS[1])
    cont = m.encoder.encode_one(PROMPTS[1] + CONTINUATIONS[0])[len(ctx):]
    with torch.no_grad():
        logp = torch.log_softmax(lora(torch.tensor([ctx + cont])).logits[0].float(), -1)
    ref = float(sum(logp[len(ctx) - 1 + k, t] for k, t in enumerate(cont)))
    assert with_adapter[0] == pytest.approx(ref, abs=TOL)


def test_missing_peft_is_one_line(tiny, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "peft", None)  # import peft -> ImportError
    with pytest.raises(CompassError, match=r"--peft-path needs the package peft; pip install 'compass-eval\[peft\]'"):
        HFCausalLM(tiny["gpt2"], hf_type="base", peft_path=str(tmp_path))


def test_token_counts_for_telemetry(tiny):
    m = HFCausalLM(tiny["gpt2"], hf_type="base", batch_size=4)
    assert m.token_counts == {"prompt": 0, "completion": 0}
    c = m.generate([GenerateRequest(human(PROMPTS[0]), max_out_len=5, min_out_len=5)])[0]
    assert m.token_counts == {"prompt": c.prompt_tokens, "completion": 5}
    m.option_logprobs([OptionsRequest(human(PROMPTS[1]), ("A", "B"))])
    ctx = len(m.encoder.encode_one(PROMPTS[1]))
    assert m.token_counts["prompt"] == c.prompt_tokens + ctx
    m.loglikelihood([LoglikelihoodRequest(human(PROMPTS[1]), (" four", " Germany."))])
    assert m.token_counts["prompt"] > c.prompt_tokens + ctx
