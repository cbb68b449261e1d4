"""Flags that plugins contribute to ``compass eval`` (the ``register_eval_options`` hook).

A contributed flag is data: its spelling, its help, how its value is checked, and where
the value goes — a keyword argument of every model of the run, of the runner, or an
evaluation setting (``RunConfig.eval_settings``, which evaluators see as ``context.settings``
and in their ``preflight``). The core turns these into command-line options when ``compass
eval`` runs (nothing here imports click), and :func:`apply_flags` writes the values the
user gave into a :class:`~compass._config.RunConfig`, over what a config file said.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from compass._errors import PluginError

_FLAG = re.compile(r"--[a-z0-9][a-z0-9-]*")
TYPES = (str, int, float, bool, "kv")


@dataclass(frozen=True)
class EvalOption:
    """One flag of ``compass eval`` and who contributed it."""

    flag: str
    help: str
    plugin: str
    model_kwarg: str | None = None
    runner_kwarg: str | None = None
    eval_setting: str | None = None
    #: the value goes to the run's notifier settings (``RunConfig.notify``) instead
    notify_setting: str | None = None
    #: a one-letter spelling (``-l``)
    short: str | None = None
    type: Any = str
    choices: tuple[str, ...] | None = None
    multiple: bool = False
    metavar: str | None = None
    min: float | None = None
    min_open: bool = False
    implies_model: str | None = None
    #: other spellings of the flag (e.g. OpenCompass's ``--num-gpus`` for ``--hf-num-gpus``)
    aliases: tuple[str, ...] = ()
    #: the value is keyword argument ``dataset_kwarg`` of the dataset ``adds_dataset``, which
    #: the flag adds to the run (``--custom-dataset-path``)
    dataset_kwarg: str | None = None
    adds_dataset: str | None = None

    @property
    def dest(self) -> str:
        """The name of the value among the command's parameters (``--hf-path`` → ``hf_path``)."""
        return self.flag[2:].replace("-", "_")

    @property
    def target(self) -> tuple[str, str]:
        """``("model", kwarg)``, ``("runner", kwarg)`` or ``("setting", name)`` (an evaluation setting)."""
        if self.model_kwarg:
            return "model", self.model_kwarg
        if self.dataset_kwarg:
            return "dataset", self.dataset_kwarg
        if self.notify_setting:
            return ("notify", self.notify_setting)
        return ("runner", self.runner_kwarg) if self.runner_kwarg else ("setting", self.eval_setting)


class OptionRegister:
    """The ``register`` callable handed to ``register_eval_options`` for one plugin."""

    def __init__(self, plugin: str, out: list[EvalOption]):
        self.plugin = plugin
        self._out = out

    def __call__(self, flag: str, help: str = "", *, model_kwarg: str | None = None,
                 runner_kwarg: str | None = None, eval_setting: str | None = None,
                 notify_setting: str | None = None, short: str | None = None, type: Any = str,
                 choices=None, multiple: bool = False,
                 metavar: str | None = None, min: float | None = None, min_open: bool = False,
                 implies_model: str | None = None, aliases=(), dataset_kwarg: str | None = None,
                 adds_dataset: str | None = None) -> None:
        where = f"plugin {self.plugin}: eval option {flag!r}"
        aliases = (aliases,) if isinstance(aliases, str) else tuple(aliases or ())
        for spelling in (flag, *aliases):
            if not isinstance(spelling, str) or not _FLAG.fullmatch(spelling):
                raise PluginError(f"{where}: {spelling!r} must be spelled --lower-case-words")
        if sum(t is not None for t in (model_kwarg, runner_kwarg, eval_setting, notify_setting, dataset_kwarg)) != 1:
            raise PluginError(f"{where} needs exactly one of model_kwarg=, runner_kwarg=, eval_setting=, "
                              f"notify_setting= or dataset_kwarg=")
        if (dataset_kwarg is None) != (adds_dataset is None):
            raise PluginError(f"{where}: dataset_kwarg= and adds_dataset= go together")
        if short is not None and not (isinstance(short, str) and re.fullmatch(r"-[a-zA-Z]", short)):
            raise PluginError(f"{where}: short={short!r} must be one dash and one letter (-l)")
        if not (type in TYPES or callable(type)):
            raise PluginError(f"{where}: type must be str, int, float, bool, 'kv' or a converter function")
        if implies_model is not None and model_kwarg is None:
            raise PluginError(f"{where}: implies_model= needs model_kwarg=")
        if type == "kv":
            multiple = True
        self._out.append(EvalOption(
            flag=flag, help=" ".join((help or "").split()), plugin=self.plugin, model_kwarg=model_kwarg,
            runner_kwarg=runner_kwarg, eval_setting=eval_setting, notify_setting=notify_setting, short=short,
            type=type, choices=tuple(choices) if choices else None,
            multiple=bool(multiple), metavar=metavar, min=min, min_open=min_open, implies_model=implies_model,
            aliases=aliases, dataset_kwarg=dataset_kwarg, adds_dataset=adds_dataset))


def collect_eval_options(pm, taken: dict[str, str] | None = None) -> list[EvalOption]:
    """Call every ``register_eval_options`` implementation; the flags in contribution order.

    :param taken: flags (and their value names) the command already has, mapped to their
        owner, e.g. ``{"--limit": "compass"}``. A flag claimed twice is a PluginError
        naming both owners.
    """
    owners = dict(taken or {})
    options: list[EvalOption] = []
    trace = bool(os.environ.get("COMPASS_TRACE_HOOKS"))
    for impl in pm.hook.register_eval_options.get_hookimpls():  # in the order plugins were loaded
        mine: list[EvalOption] = []
        register = OptionRegister(impl.plugin_name, mine)
        impl.function(**({"register": register} if "register" in impl.argnames else {}))
        for opt in mine:
            spellings = (opt.flag, opt.dest, *opt.aliases, *([opt.short] if opt.short else []))
            for key in spellings:
                if key in owners:
                    raise PluginError(
                        f"flag {key} is contributed by two plugins: {owners[key]} and {opt.plugin}; "
                        f"uninstall one or allow-list plugins with COMPASS_PLUGINS")
            for key in spellings:
                owners[key] = opt.plugin
        if trace:
            print(f"hook register_eval_options [{impl.plugin_name}] -> "
                  f"{', '.join(o.flag for o in mine) or '(nothing)'}", file=sys.stderr)
        options.extend(mine)
    return options


def given(value: Any) -> bool:
    """Did the user give this flag? (unset options are None, or empty for multiple ones)"""
    if value is None or value is False:  # an unset switch is False; 0 is a value
        return False
    return not (isinstance(value, (tuple, list, dict)) and not value)


def _converted(opt: EvalOption, value: Any) -> Any:
    """A given flag's value as its target takes it: ``key=value`` items as a dict, a multiple
    flag's values as a list."""
    from compass._kv import parse_kv

    if opt.type == "kv":
        return parse_kv(list(value), opt.flag)
    return list(value) if opt.multiple else value


def flag_values(options: list[EvalOption], values: dict[str, Any]) -> tuple[dict, dict, dict[str, str]]:
    """The model kwargs, runner kwargs and implied models of the flags the user gave.

    ``values`` maps each option's :attr:`~EvalOption.dest` to what the command line held.
    Returns ``(model_kwargs, runner_kwargs, {flag: implied model})``.
    """
    model: dict = {}
    runner: dict = {}
    implied: dict[str, str] = {}
    for opt in options:
        value = values.get(opt.dest)
        if not given(value):
            continue
        value = _converted(opt, value)
        kind, key = opt.target
        if kind in ("setting", "notify", "dataset"):  # see setting_values, notify_values, dataset_values
            continue
        (model if kind == "model" else runner)[key] = value
        if opt.implies_model:
            implied[opt.flag] = opt.implies_model
    return model, runner, implied


def setting_values(options: list[EvalOption], values: dict[str, Any]) -> dict:
    """The evaluation settings (``eval_setting=`` flags) the user gave, for ``RunConfig.eval_settings``."""
    out: dict = {}
    for opt in options:
        value = values.get(opt.dest)
        if opt.eval_setting is None or not given(value):
            continue
        value = _converted(opt, value)
        out[opt.eval_setting] = value
    return out


def notify_values(options: list[EvalOption], values: dict[str, Any]) -> dict:
    """The notifier settings (``notify_setting=`` flags) the user gave, for ``RunConfig.notify``."""
    return {opt.notify_setting: values[opt.dest] for opt in options
            if opt.notify_setting is not None and given(values.get(opt.dest))}


def dataset_values(options: list[EvalOption], values: dict[str, Any]) -> list[tuple[str, dict]]:
    """The datasets ``dataset_kwarg=`` flags add: ``[(dataset, kwargs)]``, one per
    ``adds_dataset`` any of whose flags the user gave, in the order flags were contributed."""
    out: dict[str, dict] = {}
    for opt in options:
        value = values.get(opt.dest)
        if opt.dataset_kwarg is None or not given(value):
            continue
        value = _converted(opt, value)
        out.setdefault(opt.adds_dataset, {})[opt.dataset_kwarg] = value
    return list(out.items())


def implied_model(implied: dict[str, str]) -> str | None:
    """The one model the given flags imply (``--hf-path`` → ``hf``); an error when they disagree."""
    from compass._errors import CompassError

    names = sorted(set(implied.values()))
    if len(names) > 1:
        said = ", ".join(f"{flag} means -m {name}" for flag, name in implied.items())
        raise CompassError(f"the flags imply different models ({said}); name the model(s) with -m")
    return names[0] if names else None

