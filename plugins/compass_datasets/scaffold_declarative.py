"""``compass new-dataset NAME --declarative``: a dataset package whose benchmark is a data file.

No Python builds the benchmark: ``<module>/<name>.toml`` declares it (reader, prompt,
retriever, mode, postprocessor, evaluator; see :mod:`compass_datasets.declarative`) and
``plugin.py`` registers that file through the ``compass`` entry point with
``compass_datasets.declarative:from_file``. The rows are JSON lines shipped as package data
and read with ``pkg://`` paths, so the package works wherever it is installed.
"""

from __future__ import annotations

from string import Template

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "The $name benchmark for the compass LLM evaluation harness, declared as data."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["compass-eval>=0.1"]

[project.entry-points.compass]
$entry = "$module.plugin"

[tool.setuptools]
packages = ["$module"]

[tool.setuptools.package-data]
$module = ["*.toml", "data/*.jsonl", "data/*.md"]
''')

INIT = Template('''\
"""The $name benchmark as a compass dataset plugin: the benchmark is $name.toml."""

__version__ = "0.1.0"
''')

PLUGIN = Template('''\
"""Imported by compass at start-up: a cheap manifest that registers the declaration file."""

from compass.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register("$name", "compass_datasets.declarative:from_file", "$name: describe it in one line.",
             defaults={"file": "pkg://$module/$name.toml"})
''')

DECLARATION = Template('''\
# The $name benchmark, declared as data (no Python builds it): compass reads this file with
# compass_datasets.declarative:from_file, registered in plugin.py. Every key is described in
# compass's README ("Datasets defined as data"); a mistake is one error line naming this file
# and the key.

name = "$name"                 # the summary row
mode = "gen"                   # gen: the model writes the answer; ppl: the likeliest candidate wins
prompt = "{question}\\nA. {A}\\nB. {B}\\nC. {C}\\nD. {D}\\nAnswer: "
postprocessor = { type = "first_option", options = "ABCD" }   # compass list postprocessors
evaluator = "accuracy"                                         # compass list evaluators
retriever = { type = "fixed", indices = [0] }                  # zero | fixed | random (k, seed)

[reader]
# pkg:// paths are inside the installed package; a plain relative path is read under --data-dir
path = { test = "pkg://$module/data/test.jsonl", dev = "pkg://$module/data/dev.jsonl" }
input_columns = ["question", "A", "B", "C", "D"]
output_column = "answer"
train_split = "dev"            # where in-context examples come from
''')

DEV_JSONL = '''\
{"question": "How many days are there in a week?", "A": "5", "B": "6", "C": "7", "D": "8", "answer": "C"}
'''

TEST_JSONL = '''\
{"question": "What is 2 + 3?", "A": "4", "B": "5", "C": "6", "D": "7", "answer": "B"}
{"question": "Which planet do we live on?", "A": "Earth", "B": "Mars", "C": "Venus", "D": "Jupiter", "answer": "A"}
'''

SOURCE = Template('''\
# $name data

Say where every file comes from (repository, commit, path), its license, and what you changed.
''')

README = Template('''\
# $dist

The `$name` benchmark for [compass](https://github.com/open-compass/compass), declared as
data in `$module/$name.toml`: edit the prompt, the rows under `$module/data/` and
the few-shot setup there, no Python needed.

```bash
pip install -e .
compass list datasets $name
compass eval -m mock -d $name --debug
pytest tests
```
''')

TEST = Template('''\
"""Checks of the $name package: the declaration loads its rows, compass finds the plugin."""

from compass._plugins import make_plugin_host
from compass._types import prompt_to_text

from compass_datasets.declarative import from_file


def test_declaration_rows_and_prompt():
    subset = from_file("pkg://$module/$name.toml").subsets[0]
    rows = subset.load(".")
    assert rows.test and all(r["answer"] in "ABCD" for r in rows.test)
    text = prompt_to_text(subset.prompt(rows, 0, chat=False))
    assert rows.fewshot[0]["question"] in text  # the in-context example (retriever)
    assert text.rstrip().endswith(rows.test[0]["D"] + "\\nAnswer:")


def test_registered_through_the_entry_point():
    host = make_plugin_host()
    assert "$name" in host.registry.names("datasets")
''')


def files(values: dict) -> dict[str, str]:
    """Relative path -> text of every file of the package."""
    module, name = values["module"], values["name"]
    return {
        "pyproject.toml": PYPROJECT.substitute(values),
        "README.md": README.substitute(values),
        f"{module}/__init__.py": INIT.substitute(values),
        f"{module}/plugin.py": PLUGIN.substitute(values),
        f"{module}/{name}.toml": DECLARATION.substitute(values),
        f"{module}/data/dev.jsonl": DEV_JSONL,
        f"{module}/data/test.jsonl": TEST_JSONL,
        f"{module}/data/SOURCE.md": SOURCE.substitute(values),
        f"tests/test_{module.removeprefix('compass_dataset_')}.py": TEST.substitute(values),
    }
