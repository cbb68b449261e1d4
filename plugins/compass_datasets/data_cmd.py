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

    from compass_datasets.status import collect, data_dir_from, origin

    folder, source = data_dir_from(data_dir)
    rows = collect(_host(ctx).registry, folder, pattern)
    if not rows:
        click.echo(f"no datasets match {pattern!r}" if pattern else "no datasets registered", err=True)
        return
    table = [[r.name, r.status, "-" if r.samples is None else r.samples, r.subsets,
              r.path if r.status in ("present", "partial") else (r.detail or "-"), origin(r, folder)] for r in rows]
    click.echo(f"data dir: {folder.resolve()} ({source})")
    click.echo(tabulate(table, headers=["dataset", "status", "samples", "subsets", "path / problem", "from"],
                        tablefmt="simple", maxcolwidths=[None, None, None, None, 70, 48]))
    if any(r.status == "missing" for r in rows):
        click.echo("\nmissing data: `compass eval` fetches what it needs (`compass data fetch NAME` does it now); "
                   "or `compass data import OpenCompassData-core-*.zip`, or pass --data-dir")


@data_command.command("fetch")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--data-dir", default=None, metavar="DIR",
              help="Where to put the files [default: $COMPASS_DATA_DIR or ./data].")
@click.option("--source", default=None, type=click.Choice(["hf", "modelscope", "github"]),
              help="Hugging Face hub, ModelScope, or GitHub (the three benchmarks only there) "
                   "[default: $DATASET_SOURCE, else hf].")
@click.option("--timeout", default=5.0, show_default=True, type=float,
              help="Seconds to wait for the hub to answer before giving up.")
@click.pass_context
def fetch_command(ctx, names, data_dir, source, timeout):
    """Download datasets NAME... (a dataset or a benchmark: mmlu, arc_c_ppl, humaneval) into the data dir.

    \b
    The Hugging Face hub honours HF_ENDPOINT (a mirror), HF_TOKEN and HF_HOME;
    ModelScope honours MODELSCOPE_ENDPOINT; GitHub (AGIEval, GAOKAO-Bench, AlignBench)
    GITHUB_TOKEN and GITHUB_API_URL. Where each file came from is recorded in
    <data dir>/.compass/provenance/.
    """
    from compass_datasets.fetch import fetch, resolve
    from compass_datasets.recipes import recipe_named
    from compass_datasets.status import data_dir_from

    registry = _host(ctx).registry
    for name in names:
        if recipe_named(name) is None:
            registry.get("datasets", name)  # unknown names: one line with a did-you-mean
            resolve(name)  # known, but not fetchable: says why and what to do instead
    folder, _ = data_dir_from(data_dir or ctx.meta.get("compass.data_dir"))
    for name in names:
        written = fetch(name, folder, source=source, timeout=timeout, echo=lambda msg: click.echo(msg, err=True))
        for path in written:
            click.echo(f"wrote {path}")


@data_command.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--data-dir", default=None, metavar="DIR",
              help="Where to unpack it [default: $COMPASS_DATA_DIR or ./data].")
@click.pass_context
def import_command(ctx, archive, data_dir):
    """Unpack OpenCompass's data archive (OpenCompassData-core-*.zip) into the data dir."""
    from compass_datasets.importer import import_archive
    from compass_datasets.status import data_dir_from

    folder, _ = data_dir_from(data_dir or ctx.meta.get("compass.data_dir"))
    count, tops = import_archive(archive, folder, echo=lambda msg: click.echo(msg, err=True))
    click.echo(f"imported {count} file(s) into {folder}: {', '.join(tops)}")
