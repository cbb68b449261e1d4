"""Small demo sets shipped inside the package, so ``compass eval -d demo_ceval demo_gsm8k``
runs with no data dir at all.

* ``demo_ceval``: 4 C-Eval subjects (one per category), val rows with their dev rows;
* ``demo_gsm8k``: the first 64 GSM8K test problems (and 8 train problems for examples);
* ``demo_math``: the first 64 MATH-500 problems.

Prompts, postprocessors and evaluators are those of ``ceval``, ``gsm8k`` and ``math500``;
each file's origin and license is in the ``SOURCE.md`` next to it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from compass.sdk import Benchmark

from compass_datasets.mcq import pick_mode

DEMO_CEVAL_SUBJECTS = ("computer_network", "middle_school_geography", "high_school_history", "basic_medicine")


def demo_root() -> Path:
    """The folder of the shipped demo data (OpenCompass layout)."""
    return Path(str(resources.files("compass_datasets").joinpath("data", "demo")))


def demo_ceval(chat: bool = False) -> Benchmark:
    """4 C-Eval subjects, 5-shot: gen for chat models, ppl for base models."""
    from compass_datasets import ceval

    return ceval.build(pick_mode(None, chat), DEMO_CEVAL_SUBJECTS, prefix="demo_ceval", root=demo_root(),
                       name="demo_ceval")


def demo_gsm8k(chat: bool = False, prompt: str | None = None) -> Benchmark:
    """First 64 GSM8K test problems (``prompt`` as for ``gsm8k``)."""
    from compass_datasets import gsm8k

    return gsm8k.build(chat, subset="demo_gsm8k", name="demo_gsm8k", root=demo_root(), prompt=prompt)


def demo_math(chat: bool = False) -> Benchmark:
    """First 64 MATH-500 problems."""
    from compass_datasets import math

    return math.build(chat, False, subset="demo_math", name="demo_math", root=demo_root())
