"""A clp-mode dataset, for the planner's mode check."""

from compass._dataset import Benchmark, Rows, Subset
from compass.hookspecs import hookimpl
from compass._prompt import PromptTemplate


def clp_benchmark():
    rows = Rows(test=[{"question": "What is 1 + 1?", "answer": "A"}])
    return Benchmark("custom_clp", (Subset("custom-clp", lambda d: rows, PromptTemplate("{question}"),
                                           mode="clp", options=("A", "B")),))


@hookimpl
def register_datasets(register):
    register("custom_clp", clp_benchmark, "One clp question (tests).")
