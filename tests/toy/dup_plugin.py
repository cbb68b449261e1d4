"""A plugin that registers a dataset name the toy plugin already has."""

from compass.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register("toy", "toy.toy_plugin:toy_benchmark", "A second 'toy'.")
