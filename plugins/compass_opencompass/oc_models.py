"""OpenCompass model config names (``-m hf_internlm2_5_1_8b_chat``): that file of your tree, translated.

``oc_model_configs.txt`` lists the files under OpenCompass 0.5.4's ``configs/models/`` (less the
names another plugin registers); each name is an alias of the ``opencompass_model`` model, whose
:func:`expand` runs ``configs/models/<folder>/<name>.py`` of the user's OpenCompass tree (found
as for dataset configs: ``$COMPASS_OPENCOMPASS_CONFIGS``, the checkout around the working
folder, an installed ``opencompass``) and translates its ``models[0]`` with
:func:`compass_opencompass.translate.model`. The run then plans the compass model it became
(``hf``, ``openai``) with the file's settings and its ``abbr``; flags given with ``-m`` win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compass.sdk import CompassError


def listing() -> list[str]:
    """``folder/name`` of every shipped OpenCompass model config name."""
    from importlib import resources

    text = resources.files("compass_opencompass").joinpath("oc_model_configs.txt").read_text("utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def config_file(config: str) -> Path:
    """``configs/models/<config>.py`` of the user's OpenCompass tree."""
    from compass_opencompass.shims import ENV, configs_root

    root, _ = configs_root(Path.cwd() / "_")
    name = config.split("/")[-1]
    if root is None:
        raise CompassError(f"model '{name}' is OpenCompass's configs/models/{config}.py: set {ENV} to your "
                           f"opencompass/configs folder (or pip install opencompass)")
    path = root / "models" / f"{config}.py"
    if not path.is_file():
        raise CompassError(f"{path} not found: your OpenCompass tree ({root}) has no models/{config}.py; "
                           f"pick another name from: compass list models")
    return path


def expand(config: str | None = None, index: int = 0, **overrides: Any) -> tuple[str, dict, str | None]:
    """``(compass model type, its keyword arguments, the file's abbr)`` for ``configs/models/<config>.py``."""
    from compass_opencompass.shims import plain_dicts, run_config
    from compass_opencompass.translate import model

    if not config:
        raise CompassError("opencompass_model: needs config=<folder>/<name> (a file under your OpenCompass "
                           "configs/models); or name the file itself: -m hf_internlm2_5_1_8b_chat")
    path = config_file(config)
    models = plain_dicts(run_config(path).get("models"))
    if not isinstance(models, list) or not models:
        raise CompassError(f"{path}: defines no models list")
    if not isinstance(index, int) or not 0 <= index < len(models) or not isinstance(models[index], dict):
        raise CompassError(f"{path}: has {len(models)} model(s); index={index!r} is not one of them")
    out = model(models[index], f"{path}: models[{index}]")
    meta = out.pop("meta_template", None)
    if out.get("type") == "openai" or out.get("hf_type") == "chat":  # OpenCompass's API-style table
        if isinstance(meta, dict) and meta.get("begin"):
            from compass_opencompass.translate import note

            note(f"{path}: models[{index}]: its meta_template's begin message is sent only when the model and its "
                 f"datasets are in one OpenCompass config file; by name the model gets each dataset's own messages")
    elif meta and out.get("hf_type") == "base":
        from compass_opencompass.translate import note

        note(f"{path}: models[{index}]: its meta_template is applied only when the model and its datasets are in "
             f"one OpenCompass config file (compass renders a base model's prompt with the dataset); by name it "
             f"reads plain-text prompts")
    type_ = out.pop("type")
    abbr = out.pop("abbr", None)
    return type_, {**out, **overrides}, (str(abbr) if abbr else None)


def unexpanded(**kwargs: Any):
    """Never called: a run plans the model :func:`expand` names."""
    raise CompassError("opencompass_model is planned through its config file; name it with -m <config name>")
