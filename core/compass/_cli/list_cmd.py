"""``compass list``: what the installed plugins registered (imports no model library)."""

from __future__ import annotations

import fnmatch

import click

from compass._cli import plugin_host

from compass._registry import KINDS, loose


def _matches(name: str, patterns: list[str]) -> bool:
    """A pattern is a substring or a glob; ``-``, ``_`` and ``.`` match each other."""
    if not patterns:
        return True
    low = loose(name)
    for pat in patterns:
        pat = loose(pat)
        if any(ch in pat for ch in "*?[") and fnmatch.fnmatch(low, pat):
            return True
        if pat in low:
            return True
    return False


def _description(reg) -> str:
    if not reg.alias_of:
        return reg.description
    return f"alias of {reg.alias_of}" + (f"; {reg.note}" if reg.note else "")


@click.command("list")
@click.argument("args", nargs=-1, metavar="[KIND] [PATTERN]…")
@click.pass_context
def list_command(ctx, args):
    """List registered components; KIND is one of models, datasets, postprocessors,
    evaluators, runners; PATTERNs are substrings or globs matched against names (and
    aliases, such as OpenCompass's config names); '-', '_' and '.' match each other.

    \b
    Examples:
      compass list                    everything
      compass list datasets ceval     datasets whose name contains "ceval"
      compass list internlm ceval     names containing either, across kinds
    """
    from tabulate import tabulate

    args = list(args)
    chosen = []
    while args and args[0].rstrip("s") + "s" in KINDS:  # "datasets", "dataset", several kinds
        chosen.append(args.pop(0).rstrip("s") + "s")
    kinds = tuple(chosen) or KINDS
    host = plugin_host(ctx)
    rows = [[r.name, r.kind[:-1], r.plugin, _description(r)]
            for kind in kinds
            for r in sorted([*host.registry.all(kind), *host.registry.aliases(kind)], key=lambda r: r.name)
            if _matches(r.name, args)]
    if not rows:
        what = " or ".join(kinds) if len(kinds) == 1 else "components"
        click.echo(f"no {what} match {' '.join(args)!r}" if args else f"no {what} registered", err=True)
        return
    click.echo(tabulate(rows, headers=["name", "kind", "plugin", "description"], tablefmt="simple",
                        maxcolwidths=[None, None, None, 70]))
