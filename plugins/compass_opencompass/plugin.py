"""Registers the reading of OpenCompass-style Python config files (cheap manifest)."""

from compass.sdk import hookimpl

#: names an OpenCompass config defines that a compass config does not
OPENCOMPASS_KEYS = ("infer", "eval", "judge_models")


@hookimpl
def read_config(path, keys):
    """Execute a ``.py`` config under the stand-in modules; an OpenCompass-style one
    (``type=SomeClass``, ``read_base``, ``infer``/``eval``) is translated, a plain one is
    returned as it is (so the file runs once)."""
    if not str(path).endswith(".py"):
        return None
    from pathlib import Path

    from compass_opencompass.shims import plain_dicts, run_config, uses_classes

    namespace = run_config(Path(path))
    if namespace.get("chatml_datasets") and not namespace.get("datasets"):
        from compass.sdk import CompassError

        raise CompassError(f"{path}: chatml_datasets (OpenCompass's ChatML dataset format) is not run by compass "
                           f"yet; list OpenCompass dataset configs in datasets = [...] or use compass list datasets")
    picked = {k: plain_dicts(v) for k, v in namespace.items() if k in (*keys, *OPENCOMPASS_KEYS)}
    custom = [d for d in picked.get("datasets") or [] if isinstance(d, dict) and "type" not in d
              and str(d.get("path", "")).endswith((".jsonl", ".csv"))]  # OpenCompass's custom datasets
    if any(k in picked for k in OPENCOMPASS_KEYS) or uses_classes(picked) or custom:
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
def register_models(register):
    register("opencompass_model", "compass_opencompass.oc_models:unexpanded",
             "An OpenCompass model config file of your tree (config='hf_internlm/hf_internlm2_5_1_8b_chat'), "
             "translated to the compass model it describes.", expand="compass_opencompass.oc_models:expand")
    from compass_opencompass.oc_models import listing

    for line in listing():
        register.alias(line.split("/")[-1], "opencompass_model", defaults={"config": line},
                       note=f"runs configs/models/{line}.py of your OpenCompass tree")


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
    register("opencompass_first_capital_multi", "compass_opencompass.exams:first_capital_multi",
             "OpenCompass's first_capital_postprocess_multi: the first run of the letters A-D.")
    register("opencompass_gsm8k", "compass_opencompass.scoring:gsm8k",
             "OpenCompass's gsm8k_postprocess: the last number before any 'Question:', else NULL.")
    register("opencompass_match_answer_pattern", "compass_opencompass.scoring:match_answer_pattern",
             "OpenCompass's match_answer_pattern: group 1 of answer_pattern's first match.")
    _C = "compass_opencompass.code_sets:"
    register("opencompass_mbpp", _C + "mbpp_code",
             "OpenCompass's MBPPEvaluator extraction: the code in [BEGIN]/[DONE] or a fence.")
    register("opencompass_mbpp2", _C + "mbpp2_code", "OpenCompass's MBPPEvaluator2 extraction: the first fenced block.")
    register("opencompass_humaneval", _C + "humaneval_code",
             "OpenCompass 0.2's humaneval_postprocess: the function body, indented, up to a blank line.")
    register("opencompass_humaneval_internal_v1", _C + "humaneval_internal_v1",
             "OpenCompass's humaneval_internal_v1_postprocess: the function body, cut where it dedents.")
    register("opencompass_humaneval_internal_v2", _C + "humaneval_internal_v2",
             "OpenCompass's humaneval_internal_v2_postprocess: the indented lines up to an unindented one.")
    register("opencompass_crowspairs", "compass_opencompass.more_sets:crowspairs_postprocess",
             "OpenCompass's crowspairs_postprocess: A, B or invalid.")
    register("opencompass_gpqa_simple_eval", "compass_opencompass.more_sets:gpqa_simple_eval",
             "OpenCompass's GPQA_Simple_Eval_postprocess: the letter after 'ANSWER:'.")
    register("opencompass_theoremqa_v3", "compass_opencompass.theoremqa:answer_clean",
             "OpenCompass's TheoremQA_postprocess_v3: the answer after 'The answer is', read as a number.")
    register("opencompass_theoremqa_v4", "compass_opencompass.theoremqa:answer_clean_v4",
             "OpenCompass's TheoremQA_postprocess_v4: v3 without \\( \\) delimiters.")
    register("opencompass_theoremqa_legacy", "compass_opencompass.theoremqa:postprocess_legacy",
             "OpenCompass's TheoremQA_postprocess: the word after the first 'answer is'.")
    register("opencompass_theoremqa_legacy_v2", "compass_opencompass.theoremqa:postprocess_legacy_v2",
             "OpenCompass's TheoremQA_postprocess_v2: the last line's words after its last is/be/are.")


@hookimpl
def register_evaluators(register):
    register("opencompass_bbh", "compass_opencompass.scoring:BBHEvaluator",
             "OpenCompass's BBHEvaluator: free-form answers compared case-insensitively.")
    register("opencompass_pairwise", "compass_opencompass.pairwise:PairwiseJudge",
             "OpenCompass's pairwise LMEvaluator (Arena-Hard, AlpacaEval) with the config's judge_cfg as the judge.")
    register("opencompass_pairwise_run", "compass_opencompass.pairwise:PairwiseJudgeRunJudge",
             "OpenCompass's pairwise LMEvaluator judged by the run's --judge (empty judge_cfg).")
    register("opencompass_gaokao", "compass_opencompass.exams:GaokaoEvaluator",
             "OpenCompass's GaokaoBenchEvaluator_<question_type>: GAOKAO-Bench's answer rules and points.")
    register("opencompass_agieval", "compass_opencompass.exams:AGIEvalEvaluator",
             "OpenCompass's AGIEvalEvaluator: AGIEval's cloze answer, MATH-equivalent to the label.")
    register("opencompass_agieval_mcq", "compass_opencompass.exams:AGIEvalMCQEvaluator",
             "OpenCompass's AGIEvalEvaluator_mcq: the extracted letters equal the label.")
    register("opencompass_option_sim_acc", "compass_opencompass.custom:OptionSimAcc",
             "OpenCompass's OptionSimAccEvaluator: the option a free-form answer names (custom datasets).")
    register("opencompass_llm_judge", "compass_opencompass.judge:LLMJudge",
             "OpenCompass's GenericLLMEvaluator/CascadeEvaluator with the config's judge_cfg as the judge.")
    register("opencompass_llm_judge_run", "compass_opencompass.judge:LLMJudgeRunJudge",
             "OpenCompass's GenericLLMEvaluator/CascadeEvaluator judged by the run's --judge (empty judge_cfg).")
    register("opencompass_subjective", "compass_opencompass.subjective:SubjectiveJudge",
             "OpenCompass's LMEvaluator on MT-Bench/AlignBench with the config's judge_cfg as the judge.")
    register("opencompass_subjective_run", "compass_opencompass.subjective:SubjectiveJudgeRun",
             "OpenCompass's LMEvaluator on MT-Bench/AlignBench judged by the run's judge (--judge, judge_models).")
    register("opencompass_nq", "compass_opencompass.qa_sets:NQEvaluator",
             "OpenCompass's NQEvaluator: a normalised answer contained in the prediction's first line.")
    register("opencompass_circular", "compass_opencompass.circular:CircularEvaluator",
             "OpenCompass's CircularEvaluator: acc/more/perf over each question's option orders (Circular*Dataset).")
    register("opencompass_gsm8k", "compass_opencompass.scoring:Gsm8kEvaluator",
             "OpenCompass's Gsm8kEvaluator: the same text, or numerically equal to the integer reference.")
    register("opencompass_triviaqa", "compass_opencompass.more_sets:TriviaQAEvaluator",
             "OpenCompass's TriviaQAEvaluator: a normalised answer contained in the prediction's first line.")
    register("opencompass_theoremqa", "compass_opencompass.theoremqa:TheoremQAEvaluatorV3",
             "OpenCompass's TheoremQAEvaluatorV3: the option, the text, or the number within 4% of the reference.")
    register("opencompass_crowspairs", "compass_opencompass.more_sets:CrowspairsEvaluator",
             "OpenCompass's CrowspairsEvaluator: accuracy, valid_accuracy and valid_frac of A/B answers.")
