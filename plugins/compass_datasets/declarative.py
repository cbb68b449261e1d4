"""Benchmarks declared as data: reader, template, retriever, mode, scoring by name.

A declaration is the keyword arguments of the ``declarative`` dataset — a ``[[datasets]]``
table of a TOML config, a dict of a Python config, or a data file a package ships::

    [[datasets]]
    type = "declarative"
    name = "my_siqa"                     # the summary row (subset) name
    mode = "ppl"                         # gen | ppl | clp
    reader = { path = "siqa/dev.jsonl", labels = "siqa/dev-labels.lst",
               input_columns = ["context", "question", "answerA", "answerB", "answerC"],
               output_column = "label" }
    template = { "1" = " {answerA}", "2" = " {answerB}", "3" = " {answerC}" }  # ppl: per label
    prompt = "{context}\\nQuestion: {question}\\nAnswer:"
    retriever = { type = "zero" }        # zero | fixed (indices) | random (k, seed); split

Reader: ``path`` is one file or a table ``{split: file}`` (``test_split`` / ``train_split``
pick the evaluated split and the pool of in-context examples; defaults ``test`` and
``train``); relative paths are under the data dir, ``pkg://package/path`` inside an
installed package; ``format`` is jsonl, json, csv or tsv (default: the file's suffix);
``labels`` an optional file (or table) with the output column, one value a line;
``test_range`` an optional ``"[start:stop]"``.

Template: ``prompt`` (or ``template`` in gen/clp mode) is a string or OpenCompass's shape
``{"begin": ..., "round": [{"role": "HUMAN", "prompt": ...}, {"role": "BOT", "prompt": ...}]}``:
the HUMAN turn is the question, the BOT turn how an in-context example is answered, a
``SYSTEM`` turn in ``begin`` the system prompt. In ppl mode ``template`` maps each label to
its continuation — a string, or a round whose turns before the last BOT are shared by
every label (they become the prompt) — or to a whole string whose common beginning is the
prompt. ``options`` lists the clp options. ``postprocessor`` / ``evaluator`` are registered
names (or ``{type = name, ...kwargs}``); ``groups`` (``[{name, members}]``) and ``subsets``
(a list of overrides of this declaration, one per subset) make a multi-part benchmark.

Every mistake is one line naming the config file (``source``) and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from compass.sdk import (Benchmark, CompassError, DataError, DataMissing, FewShot, Group, PromptTemplate,
                        Rows, Subset)

MODES = ("gen", "ppl", "clp")
RETRIEVERS = ("zero", "fixed", "random")
FORMATS = ("jsonl", "json", "csv", "tsv")
_FIELD = re.compile(r"\{(\w+)\}")
_RANGE = re.compile(r"^\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\]$")
KEYS = ("name", "mode", "reader", "template", "prompt", "retriever", "options", "postprocessor", "evaluator",
        "max_out_len", "stop", "groups", "subsets", "source", "chat")


class DeclarationError(CompassError):
    """A malformed declaration; the message names the config file and the key."""


def _fail(source: str | None, key: str, what: str) -> DeclarationError:
    return DeclarationError(f"{source or 'declarative dataset'}: {key}: {what}")


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text))


@dataclass(frozen=True)
class Reader:
    files: Mapping[str, str]
    labels: Mapping[str, str]
    format: str | None
    input_columns: tuple[str, ...]
    output_column: str
    test_split: str
    train_split: str
    test_range: tuple[int | None, int | None] | None

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.input_columns, self.output_column)


def _splits(value: Any, source, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"test": value}
    if isinstance(value, Mapping) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise _fail(source, key, f"expected a file or a table {{split: file}}, got {value!r}")


def parse_reader(cfg: Any, source: str | None) -> Reader:
    if not isinstance(cfg, Mapping):
        raise _fail(source, "reader", "expected a table with path, input_columns and output_column")
    known = {"path", "labels", "format", "input_columns", "output_column", "test_split", "train_split", "test_range"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise _fail(source, f"reader.{unknown[0]}", f"unknown reader setting; known: {', '.join(sorted(known))}")
    files = _splits(cfg.get("path"), source, "reader.path")
    if not files:
        raise _fail(source, "reader.path", "missing: the data file (or a table {split: file})")
    cols = cfg.get("input_columns")
    if isinstance(cols, str):
        cols = [cols]
    if not isinstance(cols, (list, tuple)) or not cols or not all(isinstance(c, str) and c for c in cols):
        raise _fail(source, "reader.input_columns", f"expected a list of column names, got {cols!r}")
    out = cfg.get("output_column")
    if not isinstance(out, str) or not out:
        raise _fail(source, "reader.output_column", f"expected the column holding the answer, got {out!r}")
    fmt = cfg.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise _fail(source, "reader.format", f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    test_split = str(cfg.get("test_split", "test"))
    if len(files) > 1 and test_split not in files:
        raise _fail(source, "reader.test_split", f"no file for split {test_split!r}; path has {', '.join(files)}")
    if len(files) == 1:
        files = {test_split: next(iter(files.values()))}
    rng = cfg.get("test_range")
    parsed = None
    if rng is not None:
        m = _RANGE.match(str(rng))
        if not m:
            raise _fail(source, "reader.test_range", f"expected \"[start:stop]\", got {rng!r}")
        parsed = tuple(int(x) if x else None for x in m.groups())
    labels = _splits(cfg.get("labels"), source, "reader.labels")
    if len(labels) == 1 and "test" in labels:
        labels = {test_split: labels["test"]}
    return Reader(files, labels, fmt, tuple(cols), out, test_split, str(cfg.get("train_split", "train")), parsed)


def _resolve(path: str, data_dir: Path) -> Path:
    if path.startswith("pkg://"):
        from importlib import resources

        package, _, rel = path[len("pkg://"):].partition("/")
        try:
            return Path(str(resources.files(package).joinpath(rel)))
        except ModuleNotFoundError:
            raise DataMissing(f"{path}: package '{package}' is not installed") from None
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(data_dir) / p


def _read_file(path: Path, fmt: str | None) -> list[tuple[int, dict]]:
    from compass_datasets.readers import read_csv, read_json, read_jsonl

    if not path.is_file():
        raise DataMissing(f"declarative dataset: data file {path} not found; put it there or point --data-dir "
                          f"at the folder that has it")
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt in ("csv", "tsv"):
        if fmt == "tsv":
            import csv
            import io

            from compass_datasets.readers import read_text

            reader = csv.DictReader(io.StringIO(read_text(path)), delimiter="\t")
            return [(i + 2, dict(r)) for i, r in enumerate(reader)]
        return read_csv(path)
    if fmt == "json":
        data = read_json(path)
        if isinstance(data, dict):  # {"data": [...]} or {split: [...]}: the one list inside
            lists = [v for v in data.values() if isinstance(v, list)]
            data = lists[0] if len(lists) == 1 else data
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise DataError(f"{path}: expected a JSON list of objects")
        return [(i + 1, r) for i, r in enumerate(data)]
    raise DataError(f"{path}: unknown data format {fmt!r}; set reader.format to one of {', '.join(FORMATS)}")


class DeclaredLoader:
    """``loader(data_dir) -> Rows`` for a :class:`Reader`; every column checked, row by row."""

    def __init__(self, reader: Reader, source: str | None):
        self.reader = reader
        self.source = source
        self._cache: tuple[str, Rows] | None = None

    @property
    def key(self) -> tuple:
        r = self.reader  # the columns too: a changed declaration is read (and checked) again
        return ("declarative", tuple(sorted(r.files.items())), tuple(sorted(r.labels.items())), r.columns)

    def locate(self, data_dir) -> Path:
        return _resolve(self.reader.files[self.reader.test_split], Path(data_dir))

    def _split(self, split: str, data_dir: Path) -> list[dict]:
        from compass_datasets.readers import read_text

        r = self.reader
        path = _resolve(r.files[split], data_dir)
        records = _read_file(path, r.format)
        labels = None
        if split in r.labels:
            lpath = _resolve(r.labels[split], data_dir)
            if not lpath.is_file():
                raise DataMissing(f"declarative dataset: labels file {lpath} not found")
            labels = [x.strip() for x in read_text(lpath).splitlines() if x.strip()]
            if len(labels) != len(records):
                raise DataError(f"{lpath}:{len(labels)}: {len(labels)} labels for {len(records)} rows of {path}")
        rows = []
        for i, (line, obj) in enumerate(records):
            row = dict(obj)
            if labels is not None:
                row[r.output_column] = labels[i]
            for col in r.columns:
                if col not in row:
                    key = "reader.output_column" if col == r.output_column else "reader.input_columns"
                    have = ", ".join(sorted(row)) or "none"
                    raise _fail(self.source, key, f"column '{col}' is not in {path}:{line} (its columns: {have})")
            row[r.output_column] = str(row[r.output_column]).strip()
            rows.append(row)
        return rows

    def __call__(self, data_dir) -> Rows:
        tag = str(data_dir)
        if self._cache is None or self._cache[0] != tag:
            r = self.reader
            test = self._split(r.test_split, Path(data_dir))
            if r.test_range:
                test = test[slice(*r.test_range)]
            pool = self._split(r.train_split, Path(data_dir)) if r.train_split in r.files else []
            self._cache = (tag, Rows(test=test, fewshot=pool))
        return self._cache[1]


def _turns(value: Any, source, key: str) -> tuple[str, list[tuple[str, str]]]:
    """``(system, [(role, prompt), ...])`` of a string or an OpenCompass round template."""
    if isinstance(value, str):
        return "", [("HUMAN", value)]
    if not isinstance(value, Mapping) or "round" not in value:
        raise _fail(source, key, f"expected a string or a table with 'round' (and optionally 'begin'), got {value!r}")
    system = ""
    begin = value.get("begin")
    for j, item in enumerate(begin if isinstance(begin, list) else ([begin] if begin else [])):
        if isinstance(item, str):
            system += item
        elif isinstance(item, Mapping) and item.get("role") == "SYSTEM":
            system += str(item.get("prompt", ""))
        else:
            raise _fail(source, f"{key}.begin[{j}]", f"expected a string or a SYSTEM turn, got {item!r}")
    turns = []
    rounds = value["round"]
    if not isinstance(rounds, list) or not rounds:
        raise _fail(source, f"{key}.round", "expected a list of {role, prompt} turns")
    for j, item in enumerate(rounds):
        if not isinstance(item, Mapping) or item.get("role") not in ("HUMAN", "BOT", "SYSTEM"):
            raise _fail(source, f"{key}.round[{j}]", f"expected {{role = HUMAN|BOT|SYSTEM, prompt = ...}}, got {item!r}")
        prompt = item.get("prompt", "")
        if not isinstance(prompt, str):
            raise _fail(source, f"{key}.round[{j}].prompt", f"expected a string, got {prompt!r}")
        turns.append((item["role"], prompt))
    return system, turns


def _prompt_template(value: Any, source, key: str, output: str) -> PromptTemplate:
    system, turns = _turns(value, source, key)
    humans = [p for role, p in turns if role == "HUMAN"]
    bots = [p for role, p in turns if role == "BOT"]
    if len(humans) != 1 or len(bots) > 1:
        raise _fail(source, key, "compass templates have one HUMAN turn (the question) and at most one BOT "
                                 "turn (an example's answer); put in-context examples in a retriever")
    system += "".join(p for role, p in turns if role == "SYSTEM")
    return PromptTemplate(human=humans[0], bot=bots[0] if bots and bots[0] else "{" + output + "}", system=system)


def _split_label_strings(texts: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The longest common beginning (never inside a ``{field}``) and each label's rest."""
    values = list(texts.values())
    n = 0
    shortest = min(len(v) for v in values)
    while n < shortest and all(v[n] == values[0][n] for v in values):
        n += 1
    prefix = values[0][:n]
    open_at = prefix.rfind("{")
    if open_at > prefix.rfind("}"):
        n = open_at
    return values[0][:n], {label: text[n:] for label, text in texts.items()}


def _ppl_template(cfg: dict, source, output: str) -> tuple[PromptTemplate, dict[str, str]]:
    per_label = cfg.get("template")
    if not isinstance(per_label, Mapping) or not per_label or "round" in per_label:
        raise _fail(source, "template", "ppl mode needs a table {label: continuation or template}")
    per_label = {str(k): v for k, v in per_label.items()}
    prompt = cfg.get("prompt")
    if prompt is not None:  # shared prompt given: the labels are the continuations
        template = _prompt_template(prompt, source, "prompt", output)
        bad = [k for k, v in per_label.items() if not isinstance(v, str)]
        if bad:
            raise _fail(source, f"template.{bad[0]}", "with a shared prompt each label's value is its continuation text")
        return template, dict(per_label)
    if all(isinstance(v, str) for v in per_label.values()):
        common, rest = _split_label_strings(per_label)
        return PromptTemplate(human=common, bot="{" + output + "}"), rest
    shared = None
    cands = {}
    for label, value in per_label.items():
        system, turns = _turns(value, source, f"template.{label}")
        if not turns or turns[-1][0] != "BOT":
            raise _fail(source, f"template.{label}.round", "a ppl round ends with the BOT turn (the candidate answer)")
        head = (system, tuple(turns[:-1]))
        if shared is not None and head != shared:
            raise _fail(source, f"template.{label}", "per-label rounds must differ only in the last BOT turn")
        shared = head
        cands[label] = turns[-1][1]
    system, head_turns = shared
    humans = [p for role, p in head_turns if role == "HUMAN"]
    if len(humans) != 1:
        raise _fail(source, "template", "a ppl round has one HUMAN turn before the BOT turn")
    return PromptTemplate(human=humans[0], bot="{" + output + "}", system=system), cands


def _retriever(cfg: Any, source) -> tuple[FewShot, str | None]:
    if cfg is None:
        return FewShot(), None
    if isinstance(cfg, str):
        cfg = {"type": cfg}
    if not isinstance(cfg, Mapping):
        raise _fail(source, "retriever", f"expected a table with type = zero|fixed|random, got {cfg!r}")
    kind = cfg.get("type", "zero")
    split = cfg.get("split")
    if kind == "zero":
        return FewShot(), split
    if kind == "fixed":
        idx = cfg.get("indices")
        if not isinstance(idx, (list, tuple)) or not idx or not all(isinstance(i, int) and i >= 0 for i in idx):
            raise _fail(source, "retriever.indices", f"fixed needs a list of row numbers of the example split, got {idx!r}")
        return FewShot(indices=tuple(idx)), split
    if kind == "random":
        k = cfg.get("k")
        if not isinstance(k, int) or k < 1:
            raise _fail(source, "retriever.k", f"random needs k, a positive number of examples, got {k!r}")
        return FewShot(k=k, seed=int(cfg.get("seed", 42))), split
    raise _fail(source, "retriever.type", f"unknown retriever {kind!r}; use one of {', '.join(RETRIEVERS)}")


def _named(value: Any, source, key: str) -> tuple[str | None, dict]:
    if value is None or isinstance(value, str):
        return value, {}
    if isinstance(value, Mapping) and isinstance(value.get("type"), str):
        rest = dict(value)
        return rest.pop("type"), rest
    raise _fail(source, key, f"expected a registered name or {{type = name, ...}}, got {value!r}")


def build_subset(cfg: dict, source: str | None) -> Subset:
    unknown = sorted(set(cfg) - set(KEYS))
    if unknown:
        raise _fail(source, unknown[0], f"unknown setting; a declarative dataset takes {', '.join(KEYS[:-2])}")
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(source, "name", "missing: the dataset's name (its summary row)")
    mode = cfg.get("mode", "gen")
    if mode not in MODES:
        raise _fail(source, "mode", f"unknown mode {mode!r}; use gen, ppl or clp")
    reader = parse_reader(cfg.get("reader"), source)
    out = reader.output_column
    few, split = _retriever(cfg.get("retriever"), source)
    if split is not None:
        if split not in reader.files:
            raise _fail(source, "retriever.split", f"no file for split {split!r}; reader.path has {', '.join(reader.files)}")
        reader = Reader(**{**reader.__dict__, "train_split": split})
    if few.kind != "zero" and reader.train_split not in reader.files:
        raise _fail(source, "retriever", f"in-context examples need a '{reader.train_split}' file in reader.path")
    candidates = None
    options = None
    if mode == "ppl":
        template, candidates = _ppl_template(cfg, source, out)
    else:
        value = cfg.get("prompt", cfg.get("template"))
        if value is None:
            raise _fail(source, "prompt", "missing: the question's template")
        template = _prompt_template(value, source, "prompt" if "prompt" in cfg else "template", out)
        if mode == "clp":
            options = cfg.get("options")
            if not isinstance(options, list) or not options:
                raise _fail(source, "options", "clp mode needs the option strings, e.g. [\" A\", \" B\"]")
            options = tuple(str(o) for o in options)
    columns = set(reader.columns)
    parts = [("prompt" if "prompt" in cfg else "template", template.human + template.system),
             ("template", " ".join((candidates or {}).values()))]
    if few.kind != "zero":
        parts.append(("template", template.bot))
    for key, text in parts:
        missing = sorted(_fields(text) - columns)
        if missing:
            raise _fail(source, key, f"field '{{{missing[0]}}}' is not a reader column "
                                     f"({', '.join(reader.columns)}); add it to reader.input_columns")
    post, post_kw = _named(cfg.get("postprocessor"), source, "postprocessor")
    ev, ev_kw = _named(cfg.get("evaluator", "accuracy"), source, "evaluator")
    stop = cfg.get("stop") or ()
    if isinstance(stop, str):
        stop = (stop,)
    return Subset(name, DeclaredLoader(reader, source), template, mode=mode, gold=out, candidates=candidates,
                  options=options, fewshot=few, max_out_len=cfg.get("max_out_len"), stop=tuple(stop),
                  postprocessor=post, postprocessor_kwargs=post_kw, evaluator=ev or "accuracy", evaluator_kwargs=ev_kw)


def _merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def declarative(name: str | None = None, *, source: str | None = None, chat: bool = False,
                **declaration: Any) -> Benchmark:
    """The ``declarative`` dataset: a benchmark from a declaration (see the module docstring)."""
    del chat  # a declaration says its own mode
    cfg = {"name": name, **declaration}
    subsets_cfg = cfg.pop("subsets", None)
    groups_cfg = cfg.pop("groups", None) or []
    if subsets_cfg is None:
        subsets = (build_subset(cfg, source),)
    else:
        if not isinstance(subsets_cfg, list) or not subsets_cfg:
            raise _fail(source, "subsets", "expected a list of tables overriding this declaration")
        subsets = tuple(build_subset(_merge({**cfg, "name": None}, s) if isinstance(s, Mapping) else {},
                                     f"{source or 'declarative dataset'}: subsets[{i}]" if source else None)
                        for i, s in enumerate(subsets_cfg))
    names = {s.name for s in subsets}
    groups = []
    for i, g in enumerate(groups_cfg):
        members = g.get("members") if isinstance(g, Mapping) else None
        if not isinstance(g, Mapping) or not isinstance(g.get("name"), str) or not isinstance(members, list):
            raise _fail(source, f"groups[{i}]", "expected {name = ..., members = [subset names]}")
        unknown = [m for m in members if m not in names]
        if unknown:
            raise _fail(source, f"groups[{i}].members", f"'{unknown[0]}' is not a subset ({', '.join(sorted(names))})")
        groups.append(Group(g["name"], tuple(members), bool(g.get("weighted", False))))
    return Benchmark(name or subsets[0].name, subsets, tuple(groups))


def from_file(file: str, chat: bool = False, **overrides: Any) -> Benchmark:
    """A declaration kept in a TOML file (``pkg://package/path`` inside an installed package).

    What a package registers to ship a benchmark as data::

        register("my_bench", "compass_datasets.declarative:from_file", "One line.",
                 defaults={"file": "pkg://my_package/benchmarks/my_bench.toml"})
    """
    import tomllib

    path = _resolve(file, Path("."))
    if not path.is_file():
        raise DeclarationError(f"declarative dataset file {file} not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DeclarationError(f"{path}: malformed TOML: {exc}") from None
    data.pop("type", None)
    return declarative(**{**data, **overrides, "source": str(path)}, chat=chat)
