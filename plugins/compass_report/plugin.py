"""Registers the ``html`` reporter and the ``compass report`` command (cheap manifest)."""

from compass.sdk import hookimpl


@hookimpl
def register_reporters(register):
    register("html", "compass_report.render:HtmlReporter",
             "summary/report_<ts>.html: scores with 95% intervals, charts, a sample browser (one file).")


@hookimpl
def register_commands(cli):
    from compass_report.command import report_command

    cli.add_command(report_command)
