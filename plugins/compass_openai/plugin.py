"""Registers the ``openai`` backend, its presets and ``compass api-test`` (a cheap manifest).

Nothing here imports the ``openai`` SDK: factories and traits are ``module:attr`` strings
resolved only when a run uses the model, and the command imports inside its function.
"""

from compass.hookspecs import hookimpl

from compass_openai import FACTORY, TRAITS


@hookimpl
def register_models(register):
    from compass_openai.presets import BACKEND_DEFAULTS, PRESETS

    register("openai", FACTORY,
             "Any OpenAI-compatible API: --api-base URL --api-model NAME (key from --api-key-env, "
             "default OPENAI_API_KEY).", defaults=BACKEND_DEFAULTS, traits=TRAITS)
    for name, (description, defaults) in PRESETS.items():
        register(name, FACTORY, description, defaults=defaults, traits=TRAITS)


@hookimpl
def register_commands(cli):
    from compass_openai.api_test import api_test_command

    cli.add_command(api_test_command)


@hookimpl
def register_eval_options(register):
    from compass_openai.flags import register_flags

    register_flags(register)
