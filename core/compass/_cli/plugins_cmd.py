"""``compass plugins``: every plugin, its distribution and version, what it registered."""

from __future__ import annotations

import click

from compass._cli import plugin_host

from compass._registry import KINDS


@click.command("plugins")
@click.option("--names", is_flag=True, help="List every registered name, not counts.")
@click.pass_context
def plugins_command(ctx, names):
    """Show installed plugins and what each registered.

    \b
    Environment:
      COMPASS_PLUGINS=a,b         load only these entry-point plugins
      COMPASS_EXTRA_PLUGINS=mod   also load these modules as plugins
      COMPASS_TRACE_HOOKS=1       print every hook call
    """
    from tabulate import tabulate

    host = plugin_host(ctx)
    registry = host.registry
    commands = {}
    for impl in host.pm.hook.register_commands.get_hookimpls():
        commands[impl.plugin_name] = True
    rows = []
    for info in host.plugins:
        regs = registry.by_plugin(info.name)
        if info.error:
            what = f"FAILED to load: {info.error}"
        elif names:
            what = ", ".join(f"{r.kind[:-1]}:{r.name}" for r in regs)
        else:
            parts = [f"{sum(r.kind == k for r in regs)} {k}" for k in KINDS if any(r.kind == k for r in regs)]
            if commands.get(info.name):
                parts.append("commands")
            what = ", ".join(parts) or "-"
        rows.append([info.name, info.distribution, info.version, what])
    click.echo(tabulate(rows, headers=["plugin", "distribution", "version", "registered"], tablefmt="simple",
                        maxcolwidths=[None, None, None, 80]))
