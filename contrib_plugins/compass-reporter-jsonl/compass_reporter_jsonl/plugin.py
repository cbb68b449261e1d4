"""The manifest: a reporter class given directly is checked against compass.sdk.Reporter now."""

from compass.sdk import hookimpl

from compass_reporter_jsonl.reporter import JsonlReporter


@hookimpl
def register_reporters(register):
    register("jsonl", JsonlReporter, "summary/summary_<ts>.jsonl: one JSON object per table row and model.")
