"""Registers compass's postprocessors and evaluators (a cheap manifest: no imports)."""

from compass.sdk import hookimpl


@hookimpl
def register_postprocessors(register):
    register("first_capital", "compass_metrics.postprocessors:first_capital",
             "First capital letter A-Z in the text (multiple-choice answers).")
    register("first_option", "compass_metrics.postprocessors:first_option",
             "Chosen option letter of a multiple-choice answer ('答案是 B', '(C)', 'The answer is D.').")
    register("gsm8k", "compass_metrics.postprocessors:gsm8k",
             "Final number: after ####, in \\boxed{}, after 'the answer is', else the last number.")
    register("math_boxed", "compass_metrics.postprocessors:math_boxed",
             "Content of the last \\boxed{...} (nested braces), else the text after 'the answer is'.")
    register("bbh", "compass_metrics.bbh_extract:bbh",
             "BBH: the text after the last 'So the answer is' (mcq=True: the option as '(X)').")
    register("agieval_multi", "compass_metrics.exam_extract:agieval_multi",
             "AGIEval multi-answer: the set of option letters chosen, sorted and joined ('AC').")
    register("agieval_cloze", "compass_metrics.exam_extract:agieval_cloze",
             "AGIEval cloze: last \\boxed{}, else the line after 'the answer is' / '答案是', else the first line.")
    register("first_line", "compass_metrics.short_answer:first_line",
             "First non-blank line of the reply (short open answers: NQ-Open).")


@hookimpl
def register_evaluators(register):
    register("accuracy", "compass_metrics.evaluators:Accuracy",
             "Percentage of predictions equal to the reference (after str()/strip()).")
    register("exact_match", "compass_metrics.evaluators:ExactMatch",
             "Percentage equal after normalising case, punctuation, articles and spaces.")
    register("math_equiv", "compass_metrics.evaluators:MathEquiv",
             "Percentage mathematically equal to the reference (0.5 = \\frac{1}{2}; math-verify or sympy).")
    register("ifeval", "compass_metrics.ifeval:IFEval",
             "IFEval's 25 instruction checkers: prompt- and instruction-level accuracy, strict and loose.")
    register("choice_acc_norm", "compass_metrics.choice_norm:ChoiceAccNorm",
             "ppl multiple choice: acc_norm (log-likelihood per character of the answer, as lm-eval) and acc.")
    register("gaokao", "compass_metrics.gaokao:Gaokao",
             "GAOKAO-Bench: answers read by question type, scored in exam points (physics half credit).")
    register("math_samples", "compass_metrics.math_samples:MathSamples",
             "Math equivalence per sample: average accuracy over n samples per problem, and pass@k.")
