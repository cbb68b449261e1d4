"""Registers the csv, txt and md reporters (cheap manifest)."""

from compass.sdk import hookimpl


@hookimpl
def register_reporters(register):
    register("csv", "compass_reporters.tables:CsvReporter",
             "summary/summary_<ts>.csv: the summary table, for spreadsheets.")
    register("txt", "compass_reporters.tables:TextReporter",
             "summary/summary_<ts>.txt: the table as printed, with its notes.")
    register("md", "compass_reporters.tables:MarkdownReporter",
             "summary/summary_<ts>.md: the table as GitHub Markdown, with its notes.")
