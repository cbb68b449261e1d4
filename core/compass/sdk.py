"""The public surface for plugin authors: everything a compass plugin needs, and nothing else.

Third-party datasets, backends, evaluators, reporters, runners and notifiers import from
here (and call :mod:`compass.api` where they drive a whole run); the rest of the ``compass``
package is private (``compass._*``) and changes without notice. ``__all__`` is the promise:
a name listed here keeps its meaning across minor versions::

    from compass.sdk import Benchmark, PromptTemplate, Subset, hookimpl

    @hookimpl
    def register_datasets(register):
        register("my_qa", "my_package.qa:build", "my QA set")

The hooks themselves are documented in :mod:`compass.hookspecs` (the single source of their
docs). Names are resolved on first use, so importing this module costs nothing at start-up
— a plugin's manifest may import :data:`hookimpl` from here and stay instant.

Groups (see CONTRIBUTING.md, "The SDK", for what each name is for):

* **registration** — :data:`hookimpl`, :class:`Register`, :class:`OptionRegister`,
  :class:`DeviceRegister`, :class:`PluginHost`, :func:`make_plugin_host`, :func:`plugin_host`;
* **contracts** (``typing.Protocol``, checked when a component is registered or first loaded) —
  :class:`Model`, :class:`Evaluator`, :class:`Reporter`, :class:`Runner`, :class:`Notifier`;
* **errors** — :class:`CompassError`, :class:`DataError`, :class:`DataMissing`, :func:`did_you_mean`;
* **datasets** — :class:`Benchmark`, :class:`Subset`, :class:`Group`, :class:`Rows`,
  :class:`PromptTemplate`, :class:`FewShot`, :class:`CachedLoader`, :data:`DEFAULT_DATA_DIR`,
  and the readers :func:`find_data`, :func:`read_text`, :func:`read_jsonl` (gzip too),
  :func:`read_csv`, :func:`read_json`, :func:`read_labels`, :func:`require`, :func:`check_label`;
* **requests and completions** — :class:`GenerateRequest`, :class:`LoglikelihoodRequest`,
  :class:`OptionsRequest`, :class:`Completion`, :class:`Failure`, :class:`Message`,
  :data:`Prompt`, :func:`prompt_to_text`, :data:`MODES`, :class:`ModelTraits`;
* **evaluation** — :class:`EvalContext`, :class:`EvalSample`, :func:`strip_reasoning`,
  :func:`pass_at_k`, :func:`digest`, :func:`differences`, :func:`parse_kv`,
  :class:`Component`, :func:`resolve_model`, :func:`build_benchmark`;
* **running tasks** — :class:`TaskFile`, :class:`TaskOutcome`, :class:`ModelBuildFailed`,
  :func:`task_command`, :func:`log_tail`, :func:`read_model_error`, :class:`ModelCache`,
  :func:`execute`, :class:`Progress`, :class:`TaskLine`, :func:`share_out`, :func:`device_kind`;
* **events** — :class:`RunStarted`, :class:`TaskStarted`, :class:`TaskFinished`, :class:`RunFinished`;
* **results and reports** — :class:`Report`, :class:`RunFolder`, :class:`Summary`,
  :class:`Interval`, :func:`build_summary`, :func:`user_groups`, :func:`interval_from_verdicts`,
  :func:`read_predictions`, :func:`all_predictions`, :func:`prompt_record_text`, :func:`json_safe`,
  :func:`iter_results`, :func:`read_verdicts`, :func:`new_timestamp`,
  :func:`comparison_table`, :func:`read_comparisons`, :func:`latest_config`,
  :func:`latest_environment`, :func:`latest_status`, :func:`redact`, :func:`cache_root`;
* **package faces** — :func:`lazy_exports`: a plugin's ``__init__`` that names what other
  plugins may use, imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compass._lazy import lazy_exports

#: public name -> the private module that defines it (resolved on first use)
_SOURCES: dict[str, str] = {
    # registration
    "hookimpl": "compass.hookspecs",
    "Register": "compass._registry",
    "OptionRegister": "compass._flags",
    "DeviceRegister": "compass._devices",
    "PluginHost": "compass._plugins",
    "make_plugin_host": "compass._plugins",
    "plugin_host": "compass._cli",
    # contracts
    "Model": "compass._types",
    "Evaluator": "compass._protocols",
    "Reporter": "compass._protocols",
    "Runner": "compass._runners",
    "Notifier": "compass._protocols",
    # errors
    "CompassError": "compass._errors",
    "DataError": "compass._dataset",
    "DataMissing": "compass._dataset",
    "did_you_mean": "compass._errors",
    # datasets
    "Benchmark": "compass._dataset",
    "Subset": "compass._dataset",
    "Group": "compass._dataset",
    "Rows": "compass._dataset",
    "CachedLoader": "compass._dataset",
    "PromptTemplate": "compass._prompt",
    "FewShot": "compass._prompt",
    "DEFAULT_DATA_DIR": "compass._plan",
    "find_data": "compass._readers",
    "read_text": "compass._readers",
    "read_jsonl": "compass._readers",
    "read_csv": "compass._readers",
    "read_json": "compass._readers",
    "read_labels": "compass._readers",
    "require": "compass._readers",
    "check_label": "compass._readers",
    # requests and completions
    "GenerateRequest": "compass._types",
    "LoglikelihoodRequest": "compass._types",
    "OptionsRequest": "compass._types",
    "Completion": "compass._types",
    "Failure": "compass._types",
    "Message": "compass._types",
    "Prompt": "compass._types",
    "prompt_to_text": "compass._types",
    "MODES": "compass._types",
    "ModelTraits": "compass._types",
    # evaluation
    "EvalContext": "compass._evaluate",
    "EvalSample": "compass._evaluate",
    "strip_reasoning": "compass._evaluate",
    "pass_at_k": "compass._estimators",
    "digest": "compass._fingerprint",
    "differences": "compass._fingerprint",
    "parse_kv": "compass._kv",
    "Component": "compass._config",
    "resolve_model": "compass._plan",
    "build_benchmark": "compass._plan",
    # running tasks
    "TaskFile": "compass._runners",
    "TaskOutcome": "compass._runners",
    "ModelBuildFailed": "compass._runners",
    "task_command": "compass._runners",
    "log_tail": "compass._runners",
    "read_model_error": "compass._runners",
    "ModelCache": "compass._infer",
    "execute": "compass._task",
    "Progress": "compass._progress",
    "TaskLine": "compass._progress",
    "share_out": "compass._devices",
    "device_kind": "compass._devices",
    # events
    "RunStarted": "compass._events",
    "TaskStarted": "compass._events",
    "TaskFinished": "compass._events",
    "RunFinished": "compass._events",
    # results and reports
    "Report": "compass._reporting",
    "RunFolder": "compass._store",
    "Summary": "compass._summary",
    "Interval": "compass._summary",
    "build_summary": "compass._summary",
    "user_groups": "compass._summary",
    "interval_from_verdicts": "compass._summary",
    "read_predictions": "compass._store",
    "all_predictions": "compass._store",
    "prompt_record_text": "compass._store",
    "json_safe": "compass._store",
    "iter_results": "compass._evaluate",
    "read_verdicts": "compass._evaluate",
    "new_timestamp": "compass._store",
    "comparison_table": "compass._comparisons",
    "read_comparisons": "compass._comparisons",
    "latest_config": "compass._runinfo",
    "latest_environment": "compass._runinfo",
    "latest_status": "compass._runinfo",
    "redact": "compass._config",
    "cache_root": "compass._cache",
    # for a plugin's own package face
    "lazy_exports": "compass._lazy",
}

#: where a public name is defined under another name
_RENAMED = {"find_data": "find"}

__all__ = sorted(_SOURCES)
__getattr__, __dir__ = lazy_exports(__name__, _SOURCES, _RENAMED)


if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from compass._cache import cache_root
    from compass._cli import plugin_host
    from compass._comparisons import comparison_table, read_comparisons
    from compass._config import Component, redact
    from compass._dataset import Benchmark, CachedLoader, DataError, DataMissing, Group, Rows, Subset
    from compass._devices import DeviceRegister, device_kind, share_out
    from compass._errors import CompassError, did_you_mean
    from compass._estimators import pass_at_k
    from compass._evaluate import EvalContext, EvalSample, iter_results, read_verdicts, strip_reasoning
    from compass._events import RunFinished, RunStarted, TaskFinished, TaskStarted
    from compass._fingerprint import differences, digest
    from compass._flags import OptionRegister
    from compass._kv import parse_kv
    from compass._lazy import lazy_exports
    from compass._plan import DEFAULT_DATA_DIR, build_benchmark, resolve_model
    from compass._plugins import PluginHost, make_plugin_host
    from compass._progress import Progress, TaskLine
    from compass._prompt import FewShot, PromptTemplate
    from compass._protocols import Evaluator, Notifier, Reporter
    from compass._readers import check_label, read_csv, read_json, read_jsonl, read_labels, read_text, require
    from compass._readers import find as find_data
    from compass._registry import Register
    from compass._reporting import Report
    from compass._runinfo import latest_config, latest_environment, latest_status
    from compass._runners import (ModelBuildFailed, Runner, TaskFile, TaskOutcome, log_tail, read_model_error,
                                  task_command)
    from compass._store import (RunFolder, all_predictions, json_safe, new_timestamp, prompt_record_text,
                                read_predictions)
    from compass._summary import Interval, Summary, build_summary, interval_from_verdicts, user_groups
    from compass._infer import ModelCache
    from compass._task import execute
    from compass._types import (MODES, Completion, Failure, GenerateRequest, LoglikelihoodRequest, Message, Model,
                                ModelTraits, OptionsRequest, Prompt, prompt_to_text)
    from compass.hookspecs import hookimpl
