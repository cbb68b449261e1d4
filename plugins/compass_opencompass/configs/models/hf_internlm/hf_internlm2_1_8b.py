models = [dict(type='internlm2-1.8b', abbr='internlm2-1.8b-hf')]
