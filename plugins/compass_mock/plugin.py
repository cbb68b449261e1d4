"""Registers the ``mock`` model (cheap manifest)."""

from compass.sdk import hookimpl


@hookimpl
def register_models(register):
    register("mock", "compass_mock.model:MockModel",
             "Deterministic model without weights: answers from a table, a default, or echoes.",
             traits="compass_mock.model:mock_traits")
