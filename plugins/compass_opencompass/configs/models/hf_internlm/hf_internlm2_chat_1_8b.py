models = [dict(type='internlm2-chat-1.8b', abbr='internlm2-chat-1.8b-hf')]
