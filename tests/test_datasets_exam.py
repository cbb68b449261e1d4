"""The subject-exam families (C-Eval, MMLU, CMMLU) behave exactly as recorded.

``tests/data/exam_snapshot.json`` was written from the three hand-written modules before
they became descriptions served by ``compass_datasets.exam``: for every registered variant
(``x``, ``x_gen``, ``x_ppl``, ``x_clp``; the bare name for chat and base models) and every
option that exists (``subjects=``, ``shots``, ``header``, ``cue``, ``split``) it holds the
factory signature, the benchmark and subset names, each subset's ``version``, the groups,
the rows and the rendered prompt and request of the first questions of the files under
``tests/data/datasets``, and the error messages for bad options and missing or malformed
data. On ``../shared/data`` (or ``$COMPASS_SHARED_DATA``), when present, a digest of the
same per subject. Any change of a prompt, a version, a group or a message fails here.

A deliberate change regenerates the file: ``python tests/test_datasets_exam.py --write``
(and says so in its commit).
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import hashlib
import inspect
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from compass._plan import check_kwargs
from compass._types import prompt_to_text

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data" / "datasets"
FIXTURE = TESTS / "data" / "exam_snapshot.json"
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or REPO.parent / "shared" / "data")

#: the subject of each family that has files under tests/data/datasets
LOCAL = {"ceval": "computer_network", "mmlu": "abstract_algebra", "cmmlu": "agronomy"}
#: (module, factory, keyword arguments) for every variant and option combination
CALLS = [
    ("ceval", "ceval", {"chat": True}), ("ceval", "ceval", {"chat": False}),
    ("ceval", "ceval_gen", {}), ("ceval", "ceval_ppl", {}), ("ceval", "ceval_clp", {}),
    ("ceval", "ceval_gen", {"subjects": "computer_network", "shots": 0, "header": False, "cue": "答案："}),
    ("ceval", "ceval_ppl", {"subjects": ["computer_network", "accountant"], "shots": 3}),
    ("ceval", "ceval_clp", {"subjects": "computer_network", "cue": "Answer:"}),
    ("ceval", "ceval", {"chat": True, "subjects": "computer_network, college_physics", "shots": 1,
                        "header": False}),
    ("mmlu", "mmlu", {"chat": True}), ("mmlu", "mmlu", {"chat": False}),
    ("mmlu", "mmlu_gen", {}), ("mmlu", "mmlu_ppl", {}), ("mmlu", "mmlu_clp", {}),
    ("mmlu", "mmlu_ppl", {"subjects": "abstract_algebra", "split": "val"}),
    ("mmlu", "mmlu_gen", {"subjects": ["abstract_algebra"], "split": "val"}),
    ("mmlu", "mmlu_clp", {"subjects": "abstract_algebra,anatomy"}),
    ("mmlu", "mmlu", {"chat": False, "subjects": "abstract_algebra", "split": "val"}),
    ("cmmlu", "cmmlu", {"chat": True}), ("cmmlu", "cmmlu", {"chat": False}),
    ("cmmlu", "cmmlu_gen", {}), ("cmmlu", "cmmlu_ppl", {}), ("cmmlu", "cmmlu_clp", {}),
    ("cmmlu", "cmmlu_gen", {"subjects": "agronomy"}),
    ("cmmlu", "cmmlu", {"chat": False, "subjects": ["agronomy", "ancient_chinese"]}),
    ("demo", "demo_ceval", {"chat": True}), ("demo", "demo_ceval", {"chat": False}),
]
BAD_OPTIONS = [
    ("ceval", "ceval_ppl", {"shots": 6}), ("ceval", "ceval_gen", {"shots": -1}),
    ("ceval", "ceval_gen", {"subjects": "nope"}), ("ceval", "ceval_gen", {"subjects": "nope", "shots": 9}),
    ("ceval", "ceval", {"chat": True, "subjects": ["accountant", "bogus", "x"]}),
    ("mmlu", "mmlu_gen", {"subjects": "nope"}), ("mmlu", "mmlu_ppl", {"split": "dev"}),
    ("mmlu", "mmlu_clp", {"subjects": "nope", "split": "dev"}), ("mmlu", "mmlu", {"chat": True, "split": "train"}),
    ("cmmlu", "cmmlu_gen", {"subjects": "nope"}), ("cmmlu", "cmmlu", {"chat": False, "subjects": "a,b"}),
]
FAMILY_FACTORIES = {m: [f"{m}", f"{m}_gen", f"{m}_ppl", f"{m}_clp"] for m in ("ceval", "mmlu", "cmmlu")}


def _factory(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(f"compass_datasets.{module}"), name)


def _jsonable(obj):
    if dataclasses.is_dataclass(obj):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def _error(fn, *paths: tuple[Path, str]) -> dict:
    try:
        fn()
    except Exception as exc:  # the type and the one line a user sees
        text = str(exc)
        for path, tag in paths:
            text = text.replace(str(path), tag)
        return {"error": type(exc).__name__, "message": text}
    return {"error": None}


def _spec(sub) -> dict:
    return {"mode": sub.mode, "gold": sub.gold, "template": _jsonable(sub.template.describe()),
            "fewshot": _jsonable(sub.fewshot.describe()), "candidates": _jsonable(sub.candidates),
            "options": _jsonable(sub.options), "max_out_len": sub.max_out_len, "stop": list(sub.stop),
            "postprocessor": [sub.postprocessor, dict(sub.postprocessor_kwargs)],
            "evaluator": [sub.evaluator, dict(sub.evaluator_kwargs)]}


def _request(sub, rows, i: int, chat: bool) -> dict:
    """A request's fields; its prompt must be the subset's prompt (recorded once, below)."""
    request = sub.request(rows, i, chat=chat)
    fields = _jsonable(request)
    assert fields.pop("prompt") == _jsonable(sub.prompt(rows, i, chat=chat))
    if fields.get("score") == "sum":  # the default ppl rule (recorded before the field existed)
        del fields["score"]
    return {"type": type(request).__name__, **fields}


def _questions(sub, data_dir: Path, n: int = 2) -> dict:
    """Rows, and the first question's prompts and requests in full (later ones as digests)."""
    rows = sub.load(data_dir)
    out = {"test": len(rows.test), "fewshot": len(rows.fewshot), "first_row": rows.test[0],
           "first_example": rows.fewshot[0] if rows.fewshot else None, "questions": []}
    for i in range(min(n, len(rows.test))):
        record = {
            "text": prompt_to_text(sub.prompt(rows, i, chat=False)),
            "base": _jsonable(sub.prompt(rows, i, chat=False)),
            "chat": _jsonable(sub.prompt(rows, i, chat=True)),
            "request_base": _request(sub, rows, i, False),
            "request_chat": _request(sub, rows, i, True),
            "labels": sub.labels(rows.test[i]) if sub.mode != "gen" else None,
        }
        if record["base"] == [{"role": "HUMAN", "content": record["text"]}]:
            del record["base"]  # one human turn: the text says it all
        if i:
            record = hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
        out["questions"].append(record)
    return out


def _call_id(module: str, name: str, kwargs: dict) -> str:
    return f"{module}.{name}({json.dumps(kwargs, ensure_ascii=False, sort_keys=True)})"


def _benchmark(bench) -> dict:
    return {"name": bench.name, "description": bench.description,
            "subsets": {s.name: s.version for s in bench.subsets},
            "modes": sorted({s.mode for s in bench.subsets}),
            "groups": [[g.name, list(g.members), g.weighted] for g in bench.groups]}


def _corrupt(src: Path, dst: Path, column: str | int) -> None:
    """A copy of ``src`` whose first data row's answer is ``E``."""
    rows = list(csv.reader(io.StringIO(src.read_text("utf-8-sig"), newline="")))
    index = rows[0].index(column) if isinstance(column, str) else column
    first = 1 if isinstance(column, str) else 0
    rows[first][index] = "E"
    dst.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    dst.write_text(buf.getvalue(), "utf-8")


def _data_errors(tmp: Path) -> dict:
    """Missing files, a missing dev split and a bad answer, per family."""
    out = {}
    tags = ((tmp, "<TMP>"),)
    empty = tmp / "empty"
    empty.mkdir()
    layouts = {  # family: (test file, dev file, answer column, its factory)
        "ceval": ("ceval/formal_ceval/val/computer_network_val.csv", "ceval/formal_ceval/dev/computer_network_dev.csv",
                  "answer"),
        "mmlu": ("mmlu/test/abstract_algebra_test.csv", "mmlu/dev/abstract_algebra_dev.csv", 5),
        "cmmlu": ("cmmlu/test/agronomy.csv", "cmmlu/dev/agronomy.csv", "Answer"),
    }
    for family, (test, dev, column) in layouts.items():
        for mode in ("gen", "ppl"):
            sub = _factory(family, f"{family}_{mode}")(subjects=LOCAL[family]).subsets[0]
            out[f"{family}_{mode} empty"] = _error(lambda: sub.load(empty), *tags)
            no_dev = tmp / f"{family}-{mode}-nodev"
            (no_dev / test).parent.mkdir(parents=True)
            (no_dev / test).write_bytes((DATA / test).read_bytes())
            out[f"{family}_{mode} no dev"] = _error(lambda: sub.load(no_dev), *tags)
            bad = tmp / f"{family}-{mode}-bad"
            _corrupt(DATA / test, bad / test, column)
            (bad / dev).parent.mkdir(parents=True)
            (bad / dev).write_bytes((DATA / dev).read_bytes())
            out[f"{family}_{mode} bad answer"] = _error(lambda: sub.load(bad), *tags)
            bad_dev = tmp / f"{family}-{mode}-baddev"
            (bad_dev / test).parent.mkdir(parents=True)
            (bad_dev / test).write_bytes((DATA / test).read_bytes())
            _corrupt(DATA / dev, bad_dev / dev, column)
            out[f"{family}_{mode} bad dev answer"] = _error(lambda: sub.load(bad_dev), *tags)
            loader = sub.load
            out[f"{family}_{mode} locate"] = str(Path(loader.locate(DATA)).relative_to(DATA))
    return out


def local_snapshot() -> dict:
    """Everything recorded from the code and tests/data (no shared data needed)."""
    from compass_datasets.plugin import DATASETS

    # by factory: a factory's registered name may differ (ceval_gen is registered as ceval_compass_gen)
    by_factory = {factory.split(":")[1]: [factory, text] for factory, text in DATASETS.values()}
    snap: dict = {"registered": {n: by_factory[n] for fs in FAMILY_FACTORIES.values() for n in fs},
                  "signatures": {}, "unknown_option": {}, "benchmarks": {}, "local": {}, "bad_options": {}}
    snap["registered"]["demo_ceval"] = list(DATASETS["demo_ceval"])
    for module, names in [*FAMILY_FACTORIES.items(), ("demo", ["demo_ceval"])]:
        for name in names:
            factory = _factory(module, name)
            snap["signatures"][name] = [[p.name, repr(p.default), str(p.kind)]
                                        for p in inspect.signature(factory).parameters.values()]
            snap["unknown_option"][name] = _error(
                lambda: check_kwargs(factory, {"bogus": 1}, f"dataset '{name}'"))
    for module, name, kwargs in CALLS:
        bench = _factory(module, name)(**kwargs)
        key = _call_id(module, name, kwargs)
        snap["benchmarks"][key] = _benchmark(bench)
        local = {}
        for sub in bench.subsets:
            if sub.name.split("-", 1)[1] in LOCAL.values():
                root = DATA if module != "demo" else Path("unused")
                local[sub.name] = {"spec": _spec(sub), **_questions(sub, root)} if module != "demo" \
                    else {"spec": _spec(sub)}
        if module == "demo":  # the shipped files: the first subject in full
            sub = bench.subsets[0]
            local[sub.name] = {"spec": _spec(sub), **_questions(sub, Path("unused"))}
        snap["local"][key] = local
    for module, name, kwargs in BAD_OPTIONS:
        snap["bad_options"][_call_id(module, name, kwargs)] = _error(lambda: _factory(module, name)(**kwargs))
    with tempfile.TemporaryDirectory() as tmp:
        snap["data_errors"] = _data_errors(Path(tmp))
    return json.loads(json.dumps(snap, ensure_ascii=False))


def shared_snapshot() -> dict:
    """Per variant and subject, a digest of the rows, prompts and requests (or the error)."""
    out = {}
    for module, name, kwargs in CALLS:
        if module == "demo":
            continue
        digests = {}
        for sub in _factory(module, name)(**kwargs).subsets:
            try:
                record = _questions(sub, SHARED)
            except Exception as exc:
                record = {"error": type(exc).__name__, "message": str(exc).replace(str(SHARED), "<SHARED>")}
            blob = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
            digests[sub.name] = hashlib.sha256(blob).hexdigest()[:16]
        out[_call_id(module, name, kwargs)] = digests
    return out


def _expected() -> dict:
    return json.loads(FIXTURE.read_text("utf-8"))


def test_every_variant_option_and_message_is_as_recorded():
    expected, actual = _expected(), local_snapshot()
    assert sorted(actual) == sorted(k for k in expected if k != "shared")
    for section in actual:
        if isinstance(actual[section], dict):
            assert sorted(actual[section]) == sorted(expected[section]), section
            for key in actual[section]:
                assert actual[section][key] == expected[section][key], f"{section}: {key}"
        else:
            assert actual[section] == expected[section], section


@pytest.mark.skipif(not (SHARED / "ceval").is_dir(), reason=f"no shared data at {SHARED}")
def test_shared_data_prompts_are_as_recorded():
    expected = _expected().get("shared")
    if expected is None:
        pytest.skip("the fixture was recorded without shared data")
    actual = shared_snapshot()
    assert sorted(actual) == sorted(expected)
    for key in actual:
        assert actual[key] == expected[key], key


# --- no import cycles in the dataset and OpenAI plugins ------------------------------------

def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` imported anywhere in ``path`` (module level or inside functions)."""
    tree = ast.parse(path.read_text("utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith(package + ".")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package if node.level == 1 else None
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module
            if mod and (mod == package or mod.startswith(package + ".")):
                if mod == package:  # from pkg import module
                    out |= {f"{package}.{a.name}" for a in node.names}
                else:
                    out.add(mod)
    return out


def _cycle(package: str) -> list[str] | None:
    folder = REPO / "plugins" / package
    graph = {f"{package}.{p.stem}": _imports(p, package) for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:  # back to a module still being visited
                trail = path + [node]
                return trail[trail.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, path + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [])
            if found:
                return found
    return None


@pytest.mark.parametrize("package", ["compass_openai", "compass_datasets"])
def test_plugin_modules_import_each_other_without_a_cycle(package):
    assert _cycle(package) is None, f"import cycle: {' -> '.join(_cycle(package))}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_datasets_exam.py --write   (re-records tests/data/exam_snapshot.json)")
    snap = local_snapshot()
    if (SHARED / "ceval").is_dir():
        snap["shared"] = shared_snapshot()
    FIXTURE.write_text(json.dumps(snap, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes; shared: {'shared' in snap})")
