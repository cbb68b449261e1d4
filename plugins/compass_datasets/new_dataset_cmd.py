"""``compass new-dataset NAME``: scaffold a pip-installable dataset package."""

from __future__ import annotations

import click


@click.command("new-dataset")
@click.argument("name")
@click.option("--dir", "where", default=".", show_default=True, metavar="DIR",
              help="Folder in which the package folder is created.")
@click.option("--declarative", is_flag=True,
              help="Declare the benchmark as data (a TOML file registered with from_file) instead of "
                   "writing a benchmark.py.")
def new_dataset_command(name, where, declarative):
    """Scaffold a pip-installable dataset package compass-dataset-NAME.

    It registers dataset NAME through the `compass` entry point, with example rows,
    a README and a test; see CONTRIBUTING.md for the walk-through. With --declarative
    the benchmark is a TOML declaration (reader, prompt, retriever, scoring), no code.
    """
    from pathlib import Path

    from compass_datasets.scaffold import scaffold

    root = scaffold(name, Path(where), declarative=declarative)
    click.echo(f"created {root}")
    click.echo(f"next: pip install -e {root} && compass list datasets {name}")
