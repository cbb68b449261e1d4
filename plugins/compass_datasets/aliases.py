"""OpenCompass's dataset config names as aliases of compass's datasets (plain data).

OpenCompass names a dataset by its config file (``configs/datasets/<family>/<name>.py``),
the bare name importing one hashed variant (``gsm8k_gen`` -> ``gsm8k_gen_1d7fe4``). Each
entry maps such a name to the compass dataset that evaluates the same thing, with the
keyword arguments that make it so and a one-line note where compass's prompt differs from
that file's (printed when a run uses the alias; ``compass list`` shows it).
"""

from __future__ import annotations

_SIQA_PPL = ("compass scores each answer text after 'Answer:' and a blank; OpenCompass's file "
             "puts it on a new line (a BOT turn)")
_GSM8K_GEN = ("compass asks chat models zero-shot for a \\boxed{} answer and gives base models 4 "
              "examples; OpenCompass's file gives every model 4 examples as chat turns")

#: alias -> (compass dataset, default keyword arguments, note)
OPENCOMPASS_DATASETS: dict[str, tuple[str, dict, str]] = {
    # the tutorials' demo sets (first 64 problems; OpenCompass's abbr: demo_gsm8k / demo_math)
    "demo_gsm8k_chat_gen": ("demo_gsm8k", {"chat": True}, "zero-shot \\boxed{} prompt, as OpenCompass's chat demo"),
    "demo_gsm8k_base_gen": ("demo_gsm8k", {"chat": False}, "4-shot plain-text prompt, as OpenCompass's base demo"),
    "demo_math_chat_gen": ("demo_math", {"chat": True}, "zero-shot \\boxed{} prompt, as OpenCompass's chat demo"),
    "demo_math_base_gen": ("demo_math", {"chat": False}, "4-shot plain-text prompt, as OpenCompass's base demo"),
    # hashed variants the bare names import
    "ceval_gen_5f30c7": ("ceval_gen", {}, ""),
    "ceval_ppl_275812": ("ceval_ppl", {}, ""),
    "mmlu_ppl_c6bbe6": ("mmlu_ppl", {}, ""),
    "gsm8k_gen_1d7fe4": ("gsm8k_gen", {}, _GSM8K_GEN),
    "siqa_ppl_ced5f6": ("siqa_ppl", {}, _SIQA_PPL),
    "siqa_gen_e78df3": ("siqa_gen", {}, ""),
    "winogrande_ppl_8be6c3": ("winogrande_ppl", {}, ""),
    # the leaderboard benchmarks (config names in OpenCompass's configs/datasets/<family>/)
    "IFEval_gen": ("ifeval", {}, ""),
    "agieval_mixed": ("agieval", {}, "compass uses the AGIEval paper's zero-shot prompts"),
    "GaokaoBench_gen": ("gaokao_gen", {}, "compass's rows are named gaokao-<paper>, not GaokaoBench_<paper>"),
    "GaokaoBench_mixed": ("gaokao", {}, "compass generates every GAOKAO answer (objective questions only)"),
    "nq_open_1shot_gen": ("nq_open", {}, "compass asks zero-shot; OpenCompass's file gives one example"),
    "nq_gen": ("nq_open", {}, "compass reads NQ-Open's dev split, first line of the reply, any alias"),
}

def register_aliases(register) -> None:
    """Called from the plugin's ``register_datasets``."""
    for alias, (target, defaults, note) in OPENCOMPASS_DATASETS.items():
        register.alias(alias, target, defaults=defaults, note=note or "OpenCompass's dataset config name")
