"""The ``mock`` model: deterministic answers without weights, for trying the pipeline."""
