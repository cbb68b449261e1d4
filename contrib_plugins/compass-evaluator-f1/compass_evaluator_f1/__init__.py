"""compass-evaluator-f1: token-overlap F1 for short free-form answers (SQuAD's metric)."""
