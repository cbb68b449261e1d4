"""Turning a role-tagged prompt into the text a model reads.

* Base models read :func:`compass._types.prompt_to_text`.
* Chat models use the tokenizer's own chat template (:func:`chat_messages` gives the
  messages it expects), unless the model config carries a ``meta_template``, which
  overrides it with per-role begin/end strings (:class:`MetaTemplate`).

A meta template is plain data, in either of two shapes::

    {"begin": "<s>",                                   # optional prefix of every prompt
     "HUMAN": {"begin": "<|im_start|>user\\n", "end": "<|im_end|>\\n"},
     "BOT":   {"begin": "<|im_start|>assistant\\n", "end": "<|im_end|>\\n"},
     "SYSTEM": {...}}                                  # optional; defaults to HUMAN's

or OpenCompass's ``{"round": [{"role": "HUMAN", "begin": ..., "end": ...}, {"role": "BOT",
...}], "reserved_roles": [{"role": "SYSTEM", ...}]}``. Role names may also be written
``user``/``assistant``/``system``. The BOT ``end`` string (stripped) ends generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compass.sdk import CompassError, Prompt

ROLE_NAMES = {"SYSTEM": "system", "HUMAN": "user", "BOT": "assistant"}
_ALIASES = {"system": "SYSTEM", "human": "HUMAN", "user": "HUMAN", "bot": "BOT", "assistant": "BOT",
            "gpt": "BOT"}


def chat_messages(prompt: Prompt, *, merge: bool = False) -> list[dict]:
    """Messages for ``tokenizer.apply_chat_template`` (SYSTEM/HUMAN/BOT → system/user/assistant).

    ``merge=True`` joins consecutive turns of the same role, for templates that insist on
    alternating roles.
    """
    out: list[dict] = []
    for m in prompt:
        role = ROLE_NAMES.get(m.role, str(m.role).lower())
        if merge and out and out[-1]["role"] == role:
            out[-1] = {"role": role, "content": out[-1]["content"] + m.content}
        else:
            out.append({"role": role, "content": m.content})
    return out


@dataclass(frozen=True)
class RoleFormat:
    begin: str = ""
    end: str = ""


@dataclass(frozen=True)
class MetaTemplate:
    """Per-role begin/end strings that replace the tokenizer's chat template."""

    roles: dict
    begin: str = ""

    @classmethod
    def from_config(cls, cfg: Any) -> MetaTemplate:
        if isinstance(cfg, MetaTemplate):
            return cfg
        if not isinstance(cfg, dict):
            raise CompassError(f"meta_template must be a table of roles, got {cfg!r}")
        roles: dict[str, RoleFormat] = {}
        entries: list[tuple[str, Any]] = []
        for key in ("round", "reserved_roles"):
            items = cfg.get(key) or []
            if not isinstance(items, (list, tuple)):
                raise CompassError(f"meta_template.{key} must be a list of role tables")
            for item in items:
                if not isinstance(item, dict) or "role" not in item:
                    raise CompassError(f"meta_template.{key}: each entry needs a 'role', got {item!r}")
                entries.append((str(item["role"]), item))
        for key, value in cfg.items():
            if key in ("round", "reserved_roles", "begin", "end", "eos_token_id"):
                continue
            entries.append((str(key), value))
        for name, spec in entries:
            role = _ALIASES.get(name.lower(), name.upper())
            if role not in ROLE_NAMES:
                raise CompassError(f"meta_template: unknown role {name!r}; roles are SYSTEM, HUMAN, BOT")
            if not isinstance(spec, dict):
                raise CompassError(f"meta_template.{name} must be a table with begin/end strings")
            begin, end = spec.get("begin", ""), spec.get("end", "")
            if not isinstance(begin, str) or not isinstance(end, str):
                raise CompassError(f"meta_template.{name}: begin and end must be strings")
            roles[role] = RoleFormat(begin, end)
        if "HUMAN" not in roles or "BOT" not in roles:
            raise CompassError("meta_template needs at least the HUMAN and BOT roles")
        begin = cfg.get("begin", "")
        if not isinstance(begin, str):
            raise CompassError("meta_template.begin must be a string")
        return cls(roles=roles, begin=begin)

    def fmt(self, role: str) -> RoleFormat:
        return self.roles.get(role) or self.roles["HUMAN"]

    def render(self, prompt: Prompt) -> str:
        """The prompt text; it ends with the BOT ``begin`` unless the last turn is BOT's."""
        parts = [self.begin]
        for i, m in enumerate(prompt):
            fmt = self.fmt(m.role)
            last = i == len(prompt) - 1
            parts.append(fmt.begin + m.content + ("" if last and m.role == "BOT" else fmt.end))
        if not prompt or prompt[-1].role != "BOT":
            parts.append(self.roles["BOT"].begin)
        return "".join(parts)

    @property
    def end_of_turn(self) -> str:
        """The BOT end string without surrounding blanks ('' when there is none)."""
        return self.roles["BOT"].end.strip()
