"""The ``compass`` command: a click group whose sub-commands are imported on demand.

Plugins can add sub-commands through the ``register_commands`` hook. Problems with the
user's input print one line, ``error: …``, and exit with code 2 — never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from compass import __version__
from compass._cli import plugin_host  # plugin commands import it from here too
from compass._errors import CompassError

# name -> (module, attribute); imported only when the command runs or help is shown
BUILTIN_COMMANDS = {
    "eval": ("compass._cli.eval_cmd", "eval_command"),
    "list": ("compass._cli.list_cmd", "list_command"),
    "plugins": ("compass._cli.plugins_cmd", "plugins_command"),
}


class CompassGroup(click.Group):
    """Built-in commands load lazily; plugin commands are added once plugins are loaded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plugins_added = False

    def _add_plugin_commands(self, ctx: click.Context) -> None:
        if not self._plugins_added:
            self._plugins_added = True
            plugin_host(ctx).pm.hook.register_commands(cli=self)

    def list_commands(self, ctx):
        self._add_plugin_commands(ctx)
        return sorted(set(BUILTIN_COMMANDS) | set(self.commands))

    def get_command(self, ctx, name):
        if name in BUILTIN_COMMANDS:
            module, attr = BUILTIN_COMMANDS[name]
            return getattr(importlib.import_module(module), attr)
        self._add_plugin_commands(ctx)
        return self.commands.get(name)


@click.group(cls=CompassGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compass")
def cli():
    """Evaluate large language models on standard benchmarks.

    \b
    Quick start:
      compass eval -m smollm2-135m-instruct -d demo_ceval demo_gsm8k
      compass list datasets ceval
      compass plugins
    """


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=args, prog_name="compass", standalone_mode=False)
    except CompassError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(0)
    except click.UsageError as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    # click returns the code of ctx.exit() when it does not exit itself
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
