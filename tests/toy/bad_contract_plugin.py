"""A plugin whose evaluator misspells a member of the Evaluator contract (tests)."""

from compass.sdk import hookimpl


class CountingEvaluator:
    def score_sample(self, samples, context):  # the contract says score_samples
        return iter(())

    def aggregate(self, records, context):
        return {}


@hookimpl
def register_evaluators(register):
    register("counting", CountingEvaluator, "misspelled (tests)")
