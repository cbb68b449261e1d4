"""Judge templates are data: ``templates/*.json[l]`` in this package, overridable by a file.

A template has ``system_prompt``, ``prompt_template`` (``str.format`` fields), ``type``
(``single``/``pairwise``) and optionally ``verdict`` (what it asks for: ``rating``, ``pairwise``,
``dimensions``, ``preference``, ``binary``), ``parser`` (how its replies are read by default, see
:mod:`compass_judge.verdicts`: the reference implementation's parser for an official template,
``compass`` for compass's own), ``max_out_len`` (the judge's output limit the reference uses),
``reask`` (the reference's follow-up when a reply has no verdict; none: not re-asked),
``top_logprobs`` / ``temperature`` (what the reference asks the API for) and ``reminder`` (the
forgiving parser's re-ask). FastChat's templates (they carry ``output_format``) are read with
FastChat's parser and a 2048-token judgement, as ``fastchat/llm_judge`` does. Its hash is part
of the dataset's version and of each judgement's key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compass.sdk import CompassError

HERE = Path(__file__).resolve().parent / "templates"
DEFAULT_MAX_OUT_LEN = 2048  # compass's own templates: long enough for a reasoned verdict
FASTCHAT_MAX_OUT_LEN = 2048  # fastchat/llm_judge/common.py asks the judge for max_tokens=2048

RATING_REMINDER = ("Your reply did not contain a rating in the required format. Reply again with only "
                   "the rating from 1 to 10, written exactly like this: [[5]]")
PAIR_REMINDER = ("Your reply did not contain a verdict in the required format. Reply again with only "
                 "the verdict label the instructions ask for, e.g. [[A]].")


@dataclass(frozen=True)
class Template:
    name: str
    system: str
    prompt: str
    kind: str  # "rating", "pairwise", "dimensions", "preference" or "binary"
    reminder: str
    parser: str = "compass"
    max_out_len: int = DEFAULT_MAX_OUT_LEN
    reask: str = ""
    top_logprobs: int = 0
    temperature: float | None = None

    @property
    def hash(self) -> str:
        blob = json.dumps([self.name, self.system, self.prompt, self.kind, self.reminder, self.parser,
                           self.max_out_len, self.reask, self.top_logprobs, self.temperature], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]

    def render(self, **fields: str) -> tuple[str, str]:
        """(system prompt, user prompt) with the fields filled in."""
        try:
            return self.system, self.prompt.format(**fields)
        except KeyError as exc:
            raise CompassError(f"judge template '{self.name}' uses field {exc}, which this dataset "
                               f"does not provide") from None


def _from_obj(name: str, obj: dict) -> Template:
    kind = obj.get("verdict") or ("pairwise" if obj.get("type") == "pairwise" else "rating")
    fastchat = "output_format" in obj  # FastChat's judge_prompts.jsonl, shipped unchanged
    temperature = obj.get("temperature")
    return Template(name, obj.get("system_prompt", ""), obj["prompt_template"], kind,
                    obj.get("reminder") or (PAIR_REMINDER if kind == "pairwise" else RATING_REMINDER),
                    parser=obj.get("parser") or ("fastchat" if fastchat else "compass"),
                    max_out_len=int(obj.get("max_out_len") or (FASTCHAT_MAX_OUT_LEN if fastchat else DEFAULT_MAX_OUT_LEN)),
                    reask=obj.get("reask") or "", top_logprobs=int(obj.get("top_logprobs") or 0),
                    temperature=None if temperature is None else float(temperature))


def _read(path: Path) -> dict[str, Template]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            objs = {o["name"]: o for o in map(json.loads, filter(str.strip, text.splitlines()))}
        else:
            objs = json.loads(text)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CompassError(f"judge templates {path}: not a template file ({exc})") from None
    return {name: _from_obj(name, o) for name, o in objs.items()}


@lru_cache(maxsize=None)
def shipped() -> dict[str, Template]:
    out: dict[str, Template] = {}
    for path in sorted(HERE.glob("*.json*")):
        out.update(_read(path))
    return out


def get(name: str, override: str | None = None) -> Template:
    """The template ``name``: from ``override`` (a file named in the settings) if it has it."""
    if override:
        path = Path(override)
        if not path.is_file():
            raise CompassError(f"judge_templates: no file {path}; give a .json or .jsonl template file")
        found = _read(path)
        if name in found:
            return found[name]
    try:
        return shipped()[name]
    except KeyError:
        raise CompassError(f"no judge template '{name}'") from None


def bundle_hash(names: list[str]) -> str:
    """One hash of several shipped templates (what a dataset's version carries)."""
    return hashlib.sha256("".join(get(n).hash for n in names).encode()).hexdigest()[:8]
