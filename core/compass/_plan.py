"""Configure → plan: validate every component by name, then split the work into tasks.

Everything that can be wrong with a run is found here, before any model loads: unknown
names (with a did-you-mean), keyword arguments a component does not take, a mode a model
cannot serve, missing data. A task is one model × one dataset subset × one shard.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from compass._config import Component, RunConfig
from compass._dataset import Benchmark, DataMissing, Rows, Subset
from compass._devices import Resources, task_resources
from compass._errors import CompassError
from compass._fingerprint import Fingerprint, model_settings, task_fingerprint
from compass._plugins import PluginHost
from compass._registry import Registration
from compass._sizes import SizeCache
from compass._types import ModelTraits

DEFAULT_DATA_DIR = "data"


def data_dir_of(cfg: RunConfig) -> Path:
    return Path(cfg.data_dir or os.environ.get("COMPASS_DATA_DIR") or DEFAULT_DATA_DIR)


def check_kwargs(factory: Callable[..., Any], kwargs: dict, what: str) -> None:
    """Refuse keyword arguments that ``factory`` does not take, naming those it does."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return
    params = sig.parameters.values()
    missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "chat", "host")]
    if missing:
        raise CompassError(f"{what} needs {', '.join(repr(k) for k in missing)}; give "
                           f"{'it' if len(missing) == 1 else 'them'} in the config file or as a flag")
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    known = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [k for k in kwargs if k not in known]
    if unknown:
        raise CompassError(
            f"{what} does not take {', '.join(repr(k) for k in unknown)}; it takes: "
            f"{', '.join(known) or 'no options'}"
        )


def accepts(factory: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@dataclass
class ResolvedModel:
    """A model of the run: registry defaults merged under the user's settings.

    ``explicit`` names the settings the user gave (a flag or the config file); they win
    over a dataset's defaults (e.g. ``--max-out-len`` over a multiple-choice dataset's 100).
    """

    abbr: str
    reg: Registration
    kwargs: dict
    traits: ModelTraits
    explicit: frozenset[str] = frozenset()
    #: the device kind and accelerators its tasks need (:func:`compass._devices.task_resources`)
    resources: Resources = Resources()

    def task_spec(self) -> dict:
        return {"abbr": self.abbr, "type": self.reg.name, "kwargs": self.kwargs}

    def settings(self) -> dict:
        """What changes this model's answers (for fingerprints)."""
        return model_settings(self.reg.name, self.kwargs, self.traits.operational)


def generation_settings(model: ResolvedModel, subset: Subset) -> dict:
    """The output length and stop words a gen subset is asked with.

    Precedence: the user's explicit setting (flag or config file) > the dataset's own
    default > the model's preset default > 512.
    """
    if subset.mode != "gen":
        return {}
    if "max_out_len" in model.explicit and model.kwargs.get("max_out_len"):
        length = model.kwargs["max_out_len"]
    else:
        length = subset.max_out_len or model.kwargs.get("max_out_len") or 512
    stop = tuple(dict.fromkeys((*subset.stop, *(model.kwargs.get("stop_words") or ()))))
    return {"max_out_len": int(length), "stop": list(stop)}


def _default_abbr(asked: Registration, comp: Component, kwargs: dict) -> str:
    """The model's name in files and tables when the user gives none: what the backend's
    ``display_name`` rule makes of its settings (a folder's name, an API's model id), else
    the name it was asked by (a preset's, an alias's)."""
    if comp.abbr:
        return comp.abbr
    rule = asked.load_display_name() if asked.alias_of is None else None
    name = rule(kwargs) if rule else None
    return name if isinstance(name, str) and name else comp.type


def resolve_model(host: PluginHost, comp: Component) -> ResolvedModel:
    from compass._convert import convert, renamed

    asked = host.registry.get("models", comp.type)
    expand = asked.load_expand()
    if expand is not None:  # a model defined elsewhere: planned as the registered model it names
        type_, expanded, abbr = expand(**{**asked.defaults, **comp.kwargs})
        target = host.registry.get("models", type_)
        asked = replace(target, note=asked.note, abbr=abbr or asked.abbr)
        comp = Component(comp.type, expanded, comp.abbr, comp.where)
    reg, kwargs, suffix = convert(host.registry, asked, {**asked.defaults, **comp.kwargs})
    factory = reg.load()
    check_kwargs(factory, kwargs, f"model '{comp.type}'")
    traits_fn = reg.load_traits()
    traits = traits_fn(**kwargs) if traits_fn else ModelTraits(is_chat=False)
    resources = task_resources(kwargs, traits.device, host.devices)  # an unknown device or a bad num_gpus fails here
    abbr = comp.abbr or renamed(asked.abbr or _default_abbr(asked, comp, kwargs), suffix)  # asked.abbr: an alias's name
    return ResolvedModel(abbr, reg, kwargs, traits, frozenset(comp.kwargs), resources)


def build_benchmark(host: PluginHost, type_: str, kwargs: dict, chat: bool) -> Benchmark:
    """Call a dataset factory; it learns whether the model is a chat model if it asks."""
    reg = host.registry.get("datasets", type_)
    factory = reg.load()
    kwargs = {**reg.defaults, **kwargs}
    check_kwargs(factory, {k: v for k, v in kwargs.items() if k != "chat"}, f"dataset '{type_}'")
    if accepts(factory, "chat") and "chat" not in kwargs:
        kwargs["chat"] = chat
    bench = factory(**kwargs)
    if not isinstance(bench, Benchmark):
        raise CompassError(f"dataset '{type_}' (plugin {reg.plugin}) did not return a Benchmark")
    return bench


def load_rows(subset: Subset, data_dir: Path, limit: int | None) -> Rows:
    rows = subset.load(data_dir)
    if limit is not None:
        rows = Rows(test=list(rows.test)[:limit], fewshot=rows.fewshot)
    return rows


@dataclass
class Task:
    """One inference task: a shard of one subset for one model."""

    name: str
    model: ResolvedModel
    dataset_type: str
    dataset_kwargs: dict
    subset: Subset
    chat: bool
    start: int
    end: int
    shard: int | None
    generation: dict = field(default_factory=dict)
    fingerprint: Fingerprint | None = None

    @property
    def num_samples(self) -> int:
        return self.end - self.start

    def spec(self, run_dir: Path, cfg: RunConfig) -> dict:
        """The JSON form any runner hands to ``python -m compass._task``."""
        return {
            "name": self.name,
            "run_dir": str(run_dir),
            "model": self.model.task_spec(),
            "dataset": {"type": self.dataset_type, "kwargs": self.dataset_kwargs, "chat": self.chat},
            "subset": self.subset.name,
            "start": self.start,
            "end": self.end,
            "shard": self.shard,
            "generation": self.generation,
            "fingerprint": self.fingerprint.hash if self.fingerprint else "",
            "limit": cfg.limit,
            "data_dir": str(data_dir_of(cfg).resolve()),
            "resources": self.model.resources.as_json(),
        }


@dataclass
class EvalUnit:
    """One model × subset to evaluate once all its shards are inferred."""

    model: ResolvedModel
    subset: Subset
    benchmark: str
    num_samples: int
    shards: list[int | None] = field(default_factory=list)
    dataset_kwargs: dict = field(default_factory=dict)
    generation: dict = field(default_factory=dict)
    fingerprint: Fingerprint | None = None
    data_id: str = ""  # the identity of the data read (``prepare_data``), part of the version

    @property
    def name(self) -> str:
        return f"{self.model.abbr}/{self.subset.name}"

    def spec(self, run_dir: Path, cfg: RunConfig) -> dict:
        """The JSON form of an evaluation (``python -m compass._task`` runs it too)."""
        return {
            "kind": "eval",
            "name": f"eval:{self.name}",
            "run_dir": str(run_dir),
            "model": self.model.task_spec(),
            "dataset": {"type": self.benchmark, "kwargs": self.dataset_kwargs, "chat": self.model.traits.is_chat},
            "subset": self.subset.name,
            "num_samples": self.num_samples,
            "shards": self.shards,
            "generation": self.generation,
            "fingerprint": self.fingerprint.hash if self.fingerprint else "",
            "limit": cfg.limit,
            "data_dir": str(data_dir_of(cfg).resolve()),
            "dump_details": cfg.dump_eval_details,
            "data_id": self.data_id,
            "eval_settings": dict(cfg.eval_settings),
        }


@dataclass
class Plan:
    models: list[ResolvedModel]
    benchmarks: dict[tuple[str, str], Benchmark]  # (model abbr, dataset type) -> benchmark
    tasks: list[Task]
    evals: list[EvalUnit]
    data: dict = field(default_factory=dict)  # dataset name -> its data record (``prepare_data``)
    #: a dry run's subsets whose data is not there yet (subset name -> why); their sizes are unknown
    missing: dict[str, str] = field(default_factory=dict)


def prepare_data(host: PluginHost, cfg: RunConfig, chat: bool, data_dir: Path) -> dict:
    """Each dataset of the run built once and handed to the ``prepare_data`` hook (a dry run
    says so: ``settings["dry_run"]``, and nothing is downloaded)."""
    datasets = {d.type: build_benchmark(host, d.type, d.kwargs, chat) for d in cfg.datasets}
    settings = {**cfg.eval_settings, **({"dry_run": True} if cfg.dry_run else {})}
    data: dict = {}
    for records in host.pm.hook.prepare_data(datasets=datasets, data_dir=data_dir, settings=settings):
        data.update(records or {})
    return data


def preflight_evaluators(host: PluginHost, subsets: list[Subset], settings: dict) -> None:
    """Let each evaluator the run uses refuse it now, before any model loads.

    An evaluator class may define ``preflight(settings)`` (a static or class method); it is
    called once per evaluator name with the run's ``eval_settings`` and raises
    :class:`CompassError` to refuse (e.g. code execution without a sandbox).
    """
    for name in dict.fromkeys(s.evaluator for s in subsets):
        check = getattr(host.registry.get("evaluators", name).load(), "preflight", None)
        if callable(check):
            check(dict(settings))


def make_plan(cfg: RunConfig, host: PluginHost) -> Plan:
    if not cfg.models:
        raise CompassError("no model given; pass -m NAME (see: compass list models) or a config file")
    if not cfg.datasets:
        raise CompassError("no dataset given; pass -d NAME (see: compass list datasets) or a config file")
    if not cfg.runner.type:  # the run names none: the plugins' default (``default_runner``)
        cfg.runner = Component(host.default_runner(), dict(cfg.runner.kwargs))
    runner_reg = host.registry.get("runners", cfg.runner.type)
    check_kwargs(runner_reg.load(), cfg.runner.kwargs, f"runner '{cfg.runner.type}'")
    for reg in host.registry.all("reporters"):  # every run uses them: a broken contract fails now
        reg.load()
    models = [resolve_model(host, m) for m in cfg.models]
    seen: dict[str, str] = {}
    for m in models:
        if m.abbr in seen:
            raise CompassError(f"two models are named '{m.abbr}'; give each an abbr")
        seen[m.abbr] = m.reg.name
    for d in cfg.datasets:
        claim_dataset(host, d)  # unknown names fail before anything else
    data_dir = data_dir_of(cfg)
    data = prepare_data(host, cfg, models[0].traits.is_chat, data_dir)
    benchmarks: dict[tuple[str, str], Benchmark] = {}
    tasks: list[Task] = []
    evals: list[EvalUnit] = []
    missing: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    sizes = SizeCache()  # counts remembered by file content: planning again does not parse
    size = cfg.max_partition_size
    if size is not None and size < 1:
        raise CompassError(f"--max-partition-size must be at least 1, got {size}")
    for model in models:
        for comp in cfg.datasets:
            bench = build_benchmark(host, comp.type, comp.kwargs, model.traits.is_chat)
            benchmarks[(model.abbr, comp.type)] = bench
            for subset in bench.subsets:
                if subset.mode not in model.traits.modes:
                    raise CompassError(
                        f"model '{model.abbr}' cannot serve {subset.mode} mode (dataset "
                        f"'{subset.name}'); it serves {', '.join(sorted(model.traits.modes))} — pick "
                        f"another variant of the dataset (see: compass list datasets {comp.type})"
                    )
                if subset.mode == "ppl" and subset.ppl_score not in model.traits.ppl_scores:
                    raise CompassError(
                        f"model '{model.abbr}' cannot score ppl candidates by '{subset.ppl_score}' (dataset "
                        f"'{subset.name}'); it computes {', '.join(sorted(model.traits.ppl_scores))} — run "
                        f"this dataset with a model whose backend computes it, or pick another variant"
                    )
                key = (subset.name, str(sorted(comp.kwargs.items())))
                if key not in counts:
                    try:
                        full = sizes.count(subset, data_dir, lambda: len(subset.load(data_dir).test))
                    except DataMissing as exc:
                        if not cfg.dry_run:
                            raise
                        missing[subset.name] = str(exc)  # a dry run shows the plan; the real run gets the data
                        full = 0
                    counts[key] = full if cfg.limit is None else min(full, max(0, cfg.limit))
                n = counts[key]
                generation = generation_settings(model, subset)
                fp = task_fingerprint(model.settings(), model.traits.is_chat, subset, generation)
                unit = EvalUnit(model, subset, comp.type, n, dataset_kwargs=comp.kwargs,
                                generation=generation, fingerprint=fp,
                                data_id=str((data.get(comp.type) or {}).get("identity") or ""))
                if size and n > size:
                    for shard, start in enumerate(range(0, n, size)):
                        tasks.append(Task(f"{model.abbr}/{subset.name}_{shard}", model, comp.type,
                                          comp.kwargs, subset, model.traits.is_chat, start,
                                          min(n, start + size), shard, generation, fp))
                        unit.shards.append(shard)
                else:
                    tasks.append(Task(f"{model.abbr}/{subset.name}", model, comp.type, comp.kwargs,
                                      subset, model.traits.is_chat, 0, n, None, generation, fp))
                    unit.shards.append(None)
                evals.append(unit)
    names = [u.subset.name for u in evals]
    dupes = {n for n in names if names.count(n) > len(models)}
    if dupes:
        raise CompassError(f"dataset subset(s) {', '.join(sorted(dupes))} listed twice")
    if cfg.mode in ("all", "eval"):
        # a dry run tells the evaluators so (``dry_run``): one may note what a real run would refuse
        settings = {**cfg.eval_settings, **({"dry_run": True} if cfg.dry_run else {})}
        preflight_evaluators(host, [u.subset for u in evals], settings)
        preflight_comparisons(host, evals, cfg.eval_settings)
    sizes.save()
    return Plan(models, benchmarks, tasks, evals, data, missing)


def preflight_comparisons(host: PluginHost, units: list, settings: dict) -> None:
    """Let each model-comparing evaluator of the run (``preflight_models``) refuse it before
    any model loads."""
    models = list(dict.fromkeys(u.model.abbr for u in units))
    seen: set[str] = set()
    for unit in units:
        name = unit.subset.evaluator
        if name in seen:
            continue
        seen.add(name)
        check = getattr(host.registry.get("evaluators", name).load(), "preflight_models", None)
        if callable(check):
            check(dict(settings), models)


def claim_dataset(host: PluginHost, comp: Component) -> Registration:
    """The registration of a dataset entry; one given as data (no ``type``, a ``reader``)
    goes to the dataset registered as claiming its keys (``claims=("reader",)``), which
    learns where it was declared (``source``) and is named by its ``abbr``."""
    if not comp.type:
        keys = set(comp.kwargs)
        claimed = [r for r in host.registry.all("datasets") if keys & set(r.claims)]
        if not claimed:
            raise CompassError(f"{comp.where or 'datasets'}: each entry needs a 'type' naming a registered "
                               f"component, got {comp.to_dict()!r}")
        comp.type = claimed[0].name
    reg = host.registry.get("datasets", comp.type)
    if reg.claims:  # a dataset declared as data: its mistakes are reported with the file and key
        if comp.where:
            comp.kwargs.setdefault("source", comp.where)
        if comp.abbr and "name" not in comp.kwargs:
            comp.kwargs["name"] = comp.abbr
    return reg
