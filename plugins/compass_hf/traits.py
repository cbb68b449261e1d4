"""What the planner learns about an ``hf`` model before anything loads.

:func:`hf_traits` validates every keyword argument (:mod:`compass_hf.options`), checks
that local paths exist, and, for a chat model in a local folder, that the tokenizer has a
chat template, so a bad run fails while it is planned, with one line, not in a worker.
"""

from __future__ import annotations

import json
from pathlib import Path

from compass.sdk import CompassError, device_kind, ModelTraits

from compass_hf.devices import check_torch_npu
from compass_hf.options import HFOptions, flag
from compass_hf.paths import check_local, resolve_location

MODES = frozenset({"gen", "ppl", "clp"})
#: options that change speed or placement, not answers (results do not depend on the batch
#: size): left out of the fingerprint that decides what ``-r`` reuses
OPERATIONAL = frozenset({"batch_size", "num_gpus"})


def has_chat_template(folder: Path) -> bool | None:
    """Whether the tokenizer files in ``folder`` carry a chat template (None: cannot tell)."""
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    if (folder / "additional_chat_templates").is_dir():
        return True
    config = folder / "tokenizer_config.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return bool(data.get("chat_template"))


def check_options(opts: HFOptions) -> None:
    """Existence checks for everything local the options name."""
    if opts.device.startswith("npu"):
        check_torch_npu()
    loc = resolve_location(opts.path, opts.gguf_file, what=flag("path"))
    check_local(opts.tokenizer_path, flag("tokenizer_path"))
    check_local(opts.peft_path, flag("peft_path"))
    if opts.is_chat and opts.meta_template is None and loc.gguf_file is None:
        tok_dir = Path(opts.tokenizer_path).expanduser() if opts.tokenizer_path else Path(loc.source)
        if loc.local and tok_dir.is_dir() and has_chat_template(tok_dir) is False:
            raise CompassError(f"{opts.path}: the tokenizer has no chat template; use --hf-type base, "
                               f"or give the model a meta_template")


def hf_traits(**kwargs) -> ModelTraits:
    """``ModelTraits`` of an ``hf`` model: chat or base, every mode (gen, ppl, clp), and the
    device kind its ``device`` names (empty for ``auto``)."""
    opts = HFOptions.from_kwargs(**kwargs)
    check_options(opts)
    return ModelTraits(is_chat=opts.is_chat, modes=MODES, device=device_kind(opts.device),
                       operational=OPERATIONAL, ppl_scores=frozenset({"sum", "mean_all"}))


def display_name(kwargs: dict) -> str | None:
    """A model's name in files and tables when the user gives no abbr: its folder's (or hub id's) last part."""
    from pathlib import Path

    path = kwargs.get("path")
    if isinstance(path, str) and path:
        return Path(path.rstrip("/")).name or None
    return None
