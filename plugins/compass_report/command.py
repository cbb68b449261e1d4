"""``compass report [RUN_DIR…]``: the HTML report of finished runs, written again.

One run folder: its ``summary/report_<ts>.html`` is rewritten. Several: one report with every
model of every run side by side, written to ``--output`` (default ``report_<now>.html`` in
the current folder).
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("run_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the report [default: RUN_DIR/summary/report_<ts>.html for one run, "
                   "./report_<now>.html for several].")
@click.option("-w", "--work-dir", default="outputs/default", show_default=True,
              help="Where runs are; without RUN_DIR the newest run there is reported.")
@click.pass_context
def report_command(ctx, run_dirs, output, work_dir):
    """Write the HTML report of finished runs (one run, or several side by side).

    \b
    Examples:
      compass report                                   # the newest run in outputs/default
      compass report outputs/default/20250101_120000
      compass report RUN_A RUN_B -o compare.html       # every model of both runs in one report
    """
    from compass.sdk import CompassError, new_timestamp, plugin_host

    from compass_report.collect import load_run
    from compass_report.render import write_report

    if not run_dirs:
        work = Path(work_dir)
        runs = sorted(p for p in work.glob("*") if (p / "results").is_dir()) if work.is_dir() else []
        if not runs:
            raise CompassError(f"no finished run in {work}; give a run folder: compass report RUN_DIR")
        run_dirs = (runs[-1],)
    for d in run_dirs:
        if not d.is_dir():
            raise CompassError(f"run folder {d} does not exist; give a folder such as outputs/default/<timestamp>")
    host = plugin_host(ctx)
    runs = [load_run(d, host) for d in run_dirs]
    if output is None:
        output = (runs[0].run.summary_dir / f"report_{runs[0].run.timestamp}.html" if len(runs) == 1
                  else Path(f"report_{new_timestamp()}.html"))
    names = ", ".join(r.run.root.name for r in runs)
    path = write_report(runs, output, f"compass report — {names}")
    click.echo(f"report written to {path}")
