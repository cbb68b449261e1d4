"""The ``compass`` command line; one module per sub-command (``main`` is the group).

:func:`plugin_host` lives here, in the package every sub-command already imports, so
sub-commands and plugin commands share one plugin host without importing ``main``.
"""

from __future__ import annotations

import click


def plugin_host(ctx: click.Context | None = None):
    """The plugin host of this ``compass`` invocation (built once, on first use).

    Sub-commands, plugin commands included, call this instead of building their own; a
    plugin that failed to load is reported here, once, as a one-line warning.
    """
    from compass._plugins import make_plugin_host

    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return make_plugin_host()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = make_plugin_host()
        for failure in root.obj.failures:
            click.echo(f"warning: plugin '{failure.name}' ({failure.module}) failed to load and "
                       f"is skipped: {failure.error}", err=True)
    return root.obj
