"""The folder vLLM loads: the model folder or hub id as given, or a GGUF file's plain HF copy.

vLLM reads Hugging Face folders. A GGUF checkpoint (the embedded default) is read through
compass's cache of converted checkpoints (:mod:`compass_hf.gguf_cache`): the float32
folder the ``hf`` backend writes on its first load, so both backends run the same weights.
When the cache has no copy yet, the ``hf`` loader makes one (once, on CPU).
"""

from __future__ import annotations

import gc
import sys
from dataclasses import replace
from pathlib import Path

from compass.sdk import CompassError
from compass_hf import gguf_cache_enabled, gguf_cache_lookup
from compass_hf import HFOptions, flag
from compass_hf import PKG_SCHEME, package_dir, resolve_location


def model_source(opts: HFOptions) -> str:
    """Folder or hub id of the weights, converting a GGUF checkpoint once through the cache."""
    loc = resolve_location(opts.path, opts.gguf_file, what=flag("path"))
    gguf = loc.gguf_path
    if gguf is None:
        if loc.gguf_file:
            raise CompassError(f"the vllm backend reads GGUF files from local folders only; download "
                               f"{loc.source}/{loc.gguf_file} first")
        return loc.source
    if not gguf_cache_enabled():
        raise CompassError("the vllm backend reads a GGUF model through compass's converted copy; "
                           "unset COMPASS_GGUF_CACHE=0")
    folder = gguf_cache_lookup(gguf)
    if folder is None:
        from compass_hf import load

        print(f"vllm: converting {gguf.name} to a plain folder first (once)", file=sys.stderr, flush=True)
        loaded = load(replace(opts, device="cpu", num_gpus=0, peft_path=None, model_kwargs={}))
        del loaded
        gc.collect()
        folder = gguf_cache_lookup(gguf)
        if folder is None:
            raise CompassError(f"could not write the converted copy of {gguf} (see the warning above); "
                               f"vllm needs it")
    return str(folder)


def tokenizer_source(opts: HFOptions, weights: str) -> str:
    """Where the tokenizer is read from: ``--tokenizer-path`` or the weights' folder."""
    path = opts.tokenizer_path
    if not path or path == opts.path:
        return weights
    if path.startswith(PKG_SCHEME):
        return str(package_dir(path[len(PKG_SCHEME):].strip("/")))
    full = Path(path).expanduser()
    return str(full) if full.exists() else path
