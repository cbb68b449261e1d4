"""Every hook a compass plugin can implement.

A plugin is a module (or object) with functions decorated by ``compass.hookimpl``, made
known to compass through the ``compass`` entry-point group::

    [project.entry-points.compass]
    my_plugin = "my_package.plugin"

Rules that keep ``compass --help`` instant: the plugin module is imported at start-up, so
it must be a cheap manifest. Import torch, transformers or an SDK inside the factory
that builds the component, never at the top of the plugin module.

A hook implementation may accept fewer arguments than its spec; specs only ever grow.

There are three shapes of hook:

* collectors ``register_<plural>(register)``: called once per plugin, each call of
  ``register`` adds one named component;
* the command collector ``register_commands(cli)``;
* resolvers (``default_runner``, ``read_config``): the first plugin that answers wins;
* observers ``on_<event>(event)``: told about a run as it happens, with one frozen event
  object from :mod:`compass._events`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from compass._devices import DeviceRegister
    from compass._events import RunFinished, RunStarted, TaskFinished, TaskStarted
    from compass._flags import OptionRegister
    from compass._registry import Register

hookspec = pluggy.HookspecMarker("compass")
hookimpl = pluggy.HookimplMarker("compass")


# ---------------------------------------------------------------------------
# Components: every call is ``register(name, factory, description, **options)``
# ---------------------------------------------------------------------------


@hookspec
def register_models(register: Register) -> None:
    """Register model backends and model presets.

    :param register: call ``register(name, factory, description, defaults={...},
        traits=...)`` once per model. ``factory`` is a callable or a ``"module:attr"``
        string resolved only when the model is used; calling it with the model's keyword
        arguments returns an object with the methods of :class:`compass._types.Model`.
        ``defaults`` are keyword arguments merged under the user's (a preset is a backend
        plus defaults). ``traits`` is a callable ``traits(**kwargs) ->
        compass._types.ModelTraits`` telling the planner, without loading anything,
        whether the model is a chat model and which modes (gen/ppl/clp) it serves.
        ``aliases=(...)`` or ``register.alias(alias, target, note=..., abbr=..., defaults=...)``
        add other names (e.g. OpenCompass's config names); ``compass list`` shows them and
        a run that uses one prints its note.
        ``converts_from=("hf",)`` says this backend runs those backends' models with the same
        keyword arguments: ``-a/--accelerator NAME`` (the model setting ``accelerator``)
        then turns them into this one (see :mod:`compass._convert`).
        ``display_name`` is a callable (or ``"module:attr"``) ``display_name(kwargs) -> str |
        None``: the model's name in files and tables when the user gives no ``abbr`` (the
        ``hf`` backend answers its folder's name, an API backend its model id); without it,
        or when it answers ``None``, the name the model was asked by.
        ``expand`` is a callable (or ``"module:attr"``) ``expand(**kwargs) -> (type, kwargs,
        abbr)`` for a model defined elsewhere (an OpenCompass model config file): the run
        plans the registered model ``type`` with those keyword arguments and default ``abbr``.
        The factory's product must meet :class:`compass.sdk.Model` (checked when it is built;
        a class given directly is checked when it registers).

    Called once per plugin; the order of plugins does not matter. A name registered by
    two plugins is an error that names both.
    """


@hookspec
def register_datasets(register: Register) -> None:
    """Register benchmarks and their variants.

    :param register: call ``register(name, factory, description, defaults={...})`` once
        per dataset name (``ceval``, ``ceval_gen``, ``ceval_ppl``, ...). ``factory(**kwargs)``
        returns a :class:`compass._dataset.Benchmark`: its subsets (one task each), how to
        load their rows, the prompt template, the mode, the postprocessor and evaluator by
        registry name, and the summary groups. Aliases as for ``register_models``.
        ``claims=("reader",)`` makes a config's dataset table with no ``type`` and one of
        these keys this dataset (a benchmark declared as data); it is then given
        ``source=`` (where it was declared, for messages) and its ``abbr`` as ``name=``.

    Called once per plugin.
    """


@hookspec
def register_postprocessors(register: Register) -> None:
    """Register answer extractors.

    :param register: call ``register(name, function, description)``; ``function(text,
        **kwargs) -> str`` turns a model's raw output into the answer an evaluator compares
        (``first_capital``, ``gsm8k``, ``math_boxed``, ...).

    Called once per plugin.
    """


@hookspec
def register_evaluators(register: Register) -> None:
    """Register scorers.

    :param register: call ``register(name, factory, description)``; ``factory(**kwargs)``
        returns an evaluator of one of two shapes (scores are percentages):

        * rule based: ``score(predictions: list, references: list) -> dict[str, float]``
          (the extracted answers and the golds; ``None`` for a failed sample) and
          optionally ``details(predictions, references) -> list[bool]``, the per-sample
          verdicts shown with ``--dump-eval-details`` (``accuracy``, ``exact_match``, ...);
        * per sample: ``score_samples(samples, context)`` yielding ``(index, record)`` for
          each :class:`compass._evaluate.EvalSample` it is given (prompt, raw prediction,
          extracted answer, gold, row fields) — ``record`` is a JSON-able dict, with
          ``"correct"`` for a verdict — and ``aggregate(records: dict[int, dict], context)
          -> dict[str, float]``. ``context`` is a :class:`compass._evaluate.EvalContext`:
          ``context.model("moonshot-v1-8k", temperature=0)`` builds any registered model
          (a judge); ``context.candidate`` (``{"abbr", "type", "kwargs"}``) and
          ``context.generation`` name the evaluated model and its generation settings (to
          continue a conversation with it). Records are appended as they come, so a killed
          evaluation resumes with only the samples not yet evaluated; a record is reused
          while the evaluator's settings, the sample and ``evaluation_key(context)`` (an
          optional method returning JSON-able data, e.g. the judge's settings) are the same.

        An evaluator class with ``run_as_task = True`` (it calls models, or runs heavy
        work) is run by the runner as a task of its own — in a worker or a Slurm job, not
        in the launcher — after inference.

    An evaluator class may define ``preflight(settings: dict)`` (a static or class
    method): the planner calls it once per evaluator the run uses, with the run's
    ``eval_settings``, before any model loads; it raises :class:`compass._errors.CompassError`
    to refuse the run (``code_exec`` refuses without a sandbox unless
    ``allow_unsafe_code``). The same settings are ``context.settings`` at evaluation time.
    ``aggregate`` (or ``score``) may add two keys that are not scores: ``"notes"``, a list
    of lines printed under the summary table (``note: <model> / <dataset>: <line>``), and
    ``"info"``, a JSON-able dict kept in the result file.

    An evaluator may also compare the run's models with each other on a subset (a judge
    ranking their answers pairwise): ``compare_models(samples_by_model, context)``, called
    once every model's own evaluation of the subset is done, and optionally
    ``preflight_models(settings, models)``; see :mod:`compass._comparisons`.

    Called once per plugin.
    """


@hookspec
def register_reporters(register: Register) -> None:
    """Register output formats for a finished run (tables, HTML, a dashboard upload, ...).

    :param register: call ``register(name, factory, description)``; ``factory()`` returns
        an object with ``write(report: compass._reporting.Report) -> Path | list[Path] |
        None``. The report holds the run folder, the summary table, every result and the
        telemetry; write your files into ``report.summary_dir``. The csv, txt and md tables
        are reporters too (plugin ``reporters``).

    Called once per plugin. Every registered reporter writes each finished run; one that
    raises is reported as a one-line warning and the run goes on.
    """


@hookspec
def register_runners(register: Register) -> None:
    """Register task runners.

    :param register: call ``register(name, factory, description)``; ``factory(**kwargs)``
        returns an object with ``run(tasks, on_done) -> list[compass._runners.TaskOutcome]``
        (see :class:`compass._runners.Runner`). ``kwargs`` come from ``--runner-kwargs``,
        ``--max-num-workers`` or the config file's ``runner`` table.

    Called once per plugin.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to ``compass``.

    :param cli: the top-level click group; call ``cli.add_command(...)``. Keep the
        command's imports inside its function body.

    Called once per plugin, before the command line is parsed.
    """


@hookspec
def register_devices(register: DeviceRegister) -> None:
    """Register the kinds of device tasks can be scheduled on.

    :param register: call ``register(name, description, visible_devices_var=None,
        default_accelerator=False)`` once per kind (see :class:`compass._devices.DeviceKind`).
        ``name`` is what a model's ``device=`` names (``npu``; ``npu:1`` picks one);
        ``visible_devices_var`` is, for numbered accelerators, the variable that restricts a
        process to some of them (``ASCEND_RT_VISIBLE_DEVICES``): the local runner shares the
        parent's devices out between workers through it. ``default_accelerator=True`` makes
        this the kind of a model that asks for ``num_gpus`` without naming a device (one
        plugin at most: the runners plugin says so of ``cuda``).

    Called once per plugin, the first time a plan needs the table. A kind registered by
    two plugins is an error that names both.
    """


@hookspec
def provenance_packages() -> list[str]:
    """Distributions whose versions can change what a model answers or how it is scored.

    :returns: distribution names (``["torch", "transformers"]``, ``["vllm"]``); each run
        records the installed version of every one in ``summary/environment_<ts>.json``
        (absent ones are left out), so ``compass compare`` can say why two runs differ.

    Every implementation is called; the lists are merged. Called when a run starts.
    """


# ---------------------------------------------------------------------------
# Resolvers: the first plugin that answers (not ``None``) wins
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def default_runner(debug: bool) -> str | None:
    """The runner of a run that names none.

    :param debug: ``compass eval --debug``: the user wants tasks run in this process, one by
        one, with their output on the terminal.
    :returns: a registered runner's name, or ``None`` to leave it to another plugin.

    Stops at the first non-``None`` result (the runners plugin answers ``local`` / ``debug``).
    """


@hookspec(firstresult=True)
def read_config(path: str, keys: tuple[str, ...]) -> dict | None:
    """Read a config file written in a format this plugin knows (a Python config file of
    another harness, say) into compass's config data.

    :param path: the config file (``.py``; TOML files are read by the core).
    :param keys: the keys a compass config may have (``models``, ``datasets``, ``runner`` …).
    :returns: a dict shaped like a compass config file, or ``None`` to leave the file to
        another plugin, then to the core (which executes a ``.py`` file and keeps ``keys``).
        Raise :class:`~compass.sdk.CompassError` for a file in your format that cannot be
        translated; any other exception is reported as one line with the file and line.
        The OpenCompass plugin answers for every ``.py`` file (translating those that name
        OpenCompass classes), so a file runs once.

    Stops at the first non-``None`` result.
    """


# ---------------------------------------------------------------------------
# Data: before a run is planned
# ---------------------------------------------------------------------------


@hookspec
def prepare_data(datasets: dict, data_dir: Path, settings: dict) -> dict | None:
    """Make the run's data ready before its tasks are planned, and say what it is.

    :param datasets: ``{dataset name: compass._dataset.Benchmark}``, each dataset of the run
        built once (its subsets' ``load.locate(data_dir)``, where a loader has it, names the
        file it reads or raises :class:`compass._dataset.DataMissing` naming the path looked for).
    :param data_dir: the run's data folder.
    :param settings: the run's ``eval_settings`` (flags such as ``--offline`` land there);
        ``settings["dry_run"]`` is true in a dry run: download nothing then, say what the run
        would fetch (a dry run plans a subset whose data is missing, its size unknown).
    :returns: ``{dataset name: record}``, a JSON-able record per dataset this plugin knows
        (where its data came from, the sha256 of its files); ``record["identity"]``, a
        short hash of the data, becomes part of the dataset's ``version``. ``None`` if none.

    Called in the launcher before planning (a plugin may download missing data here, and
    raise :class:`compass._errors.CompassError` with one line when it cannot); every
    implementation is called and the records are merged into ``configs/data_<ts>.json``.
    """


# ---------------------------------------------------------------------------
# Flags of ``compass eval``: backends and runners own theirs
# ---------------------------------------------------------------------------


@hookspec
def register_eval_options(register: OptionRegister) -> None:
    """Add flags to ``compass eval`` for your backend or runner.

    :param register: call ``register(flag, help, model_kwarg=... | runner_kwarg=... |
        eval_setting=..., type=str,
        choices=None, multiple=False, metavar=None, min=None, min_open=False,
        implies_model=None)`` once per flag (see :class:`compass._flags.OptionRegister`).
        ``flag`` is spelled ``--lower-case-words``. The value the user gives becomes the
        keyword argument ``model_kwarg`` of every model of the run, or ``runner_kwarg`` of
        the runner, over what a config file says for it (an explicit flag always wins), or
        the evaluation setting ``eval_setting`` (``RunConfig.eval_settings``, the config
        file's ``eval_settings`` table; evaluators read it, see ``register_evaluators``).
        ``type`` is ``str``, ``int``, ``float``, ``bool`` (a switch), ``"kv"`` (``key=value``
        items read by :func:`compass._kv.parse_kv` into a dict) or a function ``f(text) ->
        value`` that raises ``ValueError`` with a message for a bad value; ``min`` (with
        ``min_open``) bounds a number; ``multiple=True`` takes several values (``--flag a
        b``) as a list. ``implies_model="hf"`` makes the flag mean ``-m hf`` when the user
        names no model (``--hf-path``); flags implying different models are an error.
        ``notify_setting="name"`` sends the value to the run's notifier settings
        (``RunConfig.notify``, which observers get as ``RunStarted.settings``; never written
        to task files, secret-looking keys redacted in dumps); ``short="-l"`` adds a
        one-letter spelling; ``aliases=("--num-gpus",)`` other long spellings.

    Called once per plugin when ``compass eval`` runs or shows its help, never for other
    commands; register from data, import nothing heavy. ``compass eval --help`` lists the
    flags under the plugin's name. A flag contributed by two plugins (or taken by the
    core) is an error that names both.
    """


# ---------------------------------------------------------------------------
# Observers: progress, notifications (Lark/Feishu, Slack, ...)
# ---------------------------------------------------------------------------


@hookspec
def on_run_started(event: RunStarted) -> None:
    """A run was planned and its tasks are about to start.

    :param event: run folder, model and dataset names, number of tasks.

    Called in the launcher process; every implementation is called, results ignored.
    """


@hookspec
def on_task_started(event: TaskStarted) -> None:
    """An inference task was handed to the runner (called in the launcher process).

    :param event: run folder, task name, model and dataset.
    """


@hookspec
def on_task_finished(event: TaskFinished) -> None:
    """An inference task finished, successfully or not (called in the launcher process).

    :param event: task name, ``ok``, duration, error tail and log path when it failed.
    """


@hookspec
def on_run_finished(event: RunFinished) -> None:
    """A run ended; the summary is written.

    :param event: run folder, ``ok``, duration, the summary table itself (``event.summary``:
        header, rows, notes), the files reporters wrote, names of failed tasks and their
        logs (``failed_logs``), and ``headline`` — ``{model: {row: score}}``, each
        benchmark's overall row.
    """
