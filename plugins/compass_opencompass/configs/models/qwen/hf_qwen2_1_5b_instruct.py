models = [dict(type='qwen2-1.5b-instruct', abbr='qwen2-1.5b-instruct-hf')]
