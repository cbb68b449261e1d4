"""The contracts of components, as ``typing.Protocol``s, and the check run on each.

A component a plugin registers (a model backend, an evaluator, a reporter, a runner) is
checked against its contract when the plugin registers it — when the factory is a class —
or when it is first loaded (a ``"module:attr"`` string is imported only then, so
``compass --help`` stays instant). A required member that is missing, or a member whose
name is one typo away from an optional one (``requires_models`` for ``run_as_task``, say,
is not caught, but ``score_sample`` for ``score_samples`` is), is one line naming the plugin
and the member (:class:`~compass._errors.PluginError`, exit code 2).

Notifiers are not registered components but hook implementations (``on_run_started`` …);
:class:`Notifier` documents their shape, and a function marked ``@hookimpl`` whose name no
hook has is refused when the plugin is loaded (:func:`check_hook_names`).
"""

from __future__ import annotations

import difflib
import inspect
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, runtime_checkable

from compass._errors import PluginError

if TYPE_CHECKING:
    from compass._events import RunFinished, RunStarted, TaskFinished, TaskStarted
    from compass._reporting import Report


@runtime_checkable
class Evaluator(Protocol):
    """Scores one model × subset. Implement one of two shapes:

    * ``score(answers, golds) -> dict`` — the post-processed answers and the golds as two
      lists; returns ``{metric: value, ...}`` (percent where it is a rate), optionally
      ``"details"`` (one verdict per sample) and ``"notes"``;
    * ``score_samples(samples, context) -> Iterator[(index, record)]`` and
      ``aggregate(records, context) -> dict`` — per-sample verdicts (each ``record`` a dict
      with ``"correct"``), appended to ``evaluations/`` as they come and reused by ``-r``;
      for evaluators that call models (judges) or run code.

    Optional members the core uses when present:

    * ``details(answers, golds) -> list``: per-sample verdicts of a ``score`` evaluator;
    * ``run_as_task = True``: evaluate in a runner task (a judge loads in a worker / Slurm job);
    * ``evaluation_key(context) -> object``: settings from outside the dataset that change
      the verdicts (a judge's model): a change re-evaluates instead of reusing;
    * ``preflight(settings)``: called at plan time with the run's evaluation settings; raise
      :class:`~compass._errors.CompassError` to refuse the run before any model loads;
    * ``compare_models(samples_by_model, context) -> dict``: a model-vs-model comparison
      (arenas) once every model's verdicts exist, with ``preflight_models(settings, models)``.
    """

    def score(self, answers: list, golds: list) -> dict: ...


@runtime_checkable
class Reporter(Protocol):
    """Writes a finished run in one format into ``report.summary_dir``.

    ``write(report)`` returns the path (or paths) it wrote, or ``None``. A reporter that
    raises is one warning; it never fails the run or costs the other reporters their files.
    """

    def write(self, report: Report) -> Any: ...


@runtime_checkable
class Notifier(Protocol):
    """Told about a run as it happens: a plugin implements any of these hooks.

    Each receives one frozen event object (:mod:`compass._events`); new fields may be added
    to an event, none is removed. A notifier must not raise: a failure is reported as one
    warning line and the run goes on.
    """

    def on_run_started(self, event: RunStarted) -> None: ...

    def on_task_started(self, event: TaskStarted) -> None: ...

    def on_task_finished(self, event: TaskFinished) -> None: ...

    def on_run_finished(self, event: RunFinished) -> None: ...


# kind -> (alternative sets of required members, optional members)
_CONTRACTS: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]] = {
    "models": ((("generate",), ("loglikelihood",), ("option_logprobs",)),
               ("generate", "loglikelihood", "option_logprobs", "generate_stream", "batch_size",
                "handover_size", "token_counts", "tokens_generated", "close")),
    "evaluators": ((("score",), ("score_samples", "aggregate")),
                   ("score", "score_samples", "aggregate", "details", "run_as_task", "evaluation_key",
                    "preflight", "compare_models", "preflight_models")),
    "reporters": ((("write",),), ("write",)),
    "runners": ((("run",),), ("run",)),
}


def _members(obj: Any) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def check_component(kind: str, name: str, plugin: str, obj: Any) -> None:
    """Refuse ``obj`` (a class or an instance) that does not meet ``kind``'s contract.

    :raises PluginError: one line naming the plugin, the component and the member.
    """
    contract = _CONTRACTS.get(kind)
    if contract is None:
        return
    shapes, optional = contract
    have = _members(obj)
    what = f"plugin {plugin}: {kind[:-1]} '{name}'"
    for member in sorted(have - set(optional)):
        close = difflib.get_close_matches(member, optional, n=1, cutoff=0.85)
        if close and close[0] not in have:
            raise PluginError(f"{what} has a member '{member}' where the contract has '{close[0]}'; "
                              f"rename it (see compass.sdk.{_protocol_name(kind)})")
    if any(all(m in have for m in shape) for shape in shapes):
        return
    partial = [s for s in shapes if any(m in have for m in s)]
    shape = partial[0] if partial else shapes[0]
    missing = [m for m in shape if m not in have]
    alternatives = " or ".join("+".join(s) for s in shapes)
    raise PluginError(f"{what} lacks '{missing[0]}' (a {kind[:-1]} needs {alternatives}; "
                      f"see compass.sdk.{_protocol_name(kind)})")


def _protocol_name(kind: str) -> str:
    return {"models": "Model", "evaluators": "Evaluator", "reporters": "Reporter", "runners": "Runner"}[kind]


def checked_factory(kind: str, name: str, plugin: str, factory: Callable[..., Any]) -> Callable[..., Any]:
    """``factory`` itself when it is a class (checked now); otherwise a wrapper that checks
    what it returns (a factory function's product is known only when it is called)."""
    if kind not in _CONTRACTS:
        return factory
    if inspect.isclass(factory):
        check_component(kind, name, plugin, factory)
        return factory

    def build(*args: Any, **kwargs: Any) -> Any:
        obj = factory(*args, **kwargs)
        check_component(kind, name, plugin, obj)
        return obj

    build.__wrapped__ = factory  # type: ignore[attr-defined]  # signature checks see the real one
    build.__name__ = getattr(factory, "__name__", "factory")
    build.__doc__ = factory.__doc__
    return build


def check_hook_names(plugin: str, module: Any, known: Iterable[str]) -> None:
    """A function marked ``@hookimpl`` whose name no hook has is a typo (``on_run_finish``)."""
    known = set(known)
    for attr in dir(module):
        if attr in known or attr.startswith("__"):
            continue
        try:
            marked = hasattr(getattr(module, attr), "compass_impl")
        except Exception:  # an attribute that cannot be read is nobody's hook
            continue
        if not marked:
            continue
        close = difflib.get_close_matches(attr, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise PluginError(f"plugin {plugin}: '{attr}' is marked @hookimpl but no hook has that name{hint}")
