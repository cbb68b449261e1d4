"""compass-model-replay: score answers recorded elsewhere (another harness, a human) with compass."""
