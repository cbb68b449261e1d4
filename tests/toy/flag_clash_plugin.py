"""A plugin that contributes a flag the ``hf`` plugin already has (tests)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_eval_options(register):
    register("--hf-path", "A second --hf-path.", model_kwarg="path")
