"""compass's vLLM backend: ``-m vllm`` and ``-a vllm`` (vLLM's offline engine)."""
