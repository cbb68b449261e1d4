"""Render the first rows of OpenCompass 0.5.4's own dataset configs with OpenCompass's own code.

The oracle for ``tests/test_opencompass_render.py``: for each dataset config named on the
command line (paths under the wheel's ``opencompass/configs/datasets``) it executes the file,
builds OpenCompass's ``PromptTemplate`` and retriever from its ``infer_cfg`` and renders the
first test rows the way its inferencer does (``GenInferencer``/``CLPInferencer``: the generate
task, ``PPLInferencer``/``LLInferencer``: one prompt per label), then parses each prompt as

* a base model does (``LMTemplateParser`` without a meta template: plain text), and
* a chat model does (``HuggingFacewithChatTemplate``: ``APITemplateParser`` with its default
  meta template, then ``_convert_chat_messages``: a message list).

A ``RawPromptTemplate`` (OpenAI-style messages) is rendered by its own class; its messages are
recorded as an OpenAI-compatible API model is sent them (``APITemplateParser`` without a meta
template passes them through; ``HuggingFacewithChatTemplate`` cannot take them), and its base
text as the error OpenCompass's ``LMTemplateParser`` raises (``raw: true`` marks these cases).

Rows are synthetic (``<column t0>`` ...): the prompt's shape, not the data, is what is compared.
Run it in a SEPARATE environment, never the project's::

    pip download opencompass==0.5.4 --no-deps && unzip -q opencompass-0.5.4-*.whl -d /tmp/oc
    python3 -m venv /tmp/ocvenv && /tmp/ocvenv/bin/pip install "mmengine-lite==0.11.0rc3" "numpy<2" packaging
    /tmp/ocvenv/bin/python bench/opencompass_prompts.py /tmp/oc tests/data/opencompass_prompts.json \\
        $(cat bench/opencompass_families.txt)

With ``--more`` (``tests/data/opencompass_prompts_more.json``) every dataset dict of each list is
rendered (not only the first), each generate-task config also as ``ChatInferencer`` renders it
(``infer_mode='last'``: OpenCompass's ``get_chat_list`` and its chat template parsers), and an
LLM-judge evaluator's ``prompt_template`` (``GenericLLMEvaluator`` and the like, in a
``CascadeEvaluator`` too) as its judge reads it (the row + ``prediction``, ``obj_gold`` and a
blank ``reference``, through ``HuggingFacewithChatTemplate``'s parser)::

    /tmp/ocvenv/bin/python bench/opencompass_prompts.py /tmp/oc tests/data/opencompass_prompts_more.json \\
        --more $(cat bench/opencompass_more_configs.txt)   # folders; "folder/file": its first two dicts

(torch, datasets and mmengine.dist are stubbed: the template, retriever and parser code
needs none of them; OpenCompass's heavy package ``__init__`` files are skipped.)
"""

from __future__ import annotations

import ast
import contextlib
import importlib.abc
import importlib.machinery
import json
import sys
import types
from pathlib import Path

N_TEST = 2
N_POOL = 12


class _Name:
    """Stands for a class or function a config names (phase 1: configs as data)."""


def _placeholder(name):
    return type(name, (_Name,), {"oc_name": name})


class _Stub(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "read_base":
            return contextlib.nullcontext
        if name == "get_data_path":
            return lambda path, local_mode=False: path
        value = _placeholder(name)
        setattr(self, name, value)
        return value


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        m = _Stub(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


class _ConfigFinder(importlib.abc.MetaPathFinder):
    def __init__(self, configs: Path):
        self.configs = configs

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top not in ("opencompass", "mmengine"):
            return None
        if fullname == "opencompass.configs":
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [str(self.configs)]
            return spec
        if fullname.startswith("opencompass.configs."):
            return None
        return importlib.machinery.ModuleSpec(fullname, _StubLoader(), is_package=True)


def _plain(value):
    """A config value with every placeholder replaced by its name."""
    if isinstance(value, type) and issubclass(value, _Name):
        return value.oc_name
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if callable(value):
        return getattr(value, "__name__", str(value))
    return value


def load_configs(root: Path, files: list[Path]) -> dict[str, list[dict]]:
    """Phase 1: every file's ``*_datasets`` lists as plain data (placeholders as names)."""
    import importlib

    finder = _ConfigFinder(root / "opencompass" / "configs")
    sys.meta_path.insert(0, finder)
    out = {}
    try:
        for f in files:
            rel = f.resolve().relative_to((root / "opencompass" / "configs").resolve()).with_suffix("")
            name = "opencompass.configs." + ".".join(rel.parts)
            for n in [n for n in sys.modules if n.startswith("opencompass.configs.")]:
                del sys.modules[n]  # each file fresh: configs that import others may change them in place
            try:
                mod = importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"skip {rel}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            lists = [v for k, v in vars(mod).items() if k.endswith("_datasets") and isinstance(v, list)]
            if lists:
                out[str(rel)] = [_plain(d) for d in lists[0] if isinstance(d, dict)]
    finally:
        sys.meta_path.remove(finder)
        for n in [n for n in sys.modules if n.split(".")[0] in ("opencompass", "mmengine")]:
            del sys.modules[n]
    return out


def _stub_heavy() -> None:
    torch = types.ModuleType("torch")
    torch.Tensor = object
    torch.distributed = types.ModuleType("torch.distributed")
    sys.modules["torch"] = torch
    sys.modules["torch.distributed"] = torch.distributed
    ds = types.ModuleType("datasets")
    ds.Dataset = ds.DatasetDict = dict
    sys.modules["datasets"] = ds
    dist = types.ModuleType("mmengine.dist")
    dist.is_main_process = lambda: True
    sys.modules["mmengine.dist"] = dist
    tqdm = types.ModuleType("tqdm")
    tqdm.trange = lambda n, **kw: range(n)
    tqdm.tqdm = lambda it, **kw: it
    sys.modules.setdefault("tqdm", tqdm)


def load_opencompass(root: Path):
    """Phase 2: OpenCompass's template, retriever and parser code, without its package ``__init__``s."""
    import importlib.util

    _stub_heavy()
    import mmengine  # noqa: F401 - the real one, for mmengine.config / registry

    sys.modules["mmengine.dist"].is_main_process = lambda: True
    src = root / "opencompass"
    for pkg in ("opencompass", "opencompass.openicl", "opencompass.openicl.icl_retriever", "opencompass.models",
                "opencompass.utils", "opencompass.openicl.utils"):
        m = types.ModuleType(pkg)
        m.__path__ = [str(src.joinpath(*pkg.split(".")[1:]))]
        sys.modules[pkg] = m

    def load(name):
        path = src.joinpath(*name.split(".")[1:]).with_suffix(".py")
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod

    log = types.ModuleType("opencompass.utils.logging")
    log.get_logger = lambda *a, **k: __import__("logging").getLogger("oc")
    sys.modules["opencompass.utils.logging"] = log
    sys.modules["opencompass.openicl.utils.logging"] = log
    sys.modules["opencompass.openicl.utils"].get_logger = log.get_logger
    sys.modules["opencompass.utils"].get_logger = log.get_logger
    types_mod = types.ModuleType("opencompass.utils.types")
    types_mod._check_type_list = lambda obj, typelist: obj
    sys.modules["opencompass.utils.types"] = types_mod
    load("opencompass.registry")
    prompt = load("opencompass.utils.prompt")
    sys.modules["opencompass.utils"].PromptList = prompt.PromptList
    tpl = load("opencompass.openicl.icl_prompt_template")
    raw = load("opencompass.openicl.icl_raw_prompt_template")
    base = load("opencompass.openicl.icl_retriever.icl_base_retriever")
    sys.modules["opencompass.openicl.icl_retriever"].BaseRetriever = base.BaseRetriever
    zero = load("opencompass.openicl.icl_retriever.icl_zero_retriever")
    fixk = load("opencompass.openicl.icl_retriever.icl_fix_k_retriever")
    rand = load("opencompass.openicl.icl_retriever.icl_random_retriever")
    lm = load("opencompass.models.base")
    api = load("opencompass.models.base_api")
    # HuggingFacewithChatTemplate's two helpers, taken from its module without importing torch
    hf_src = (src / "models" / "huggingface_above_v4_33.py").read_text()
    tree = ast.parse(hf_src)
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef)
              and n.name in ("_convert_chat_messages", "_get_meta_template")]
    ns = {"APITemplateParser": api.APITemplateParser}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "huggingface_above_v4_33.py", "exec"), ns)  # noqa: S102
    # ChatInferencer's conversation maker and template parsers, taken from its module (no model code)
    chat_src = (src / "openicl" / "icl_inferencer" / "icl_chat_inferencer.py").read_text()
    ctree = ast.parse(chat_src)
    helpers = [n for n in ctree.body if (isinstance(n, ast.FunctionDef) and n.name == "promptlist_to_openai")
               or (isinstance(n, ast.ClassDef) and n.name in ("LMTemplateParser", "APITemplateParser"))]
    inferencer = next(n for n in ctree.body if isinstance(n, ast.ClassDef) and n.name == "ChatInferencer")
    maker = ast.ClassDef(name="ChatMaker", bases=[], keywords=[], decorator_list=[],
                         body=[n for n in inferencer.body if isinstance(n, ast.FunctionDef) and n.name == "get_chat_list"])
    import typing

    from mmengine import is_list_of
    cns = {"PromptList": prompt.PromptList, "is_list_of": is_list_of, "PromptTemplate": tpl.PromptTemplate,
           "BaseRetriever": base.BaseRetriever, **{k: getattr(typing, k) for k in ("List", "Optional", "Union", "Dict")}}
    exec(compile(ast.fix_missing_locations(ast.Module(body=[*helpers, maker], type_ignores=[])),  # noqa: S102
                 "icl_chat_inferencer.py", "exec"), cns)
    return types.SimpleNamespace(
        chat_maker=cns["ChatMaker"], ChatLMParser=cns["LMTemplateParser"], ChatAPIParser=cns["APITemplateParser"],
        PromptTemplate=tpl.PromptTemplate, PromptList=prompt.PromptList, RawPromptTemplate=raw.RawPromptTemplate,
        api_parser=api.APITemplateParser(None),
        retrievers={"ZeroRetriever": zero.ZeroRetriever, "FixKRetriever": fixk.FixKRetriever,
                    "RandomRetriever": rand.RandomRetriever},
        LMTemplateParser=lm.LMTemplateParser, chat_parser=ns["_get_meta_template"](None),
        convert=ns["_convert_chat_messages"])


def _rows(d: dict, labels: list | None):
    reader = d.get("reader_cfg") or {}
    cols = reader.get("input_columns") or []
    cols = [cols] if isinstance(cols, str) else list(cols)
    out = reader.get("output_column")

    def row(tag, i):
        r = {c: f"<{c} {tag}{i}>" for c in cols}
        if out:
            r[out] = labels[i % len(labels)] if labels else f"<{out} {tag}{i}>"
        return r

    return [row("t", i) for i in range(N_TEST)], [row("p", i) for i in range(N_POOL)]


def render(oc, d: dict) -> dict | None:
    infer = d.get("infer_cfg") or {}
    inferencer = (infer.get("inferencer") or {}).get("type")
    rcfg = dict(infer.get("retriever") or {"type": "ZeroRetriever"})
    rtype = rcfg.pop("type")
    if rtype not in oc.retrievers or inferencer not in ("GenInferencer", "PPLInferencer", "CLPInferencer",
                                                        "LLInferencer"):
        return None

    def template(key):
        t = infer.get(key)
        if not t:
            return None
        if t.get("type") == "RawPromptTemplate":
            return oc.RawPromptTemplate(t["messages"], format_variables=t.get("format_variables", True),
                                        ice_token=t.get("ice_token", "</E>"))
        return oc.PromptTemplate(t["template"], ice_token=t.get("ice_token"), sep_token=t.get("sep_token"))

    ice_t, prompt_t = template("ice_template"), template("prompt_template")
    probe = prompt_t or ice_t
    labels = None
    is_raw = getattr(probe, "prompt_type", None) == "raw_messages"
    if not is_raw and isinstance(probe.template, dict) and probe.prompt_type == "origin":
        labels = list(probe.template.keys())
    test, pool = _rows(d, labels)
    reader = types.SimpleNamespace(output_column=(d.get("reader_cfg") or {}).get("output_column"))
    fix = rcfg.get("fix_id_list")
    if fix and max(fix) >= len(pool):
        pool = pool + _rows(d, labels)[1] * ((max(fix) // len(pool)) + 1)
        pool = [dict(r) for r in pool]
    dataset = types.SimpleNamespace(reader=reader, train=pool, test=test)
    if rtype == "RandomRetriever" and rcfg.get("ice_num", 1) > len(pool):
        return None
    retriever = oc.retrievers[rtype](dataset, **rcfg)
    ice_idx = retriever.retrieve()
    base = oc.LMTemplateParser()
    case = {"ice_idx": ice_idx, "rows": test, "pool": pool, "base": [], "chat": []}
    for idx in range(len(test)):
        ice = retriever.generate_ice(ice_idx[idx], ice_template=ice_t)
        if is_raw:  # a message list: what an API model (OpenAI-compatible) is sent; base parsers reject it
            p = retriever.generate_prompt_for_generate_task(idx, ice, ice_template=ice_t, prompt_template=prompt_t)
            case["raw"] = True
            try:
                case["base"].append(base.parse_template(p, mode="gen"))
            except Exception as exc:  # noqa: BLE001 - OpenCompass's LMTemplateParser refuses messages
                case["base"].append({"error": type(exc).__name__})
            case["chat"].append(oc.api_parser.parse_template(p, mode="gen"))
        elif inferencer in ("GenInferencer", "CLPInferencer"):
            p = retriever.generate_prompt_for_generate_task(idx, ice, ice_template=ice_t, prompt_template=prompt_t)
            case["base"].append(base.parse_template(p, mode="gen"))
            case["chat"].append(oc.convert([oc.chat_parser.parse_template(p, mode="gen")])[0])
        else:
            lab = labels or retriever.get_labels(ice_template=ice_t, prompt_template=prompt_t)
            per_b, per_c = {}, {}
            for label in lab:
                p = retriever.generate_label_prompt(idx, ice, label, ice_template=ice_t, prompt_template=prompt_t)
                per_b[str(label)] = base.parse_template(p, mode="ppl")
                per_c[str(label)] = oc.convert([oc.chat_parser.parse_template(p, mode="ppl")])[0]
            case["base"].append(per_b)
            case["chat"].append(per_c)
    return case


def render_chat_inferencer(oc, d: dict, case: dict) -> dict:
    """The first rows as ChatInferencer (infer_mode='last') renders them for a base and a chat model."""
    infer = d.get("infer_cfg") or {}
    reader = d.get("reader_cfg") or {}
    cols = reader.get("input_columns") or []
    t = infer.get("prompt_template")
    prompt_t = oc.PromptTemplate(t["template"], ice_token=t.get("ice_token"), sep_token=t.get("sep_token")) if t else None
    retriever = types.SimpleNamespace(
        dataset_reader=types.SimpleNamespace(input_columns=[cols] if isinstance(cols, str) else list(cols),
                                             output_column=reader.get("output_column")),
        test_ds=case["rows"])
    chats = oc.chat_maker().get_chat_list([[]] * len(case["rows"]), retriever, prompt_template=prompt_t)
    base, chat = [], []
    meta = oc.chat_parser.meta_template
    for conv in chats:
        last = max(i for i, item in enumerate(conv) if item["role"] == "assistant")
        history = conv[:last]
        base.append(oc.ChatLMParser(None).parse_template(history))
        chat.append(oc.convert([oc.ChatAPIParser(meta).parse_template(history)])[0])
    return {"base": base, "chat": chat}


def render_judge(oc, d: dict, case: dict) -> list | None:
    """The judge prompt of an LLM-judge evaluator for the first rows (prediction ``<prediction tI>``)."""
    ev = (d.get("eval_cfg") or {}).get("evaluator") or {}
    ev = ev.get("llm_evaluator") or ev
    t = ev.get("prompt_template")
    if not t:
        return None
    raw = t.get("type") == "RawPromptTemplate"
    judge_t = oc.RawPromptTemplate(t["messages"], format_variables=t.get("format_variables", True)) if raw else \
        oc.PromptTemplate(t["template"], ice_token=t.get("ice_token"), sep_token=t.get("sep_token"))
    out_col = (d.get("reader_cfg") or {}).get("output_column")
    rows = []
    for i, row in enumerate(case["rows"]):
        gold = row.get(out_col, "") if out_col else ""
        rows.append({**row, "prediction": f"<prediction t{i}>", "obj_gold": gold, "reference": gold})
    reader = types.SimpleNamespace(output_column="reference")
    retriever = oc.retrievers["ZeroRetriever"](types.SimpleNamespace(reader=reader, train=[], test=rows))
    msgs = []
    for idx in range(len(rows)):
        p = retriever.generate_prompt_for_generate_task(idx, "", prompt_template=judge_t)
        if raw:  # messages: what an API judge is sent as they are
            msgs.append([dict(m) for m in oc.api_parser.parse_template(p, mode="gen")])
        else:
            msgs.append(oc.convert([oc.chat_parser.parse_template(p, mode="gen")])[0])
    return msgs


def main_more(root: Path, out: Path, families: list[str]) -> int:
    """``--more``: every dataset dict, ChatInferencer renders and judge prompts."""
    configs = root / "opencompass" / "configs"
    # a folder: every file, every dict; "folder/file": that file's first two dicts
    files = sorted(f for fam in families if "/" not in fam
                   for f in (configs / "datasets" / fam).rglob("*.py") if f.name != "__init__.py")
    picked = {str(Path("datasets") / fam) for fam in families if "/" in fam}
    files += [configs / "datasets" / f"{fam}.py" for fam in families if "/" in fam]
    data = load_configs(root, files)
    data = {k: v[:2] if k in picked else v for k, v in data.items()}
    oc = load_opencompass(root)
    fixture = {"opencompass": "0.5.4", "made_by": "bench/opencompass_prompts.py --more", "configs": {}}
    for name, dsets in sorted(data.items()):
        for k, d in enumerate(dsets):
            key = f"{name}#{k}"
            try:
                case = render(oc, d)
                if case is None:
                    continue
            except Exception as exc:  # noqa: BLE001 - a config OpenCompass itself cannot render here
                print(f"skip {key}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            infer = d.get("infer_cfg") or {}
            if (infer.get("inferencer") or {}).get("type") == "GenInferencer" and \
                    "template" in (infer.get("prompt_template") or {"template": None}):  # not a RawPromptTemplate
                try:
                    case["chat_inferencer"] = render_chat_inferencer(oc, d, case)
                except Exception as exc:  # noqa: BLE001 - OpenCompass's ChatInferencer cannot make this one
                    print(f"no ChatInferencer render for {key}: {type(exc).__name__}: {exc}", file=sys.stderr)
            judge = render_judge(oc, d, case)
            if judge is not None:
                case["judge"] = judge
            used = max([i for ids in case["ice_idx"] for i in ids], default=-1)
            case["pool"] = case["pool"][:used + 1]
            keep = ("abbr", "reader_cfg", "infer_cfg", "eval_cfg")
            fixture["configs"][key] = {"dataset": {k2: d.get(k2) for k2 in keep}, **case}
    out.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(fixture['configs'])} dataset dicts rendered -> {out}")
    return 0


def main(argv: list[str]) -> int:
    if "--more" in argv:
        rest = [a for a in argv if a != "--more"]
        return main_more(Path(rest[0]), Path(rest[1]), rest[2:])
    root = Path(argv[0])
    out = Path(argv[1])
    configs = root / "opencompass" / "configs"
    families = argv[2:]  # dataset folders (ceval, gsm8k, ...); none: every dataset config
    folders = [configs / "datasets" / f for f in families] or [configs / "datasets"]
    files = sorted(f for d in folders for f in d.rglob("*.py") if f.name != "__init__.py")
    data = load_configs(root, files)
    oc = load_opencompass(root)
    fixture = {"opencompass": "0.5.4", "made_by": "bench/opencompass_prompts.py", "configs": {}}
    for name, dsets in sorted(data.items()):
        d = dsets[0]
        try:
            case = render(oc, d)
        except Exception as exc:  # noqa: BLE001 - a config OpenCompass itself cannot render here
            print(f"skip {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if case is None:
            print(f"skip {name}: retriever/inferencer outside the compared set", file=sys.stderr)
            continue
        used = max([i for ids in case["ice_idx"] for i in ids], default=-1)
        case["pool"] = case["pool"][:used + 1]  # only the examples a prompt uses
        fixture["configs"][name] = {"dataset": {k: d.get(k) for k in ("abbr", "reader_cfg", "infer_cfg")}, **case}
    out.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(fixture['configs'])} configs rendered -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
