"""Checks of the arc-mini package: the declaration's subsets, rows, prompt and registration."""

from compass.sdk import make_plugin_host, prompt_to_text

from compass_datasets.declarative import from_file

FILE = "pkg://compass_dataset_arc_mini/arc-mini.toml"


def test_subsets_and_rows():
    bench = from_file(FILE)
    assert [s.name for s in bench.subsets] == ["arc-e-mini", "arc-c-mini"]
    assert [(g.name, g.members) for g in bench.groups] == [("arc-mini", ("arc-e-mini", "arc-c-mini"))]
    golds = ["".join(r["answer"] for r in s.load(".").test) for s in bench.subsets]
    assert golds == ["ABDDBCACCA", "CBCDDBCCBA"]


def test_prompt_has_two_examples_then_the_question():
    subset = from_file(FILE).subsets[0]
    rows = subset.load(".")
    text = prompt_to_text(subset.prompt(rows, 0, chat=False))
    assert text.startswith("Question: " + rows.fewshot[0]["question"])
    assert rows.fewshot[1]["question"] in text
    assert text.rstrip().endswith(f"D. {rows.test[0]['D']}\nAnswer:")


def test_registered_through_the_entry_point():
    assert "arc-mini" in make_plugin_host().registry.names("datasets")
