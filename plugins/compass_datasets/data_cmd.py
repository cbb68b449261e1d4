"""``compass data``: which datasets are present where; ``compass data fetch NAME``.

Only click is imported here; each command imports what it needs when it runs.
"""

from __future__ import annotations

import click


def _host(ctx: click.Context):
    from compass.sdk import plugin_host

    return plugin_host(ctx)


@click.group("data", invoke_without_command=True)
@click.option("--data-dir", default=None, metavar="DIR",
              help="Data folder [default: $COMPASS_DATA_DIR or ./data].")
@click.option("--filter", "pattern", default=None, metavar="TEXT", help="Only datasets whose name contains TEXT.")
@click.pass_context
def data_command(ctx, data_dir, pattern):
    """Which registered datasets are present in the data dir, where, and how many samples.

    \b
    Examples:
      compass data                       every registered dataset
      compass data --filter ceval        C-Eval and its variants
      compass data fetch ceval           download C-Eval from the Hugging Face hub
    """
    ctx.meta["compass.data_dir"] = data_dir
    if ctx.invoked_subcommand:
        return
    from tabulate import tabulate

    from compass_datasets.status import collect, data_dir_from

    folder, source = data_dir_from(data_dir)
    rows = collect(_host(ctx).registry, folder, pattern)
    if not rows:
        click.echo(f"no datasets match {pattern!r}" if pattern else "no datasets registered", err=True)
        return
    table = [[r.name, r.status, "-" if r.samples is None else r.samples, r.subsets,
              r.path if r.status in ("present", "partial") else (r.detail or "-")] for r in rows]
    click.echo(f"data dir: {folder.resolve()} ({source})")
    click.echo(tabulate(table, headers=["dataset", "status", "samples", "subsets", "path / problem"],
                        tablefmt="simple", maxcolwidths=[None, None, None, None, 90]))
    if any(r.status == "missing" for r in rows):
        click.echo("\nmissing data: unzip OpenCompassData-core into the data dir, run `compass data fetch NAME`, "
                   "or pass --data-dir")


@data_command.command("fetch")
@click.argument("name")
@click.option("--data-dir", default=None, metavar="DIR",
              help="Where to put the files [default: $COMPASS_DATA_DIR or ./data].")
@click.option("--timeout", default=5.0, show_default=True, type=float,
              help="Seconds to wait for the Hugging Face hub before giving up.")
@click.pass_context
def fetch_command(ctx, name, data_dir, timeout):
    """Download dataset NAME from the Hugging Face hub into the data dir."""
    from compass_datasets.fetch import fetch
    from compass_datasets.status import data_dir_from

    _host(ctx).registry.get("datasets", name)  # unknown names: one line with a did-you-mean
    folder, _ = data_dir_from(data_dir or ctx.meta.get("compass.data_dir"))
    written = fetch(name, folder, timeout=timeout, echo=lambda msg: click.echo(msg, err=True))
    for path in written:
        click.echo(f"wrote {path}")
