"""``compass new-dataset NAME``: write a pip-installable dataset package to start from.

The package has the shape of ``contrib_datasets/compass-dataset-ceval-xyj``: a
``pyproject.toml`` with the ``compass`` entry point, a cheap ``plugin.py``, a
``benchmark.py`` building the :class:`~compass._dataset.Benchmark`, two example CSV files
shipped as package data, a README and a test.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from compass.sdk import CompassError

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "The $name benchmark for the compass LLM evaluation harness."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["compass-eval>=0.1"]

[project.entry-points.compass]
$entry = "$module.plugin"

[tool.setuptools]
packages = ["$module"]

[tool.setuptools.package-data]
$module = ["data/*.csv", "data/*.jsonl", "data/*.md"]
''')

INIT = Template('''\
"""The $name benchmark as a compass dataset plugin."""

__version__ = "0.1.0"
''')

PLUGIN = Template('''\
"""Imported by compass at start-up: keep it a cheap manifest (no heavy imports)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register("$name", "$module.benchmark:build", "$name: describe it in one line.")
''')

BENCHMARK = Template('''\
"""The $name benchmark: multiple-choice rows ``id,question,A,B,C,D,answer`` in data/.

Edit the prompt, the rows and the few-shot setup; see CONTRIBUTING.md of compass.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from compass._dataset import Benchmark, DataError, DataMissing, Rows, Subset
from compass._prompt import FewShot, PromptTemplate

LABELS = ("A", "B", "C", "D")
QUESTION = "{question}\\nA. {A}\\nB. {B}\\nC. {C}\\nD. {D}\\nAnswer:"


def _data_file(name: str) -> Path:
    return Path(str(resources.files("$module").joinpath("data", name)))


def read_rows(path: Path) -> list[dict]:
    """Rows of a CSV file; a bad row is a DataError naming file and line."""
    if not path.exists():
        raise DataMissing(f"$name: {path} not found")
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if (row.get("answer") or "").strip() not in LABELS:
                raise DataError(f"{path}:{reader.line_num}: answer {row.get('answer')!r} is not one of A, B, C, D")
            row["answer"] = row["answer"].strip()
            rows.append(row)
    return rows


def load(data_dir: Path) -> Rows:
    """Evaluated rows and in-context examples, shipped in the package (data_dir unused)."""
    return Rows(test=read_rows(_data_file("test.csv")), fewshot=read_rows(_data_file("dev.csv")))


def build(chat: bool = False) -> Benchmark:
    """Chat models generate the letter; base models pick the most likely letter."""
    fewshot = FewShot(indices=(0,))
    if chat:
        subset = Subset("$name", load, PromptTemplate(human=QUESTION + " ", bot="{answer}"), mode="gen",
                        fewshot=fewshot, postprocessor="first_option",
                        postprocessor_kwargs={"options": "ABCD"}, evaluator="accuracy")
    else:
        subset = Subset("$name", load, PromptTemplate(human=QUESTION, bot=" {answer}"), mode="ppl",
                        fewshot=fewshot, candidates={label: f" {label}" for label in LABELS},
                        evaluator="accuracy")
    return Benchmark("$name", (subset,))
''')

DEV_CSV = '''\
id,question,A,B,C,D,answer
0,How many days are there in a week?,5,6,7,8,C
'''

TEST_CSV = '''\
id,question,A,B,C,D,answer
0,What is 2 + 3?,4,5,6,7,B
1,Which planet do we live on?,Earth,Mars,Venus,Jupiter,A
'''

SOURCE = Template('''\
# $name data

Say where every file comes from (repository, commit, path), its license, and what you changed.
''')

README = Template('''\
# $dist

The `$name` benchmark for [compass](https://github.com/open-compass/compass).

```bash
pip install -e .
compass list datasets $name
compass eval -m mock -d $name --debug
pytest tests
```
''')

TEST = Template('''\
"""Checks of the $name package: rows load, prompts render, compass finds the plugin."""

from compass._plugins import make_plugin_host
from compass._types import prompt_to_text

from $module.benchmark import build


def test_rows_and_prompt():
    subset = build(chat=False).subsets[0]
    rows = subset.load(None)
    assert rows.test and all(r["answer"] in "ABCD" for r in rows.test)
    assert prompt_to_text(subset.prompt(rows, 0, chat=False)).endswith("Answer:")


def test_registered_through_the_entry_point():
    host = make_plugin_host()
    assert "$name" in host.registry.names("datasets")
''')


def scaffold(name: str, where: Path, declarative: bool = False) -> Path:
    """Write ``<where>/compass-dataset-<name>/``; returns its path.

    ``declarative``: the benchmark is a TOML declaration registered with ``from_file``
    (:mod:`compass_datasets.scaffold_declarative`) instead of a ``benchmark.py``.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise CompassError(f"dataset name {name!r}: use lower-case letters, digits, '-' and '_' "
                           f"(starting with a letter or digit)")
    slug = name.replace("_", "-")
    dist = f"compass-dataset-{slug}"
    module = "compass_dataset_" + name.replace("-", "_")
    root = Path(where) / dist
    if root.exists():
        raise CompassError(f"{root} already exists; pick another name or --dir")
    values = {"name": name, "dist": dist, "module": module, "entry": module.removeprefix("compass_dataset_")}
    if declarative:
        from compass_datasets.scaffold_declarative import files as declarative_files

        files = declarative_files(values)
    else:
        files = {
            "pyproject.toml": PYPROJECT.substitute(values),
            "README.md": README.substitute(values),
            f"{module}/__init__.py": INIT.substitute(values),
            f"{module}/plugin.py": PLUGIN.substitute(values),
            f"{module}/benchmark.py": BENCHMARK.substitute(values),
            f"{module}/data/dev.csv": DEV_CSV,
            f"{module}/data/test.csv": TEST_CSV,
            f"{module}/data/SOURCE.md": SOURCE.substitute(values),
            f"tests/test_{module.removeprefix('compass_dataset_')}.py": TEST.substitute(values),
        }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
