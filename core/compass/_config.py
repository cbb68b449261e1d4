"""The run configuration: built from flags or a config file, dumped with secrets redacted.

A config is plain data. Components are named by registry name (``type="hf"``,
``"ceval_gen"``) with keyword arguments, never by import path, so a config can be diffed,
dumped and reused. Two file formats:

* TOML: top-level ``work_dir``, ``[[models]]``, ``[[datasets]]``, ``[runner]``, ...
* Python (familiar to OpenCompass users): a file that assigns plain data to ``models``,
  ``datasets`` and optionally ``runner``, ``summarizer``, ``work_dir``, ``data_dir``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compass._errors import CompassError

if TYPE_CHECKING:
    from compass._plugins import PluginHost

CONFIG_KEYS = ("models", "datasets", "runner", "summarizer", "work_dir", "data_dir", "eval_settings", "notify",
               "lark_bot_url", "max_partition_size", "max_num_workers")
#: names an OpenCompass-style config defines that mean it must be translated
#: top-level keys kept under ``notify`` (OpenCompass spells its Lark webhook ``lark_bot_url``)
NOTIFY_KEYS = ("lark_bot_url",)
SECRET_KEY = re.compile(r"(api_?key|token|secret|password|authorization|bot_url|webhook)$", re.IGNORECASE)


@dataclass
class Component:
    """A registry name plus keyword arguments (``abbr`` names it in files and tables)."""

    type: str
    kwargs: dict = field(default_factory=dict)
    abbr: str | None = None
    #: where the component was declared (``run.toml: datasets[2]``), for messages
    where: str = field(default="", compare=False)

    @classmethod
    def parse(cls, item: Any, where: str) -> Component:
        """A name, or a table with ``type``. A dataset table without one (``reader = …``) keeps
        ``type=""``: the plan gives it to the dataset registered as claiming its keys."""
        if isinstance(item, str):
            return cls(type=item, where=where)
        if isinstance(item, dict):
            data = dict(item)
            type_ = data.pop("type", "" if data else None)
            if not isinstance(type_, str) or (not type_ and "type" in item):
                raise CompassError(f"{where}: each entry needs a 'type' naming a registered component, got {item!r}")
            abbr = data.pop("abbr", None)
            return cls(type=type_, kwargs=data, abbr=abbr, where=where)
        raise CompassError(f"{where}: expected a name or a table with 'type', got {item!r}")

    def to_dict(self) -> dict:
        out = ({"type": self.type} if self.type else {}) | self.kwargs
        if self.abbr:
            out["abbr"] = self.abbr
        return out


@dataclass
class RunConfig:
    """Everything one ``compass eval`` needs; the only input of the planner."""

    models: list[Component] = field(default_factory=list)
    datasets: list[Component] = field(default_factory=list)
    #: the runner; an empty ``type`` means the plugins' default (``default_runner``: ``local``)
    runner: Component = field(default_factory=lambda: Component(""))
    summarizer: dict = field(default_factory=dict)
    #: settings every evaluator sees (``context.settings``, ``preflight``), e.g. allow_unsafe_code
    eval_settings: dict = field(default_factory=dict)
    #: notifier settings (``[notify]``, ``lark_bot_url``, flags with ``notify_setting=``): seen by
    #: observers in ``RunStarted.settings``, never by tasks; secret-looking keys redacted in dumps
    notify: dict = field(default_factory=dict)
    work_dir: str = "outputs/default"
    data_dir: str | None = None
    mode: str = "all"
    reuse: str | None = None
    limit: int | None = None
    max_partition_size: int | None = None
    max_num_workers: int = 1
    dump_eval_details: bool = False
    dry_run: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["models"] = [m.to_dict() for m in self.models]
        data["datasets"] = [d.to_dict() for d in self.datasets]
        data["runner"] = self.runner.to_dict()
        return redact(data)


def redact(data: Any) -> Any:
    """A copy of ``data`` with the values of secret-looking keys replaced."""
    if isinstance(data, dict):
        return {k: ("***" if isinstance(k, str) and SECRET_KEY.search(k) and v else redact(v))
                for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact(v) for v in data]
    return data


def _check_plain(value: Any, where: str) -> None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise CompassError(f"{where}: keys must be strings, got {k!r}")
            _check_plain(v, f"{where}.{k}")
        return
    raise CompassError(
        f"{where} is a {type(value).__name__}; configs hold plain data only — name components "
        f"by their registry name (type=\"hf\"), not by class or import"
    )


def load_config_file(path: str | Path, host: PluginHost | None = None) -> dict:
    """Read a TOML or Python config file into a dict of the known keys.

    :param host: the plugins that may read a Python config (``read_config``); by default
        every installed one.
    """
    path = Path(path)
    if not path.is_file():
        raise CompassError(f"config file {path} does not exist")
    if path.suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CompassError(f"{path}: malformed TOML: {exc}") from None
    elif path.suffix == ".py":
        data = _run_python_config(path, host)
    else:
        raise CompassError(f"{path}: config files are .toml or .py")
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise CompassError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(CONFIG_KEYS)}")
    _check_plain(data, path.name)
    return data


def _run_python_config(path: Path, host: PluginHost | None) -> dict:
    """A Python config: read by the first plugin that knows its format (``read_config``: the
    OpenCompass plugin translates files naming OpenCompass classes), else executed here as
    plain data. Any exception is one line naming the file (and its line)."""
    try:
        if host is None:
            from compass._plugins import make_plugin_host

            host = make_plugin_host()
        data = host.pm.hook.read_config(path=str(path), keys=CONFIG_KEYS)
        if data is None:
            namespace = _exec_python(path)
            return {k: v for k, v in namespace.items() if k in CONFIG_KEYS}
    except CompassError as exc:
        message = str(exc)
        raise CompassError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    except SyntaxError as exc:
        raise CompassError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path.resolve())
                  or f.filename == str(path)]
        line = f":{frames[-1].lineno}" if frames else ""
        raise CompassError(f"{path}{line}: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise CompassError(f"{path}: the plugin that read it returned {type(data).__name__}, not a dict")
    return data


def _exec_python(path: Path) -> dict:
    """Execute a plain-data Python config; its module namespace."""
    import runpy

    return runpy.run_path(str(path.resolve()), run_name="__compass_config__")


def config_from_file_data(data: dict, where: str) -> RunConfig:
    cfg = RunConfig()
    for key in ("models", "datasets"):
        items = data.get(key, [])
        if not isinstance(items, list):
            items = [items]
        setattr(cfg, key, [Component.parse(item, f"{where}: {key}[{i}]") for i, item in enumerate(items)])
    for comp in cfg.models:
        if not comp.type:
            raise CompassError(f"{comp.where}: each entry needs a 'type' naming a registered component, "
                               f"got {comp.to_dict()!r}")
    if "runner" in data:
        cfg.runner = Component.parse(data["runner"], f"{where}: runner")
    if "summarizer" in data:
        if not isinstance(data["summarizer"], dict):
            raise CompassError(f"{where}: summarizer must be a table")
        cfg.summarizer = dict(data["summarizer"])
        _check_order(cfg.summarizer.get("order"), f"{where}: summarizer.order")
    if "notify" in data and not isinstance(data["notify"], dict):
        raise CompassError(f"{where}: notify must be a table (e.g. lark_bot_url = \"https://…\")")
    cfg.notify.update(data.get("notify") or {})
    cfg.notify.update({k: data[k] for k in NOTIFY_KEYS if k in data})
    if "eval_settings" in data:
        if not isinstance(data["eval_settings"], dict):
            raise CompassError(f"{where}: eval_settings must be a table (e.g. allow_unsafe_code = true)")
        cfg.eval_settings = dict(data["eval_settings"])
    for key in ("work_dir", "data_dir"):
        if key in data:
            setattr(cfg, key, str(data[key]))
    for key in ("max_partition_size", "max_num_workers"):
        if key in data:
            if not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 1:
                raise CompassError(f"{where}: {key} must be a positive whole number, got {data[key]!r}")
            setattr(cfg, key, data[key])
    return cfg


def to_toml(cfg: RunConfig) -> str:
    """The config as a TOML config file (secrets redacted), e.g. to migrate a Python config."""
    data = cfg.to_dict()
    lines = [f"{k} = {_toml_value(data[k])}" for k in ("work_dir", "data_dir", "max_partition_size", "max_num_workers")
             if data.get(k) is not None and not (k == "max_num_workers" and data[k] == 1)]
    for table in ("eval_settings", "summarizer", "notify"):
        for key, value in (data.get(table) or {}).items():
            lines.append(_toml_entry(f"{table}.{_toml_key(key)}", value))
    for kind in ("models", "datasets"):
        for item in data[kind]:
            lines.append(f"\n[[{kind}]]")
            lines.extend(_toml_entry(_toml_key(k), v) for k, v in item.items() if k != "source")
    lines.append("\n[runner]")
    lines.extend(_toml_entry(_toml_key(k), v) for k, v in data["runner"].items())
    return "\n".join(lines) + "\n"


def _toml_entry(key: str, value: Any) -> str:
    if value is None:  # TOML has no null: said in a comment, not silently dropped
        return f"# {key} = None (TOML has no null: set it in a .py config if it must differ from its default)"
    return f"{key} = {_toml_value(value)}"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise CompassError(f"cannot write {value!r} as TOML")


def dump_config(cfg: RunConfig, path: Path) -> None:
    """Write the config actually used (secrets redacted) as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _check_order(order, where: str) -> None:
    """``summarizer.order``: the summary table's rows first, each a row name or ``[name, metric]``."""
    if order is None:
        return
    fix = 'a list of row names or [name, metric] pairs, e.g. order = ["gsm8k", ["mmlu", "accuracy"]]'
    if not isinstance(order, (list, tuple)):
        raise CompassError(f"{where} must be {fix}; got {type(order).__name__}")
    for k, item in enumerate(order):
        ok = isinstance(item, str) and item or (isinstance(item, (list, tuple)) and len(item) in (1, 2)
                                                 and all(isinstance(x, str) and x for x in item))
        if not ok:
            raise CompassError(f"{where}[{k}] = {item!r}: each entry must be a row name or a [name, metric] "
                               f"pair; {fix}")
