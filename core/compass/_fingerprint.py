"""What produced a prediction, and whether ``--reuse`` may keep it.

Every prediction record carries two hashes:

* ``fp``: the task's settings — the model (its registry name and every keyword argument
  that changes outputs; a backend names the ones that do not, such as the batch size, in
  ``ModelTraits.operational``), chat or base, the subset's mode, template and few-shot
  set-up, and the generation length and stop words in force;
* ``req``: the exact request the model answered (rendered prompt, candidates or options,
  output length, stop words) — so an edited data row or template is noticed per sample.

A record is reused only when both match. The settings behind each ``fp`` are written to
``predictions/<model>/fingerprints.json`` so a mismatch can say what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from compass._config import redact


def digest(obj: Any, length: int = 12) -> str:
    """A short, stable hash of plain data."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


def request_key(request: Any) -> str:
    """The hash of one model request (its kind and every field)."""
    return digest([type(request).__name__, asdict(request)])


def model_settings(type_: str, kwargs: Mapping[str, Any], operational: Iterable[str] = ()) -> dict:
    """The part of a model's configuration that changes what it answers."""
    skip = set(operational) | {"max_out_len", "stop_words"}  # in force per request instead
    return {"type": type_, "kwargs": {k: v for k, v in sorted(kwargs.items()) if k not in skip}}


@dataclass(frozen=True)
class Fingerprint:
    """The settings of one model × subset inference and their hash."""

    settings: dict
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", digest(self.settings))


def task_fingerprint(model: dict, chat: bool, subset: Any, generation: Mapping[str, Any]) -> Fingerprint:
    """``model`` from :func:`model_settings`; ``subset`` a :class:`compass._dataset.Subset`."""
    cands = subset.candidates
    return Fingerprint({
        "model": model,
        "chat": bool(chat),
        "mode": subset.mode,
        "template": subset.template.describe(),
        "fewshot": subset.fewshot.describe(),
        "candidates": cands if isinstance(cands, str) else dict(cands or {}),
        "options": list(subset.options or ()),
        "generation": dict(generation) if subset.mode == "gen" else {},
    })


#: the order in which differences are named: what explains the most first
_ORDER = ("model", "chat", "mode", "fewshot", "template", "generation", "options", "candidates")


def differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the settings that differ between two fingerprints' settings."""
    out = []
    keys = set(old) | set(new)
    for key in sorted(keys, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k)):
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, name + ".")
        elif a != b:
            out.append(name)
    return out


class FingerprintBook:
    """``predictions/<model>/fingerprints.json``: hash -> settings (secrets redacted)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / "fingerprints.json"

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def add(self, fp: Fingerprint) -> None:
        from compass._store import write_json

        book = self.read()
        if fp.hash not in book:
            book[fp.hash] = redact(fp.settings)
            write_json(self.path, book)

    def explain(self, old_hash: str | None, new_hash: str) -> str:
        """Why a record made under ``old_hash`` is not reused under ``new_hash``, in a few words."""
        book = self.read()
        old, new = book.get(old_hash or ""), book.get(new_hash)
        if old_hash is None:
            return "made without a fingerprint (an older compass)"
        if old is None or new is None:
            return "made with other settings"
        changed = differences(old, new)
        shown = ", ".join(changed[:4]) + (" …" if len(changed) > 4 else "")
        return f"made with other settings ({shown or 'unknown'})"


@dataclass
class ReuseReport:
    """Which samples of a task can be kept, which must be inferred, and why."""

    reused: list[int] = field(default_factory=list)
    todo: list[int] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        why = "; ".join(f"{n} {reason}" for reason, n in self.reasons.most_common())
        return f"{len(self.reused)} reused, {len(self.todo)} to infer" + (f" ({why})" if why else "")


def decide_reuse(records: Mapping[int, dict], indices: Iterable[int], fp: str,
                 keys: Mapping[int, str], explain=None) -> ReuseReport:
    """Split ``indices`` into reusable samples and samples to infer again.

    :param records: the latest record per index (any fingerprint).
    :param keys: the request hash each index would be asked with now.
    :param explain: ``explain(old_fp) -> reason`` for records made with other settings.
    """
    report = ReuseReport()
    for i in indices:
        rec = records.get(i)
        if rec is None:
            reason = "missing"
        elif rec.get("fp") != fp:
            reason = explain(rec.get("fp")) if explain else "made with other settings"
        elif rec.get("req") != keys.get(i):
            reason = "whose prompt changed (data or template edited)"
        elif rec.get("error"):
            reason = "failed before"
        else:
            report.reused.append(i)
            continue
        report.todo.append(i)
        report.reasons[reason] += 1
    return report
