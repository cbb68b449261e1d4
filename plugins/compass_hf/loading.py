"""Loading tokenizer and weights with transformers (the only place that calls from_pretrained).

Failures a user can fix (a repo that is not there, a package to install, a device that is
missing) become one-line :class:`~compass._errors.CompassError`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compass.sdk import CompassError

from compass_hf import gguf_cache
from compass_hf.devices import Placement, detect, place
from compass_hf.options import HFOptions, flag
from compass_hf.paths import ModelLocation, PKG_SCHEME, package_dir, resolve_location

HF_INSTALL = "pip install 'compass-eval[hf]'"


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    placement: Placement
    location: ModelLocation


def import_transformers() -> Any:
    """``transformers``, or a one-line error saying what to install."""
    try:
        import torch  # noqa: F401
        import transformers
    except ImportError as exc:
        raise CompassError(f"the hf backend needs torch and transformers ({exc.name or exc} is missing); "
                           f"{HF_INSTALL}") from None
    return transformers


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def torch_dtype(name: str, placement: Placement) -> Any:
    """The dtype to load weights in: float32 on CPU unless asked otherwise."""
    import torch

    if name == "auto":
        return torch.float32 if placement.kind in ("cpu", "mps") else "auto"
    return getattr(torch, name)


def _tokenizer_source(opts: HFOptions, loc: ModelLocation) -> tuple[str, dict]:
    if opts.tokenizer_path and opts.tokenizer_path != opts.path:
        path = opts.tokenizer_path
        if path.startswith(PKG_SCHEME):
            path = str(package_dir(path[len(PKG_SCHEME):].strip("/")))
        return str(Path(path).expanduser()) if Path(path).expanduser().exists() else path, {}
    return loc.source, ({"gguf_file": loc.gguf_file} if loc.gguf_file else {})


def _call(what: str, source: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except CompassError:
        raise
    except ImportError as exc:
        raise CompassError(f"loading the {what} of {source} needs the package "
                           f"'{exc.name or _first_line(exc)}'; pip install it") from None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise CompassError(f"could not load the {what} of {source}: {_first_line(exc)}") from None


def _load_gguf_cached(transformers: Any, loc: ModelLocation, opts: HFOptions) -> ModelLocation:
    """Convert a GGUF checkpoint through the cache; the location of a plain folder, or ``loc``."""
    gguf = loc.gguf_path
    if gguf is None:
        return loc
    folder = gguf_cache.lookup(gguf)
    if folder is None and gguf_cache.enabled():
        import torch

        print(f"converting {gguf.name} (first use; cached for the next runs)", file=sys.stderr, flush=True)
        tok = _call("tokenizer", str(gguf), transformers.AutoTokenizer.from_pretrained, loc.source,
                    gguf_file=loc.gguf_file)
        model = _call("model", str(gguf), transformers.AutoModelForCausalLM.from_pretrained, loc.source,
                      gguf_file=loc.gguf_file, dtype=torch.float32, **opts.model_kwargs)
        folder = gguf_cache.store(gguf, model, tok)
        del model
    if folder is None:
        return loc
    return ModelLocation(str(folder), None, local=True)


def load(opts: HFOptions) -> Loaded:
    """Tokenizer and model, on the device the options ask for, in eval mode."""
    transformers = import_transformers()
    import torch

    if opts.threads:
        torch.set_num_threads(opts.threads)
    loc = resolve_location(opts.path, opts.gguf_file, what=flag("path"))
    model_kwargs = dict(opts.model_kwargs)
    device_map = model_kwargs.pop("device_map", None)
    kind = opts.device.partition(":")[0]
    placement = place(opts.device, num_gpus=opts.num_gpus, device_map=device_map, available=detect(kind))
    dtype = torch_dtype(opts.dtype, placement)

    weights = _load_gguf_cached(transformers, loc, opts)
    tok_source, tok_extra = _tokenizer_source(opts, weights)
    tokenizer = _call("tokenizer", tok_source, transformers.AutoTokenizer.from_pretrained, tok_source,
                      **tok_extra, **opts.tokenizer_kwargs)
    load_kwargs: dict[str, Any] = {"dtype": dtype, **model_kwargs}
    if weights.gguf_file:
        load_kwargs["gguf_file"] = weights.gguf_file
    if placement.device_map is not None:
        load_kwargs["device_map"] = placement.device_map
    model = _call("model", opts.path, transformers.AutoModelForCausalLM.from_pretrained, weights.source,
                  **load_kwargs)
    if placement.device_map is None:
        model = model.to(placement.device)
    if getattr(model, "hf_quantizer", None) is not None and weights.gguf_file:
        model.hf_quantizer = None  # dequantised GGUF weights are plain tensors
    if opts.peft_path:
        model = _apply_peft(model, opts)
    model.eval()
    return Loaded(model=model, tokenizer=tokenizer, placement=placement, location=loc)


def _apply_peft(model: Any, opts: HFOptions) -> Any:
    try:
        from peft import PeftModel
    except ImportError:
        raise CompassError("--peft-path needs the package peft; pip install 'compass-eval[peft]'") from None
    path = str(Path(opts.peft_path).expanduser()) if Path(opts.peft_path).expanduser().exists() else opts.peft_path
    return _call("adapter", path, PeftModel.from_pretrained, model, path, **opts.peft_kwargs)
