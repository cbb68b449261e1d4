"""An OpenCompass-style config (dicts naming OpenCompass classes) as compass's plain config.

* models: ``HuggingFaceCausalLM`` / ``HuggingFaceBaseModel`` / ``HuggingFace`` ->
  ``hf`` (base), ``HuggingFacewithChatTemplate`` -> ``hf`` (chat), ``OpenAI`` /
  ``OpenAISDK`` -> ``openai`` (``key='ENV'`` reads the usual variable; a literal key is refused);
* datasets: a dataset class whose files compass reads (:data:`compass_opencompass.datasets.CLASSES`)
  becomes the ``opencompass`` dataset, run by its own ``reader_cfg``/``infer_cfg``/``eval_cfg``;
  one of another benchmark compass has (``CMMLUDataset``, ``MATHDataset``, ...) becomes that
  built-in, in the inferencer's mode, with a note that compass's prompt is used;
* models: TurboMind/vLLM classes run through transformers, OpenCompass's API classes for
  OpenAI-compatible services through ``openai`` (one note line each);
* ``summarizer``: ``summary_groups`` -> compass's summary ``groups``;
* ``infer``/``eval``: ``SizePartitioner(max_task_size)`` -> ``max_partition_size``,
  ``LocalRunner``/``SlurmRunner(max_num_workers, retry, partition)`` -> the runner.

A class compass does not know is one line naming it and what compass offers instead.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from compass.sdk import CompassError

from compass_opencompass.shims import Placeholder

HF_BASE = ("HuggingFaceCausalLM", "HuggingFaceBaseModel", "HuggingFace", "HuggingFaceAboveV433Base")
HF_CHAT = ("HuggingFacewithChatTemplate", "HuggingFaceAboveV433Chat", "HuggingFaceChatGLM3")
#: inference engines compass does not drive: the same weights through transformers (one note line)
ENGINES_CHAT = ("TurboMindModelwithChatTemplate", "VLLMwithChatTemplate", "LmdeployPytorchModel")
ENGINES_BASE = ("TurboMindModel", "VLLM")
#: engine settings with no transformers counterpart (dropped, named in the note)
ENGINE_DROP = ("engine_config", "gen_config", "backend", "end_str", "stop_words", "use_fastchat_template",
               "model_kwargs_vllm", "lmdeploy_kwargs", "vllm_kwargs", "concurrency")
API = ("OpenAI", "OpenAISDK", "OpenAISDKStreaming", "OpenAISDKResponse", "OpenAISDKRollout")
#: OpenCompass API classes that speak the OpenAI chat protocol -> their documented base URL
API_BASES = {"MoonShot": "https://api.moonshot.cn/v1", "Qwen": "https://dashscope.aliyuncs.com/compatible-mode/v1",
             "DeepseekAPI": "https://api.deepseek.com/v1", "ZhiPuV2AI": "https://open.bigmodel.cn/api/paas/v4",
             "Claude": "https://api.anthropic.com/v1",
             "Gemini": "https://generativelanguage.googleapis.com/v1beta/openai",
             "TurboMindAPIModel": None, "LightllmAPI": None}
#: hf keyword arguments OpenCompass has and compass does not need
HF_DROP = ("batch_padding", "use_fastchat_template", "mode", "drop_middle", "model_type")
API_DROP = ("meta_template", "max_seq_len", "rpm_verbose", "tokenizer_path", "verbose", "retry_interval",
            "openai_proxy_url", "org", "mode", "logprobs_verbose", "http_client_cfg", "status_code_mappings",
            "think_tag", "top_logprobs", "pred_postprocessor", "run_cfg", "stream", "batch_padding",
            "stream_chunk_size", "max_tokens_to_sample")
#: a literal ``key=`` that is no secret: a server that checks none, or an example's stand-in for yours
NO_KEY = ("", "EMPTY", "NONE", "NULL", "NO", "-", "DUMMY", "NOKEY")
PLACEHOLDER_KEY = re.compile(r"your|xxx|<.*>|^\*+$|^sk-(1234|admin|test|dummy|xxx|none|0+)$|^(sk-)?key$", re.I)
#: where an endpoint's key usually lives (OpenCompass's key='ENV' means OPENAI_API_KEY)
KEY_VARIABLES = (("moonshot", "MOONSHOT_API_KEY"), ("deepseek", "DEEPSEEK_API_KEY"),
                 ("dashscope", "DASHSCOPE_API_KEY"), ("bigmodel", "ZHIPUAI_API_KEY"),
                 ("anthropic", "ANTHROPIC_API_KEY"), ("googleapis", "GEMINI_API_KEY"))

#: dataset class -> the compass benchmark family it falls back to (compass's prompt, with a note)
DATASET_CLASSES: dict[str, str] = {
    "siqaDataset": "siqa", "siqaDataset_V2": "siqa", "siqaDataset_V3": "siqa",
    "CEvalDataset": "ceval", "MMLUDataset": "mmlu", "CMMLUDataset": "cmmlu",
    "GSM8KDataset": "gsm8k", "MATHDataset": "math", "piqaDataset": "piqa", "piqaDataset_V2": "piqa",
    "winograndeDataset": "winogrande", "winograndeDataset_V2": "winogrande", "winograndeDataset_V3": "winogrande",
    "hellaswagDataset": "hellaswag", "hellaswagDataset_V2": "hellaswag", "hellaswagDataset_V3": "hellaswag",
    "ARCDataset": "arc", "BoolQDataset": "boolq", "BoolQDatasetV2": "boolq", "BoolQDatasetV3": "boolq",
}
#: compass's own per-mode names where OpenCompass's bare config name (ceval_gen) means OpenCompass's file
COMPASS_OWN = frozenset({"arc_c_gen", "arc_c_ppl", "arc_e_gen", "arc_e_ppl", "bbh_gen", "ceval_gen", "ceval_ppl",
                         "cmmlu_gen", "cmmlu_ppl", "gsm8k_gen", "hellaswag_gen", "hellaswag_ppl", "math_gen",
                         "mmlu_gen", "mmlu_ppl", "piqa_gen", "piqa_ppl", "siqa_gen", "siqa_ppl", "winogrande_gen"})
INFERENCERS = {"GenInferencer": "gen", "PPLInferencer": "ppl", "CLPInferencer": "clp", "LLInferencer": "ppl"}
RETRIEVERS = ("ZeroRetriever", "FixKRetriever", "RandomRetriever")
PARTITIONERS = ("SizePartitioner", "NaivePartitioner", "NumWorkerPartitioner", "SubjectiveNaivePartitioner")
RUNNERS = {"LocalRunner": "local", "LocalAPIRunner": "local", "SlurmRunner": "slurm", "SlurmSequentialRunner": "slurm"}


def _name(value: Any) -> str | None:
    if isinstance(value, type) and issubclass(value, Placeholder):
        return value.oc_name
    return None


def _plain(value: Any) -> Any:
    """A config value as plain data: OpenCompass classes and functions by their names."""
    name = _name(value)
    if name is not None:
        return name
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}  # config tables have string keys
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if callable(value):
        return getattr(value, "__name__", str(value))
    return value


def _unknown(where: str, name: str, offers: str) -> CompassError:
    return CompassError(f"{where}: compass does not know the OpenCompass class {name}; it offers {offers}")


def note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def _usual_key_variable(api_base: str | None) -> str:
    for word, var in KEY_VARIABLES:
        if api_base and word in api_base:
            return var
    return "OPENAI_API_KEY"


def _api_base(url: str | None) -> str | None:
    if not url:
        return None
    return re.sub(r"/(chat/)?completions/?$", "", str(url))


def _engine(cls: str, out: dict, where: str) -> str:
    """An LMDeploy/vLLM model as transformers runs it; returns the hf_type."""
    chat = cls in ENGINES_CHAT
    dropped = [k for k in ENGINE_DROP if k in out]
    engine = out.get("engine_config") or {}
    gen = out.get("gen_config") or {}
    for k in ENGINE_DROP:
        out.pop(k, None)
    if engine.get("tp") or (out.get("model_kwargs") or {}).get("tensor_parallel_size"):
        out.setdefault("run_cfg", {}).setdefault("num_gpus", engine.get("tp") or out["model_kwargs"]["tensor_parallel_size"])
    if isinstance(out.get("model_kwargs"), dict):
        out["model_kwargs"] = {k: v for k, v in out["model_kwargs"].items()
                               if k not in ("tensor_parallel_size", "gpu_memory_utilization")}
    if gen.get("max_new_tokens") and not out.get("max_out_len"):
        out["max_out_len"] = gen["max_new_tokens"]
    sampling = {k: gen[k] for k in ("temperature", "top_k", "top_p") if k in gen}
    if sampling and not (sampling.get("top_k") == 1 or sampling.get("temperature", 1) <= 1e-6):
        out["generation_kwargs"] = {**(out.get("generation_kwargs") or {}), "do_sample": True, **sampling}
    drops = f" (without {', '.join(dropped)})" if dropped else ""
    engine_name = "vLLM" if "VLLM" in cls else "LMDeploy"
    note(f"{where}: {cls} runs with transformers as compass's hf {'chat' if chat else 'base'} model, not "
         f"{engine_name}{drops}; same weights and chat template, other kernels (scores may differ slightly)")
    return "chat" if chat else "base"


def model(d: dict, where: str) -> dict:
    cls = _name(d.get("type"))
    if cls is None:
        return dict(d)  # already a compass component (type="hf", ...)
    out = {k: v for k, v in d.items() if k != "type"}
    post = out.pop("pred_postprocessor", None)
    if post:
        what = _plain(post.get("type") if isinstance(post, dict) else post)
        if isinstance(post, dict) and "type" not in post:  # Claude's: dataset abbr pattern -> postprocessor
            what = f"one per dataset pattern: {', '.join(map(str, list(post)[:3]))}{', ...' if len(post) > 3 else ''}"
        note(f"{where}: the model's pred_postprocessor ({what}) is not applied by compass; the dataset's "
             f"own postprocessing scores its answers")
    if cls in ENGINES_CHAT or cls in ENGINES_BASE:
        hf_type = _engine(cls, out, where)
        cls = HF_CHAT[0] if hf_type == "chat" else HF_BASE[0]
    if cls in API_BASES:
        base = API_BASES[cls]
        if cls == "TurboMindAPIModel":  # LMDeploy's api_server: OpenAI-compatible routes under /v1
            addr = str(out.pop("api_addr", None) or "http://0.0.0.0:23333").rstrip("/")
            out.setdefault("url", addr if addr.endswith("/v1") else addr + "/v1")
            out.setdefault("path", out.pop("model_name", None) or out.get("abbr") or "default")
            if out.get("api_key") is not None:
                out["key"] = out.pop("api_key")
            gen = out.pop("gen_config", None) or {}
            if isinstance(gen, dict):  # LMDeploy's generation settings -> the request's
                if gen.get("max_new_tokens") is not None:
                    out.setdefault("max_out_len", gen["max_new_tokens"])
                for k in ("temperature", "top_p", "top_k"):
                    if gen.get(k) is not None:
                        out.setdefault(k, gen[k])
                rest = sorted(set(gen) - {"max_new_tokens", "temperature", "top_p", "top_k"})
                if rest:
                    note(f"{where}: gen_config {', '.join(rest)} have no counterpart in compass's openai model; "
                         f"dropped")
            if out.pop("end_str", None) is not None:
                note(f"{where}: end_str is dropped (compass stops where the server ends the reply)")
            for k in ("top_p", "top_k"):
                if out.get(k) is not None:
                    out.setdefault("extra_body", {})[k] = out.pop(k)
        url = out.pop("url", None) or out.pop("openai_api_base", None) or base
        if not url:
            raise CompassError(f"{where}: {d['type'].oc_name} needs its server's url (url='http://HOST:PORT/v1')")
        if cls == "LightllmAPI":  # its /generate protocol -> the server's OpenAI-compatible /v1 routes
            url = re.sub(r"/generate/?$", "/v1", str(url))
            out.setdefault("path", out.get("abbr") or "default")
        if base is None:  # a server of your own (LMDeploy, LightLLM): OpenCompass sends it no key
            out.setdefault("key", "EMPTY")
        out["openai_api_base"] = url
        out.pop("system_prompt", None)
        note(f"{where}: {cls} is sent through compass's OpenAI-compatible backend at {_api_base(url)}")
        cls = "OpenAISDK"
    run_cfg = out.pop("run_cfg", None) or {}
    if cls in HF_BASE or cls in HF_CHAT:
        for k in HF_DROP:
            out.pop(k, None)
        fastchat = out.pop("fastchat_template", None)
        if fastchat:
            note(f"{where}: fastchat_template={fastchat!r} is not applied (compass has no FastChat "
                 f"conversation templates); the model reads OpenCompass's plain-text prompt")
        if isinstance(out.get("tokenizer_kwargs"), dict):  # compass pads and truncates on the left itself
            tk = {k: v for k, v in out["tokenizer_kwargs"].items()
                  if k not in ("padding_side", "truncation_side", "proxies")}
            out["tokenizer_kwargs"] = tk
        if run_cfg.get("num_gpus") is not None:
            out["num_gpus"] = run_cfg["num_gpus"]
        end = out.pop("end_str", None)
        if end:
            out["stop_words"] = [*(out.get("stop_words") or []), end]
        return {"type": "hf", "hf_type": "chat" if cls in HF_CHAT else "base", **out}
    if cls in API:
        return _openai(cls, out, where)
    raise _unknown(where, cls, "hf (HuggingFaceCausalLM, HuggingFaceBaseModel, HuggingFacewithChatTemplate, and "
                               "TurboMind/vLLM models through transformers) and openai (OpenAI, OpenAISDK, "
                               f"{', '.join(API_BASES)}); see: compass list models")


def _api_key(key: Any, var: str, where: str) -> str | None:
    """The environment variable to read the key from (``None``: a server that checks none).

    ``'ENV'``/``'ENV:NAME'`` as OpenCompass means it; an empty or ``EMPTY`` key (a local server)
    -> none; an example's stand-in (``'YOUR_API_KEY'``, ``'sk-1234'``) -> the usual variable, with a
    note; anything else looks like a real key and is refused (never written anywhere)."""
    if isinstance(key, (list, tuple)):  # OpenCompass's key list: one per request slot
        key = key[0] if key else ""
    if key is None:
        return None
    if not isinstance(key, str):
        raise CompassError(f"{where}: key must be a string ('ENV' reads ${var}), got {type(key).__name__}")
    text = key.strip()
    if text.startswith("ENV"):
        return text.partition(":")[2] or var
    if text.upper() in NO_KEY:
        note(f"{where}: key={key!r}: the server checks no key; compass sends none")
        return None
    if PLACEHOLDER_KEY.search(text):  # an example's stand-in ('YOUR_API_KEY', 'sk-1234'): shown, it is no secret
        note(f"{where}: key={key!r} is the example's stand-in for your key; compass reads ${var} instead "
             f"(export {var}=<your key>)")
        return var
    # anything else may be a real key, however short (a self-hosted server's 'token-abc123'): never
    # echoed, never swapped for another key the run would then send to this config's server
    raise CompassError(f"{where}: a literal API key in a config file is refused (it would be copied into run "
                       f"folders and shell history); export {var}=... and write key='ENV' (or key='ENV:NAME' "
                       f"for a variable of your own)")


def _openai(cls: str, out: dict, where: str) -> dict:
    """An OpenCompass OpenAI-protocol model as compass's ``openai`` model."""
    urls = out.pop("openai_api_base", None) or out.pop("url", None)
    if isinstance(urls, (list, tuple)):
        if len(urls) > 1:
            note(f"{where}: openai_api_base lists {len(urls)} servers; compass sends every request to the "
                 f"first ({urls[0]})")
        urls = urls[0] if urls else None
    base = _api_base(urls)
    meta = out.pop("meta_template", None)  # shapes the messages on the dataset side (_chat_meta_template)
    dropped = [k for k in API_DROP if out.pop(k, None) is not None and k != "max_seq_len"]
    if cls == "OpenAISDKRollout":
        note(f"{where}: OpenAISDKRollout is sent through compass's openai model as plain chat requests")
    var = _usual_key_variable(base)
    env = _api_key(out.pop("key", "ENV"), var, where)
    res: dict = {"type": "openai", "model": out.pop("path", None), "api_key_env": env}
    if base:
        res["api_base"] = base
    moved = {"query_per_second": "max_rps", "rate_per_worker": "max_rps", "retry": "max_retries",
             "batch_size": "max_concurrency", "max_workers": "max_concurrency",
             "max_workers_per_task": "max_concurrency", "max_completion_tokens": "max_out_len"}
    for k, to in moved.items():
        if out.get(k) is not None:
            res.setdefault(to, out.pop(k))
        else:
            out.pop(k, None)
    extra = dict(out.pop("extra_body", None) or {})
    extra.update(out.pop("openai_extra_kwargs", None) or {})
    gen = dict(out.pop("generation_kwargs", None) or {})
    if gen:
        sampling = gen.pop("do_sample", None)
        if "temperature" in gen:
            res.setdefault("temperature", gen.pop("temperature"))
        if "max_new_tokens" in gen:
            res.setdefault("max_out_len", gen.pop("max_new_tokens"))
        extra.update(gen)
        if sampling is False:
            res.setdefault("temperature", 0.0)
    if extra:
        res["extra_body"] = extra
    if meta:
        res["meta_template"] = meta
    if dropped:
        note(f"{where}: {cls}'s {', '.join(dropped)} {'have' if len(dropped) > 1 else 'has'} no counterpart "
             f"in compass's openai model (dropped)")
    res.update(out)
    return res


def _retriever(cfg: dict, where: str) -> dict:
    cls = _name(cfg.get("type")) or "ZeroRetriever"
    if cls == "ZeroRetriever":
        return {"type": "zero"}
    if cls == "FixKRetriever":
        return {"type": "fixed", "indices": list(cfg.get("fix_id_list") or [])}
    if cls == "RandomRetriever":
        return {"type": "random", "k": int(cfg.get("ice_num", 1)), "seed": int(cfg.get("seed", 43))}
    raise _unknown(f"{where}.infer_cfg.retriever", cls, f"{', '.join(RETRIEVERS)}")


def dataset(d: dict, where: str) -> dict:
    cls = _name(d.get("type"))
    if cls is None and "type" not in d and str(d.get("path", "")).endswith((".jsonl", ".csv")):
        from compass_opencompass.custom import auto_config  # OpenCompass's custom dataset: a file, no type
        from compass_opencompass.datasets import subset

        plain = auto_config(_plain(d))
        subset(plain, where)
        return {"type": "opencompass", "datasets": [plain]}
    if cls is None:
        return dict(d)
    infer_cfg = d.get("infer_cfg") or {}
    from compass_opencompass.datasets import CLASSES

    if cls not in DATASET_CLASSES and cls not in CLASSES:
        from compass_opencompass.circular import missing_base

        raise missing_base(cls, where) or _unknown(where, cls, "the benchmarks in compass list datasets, or a dataset declared as data "
                                   "(reader, template, retriever: see README)")

    if cls in CLASSES and (infer_cfg.get("prompt_template") or infer_cfg.get("ice_template")):
        plain = _plain(d)
        plain["dataset_class"] = plain.pop("type")
        from compass_opencompass.datasets import subset

        subset(plain, where)  # every unknown class or setting fails here, before any model loads
        return {"type": "opencompass", "datasets": [plain]}
    inferencer = _name((infer_cfg.get("inferencer") or {}).get("type")) or "GenInferencer"
    if inferencer not in INFERENCERS:
        raise _unknown(f"{where}.infer_cfg.inferencer", inferencer, ", ".join(INFERENCERS))
    mode = INFERENCERS[inferencer]
    _retriever(infer_cfg.get("retriever") or {}, where)
    family = DATASET_CLASSES[cls]
    name = f"{family}_{mode}"
    if name in COMPASS_OWN:
        name = f"{family}_compass_{mode}"
    note(f"{where}: {cls} becomes compass's {name} (compass's prompt for {family}, not the file's)")
    return {"type": name, "_family": True}


def _runner(cfg: dict, where: str, out: dict) -> None:
    part = cfg.get("partitioner") or {}
    pcls = _name(part.get("type"))
    if pcls is not None and pcls not in PARTITIONERS:
        raise _unknown(f"{where}.partitioner", pcls, ", ".join(PARTITIONERS))
    if pcls == "SizePartitioner" and part.get("max_task_size"):
        out["max_partition_size"] = int(part["max_task_size"])
    run = cfg.get("runner") or {}
    rcls = _name(run.get("type"))
    if rcls is None:
        return
    if rcls not in RUNNERS:
        raise _unknown(f"{where}.runner", rcls, f"{', '.join(RUNNERS)}; see: compass list runners")
    kwargs = {}
    if run.get("max_num_workers"):
        out["max_num_workers"] = int(run["max_num_workers"])
        kwargs["max_num_workers"] = int(run["max_num_workers"])
    if RUNNERS[rcls] == "slurm":
        for k in ("retry", "partition", "qos"):
            if run.get(k) is not None:
                kwargs[k] = run[k]
    out["runner"] = {"type": RUNNERS[rcls], **kwargs}


def translate(namespace: dict, where: str) -> dict:
    """The compass config keys of an executed OpenCompass-style config's namespace."""
    out: dict = {}
    for key in ("work_dir", "data_dir", "lark_bot_url", "notify", "eval_settings"):
        if key in namespace:
            out[key] = namespace[key]
    models = namespace.get("models", [])
    models = models if isinstance(models, list) else [models]
    out["models"] = [model(m, f"{where}: models[{i}]") if isinstance(m, dict) else m for i, m in enumerate(models)]
    datasets = namespace.get("datasets", [])
    datasets = datasets if isinstance(datasets, list) else [datasets]
    seen: set = set()
    out["datasets"] = []
    own: dict | None = None  # every config run by its own definition: one benchmark, a subset each
    for i, d in enumerate(datasets):
        t = dataset(d, f"{where}: datasets[{i}]") if isinstance(d, dict) else d
        own_def = isinstance(d, dict) and (_name(d.get("type")) or "type" not in d)  # "type" not in d: a custom file
        if isinstance(t, dict) and t.get("type") == "opencompass" and own_def:
            if own is not None:
                own["datasets"].extend(t["datasets"])
                continue
            own = t
        if isinstance(t, dict) and t.pop("_family", False):
            if t["type"] in seen:  # one compass benchmark for OpenCompass's per-subject dicts
                continue
            seen.add(t["type"])
        out["datasets"].append(t)
    _base_meta_template(out, where)
    _chat_meta_template(out, where)
    for key in ("infer", "eval"):
        cfg = namespace.get(key)
        if isinstance(cfg, dict):
            stage: dict = {}
            _runner(cfg, f"{where}: {key}", stage)  # an unknown class fails in either
            if key == "infer":
                out.update(stage)
    from compass_opencompass.subjective import judge_models_setting

    judge_models_setting(namespace, out, where)  # judge_models: the run's judge (MT-Bench, AlignBench)
    if isinstance(namespace.get("runner"), dict):
        out["runner"] = namespace["runner"]
    if isinstance(namespace.get("summarizer"), dict):
        out["summarizer"] = summarizer(namespace["summarizer"], f"{where}: summarizer")
    return out


def _base_meta_template(out: dict, where: str) -> None:
    """A base model's ``meta_template`` shapes the prompts of the config's OpenCompass datasets as
    OpenCompass's LMTemplateParser does (compass renders a base model's text on the dataset side)."""
    base = [(i, m) for i, m in enumerate(out["models"])
            if isinstance(m, dict) and m.get("type") == "hf" and m.get("hf_type") == "base"]
    metas = [m.pop("meta_template", None) for _, m in base]
    if not any(metas):
        return
    import json

    from compass_opencompass.lm_template import check

    if len({json.dumps(m, sort_keys=True, default=str) for m in metas}) > 1:
        raise CompassError(f"{where}: models {', '.join(str(i) for i, _ in base)} are base models with different "
                           f"meta_templates; compass applies one per config: put each in a config of its own")
    meta = check(metas[0], f"{where}: models[{base[0][0]}]")
    others = _give_datasets(out, "model_meta_template", meta)
    note(f"{where}: models[{base[0][0]}]: its meta_template shapes the prompts as OpenCompass's LMTemplateParser "
         f"does" + (f" (not those of the {others} compass dataset(s), which get plain text)" if others else ""))


def _give_datasets(out: dict, key: str, meta: dict) -> int:
    """Set ``key`` on every OpenCompass dataset of the config; how many compass datasets it has besides."""
    own = [t for t in out["datasets"] if isinstance(t, dict) and t.get("type") == "opencompass"]
    for d in (d for t in own for d in t.get("datasets") or []):
        d[key] = meta
    return len(out["datasets"]) - len(own)


def _chat_meta_template(out: dict, where: str) -> None:
    """A chat or API model's ``meta_template`` (OpenCompass's ``APITemplateParser`` table: ``round``
    roles and their ``api_role``, ``reserved_roles``, a ``begin`` message put first) shapes the
    messages of the config's OpenCompass datasets as OpenCompass's parser does."""
    chat = [(i, m) for i, m in enumerate(out["models"]) if isinstance(m, dict)
            and (m.get("type") == "openai" or (m.get("type") == "hf" and m.get("hf_type") == "chat"))]
    metas = [m.pop("meta_template", None) for _, m in chat]
    for n, ((i, m), meta) in enumerate(zip(chat, metas)):
        if m.get("type") == "openai" and _text_template(meta):  # TurboMindAPIModel & co.: LMTemplateParser's
            note(f"{where}: models[{i}]: its meta_template is a text template (begin/end strings) for a completion "
                 f"API; compass sends chat messages, which the server's own chat template formats")
            metas[n] = None
    if not any(metas):
        return
    import json

    from compass_opencompass.icl import check_chat_meta

    if len({json.dumps(m, sort_keys=True, default=str) for m in metas}) > 1:
        raise CompassError(f"{where}: models {', '.join(str(i) for i, _ in chat)} are chat models with different "
                           f"meta_templates; compass applies one per config: put each in a config of its own")
    first = next(i for (i, _), m in zip(chat, metas) if m)
    meta = check_chat_meta(next(m for m in metas if m), f"{where}: models[{first}]")
    others = _give_datasets(out, "model_chat_meta_template", meta)
    note(f"{where}: models[{first}]: its meta_template shapes the chat messages as OpenCompass's APITemplateParser "
         f"does" + (f" (not those of the {others} compass dataset(s))" if others else ""))


def _text_template(meta: Any) -> bool:
    """A meta_template of begin/end strings per role (``LMTemplateParser``'s), not ``api_role`` tables."""
    rounds = meta.get("round") if isinstance(meta, dict) else None
    return isinstance(rounds, list) and any(isinstance(r, dict) and "api_role" not in r for r in rounds)


def summarizer(cfg: dict, where: str) -> dict:
    """OpenCompass's ``summary_groups`` as compass's summary ``groups`` (members by ``abbr``),
    ``dataset_abbrs`` (names or ``[abbr, metric]``) as its row ``order``."""
    if "summary_groups" not in cfg and "dataset_abbrs" not in cfg and "type" not in cfg:
        return dict(cfg)  # already compass's
    out = {k: v for k, v in cfg.items() if k in ("groups", "stderr")}
    from compass_opencompass.circular import summarizer_note

    if summarizer_note(cfg):
        note(f"{where}: {summarizer_note(cfg)}")
    groups = list(out.get("groups") or [])
    weighted = []
    for g in cfg.get("summary_groups") or []:
        if not isinstance(g, dict) or "name" not in g:
            continue
        members = [m[0] if isinstance(m, (list, tuple)) else m for m in g.get("subsets") or []]
        groups.append({"name": str(g["name"]), "members": [str(m) for m in members]})
        if g.get("weights"):
            weighted.append(str(g["name"]))
    if groups:
        out["groups"] = groups
    if weighted:
        note(f"{where}: summary groups {', '.join(weighted[:3])}{' …' if len(weighted) > 3 else ''} are plain "
             f"averages in compass (their weights are dropped)")
    abbrs = cfg.get("dataset_abbrs")
    if abbrs:
        if not isinstance(abbrs, (list, tuple)) or any(isinstance(a, (list, tuple)) and not a for a in abbrs):
            raise CompassError(f"{where}.dataset_abbrs must list dataset abbrs or [abbr, metric] pairs; got "
                               f"{abbrs!r}"[:300])
        out["order"] = [[str(a[0]), str(a[1])] if isinstance(a, (list, tuple)) and len(a) > 1 else
                        str(a[0] if isinstance(a, (list, tuple)) else a)
                        for a in abbrs if a != ""]  # '': OpenCompass's blank separator row, which compass has not
    return out
