"""OpenCompass's dataset config names as aliases of compass's datasets (plain data).

OpenCompass names a dataset by its config file (``configs/datasets/<family>/<name>.py``),
the bare name importing one hashed variant (``gsm8k_gen`` -> ``gsm8k_gen_1d7fe4``). A name
OpenCompass 0.5.4 ships runs that file by its own definition (``compass_opencompass``); the
entries here are the names that cannot yet (an older version's file, a dataset class compass
does not run by definition yet): each maps to the compass dataset that evaluates the same
thing, with a one-line note where compass's prompt differs (``compass list`` shows it).
"""

from __future__ import annotations

#: alias -> (compass dataset, default keyword arguments, note)
OPENCOMPASS_DATASETS: dict[str, tuple[str, dict, str]] = {
    # hashed variants of older OpenCompass versions (not in OpenCompass 0.5.4's tree): compass's prompt.
    # The names OpenCompass 0.5.4 ships (gsm8k_gen, gsm8k_gen_1d7fe4, siqa_ppl_ced5f6, demo_gsm8k_chat_gen,
    # ...) run that file by its own definition instead (compass_opencompass, oc_dataset_configs.txt).
    "ceval_ppl_275812": ("ceval_compass_ppl", {}, ""),
    "mmlu_ppl_c6bbe6": ("mmlu_compass_ppl", {}, ""),
    "winogrande_ppl_8be6c3": ("winogrande_ppl", {}, ""),
    # the leaderboard benchmarks (config names in OpenCompass's configs/datasets/<family>/)
    "nq_open_1shot_gen": ("nq_open", {}, "compass asks zero-shot; OpenCompass's file gives one example"),
}

def register_aliases(register) -> None:
    """Called from the plugin's ``register_datasets``."""
    for alias, (target, defaults, note) in OPENCOMPASS_DATASETS.items():
        register.alias(alias, target, defaults=defaults, note=note or "OpenCompass's dataset config name")
