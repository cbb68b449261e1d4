"""The plugin manifest: the benchmark is a data file, registered with ``from_file``.

compass imports this module at start-up; it imports nothing but the hook marker, and the
declaration is read only when a run (or ``compass data``) uses the dataset.
"""

from compass.sdk import hookimpl


@hookimpl
def register_datasets(register):
    register("arc-mini", "compass_datasets.declarative:from_file",
             "20 ARC questions (10 Easy, 10 Challenge), 2-shot, declared as data; generate the letter.",
             defaults={"file": "pkg://compass_dataset_arc_mini/arc-mini.toml"})
