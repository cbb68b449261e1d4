"""The manifest (imported at start-up; the evaluator itself loads on first use)."""

from compass.sdk import hookimpl


@hookimpl
def register_evaluators(register):
    register("token_f1", "compass_evaluator_f1.f1:TokenF1",
             "SQuAD-style token F1 and exact match (lower case, no punctuation or articles); gold may be a list.")
