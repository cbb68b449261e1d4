"""Tiny randomly initialised causal LMs for the hf backend's tests (no hub, no network).

``build_tokenizer`` trains a small byte-level BPE with the ``tokenizers`` library;
``build_llama`` / ``build_gpt2`` make 2-layer models from a config and ``save_pretrained``
them, with that tokenizer, into a folder. The chat variant carries a ChatML template whose
end-of-turn token ``<|im_end|>`` is *not* the eos token, so the backend must find it.
"""

from __future__ import annotations

from pathlib import Path

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Paris is the capital of France. Berlin is the capital of Germany.",
    "Question: what is two plus two? Answer: four.",
    "A. red B. green C. blue D. yellow",
    "Once upon a time there was a small model that liked to count: one, two, three, four, five.",
    "答案：A 北京 上海",
    "def add(a, b):\n    return a + b\n",
] * 20


def build_tokenizer(folder: Path, *, chat: bool) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                   pad_token="<pad>", additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    if chat:
        fast.chat_template = CHATML
    fast.save_pretrained(folder)


def _ids(folder: Path) -> dict:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    return {"vocab_size": len(tok), "eos_token_id": tok.eos_token_id, "bos_token_id": tok.bos_token_id,
            "pad_token_id": tok.pad_token_id}


def build_llama(folder: Path, *, chat: bool = False, seed: int = 0, max_positions: int = 256) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    build_tokenizer(folder, chat=chat)
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=max_positions, initializer_range=0.2,
                         tie_word_embeddings=False, **_ids(folder))
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def build_gpt2(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    folder.mkdir(parents=True, exist_ok=True)
    build_tokenizer(folder, chat=False)
    ids = _ids(folder)
    config = GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=256, initializer_range=0.2,
                        vocab_size=ids["vocab_size"], eos_token_id=ids["eos_token_id"],
                        bos_token_id=ids["bos_token_id"], pad_token_id=ids["pad_token_id"])
    torch.manual_seed(seed)
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def reference_loglikelihood(folder: Path, context_ids: list[int], continuation_ids: list[int]) -> float:
    """Sum log p(continuation | context) with one plain, unpadded forward pass."""
    import torch
    from transformers import AutoModelForCausalLM

    model = _model_cache.get(str(folder))
    if model is None:
        model = _model_cache[str(folder)] = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    ids = torch.tensor([context_ids + continuation_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].float(), -1)
    n = len(context_ids)
    return float(sum(logp[n - 1 + k, t] for k, t in enumerate(continuation_ids)))


_model_cache: dict = {}
