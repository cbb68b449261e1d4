"""Test datasets for the API backend (``COMPASS_EXTRA_PLUGINS=toy.api_plugin``).

200 arithmetic questions ``What is a + b?`` that the loopback server of
``tests/openai_server.py`` answers (wrongly, on purpose, when ``a + b`` is a multiple of 7),
in gen, ppl and clp form.
"""

from __future__ import annotations

from pathlib import Path

from compass._dataset import Benchmark, Rows, Subset
from compass.hookspecs import hookimpl
from compass._prompt import PromptTemplate


def question(k: int) -> dict:
    a, b = k, (k * 37) % 101
    s = a + b
    return {"question": f"What is {a} + {b}?", "answer": str(s), "A": str(s), "B": str(s + 1), "label": "A"}


QUESTIONS = [question(k) for k in range(200)]


def expected_accuracy(n: int = 200) -> float:
    """The score the loopback server earns on the first ``n`` gen questions."""
    right = sum(1 for q in QUESTIONS[:n] if int(q["answer"]) % 7 != 0)
    return 100.0 * right / n


def _load(n: int):
    def load(data_dir: Path) -> Rows:
        return Rows(test=QUESTIONS[:n])
    return load


def api_arith(n: int = 200) -> Benchmark:
    sub = Subset("api-arith", _load(n), PromptTemplate(human="Q: {question}\nA:"), mode="gen",
                 gold="answer", max_out_len=16)
    return Benchmark("api_arith", (sub,))


def api_arith_ppl(n: int = 40) -> Benchmark:
    sub = Subset("api-arith-ppl", _load(n), PromptTemplate(human="Q: {question}\nA:"), mode="ppl",
                 gold="label", candidates={"A": " {A}", "B": " {B}"})
    return Benchmark("api_arith_ppl", (sub,))


def api_arith_clp(n: int = 40) -> Benchmark:
    template = PromptTemplate(human="Q: {question}\nA. {A}\nB. {B}\nAnswer:")
    sub = Subset("api-arith-clp", _load(n), template, mode="clp", gold="label", options=("A", "B"))
    return Benchmark("api_arith_clp", (sub,))


@hookimpl
def register_datasets(register):
    register("api_arith", api_arith, "200 arithmetic questions, gen (API tests).")
    register("api_arith_ppl", api_arith_ppl, "40 arithmetic questions, ppl (API tests).")
    register("api_arith_clp", api_arith_clp, "40 arithmetic questions, clp (API tests).")
