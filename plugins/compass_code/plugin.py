"""Registers code evaluation: the ``humaneval`` and ``mbpp`` datasets, the ``code_exec``
evaluator, the code extractors and the ``--allow-unsafe-code`` flag (cheap manifest)."""

from compass.sdk import hookimpl

_P = "compass_code."


@hookimpl
def register_datasets(register):
    register("humaneval", _P + "humaneval:humaneval",
             "HumanEval (164 Python functions), pass@1/pass@k in a sandbox; n=N samples per problem.")
    register("mbpp", _P + "mbpp:mbpp",
             "MBPP test (500, tasks 11-510), 3-shot [BEGIN]/[DONE], pass@1/pass@k in a sandbox.")
    register("custom_code", _P + "custom:custom_code",
             "Your own code tasks: path=FILE.jsonl (prompt, tests[, entry_point, setup]), pass@k in a sandbox.")


@hookimpl
def register_postprocessors(register):
    register("code_block", _P + "extract:code_block",
             "Code from a reply: the first ```python block, else the text without [BEGIN]/[DONE].")
    register("code_completion", _P + "extract:code_completion",
             "A base model's completion cut at the first stop word (stop=[...]).")


@hookimpl
def register_evaluators(register):
    register("code_exec", _P + "evaluator:CodeExec",
             "Runs program + tests in a sandbox (bubblewrap); pass@1, pass@k; reason per sample.")


@hookimpl
def register_eval_options(register):
    register("--allow-unsafe-code",
             "Without bubblewrap, run model-written code anyway, with rlimits only (no sandbox).",
             eval_setting="allow_unsafe_code", type=bool)
