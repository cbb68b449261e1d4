"""The programmatic API under the ``compass`` command.

The CLI, plugin commands (``compass api-test``) and tests use these functions, never the
CLI's internals::

    from compass import api

    result = api.evaluate({"models": [{"type": "mock"}], "datasets": ["demo_ceval"]})
    print(result.exit_code, result.run_dir)
    print(result.summary.text())
    result.score("mock", "demo_ceval-computer_network")

Every function raises :class:`compass._errors.CompassError` (one line naming the problem and
the fix) for bad input, before any model loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from compass._config import Component, RunConfig, config_from_file_data, load_config_file
from compass._dataset import Benchmark
from compass._errors import CompassError
from compass._pipeline import RunResult, run_pipeline
from compass._plan import Plan, make_plan
from compass._plugins import PluginHost, make_plugin_host

__all__ = ["Component", "RunConfig", "RunResult", "dataset", "evaluate", "load_config", "plan", "plugin_host"]

#: settings of a run besides the config file's keys (see :class:`compass._config.RunConfig`)
RUN_SETTINGS = ("mode", "reuse", "limit", "max_partition_size", "max_num_workers", "dump_eval_details",
                "dry_run")


def plugin_host(plugins: Iterable[Any] = ()) -> PluginHost:
    """Every installed plugin loaded (plus ``plugins``, objects with hook implementations)."""
    return make_plugin_host(plugins)


def dataset(name: str, kwargs: dict | None = None, host: PluginHost | None = None) -> Benchmark:
    """The registered dataset ``name`` built with ``kwargs`` (``chat=`` tells it the model kind),
    as a run would build it: one plugin may offer another's dataset without importing it."""
    from compass._plan import build_benchmark

    kwargs = dict(kwargs or {})
    chat = bool(kwargs.pop("chat", False))
    return build_benchmark(host or plugin_host(), name, kwargs, chat)


def load_config(config: RunConfig | dict | str | Path, host: PluginHost | None = None) -> RunConfig:
    """A :class:`RunConfig` from a config object, a dict shaped like a config file, or a file.

    A dict may also hold the run settings a flag gives (``limit``, ``reuse``, ``mode``,
    ``max_num_workers``, ``dump_eval_details``, ``dry_run``, ...).
    """
    if isinstance(config, RunConfig):
        return config
    if isinstance(config, (str, Path)):
        return config_from_file_data(load_config_file(config, host), str(config))
    if not isinstance(config, dict):
        raise CompassError(f"a config is a RunConfig, a dict or a file path, got {type(config).__name__}")
    data = dict(config)
    settings = {k: data.pop(k) for k in RUN_SETTINGS if k in data}
    cfg = config_from_file_data(data, "config")
    for key, value in settings.items():
        setattr(cfg, key, value)
    return cfg


def plan(config: RunConfig | dict | str | Path, host: PluginHost | None = None) -> Plan:
    """Validate a config and split it into tasks, loading no model."""
    host = host or plugin_host()
    return make_plan(load_config(config, host), host)


def evaluate(config: RunConfig | dict | str | Path, host: PluginHost | None = None) -> RunResult:
    """Run infer → evaluate → summarize → report; returns what the run produced.

    Progress and the summary table are printed as by ``compass eval``. A failed task or
    sample does not raise: it is in ``result.failures`` and ``result.exit_code`` is 1.
    """
    host = host or plugin_host()
    return run_pipeline(load_config(config, host), host)
