"""Registers the ``openai`` backend, its presets and ``compass api-test`` (a cheap manifest).

Nothing here imports the ``openai`` SDK: factories and traits are ``module:attr`` strings
resolved only when a run uses the model, and the command imports inside its function.
"""

from compass.sdk import hookimpl

from compass_openai import FACTORY, TRAITS

DISPLAY_NAME = "compass_openai.plugin:display_name"


@hookimpl
def register_models(register):
    from compass_openai.presets import BACKEND_DEFAULTS, PRESETS

    register("openai", FACTORY,
             "Any OpenAI-compatible API: --api-base URL --api-model NAME (key from --api-key-env, "
             "default OPENAI_API_KEY).", defaults=BACKEND_DEFAULTS, traits=TRAITS, display_name=DISPLAY_NAME)
    for name, (description, defaults) in PRESETS.items():
        # the preset that leaves server and model to the user is named after the model, as "openai" is
        named = DISPLAY_NAME if name == "openai-compatible" else None
        register(name, FACTORY, description, defaults=defaults, traits=TRAITS, display_name=named)


@hookimpl
def register_commands(cli):
    from compass_openai.api_test import api_test_command

    cli.add_command(api_test_command)


@hookimpl
def register_eval_options(register):
    from compass_openai.flags import register_flags

    register_flags(register)


def display_name(kwargs: dict) -> str | None:
    """An API model's name in files and tables when the user gives no abbr: its model id."""
    model = kwargs.get("model")
    return model.replace("/", "_") if isinstance(model, str) and model else None


@hookimpl
def provenance_packages():
    return ["openai"]
