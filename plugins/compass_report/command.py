"""``compass report [RUN_DIR…]``: the HTML report of finished runs, written again.

One run folder: its ``summary/report_<ts>.html`` is rewritten. Several: one report with every
model of every run side by side, written to ``--output`` (default ``report_<now>.html`` in
the current folder). A run is a folder, or a timestamp (or ``latest``) under ``--work-dir``.
A run that is still running is refused (its report would be a snapshot); ``--partial``
writes it anyway, labelled as such.
"""

from __future__ import annotations

from pathlib import Path

import click


def _find_run(arg: str, work: Path) -> Path:
    """A run folder from its path, or its timestamp (or ``latest``: the newest) under ``work``."""
    from compass.sdk import CompassError

    path = Path(arg)
    if path.is_dir() and ((path / "results").is_dir() or (path / "configs").is_dir()):
        return path
    runs = sorted((p for p in work.iterdir() if p.is_dir() and (p / "configs").is_dir()),
                  key=lambda p: p.name, reverse=True) if work.is_dir() else []
    if arg == "latest" and runs:
        return runs[0]
    if (work / arg).is_dir():
        return work / arg
    if arg == "latest":
        raise CompassError(f"no run in {work}; give a run folder (compass report RUN_DIR) or its work dir (-w DIR)")
    have = f"; runs in {work}: {', '.join(p.name for p in runs[:3])}" if runs else ""
    raise CompassError(f"run folder {arg} does not exist (give a run folder's path, or a timestamp under "
                       f"-w {work}){have}")


@click.command("report")
@click.argument("run_dirs", nargs=-1)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the report [default: RUN_DIR/summary/report_<ts>.html for one run, "
                   "./report_<now>.html for several].")
@click.option("-w", "--work-dir", default="outputs/default", show_default=True,
              help="Where runs are: RUN may be a timestamp or 'latest' there; without RUN the newest run is reported.")
@click.option("--partial", is_flag=True, help="Write the report of a run that is still running (labelled as such).")
@click.pass_context
def report_command(ctx, run_dirs, output, work_dir, partial):
    """Write the HTML report of finished runs (one run, or several side by side).

    \b
    Examples:
      compass report                                   # the newest run in outputs/default
      compass report latest -w outputs/api             # the newest run of another work dir
      compass report 20250101_120000                   # a run by its timestamp
      compass report outputs/default/20250101_120000
      compass report RUN_A RUN_B -o compare.html       # every model of both runs in one report
    """
    from compass.sdk import CompassError, latest_status, new_timestamp, plugin_host

    from compass_report.collect import load_run
    from compass_report.render import write_report

    if not run_dirs:
        run_dirs = ("latest",)
    run_dirs = [_find_run(str(d), Path(work_dir)) for d in run_dirs]
    for d in run_dirs:
        if not (d / "results").is_dir():
            raise CompassError(f"{d} has no results yet (nothing was evaluated); give a finished run, "
                               f"or wait for this one: compass runs {work_dir}")
        if latest_status(d).get("state") == "running" and not partial:
            raise CompassError(f"{d} is still running; its report is written when it ends "
                               f"(or pass --partial for a snapshot now)")
    host = plugin_host(ctx)
    runs = [load_run(d, host) for d in run_dirs]
    if output is None:
        output = (runs[0].run.summary_dir / f"report_{runs[0].run.timestamp}.html" if len(runs) == 1
                  else Path(f"report_{new_timestamp()}.html"))
    names = ", ".join(r.run.root.name for r in runs)
    running = [r.run.root.name for r in runs if r.status.get("state") == "running"]
    title = f"compass report — {names}" + (f" (partial: {', '.join(running)} still running)" if running else "")
    path = write_report(runs, output, title)
    click.echo(f"report written to {path}")
