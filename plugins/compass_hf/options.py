"""The keyword arguments of the ``hf`` backend, checked and normalised without torch.

:func:`HFOptions.from_kwargs` is called twice: by the planner (through
:mod:`compass_hf.traits`, before anything loads) and by the backend when it is built.
Every mistake becomes a one-line :class:`~compass._errors.CompassError` that names the
command-line flag the user typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from compass.sdk import CompassError, did_you_mean, parse_kv
from compass_hf.flags import HF_FLAGS

HF_TYPES = ("base", "chat")
DEVICE_KINDS = ("auto", "cpu", "cuda", "mps", "npu")
DTYPES = {
    "auto": "auto",
    "float32": "float32", "fp32": "float32", "float": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}
DEFAULT_BATCH_SIZE = 8

# The command-line flag of each keyword, for error messages.
FLAGS = {key: flag for flag, key, _help, _options in HF_FLAGS}


def flag(name: str) -> str:
    """How the user spelled option ``name``: its flag, or ``name=`` for config-only ones."""
    return FLAGS.get(name, f"{name}=")


def _as_dict(name: str, value: Any) -> dict:
    """``key=value`` items (a string, a list of them) or a dict: the grammar of :mod:`compass._kv`."""
    return parse_kv(value, flag(name))


def _as_int(name: str, value: Any, *, minimum: int, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CompassError(f"{flag(name)} must be a whole number, got {value!r}")
    if value < minimum:
        raise CompassError(f"{flag(name)} must be at least {minimum}, got {value}")
    return value


def _as_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CompassError(f"{flag(name)} must be a non-empty string, got {value!r}")
    return value.strip()


def parse_dtype(value: Any, name: str = "dtype") -> str:
    """Normalise a dtype spelling (``bf16``, ``torch.bfloat16``, ``"auto"``) to a torch name."""
    if value is None:
        return "auto"
    text = str(value).strip().lower()
    text = text.removeprefix("torch.")
    if text not in DTYPES:
        raise CompassError(f"{flag(name)}: unknown dtype {value!r}{did_you_mean(text, DTYPES)}; "
                           f"use one of auto, float32, float16, bfloat16")
    return DTYPES[text]


def parse_device(value: Any) -> str:
    """``auto``, ``cpu``, ``cuda``, ``mps``, ``npu``, optionally with an index (``cuda:1``)."""
    if value is None:
        return "auto"
    text = str(value).strip().lower()
    kind, colon, index = text.partition(":")
    if kind not in DEVICE_KINDS or (colon and (not index.isdigit() or kind in ("auto", "cpu"))):
        raise CompassError(f"device={value!r} is not a device{did_you_mean(kind, DEVICE_KINDS)}; "
                           f"use one of {', '.join(DEVICE_KINDS)} (cuda/npu may take an index, e.g. npu:1)")
    return text


def _stop_words(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise CompassError(f"{flag('stop_words')} must be a list of strings, got {value!r}")
    return tuple(dict.fromkeys(v for v in value if v))


@dataclass(frozen=True)
class HFOptions:
    """Validated backend settings (see :class:`compass_hf.backend.HFCausalLM`)."""

    path: str
    hf_type: str = "chat"
    model_kwargs: dict = field(default_factory=dict)
    tokenizer_path: str | None = None
    tokenizer_kwargs: dict = field(default_factory=dict)
    generation_kwargs: dict = field(default_factory=dict)
    max_seq_len: int | None = None
    max_out_len: int | None = None
    min_out_len: int = 0
    batch_size: int | str = DEFAULT_BATCH_SIZE
    num_gpus: int = 0
    stop_words: tuple[str, ...] = ()
    pad_token_id: int | None = None
    peft_path: str | None = None
    peft_kwargs: dict = field(default_factory=dict)
    gguf_file: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    meta_template: dict | None = None
    threads: int | None = None

    @property
    def is_chat(self) -> bool:
        return self.hf_type == "chat"

    @classmethod
    def from_kwargs(cls, **kw: Any) -> HFOptions:
        """Check every keyword; raise a one-line CompassError on the first bad one."""
        path = kw.get("path")
        if path is None or (isinstance(path, str) and not path.strip()):
            raise CompassError("model 'hf' needs a model: pass --hf-path ORG/NAME or a local folder "
                               "(or use a preset, see: compass list models)")
        path = _as_str("path", path)
        hf_type = kw.get("hf_type") or "chat"
        if hf_type not in HF_TYPES:
            raise CompassError(f"{flag('hf_type')} {hf_type!r} is not known{did_you_mean(str(hf_type), HF_TYPES)}; "
                               f"use base or chat")
        model_kwargs = _as_dict("model_kwargs", kw.get("model_kwargs"))
        dtype_given = kw.get("dtype")
        # OpenCompass configs put the dtype in model_kwargs (torch_dtype='torch.bfloat16').
        for key in ("torch_dtype", "dtype"):
            if key in model_kwargs:
                in_kwargs = model_kwargs.pop(key)
                if dtype_given in (None, "auto"):
                    dtype_given = in_kwargs
        # Backend options given inside --model-kwargs (gguf_file=..., device='npu') count as
        # if given on their own; from_pretrained never sees them.
        moved = {key: model_kwargs.pop(key) for key in ("gguf_file", "device") if key in model_kwargs}
        gguf_file = kw.get("gguf_file") or moved.get("gguf_file")
        device = kw.get("device")
        if device in (None, "auto") and moved.get("device") is not None:
            device = moved["device"]
        batch_size = kw.get("batch_size", DEFAULT_BATCH_SIZE)
        if batch_size is None:
            batch_size = DEFAULT_BATCH_SIZE
        if batch_size != "auto":
            batch_size = _as_int("batch_size", batch_size, minimum=1, optional=False)
        max_seq_len = _as_int("max_seq_len", kw.get("max_seq_len"), minimum=2)
        max_out_len = _as_int("max_out_len", kw.get("max_out_len"), minimum=1)
        min_out_len = _as_int("min_out_len", kw.get("min_out_len") or 0, minimum=0, optional=False)
        if max_out_len is not None and min_out_len > max_out_len:
            raise CompassError(f"{flag('min_out_len')} {min_out_len} is larger than {flag('max_out_len')} {max_out_len}")
        meta_template = kw.get("meta_template")
        if meta_template is not None:
            from compass_hf.templates import MetaTemplate

            MetaTemplate.from_config(meta_template)  # validates
        return cls(
            path=path,
            hf_type=hf_type,
            model_kwargs=model_kwargs,
            tokenizer_path=_as_str("tokenizer_path", kw.get("tokenizer_path")),
            tokenizer_kwargs=_as_dict("tokenizer_kwargs", kw.get("tokenizer_kwargs")),
            generation_kwargs=_as_dict("generation_kwargs", kw.get("generation_kwargs")),
            max_seq_len=max_seq_len,
            max_out_len=max_out_len,
            min_out_len=min_out_len,
            batch_size=batch_size,
            num_gpus=_as_int("num_gpus", kw.get("num_gpus") or 0, minimum=0, optional=False),
            stop_words=_stop_words(kw.get("stop_words")),
            pad_token_id=_as_int("pad_token_id", kw.get("pad_token_id"), minimum=0),
            peft_path=_as_str("peft_path", kw.get("peft_path")),
            peft_kwargs=_as_dict("peft_kwargs", kw.get("peft_kwargs")),
            gguf_file=_as_str("gguf_file", gguf_file),
            device=parse_device(device),
            dtype=parse_dtype(dtype_given),
            meta_template=meta_template,
            threads=_as_int("threads", kw.get("threads"), minimum=1),
        )
