"""compass_hf: the Hugging Face causal-LM backend (base and chat), its presets and the
embedded default model, ``smollm2-135m-instruct``.

Module map (only ``plugin``, ``presets``, ``options``, ``paths``, ``templates``, ``traits``,
``devices`` and ``backend`` are importable without torch):

* ``plugin`` / ``presets`` — what is registered; ``traits`` — plan-time checks;
* ``options`` — keyword arguments; ``paths`` — hub id / folder / ``pkg://``;
* ``devices`` — cpu/cuda/mps/npu placement; ``loading`` / ``gguf_cache`` — from_pretrained;
* ``templates`` / ``encoding`` — prompts to token ids;
* ``batching`` — padding and the forward call; ``scoring`` — ppl and clp, with
  ``prefix`` (a shared few-shot prefix's KV cache) and ``segments`` (passes packed without
  padding); ``generation`` / ``decoding`` / ``slots`` — gen with continuous batching over
  a slot KV buffer; ``autobatch`` — ``batch_size="auto"``; ``backend`` — the Model the core calls.
"""
