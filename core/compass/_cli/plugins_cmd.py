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
    devices = host.devices
    # hooks that add something other than registry names, shown by what they add
    extras = {"register_commands": "commands", "register_eval_options": "flags", "read_config": "config files",
              "default_runner": "default runner", "on_run_finished": "notifications"}
    provides: dict[str, list[str]] = {}
    for hook, label in extras.items():
        for impl in getattr(host.pm.hook, hook).get_hookimpls():
            provides.setdefault(impl.plugin_name, []).append(label)
    rows = []
    for info in host.plugins:
        regs = registry.by_plugin(info.name)
        if info.error:
            what = f"FAILED to load: {info.error}"
        else:
            kinds = [d.name for d in map(devices.get, devices.names) if d and d.plugin == info.name]
            if names:
                parts = [f"{r.kind[:-1]}:{r.name}" for r in regs] + [f"device:{k}" for k in kinds]
            else:
                parts = [f"{sum(r.kind == k for r in regs)} {k}" for k in KINDS if any(r.kind == k for r in regs)]
                parts += [f"devices ({', '.join(kinds)})"] if kinds else []
            parts += provides.get(info.name, [])
            what = ", ".join(parts) or "-"
        rows.append([info.name, info.distribution, info.version, what])
    click.echo(tabulate(rows, headers=["plugin", "distribution", "version", "registered"], tablefmt="simple",
                        maxcolwidths=[None, None, None, 80]))
