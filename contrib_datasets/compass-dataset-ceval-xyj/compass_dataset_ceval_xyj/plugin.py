"""The plugin manifest: compass imports this module at start-up, so it imports nothing heavy.

The factory is named by a ``"module:function"`` string; compass imports it only when a run
(or ``compass data``) uses the dataset.
"""

from compass.sdk import hookimpl


@hookimpl
def register_datasets(register):
    register("ceval-xyj", "compass_dataset_ceval_xyj.benchmark:ceval_xyj",
             "《西游记》 quiz in C-Eval format (20 questions, 5-shot); gen for chat, ppl for base models.")
