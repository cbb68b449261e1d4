"""Registers compass's postprocessors and evaluators (a cheap manifest: no imports)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_postprocessors(register):
    register("first_capital", "compass_metrics.postprocessors:first_capital",
             "First capital letter A-Z in the text (multiple-choice answers).")


@hookimpl
def register_evaluators(register):
    register("accuracy", "compass_metrics.evaluators:Accuracy",
             "Percentage of predictions equal to the reference (after str()/strip()).")
