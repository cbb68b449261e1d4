"""Registers subjective evaluation: the ``mtbench``, ``alignbench``, ``alpaca_eval`` and ``arena_hard`` datasets,
the judged evaluators and the ``--judge`` / ``--judge-kwargs`` flags (cheap manifest)."""

from compass.sdk import hookimpl

_P = "compass_judge."


@hookimpl
def register_datasets(register):
    register("mtbench", _P + "datasets:mtbench",
             "MT-Bench: 80 two-turn questions, rated 1-10 by a judge per turn (needs --judge).")
    register("alpaca_eval", _P + "datasets:alpaca_eval",
             "AlpacaEval 2.0: 805 instructions vs GPT-4 Turbo, LC win rate + win rate (needs --judge).")
    register("alignbench", _P + "datasets:alignbench",
             "AlignBench v1.1: 683 Chinese questions, multi-dimensional 1-10 rating vs references (needs --judge).")
    register("judged", _P + "objective:judged",
             "Any gen dataset (base=NAME) checked by a judge: judge_strategy = rule | llm | cascade.")
    register("arena_hard", _P + "datasets:arena_hard",
             "Arena-Hard v0.1: 500 questions vs gpt-4-0314, Bradley-Terry score + 95% CI (needs --judge).")
    register("arena_hard_v2", _P + "datasets:arena_hard_v2",
             "Arena-Hard v2.0: 750 questions vs per-category baselines, score + 90% CI, style control (needs --judge).")


@hookimpl
def register_evaluators(register):
    register("mtbench_judge", _P + "single:MTBenchJudge",
             "Plays MT-Bench's turn 2, a judge rates both turns 1-10 (per turn, category, overall).")
    register("alignbench_judge", _P + "alignbench:AlignBenchJudge",
             "A judge rates AlignBench answers on their dimensions + overall, 1-10, vs the reference.")
    register("judge_check", _P + "objective:JudgeCheck",
             "A judge checks answers against the reference (llm), or only what the rule calls wrong (cascade).")
    register("pairwise_judge", _P + "pairwise:PairwiseJudge",
             "A judge compares the answer with a baseline's in both orders: win rate / Bradley-Terry.")


@hookimpl
def register_eval_options(register):
    register("--judge", "The judge model of subjective datasets (any registered model).",
             eval_setting="judge", metavar="MODEL")
    register("--judge-kwargs", "The judge model's settings, k=v… (e.g. temperature=0 max_concurrency=32).",
             eval_setting="judge_kwargs", type="kv")
    register("--judge-parser", "How judge replies are read: 'reference' (default: each official template's "
             "reference implementation's parser) or 'forgiving' (compass's own; unparseable replies re-asked once).",
             eval_setting="judge_parser", choices=["reference", "forgiving"])
    register("--pairwise", "Pairwise datasets: also judge the run's models against each other; 'all' = every "
             "pair (Bradley-Terry ratings with bootstrap intervals).", eval_setting="pairwise", choices=["all"])
    register("--baseline", "Pairwise datasets: also judge each of the run's models against this one of them.",
             eval_setting="baseline", metavar="MODEL")
