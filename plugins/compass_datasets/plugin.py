"""Registers compass's built-in benchmarks and the ``data`` / ``new-dataset`` commands.

A cheap manifest: factories are ``"module:function"`` strings, imported only when a run
uses them; command modules are imported only when the command runs.
"""

from compass.sdk import hookimpl

_P = "compass_datasets."

# name: (factory, one-line description). compass's own prompt choices per mode are named
# <benchmark>_compass_<mode> (ceval_compass_gen); the bare OpenCompass config names (ceval_gen,
# siqa_ppl, ...) run OpenCompass's own config file (compass_opencompass, oc_dataset_configs.txt).
DATASETS = {
    "ceval": ("ceval:ceval", "C-Eval val, 52 subjects, 5-shot; gen for chat, ppl for base models."),
    "ceval_compass_gen": ("ceval:ceval_gen", "C-Eval val, 52 subjects, 5-shot, generate the letter."),
    "ceval_compass_ppl": ("ceval:ceval_ppl", "C-Eval val, 52 subjects, 5-shot, most likely answer letter."),
    "ceval_clp": ("ceval:ceval_clp", "C-Eval val, 52 subjects, 5-shot, next-token option probabilities."),
    "mmlu": ("mmlu:mmlu", "MMLU test, 57 subjects, 5-shot; gen for chat, ppl for base models."),
    "mmlu_compass_gen": ("mmlu:mmlu_gen", "MMLU test, 57 subjects, 5-shot, generate the letter."),
    "mmlu_compass_ppl": ("mmlu:mmlu_ppl", "MMLU test, 57 subjects, 5-shot, most likely answer letter."),
    "mmlu_clp": ("mmlu:mmlu_clp", "MMLU test, 57 subjects, 5-shot, next-token option probabilities."),
    "cmmlu": ("cmmlu:cmmlu", "CMMLU test, 67 subjects, 5-shot; gen for chat, ppl for base models."),
    "cmmlu_compass_gen": ("cmmlu:cmmlu_gen", "CMMLU test, 67 subjects, 5-shot, generate the letter."),
    "cmmlu_compass_ppl": ("cmmlu:cmmlu_ppl", "CMMLU test, 67 subjects, 5-shot, most likely answer letter."),
    "cmmlu_clp": ("cmmlu:cmmlu_clp", "CMMLU test, 67 subjects, 5-shot, next-token option probabilities."),
    "gsm8k": ("gsm8k:gsm8k", "GSM8K test (1319): 0-shot boxed prompt for chat, 4-shot for base models."),
    "gsm8k_compass_gen": ("gsm8k:gsm8k_gen", "GSM8K test (1319), generation; same prompts as gsm8k."),
    "math": ("math:math", "MATH test (5000), boxed answer, math equivalence; 0-shot chat, 4-shot base."),
    "math_compass_gen": ("math:math_gen", "MATH test (5000), generation; same prompts as math."),
    "math500": ("math:math500", "MATH-500 test subset, boxed answer, math equivalence."),
    "math500_gen": ("math:math500_gen", "MATH-500 test subset, generation; same prompts as math500."),
    "arc_e": ("arc:arc_e", "ARC-Easy test (2376), 0-shot; gen for chat, ppl for base models."),
    "arc_e_compass_gen": ("arc:arc_e_gen", "ARC-Easy test, 0-shot, choices listed, generate the letter."),
    "arc_e_compass_ppl": ("arc:arc_e_ppl", "ARC-Easy test, 0-shot, most likely answer text (lm-eval prompt)."),
    "arc_c": ("arc:arc_c", "ARC-Challenge test (1172), 0-shot; gen for chat, ppl for base models."),
    "arc_c_compass_gen": ("arc:arc_c_gen", "ARC-Challenge test, 0-shot, choices listed, generate the letter."),
    "arc_c_compass_ppl": ("arc:arc_c_ppl", "ARC-Challenge test, 0-shot, most likely answer text (lm-eval prompt)."),
    "siqa": ("commonsense:siqa", "Social IQa dev (1954), 0-shot; gen for chat, ppl for base models."),
    "siqa_compass_gen": ("commonsense:siqa_gen", "Social IQa dev, 0-shot, generate the letter."),
    "siqa_compass_ppl": ("commonsense:siqa_ppl", "Social IQa dev, 0-shot, most likely answer text."),
    "piqa": ("commonsense:piqa", "PIQA validation (1838), 0-shot; gen for chat, ppl for base models."),
    "piqa_compass_gen": ("commonsense:piqa_gen", "PIQA validation, 0-shot, generate the letter."),
    "piqa_compass_ppl": ("commonsense:piqa_ppl", "PIQA validation, 0-shot, most likely solution text."),
    "winogrande": ("commonsense:winogrande", "Winogrande dev, 0-shot; gen for chat, ppl for base models."),
    "winogrande_compass_gen": ("commonsense:winogrande_gen", "Winogrande dev, 0-shot, generate the letter."),
    "winogrande_ppl": ("commonsense:winogrande_ppl", "Winogrande dev, 0-shot, most likely filled-in sentence."),
    "hellaswag": ("hellaswag:hellaswag", "HellaSwag validation (10042), 0-shot; gen for chat, ppl (acc_norm, acc) for base."),
    "hellaswag_compass_gen": ("hellaswag:hellaswag_gen", "HellaSwag validation, 0-shot, generate the letter."),
    "hellaswag_compass_ppl": ("hellaswag:hellaswag_ppl", "HellaSwag validation, 0-shot, most likely ending: acc_norm and acc."),
    "boolq": ("boolq:boolq", "BoolQ validation, 0-shot; gen for chat, ppl for base models."),
    "boolq_gen": ("boolq:boolq_gen", "BoolQ validation, 0-shot, generate A (yes) or B (no)."),
    "boolq_ppl": ("boolq:boolq_ppl", "BoolQ validation, 0-shot, ' yes' vs ' no' likelihood."),
    "bbh": ("bbh:bbh", "BIG-Bench Hard, 27 tasks (6511): 3-shot chain of thought, answer after 'So the answer is'."),
    "bbh_compass_gen": ("bbh:bbh_gen", "BIG-Bench Hard, 27 tasks, 3-shot chain of thought (same as bbh)."),
    "bbh_direct": ("bbh:bbh_direct", "BIG-Bench Hard, 27 tasks, 3-shot direct answers (no reasoning)."),
    "aime2024": ("aime:aime2024", "AIME 2024 I+II (30), boxed integer answer, math equivalence; n=… samples for pass@k."),
    "aime2024_compass_gen": ("aime:aime2024_gen", "AIME 2024 I+II (30), generation; same as aime2024."),
    "aime2025": ("aime:aime2025", "AIME 2025 I+II (30), boxed integer answer, math equivalence; n=… samples for pass@k."),
    "aime2025_gen": ("aime:aime2025_gen", "AIME 2025 I+II (30), generation; same as aime2025."),
    "nq_open": ("nq_open:nq_open", "NQ-Open dev (3610), 0-shot short answer, exact match against any gold alias."),
    "nq_open_gen": ("nq_open:nq_open_gen", "NQ-Open dev (3610), generation; same as nq_open."),
    "agieval": ("agieval:agieval", "AGIEval v1, 21 exams (8269), 0-shot; gen for chat, ppl letters for base models."),
    "agieval_compass_gen": ("agieval:agieval_gen", "AGIEval v1, 21 exams, 0-shot, every answer generated (sets, math cloze)."),
    "gaokao": ("gaokao:gaokao", "GAOKAO-Bench objective questions, 14 papers (1781), own prompts, exam points."),
    "gaokao_gen": ("gaokao:gaokao_gen", "GAOKAO-Bench objective questions, generation; same as gaokao."),
    "ifeval": ("ifeval:ifeval", "IFEval (541 prompts): verifiable instructions; prompt/instruction-level, strict/loose."),
    "ifeval_compass_gen": ("ifeval:ifeval_gen", "IFEval (541 prompts), generation; same as ifeval."),
    "demo_ceval": ("demo:demo_ceval", "4 C-Eval subjects (70 questions), shipped with compass; no data dir needed."),
    "demo_gsm8k": ("demo:demo_gsm8k", "First 64 GSM8K test problems, shipped with compass; no data dir needed."),
    "demo_math": ("demo:demo_math", "First 64 MATH-500 problems, shipped with compass; no data dir needed."),
    "custom": ("custom:custom", "Your own .jsonl/.csv file: path=..., data_type=mcq|qa, infer_method=gen|ppl."),
}


@hookimpl
def register_datasets(register):
    for name, (factory, description) in DATASETS.items():
        register(name, _P + factory, description)
    register("declarative", _P + "declarative:declarative",
             "A benchmark declared as data: reader, template, retriever, mode, scoring (see README).",
             claims=("reader",))
    from compass_datasets.aliases import register_aliases

    register_aliases(register)


@hookimpl
def prepare_data(datasets, data_dir, settings):
    from compass_datasets.prepare import prepare

    return prepare(datasets, data_dir, settings)


@hookimpl
def register_commands(cli):
    from compass_datasets.data_cmd import data_command
    from compass_datasets.new_dataset_cmd import new_dataset_command

    cli.add_command(data_command)
    cli.add_command(new_dataset_command)


def _absolute_path(text: str) -> str:
    """A file given on the command line, made absolute: a runner may start tasks in another folder."""
    from pathlib import Path

    return str(Path(text).expanduser().resolve())


@hookimpl
def register_eval_options(register):
    register("--custom-dataset-path",
             "A .jsonl/.csv file of your own (question,A,B,C,D,answer or question,answer).",
             dataset_kwarg="path", adds_dataset="custom", type=_absolute_path, metavar="FILE")
    register("--custom-dataset-data-type", "Type of the custom dataset [default: detected from its columns].",
             dataset_kwarg="data_type", adds_dataset="custom", choices=("mcq", "qa", "code"))
    register("--custom-dataset-infer-method",
             "How the custom dataset is answered [default: gen for chat models, ppl for base].",
             dataset_kwarg="infer_method", adds_dataset="custom", choices=("gen", "ppl"))
    register("--offline", "Never download data: a missing dataset stops the run (also HF_HUB_OFFLINE=1).",
             eval_setting="offline", type=bool)
    register("--data-source", "Where missing data is fetched from: hf (Hugging Face hub, default) or modelscope "
             "(also DATASET_SOURCE=ModelScope).", eval_setting="data_source", choices=("hf", "modelscope"))
