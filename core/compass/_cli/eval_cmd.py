"""``compass eval``: flags or a config file → RunConfig → the pipeline.

The core's own flags are declared here; backends and runners contribute theirs through the
``register_eval_options`` hook (:mod:`compass._flags`), added to the command when it runs or
shows its help. Precedence, for every flag: a flag the user gives beats the config file;
what the user sets either way beats a dataset's own default (``compass._plan.generation_settings``),
which beats a plugin's or preset's default.
"""

from __future__ import annotations


import click

from compass._cli import plugin_host

CORE = "compass"  # the owner of the core's flags, in messages about clashing flags
_OPTIONS_KEY = "compass.eval_options"


def expand_multi_values(args: list[str], multi: set[str]) -> list[str]:
    """Let ``-m a b`` mean ``-m a -m b`` (OpenCompass style) for the options in ``multi``."""
    out: list[str] = []
    current = None
    for arg in args:
        if arg in multi:
            current = arg
            out.append(arg)
            continue
        if current and not arg.startswith("-") and out[-1] != current and not arg.endswith((".py", ".toml")):
            out.extend([current, arg])
            continue
        if arg.startswith("-"):
            current = None
        out.append(arg)
    return out


class _Converted(click.ParamType):
    """A plugin's converter function as a click type (its ValueError is a usage error)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", "value")

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.fn(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _click_option(opt) -> click.Option:
    """The click option of a contributed :class:`compass._flags.EvalOption`."""
    help_text = opt.help
    if opt.implies_model:
        stop = "." if help_text.endswith(".") else ""
        help_text = f"{help_text.removesuffix('.')} (implies -m {opt.implies_model}){stop}"
    kwargs: dict = {"help": help_text, "default": None, "multiple": opt.multiple, "metavar": opt.metavar}
    decls = [opt.dest, opt.flag, *opt.aliases, *([opt.short] if opt.short else [])]  # the value is always the first spelling's
    if opt.type is bool:
        return click.Option(decls, is_flag=True, default=None, help=help_text)
    if opt.type == "kv":
        kwargs["metavar"] = opt.metavar or "K=V…"
    elif opt.choices:
        kwargs["type"] = click.Choice(opt.choices)
    elif opt.type is int:
        kwargs["type"] = click.INT if opt.min is None else click.IntRange(min=int(opt.min), min_open=opt.min_open)
    elif opt.type is float:
        kwargs["type"] = click.FLOAT if opt.min is None else click.FloatRange(min=opt.min, min_open=opt.min_open)
    elif callable(opt.type) and opt.type is not str:
        kwargs["type"] = _Converted(opt.type)
    return click.Option(decls, **kwargs)


class EvalCommand(click.Command):
    """``compass eval``: the core's options plus those the loaded plugins contribute."""

    def contributed(self, ctx: click.Context) -> list:
        """The plugins' :class:`~compass._flags.EvalOption` list of this invocation (collected once)."""
        meta = ctx.meta
        if _OPTIONS_KEY not in meta:
            from compass._flags import collect_eval_options

            taken = {name: CORE for p in self.params for name in (*p.opts, *p.secondary_opts, p.name)}
            taken.update({"-h": CORE, "--help": CORE, "help": CORE})
            options = collect_eval_options(plugin_host(ctx).pm, taken)
            meta[_OPTIONS_KEY] = (options, [_click_option(o) for o in options])
        return meta[_OPTIONS_KEY][0]

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        self.contributed(ctx)
        help_option = self.get_help_option(ctx)
        return [*self.params, *ctx.meta[_OPTIONS_KEY][1], *([help_option] if help_option else [])]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        multi = {name for p in self.get_params(ctx) if isinstance(p, click.Option) and p.multiple
                 for name in p.opts}
        return super().parse_args(ctx, expand_multi_values(args, multi))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The core's options, then each plugin's under its name."""
        records = [p.get_help_record(ctx) for p in self.params if isinstance(p, click.Option)]
        help_option = self.get_help_option(ctx)
        if help_option is not None:
            records.append(help_option.get_help_record(ctx))
        with formatter.section("Options"):
            formatter.write_dl([r for r in records if r])
        options, params = ctx.meta[_OPTIONS_KEY] if _OPTIONS_KEY in ctx.meta else ([], [])
        by_plugin: dict[str, list] = {}
        for opt, param in zip(options, params):
            record = param.get_help_record(ctx)
            if record:
                by_plugin.setdefault(opt.plugin, []).append(record)
        for plugin, rows in by_plugin.items():
            with formatter.section(f"Options of plugin {plugin}"):
                formatter.write_dl(rows)


def _split_names(values: tuple[str, ...]) -> list[str]:
    return [n for v in values for n in v.split(",") if n]


@click.command("eval", cls=EvalCommand, context_settings={"max_content_width": 100})
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("-m", "--models", multiple=True, metavar="NAME…",
              help="Models by registry name (see: compass list models); several allowed.")
@click.option("-d", "--datasets", multiple=True, metavar="NAME…",
              help="Datasets by registry name (see: compass list datasets); several allowed.")
@click.option("-w", "--work-dir", default=None, help="Where run folders go [default: outputs/default].")
@click.option("-r", "--reuse", is_flag=False, flag_value="latest", default=None, metavar="[latest|TIMESTAMP]",
              help="Continue a run folder (the latest, or a timestamp): infer only missing samples.")
@click.option("--mode", type=click.Choice(["all", "infer", "eval", "viz"]), default="all", show_default=True,
              help="Stop after inference, only evaluate, or only re-print the summary.")
@click.option("--debug", is_flag=True, help="Run tasks in this process, one by one, output on the terminal.")
@click.option("--dry-run", is_flag=True, help="Print the plan (tasks, sample counts) and exit; loads no model.")
@click.option("--runner", default=None, help="Runner by registry name [default: the plugins' choice, in-process with --debug; see: compass list runners].")
@click.option("--runner-kwargs", multiple=True, metavar="K=V…", help="Extra runner options.")
@click.option("--max-num-workers", type=click.IntRange(min=1), default=None,
              help="Parallel worker processes / jobs [default: 1].")
@click.option("--max-partition-size", type=click.IntRange(min=1), default=None,
              help="Split a dataset into shards of at most this many samples.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N samples of each dataset (smoke runs).")
@click.option("--dump-eval-details", is_flag=True, help="Write per-sample verdicts into the result files.")
@click.option("--stderr", is_flag=True,
              help="Show each score ± its standard error in the printed table (files always have them).")
@click.option("--data-dir", default=None, help="Benchmark data folder [default: $COMPASS_DATA_DIR or ./data].")
@click.option("--dump-config", is_flag=True,
              help="Print the run's config as TOML (an OpenCompass-style .py config translated) and exit.")
@click.pass_context
def eval_command(ctx, config, **opts):
    """Evaluate models on datasets: infer, evaluate, summarize.

    \b
    Examples:
      compass eval -m smollm2-135m-instruct -d demo_ceval demo_gsm8k
      compass eval -m hf --hf-path Qwen/Qwen2-1.5B-Instruct --hf-type chat -d ceval_gen --debug
      compass eval my_config.toml -r latest
    """
    cfg = build_run_config(config, opts, ctx.command.contributed(ctx))
    if opts.get("dump_config"):
        from compass._config import to_toml

        click.echo(to_toml(cfg), nl=False)
        return
    _alias_notes(cfg, plugin_host(ctx))
    from compass.api import evaluate

    ctx.exit(evaluate(cfg, plugin_host(ctx)).exit_code)


def _alias_notes(cfg, host) -> None:
    """One line per alias the run uses (an OpenCompass name): what it became, how it differs."""
    from compass._errors import CompassError

    for kind, comps in (("models", cfg.models), ("datasets", cfg.datasets)):
        for comp in comps:
            try:
                reg = host.registry.get(kind, comp.type)
            except CompassError:
                continue  # the planner reports unknown names
            if reg.alias_of:
                click.echo(f"note: {comp.type} is compass's {reg.alias_of}"
                           + (f" ({reg.note})" if reg.note else ""), err=True)


def build_run_config(config_path: str | None, opts: dict, contributed: list | None = None):
    """Merge a config file (if any) and the flags into one RunConfig.

    :param opts: the command's parameters (``ctx.params``).
    :param contributed: the plugins' flags (:class:`compass._flags.EvalOption`); by default
        those of the current ``compass eval`` invocation.

    A flag the user gave wins over the config file: model flags are written into every
    model's kwargs, runner flags into the runner's kwargs.
    """
    from compass._config import Component, RunConfig, config_from_file_data, load_config_file
    from compass._flags import dataset_values, flag_values, implied_model, notify_values, setting_values
    from compass._kv import parse_kv

    if contributed is None:
        ctx = click.get_current_context()
        contributed = eval_command.contributed(ctx)
    if config_path:
        cfg = config_from_file_data(load_config_file(config_path, plugin_host()), config_path)
    else:
        cfg = RunConfig()
    model_flags, runner_flags, implied = flag_values(contributed, opts)
    cfg.eval_settings.update(setting_values(contributed, opts))
    cfg.notify.update(notify_values(contributed, opts))
    models = _split_names(opts["models"])
    if not models and not cfg.models:
        name = implied_model(implied)
        models = [name] if name else []
    if models:
        cfg.models = [Component(name, dict(model_flags)) for name in models]
    elif model_flags:
        for m in cfg.models:
            m.kwargs.update(model_flags)
    datasets = _split_names(opts["datasets"])
    if datasets:
        cfg.datasets = [Component(name) for name in datasets]
    for name, kwargs in dataset_values(contributed, opts):  # flags that add a dataset (--custom-dataset-path)
        cfg.datasets.append(Component(name, kwargs))
    if opts.get("runner"):
        cfg.runner = Component(opts["runner"], dict(cfg.runner.kwargs) if opts["runner"] == cfg.runner.type else {})
    elif opts.get("debug"):
        cfg.runner = Component(plugin_host().default_runner(debug=True))
    if not cfg.runner.type:
        cfg.runner = Component(plugin_host().default_runner(), dict(cfg.runner.kwargs))
    cfg.runner.kwargs.update(parse_kv(list(opts.get("runner_kwargs") or ()), "--runner-kwargs"))
    cfg.runner.kwargs.update(runner_flags)
    if opts.get("max_num_workers") is not None:
        cfg.max_num_workers = opts["max_num_workers"]
        if "max_num_workers" in cfg.runner.kwargs:  # the config file's [runner] value loses to the flag
            cfg.runner.kwargs["max_num_workers"] = opts["max_num_workers"]
    for key in ("work_dir", "data_dir"):
        if opts.get(key):
            setattr(cfg, key, opts[key])
    for key in ("reuse", "limit", "max_partition_size"):
        if opts.get(key) is not None:
            setattr(cfg, key, opts[key])
    cfg.mode = opts.get("mode") or "all"
    cfg.dump_eval_details = cfg.dump_eval_details or bool(opts.get("dump_eval_details"))
    cfg.dry_run = bool(opts.get("dry_run"))
    if opts.get("stderr"):
        cfg.summarizer["stderr"] = True
    return cfg
