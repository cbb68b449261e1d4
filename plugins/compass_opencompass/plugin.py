"""Registers the reading of OpenCompass-style Python config files (cheap manifest)."""

from compass.sdk import hookimpl

#: names an OpenCompass config defines that a compass config does not
OPENCOMPASS_KEYS = ("infer", "eval")


@hookimpl
def read_config(path, keys):
    """Execute a ``.py`` config under the stand-in modules; an OpenCompass-style one
    (``type=SomeClass``, ``read_base``, ``infer``/``eval``) is translated, a plain one is
    returned as it is (so the file runs once)."""
    if not str(path).endswith(".py"):
        return None
    from pathlib import Path

    from compass_opencompass.shims import run_config, uses_classes

    namespace = run_config(Path(path))
    picked = {k: v for k, v in namespace.items() if k in (*keys, *OPENCOMPASS_KEYS)}
    if any(k in picked for k in OPENCOMPASS_KEYS) or uses_classes(picked):
        from compass_opencompass.translate import translate

        return translate(picked, str(path))
    return {k: v for k, v in picked.items() if k in keys}


@hookimpl
def register_datasets(register):
    register("opencompass", "compass_opencompass.datasets:opencompass",
             "OpenCompass dataset configs run by their own definition (reader_cfg, infer_cfg, eval_cfg).")
    from importlib import resources

    listing = resources.files("compass_opencompass").joinpath("oc_dataset_configs.txt").read_text("utf-8")
    for line in listing.splitlines():
        if line.strip() and not line.startswith("#"):
            register.alias(line.split("/")[-1], "opencompass", defaults={"config": line.strip()},
                           note=f"runs configs/datasets/{line.strip()}.py of your OpenCompass tree")


@hookimpl
def register_postprocessors(register):
    register("opencompass_bbh_mcq", "compass_opencompass.scoring:bbh_mcq",
             "OpenCompass's bbh_mcq_postprocess: the option letter after 'answer is'.")
    register("opencompass_bbh_freeform", "compass_opencompass.scoring:bbh_freeform",
             "OpenCompass's bbh_freeform_postprocess: the answer after 'answer is', normalised.")
    register("opencompass_humaneval_v2", "compass_opencompass.scoring:humaneval_v2",
             "OpenCompass's humaneval_postprocess_v2: the first fenced code block.")
    register("opencompass_humaneval_v3", "compass_opencompass.scoring:humaneval_v3",
             "OpenCompass's humaneval_postprocess_v3: the last fenced code block.")
    register("opencompass_gsm8k", "compass_opencompass.scoring:gsm8k",
             "OpenCompass's gsm8k_postprocess: the last number before any 'Question:', else NULL.")
    register("opencompass_match_answer_pattern", "compass_opencompass.scoring:match_answer_pattern",
             "OpenCompass's match_answer_pattern: group 1 of answer_pattern's first match.")


@hookimpl
def register_evaluators(register):
    register("opencompass_bbh", "compass_opencompass.scoring:BBHEvaluator",
             "OpenCompass's BBHEvaluator: free-form answers compared case-insensitively.")
    register("opencompass_gsm8k", "compass_opencompass.scoring:Gsm8kEvaluator",
             "OpenCompass's Gsm8kEvaluator: the same text, or numerically equal to the integer reference.")
