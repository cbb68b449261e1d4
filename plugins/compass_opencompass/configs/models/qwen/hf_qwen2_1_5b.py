models = [dict(type='qwen2-1.5b', abbr='qwen2-1.5b-hf')]
