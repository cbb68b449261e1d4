"""Registers ``compass runs`` and ``compass compare`` (cheap manifest: the work is imported
when a command runs)."""

from __future__ import annotations

import click

from compass.sdk import hookimpl


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option("-w", "--work-dir", default="outputs/default", show_default=True,
              help="Where to look for runs named by timestamp.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option("--max-flips", type=click.IntRange(min=0), default=30, show_default=True,
              help="Changed samples shown per dataset and kind (every one is in --html and --json).")
@click.option("--flips", "flip_kinds", type=click.Choice(["all", "a-right", "b-right", "both-wrong"]),
              multiple=True, default=("all",), show_default=True,
              help="Which changed samples to list: right in A only (a-right), right in B only (b-right), "
                   "wrong in both with different answers (both-wrong); repeat for several.")
@click.option("--html", "html_path", default=None, metavar="FILE",
              help="Also write the comparison as a self-contained HTML page.")
def compare_command(run_a, run_b, work_dir, as_json, max_flips, flip_kinds, html_path):
    """Compare two runs: scores, whether each delta is more than noise (McNemar's test on
    per-sample verdicts), what differs between the runs, and the samples that flipped.

    RUN_A and RUN_B are run folders, or timestamps (or ``latest``) under --work-dir.
    """
    import json
    import shutil

    from compass_results.compare import compare_runs, format_comparison
    from compass_results.folders import find_run
    from compass_results.samples import KINDS

    cmp = compare_runs(find_run(run_a, work_dir), find_run(run_b, work_dir))
    names = {"a-right": "a_right", "b-right": "b_right", "both-wrong": "both_wrong"}
    kinds = tuple(KINDS) if "all" in flip_kinds else tuple(k for k in KINDS if k in {names[f] for f in flip_kinds})
    width = max(40, shutil.get_terminal_size((120, 24)).columns - 10)
    click.echo(json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False, default=str) if as_json
               else format_comparison(cmp, max_flips, kinds, width))
    if html_path:
        from pathlib import Path

        from compass_results.compare_html import render_comparison

        from compass.sdk import CompassError

        try:
            Path(html_path).write_text(render_comparison(cmp), encoding="utf-8")
        except OSError as exc:
            raise CompassError(f"--html {html_path}: cannot write it ({exc.strerror}); give a file in an "
                               f"existing, writable folder") from None
        click.echo(f"comparison written to {html_path}", err=True)


@click.command("runs")
@click.argument("work_dir", required=False, default="outputs/default")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs_command(work_dir, as_json):
    """The runs in WORK_DIR (default outputs/default), newest first: time, models, datasets,
    status (finished, failed, interrupted) and headline scores."""
    import json
    from pathlib import Path

    from compass.sdk import CompassError
    from compass_results.runs import format_runs, list_runs

    if not Path(work_dir).is_dir():
        raise CompassError(f"no work dir {work_dir}; give the folder compass eval -w wrote to "
                           f"(default outputs/default)")
    runs = list_runs(Path(work_dir))
    if as_json:
        click.echo(json.dumps(runs, indent=2, ensure_ascii=False))
    elif not runs:
        click.echo(f"no runs in {work_dir}")
    else:
        click.echo(format_runs(runs))


@hookimpl
def register_commands(cli):
    """``compass compare`` and ``compass runs``."""
    cli.add_command(compare_command)
    cli.add_command(runs_command)
