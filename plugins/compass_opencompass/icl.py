"""OpenCompass's in-context-learning prompt semantics, as data in and prompts out.

An OpenCompass dataset config says how a row becomes a prompt with ``infer_cfg``:
``prompt_template`` / ``ice_template`` (a string, a ``{begin, round, end}`` dialogue, or one
of those per label), ``ice_token`` (where the in-context examples go), ``sep_token``, a
retriever (which training rows are the examples) and an inferencer (``gen``: one prompt with
the answer field blanked; ``ppl``/``ll``: one prompt per label). This module renders exactly
that, so that the text a base model reads and the messages a chat model receives are the
ones OpenCompass 0.5.4 produces for the same rows (``tests/test_opencompass_render.py``
compares them with prompts rendered by OpenCompass itself).

A structured prompt is a list of *items*: plain strings, role turns
``{"role": ..., "prompt": ...}`` and section markers ``{"section": ..., "pos": ...}``.

* :func:`base_text` — a base model without a meta template: the non-empty strings and turn
  texts joined by ``"\\n"``;
* :func:`chat_messages` — a chat model (``HuggingFacewithChatTemplate``'s default meta
  template): each dialogue round becomes its role slots (HUMAN, SYSTEM as HUMAN, BOT), same
  roles merged with ``"\\n"``, empty turns dropped; bare strings are not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from compass.sdk import CompassError

Item = Any  # str | dict
Structured = list  # list[Item]

#: HuggingFacewithChatTemplate's meta template (SYSTEM is sent as a user turn, on purpose)
CHAT_META = {"round": [{"role": "HUMAN", "api_role": "HUMAN"}, {"role": "SYSTEM", "api_role": "HUMAN"},
                       {"role": "BOT", "api_role": "BOT", "generate": True}]}
_API_ROLES = {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}
#: a chat message's role -> compass's prompt role (the other way round)
MESSAGE_ROLES = {v: k for k, v in _API_ROLES.items()}


class Ice(list):
    """In-context examples built from dialogue templates: spliced into a prompt in place
    of the ice token (a plain string of examples is substituted as text)."""


def _is_marker(item: Item) -> bool:
    return isinstance(item, dict) and set(item) == {"section", "pos"}


def fill(text: str, entry: Mapping[str, Any]) -> str:
    """``{column}`` replaced by the row's value, column by column in the row's order (so a
    value that itself holds ``{other}`` is filled too, as OpenCompass does)."""
    for key, value in entry.items():
        text = text.replace("{" + str(key) + "}", str(value))
    return text


def _fill_all(prompt: str | Structured, entry: Mapping[str, Any]) -> str | Structured:
    if isinstance(prompt, str):
        return fill(prompt, entry)
    out: Structured = []
    for item in prompt:
        if isinstance(item, dict):
            item = dict(item)
            if "prompt" in item:
                item["prompt"] = fill(item["prompt"], entry)
            out.append(item)
        else:
            out.append(fill(item, entry))
    return out


def _replace(prompt: str | Structured, token: str, value: str | Structured) -> str | Structured:
    if isinstance(prompt, str):
        if isinstance(value, str):
            return prompt.replace(token, value)
        raise ValueError("dialogue examples cannot go into a plain-string template")
    out: Structured = []
    for item in prompt:
        if isinstance(item, str):
            if isinstance(value, str):
                out.append(item.replace(token, value))
                continue
            pieces = item.split(token)
            for i, piece in enumerate(pieces):
                if piece:
                    out.append(piece)
                if i < len(pieces) - 1:
                    out.extend(value)
        elif isinstance(item, dict):
            item = dict(item)
            if token in item.get("prompt", ""):
                if not isinstance(value, str):
                    raise ValueError(f"the ice token {token!r} sits inside a turn's prompt; it cannot take dialogue examples")
                item["prompt"] = item["prompt"].replace(token, value)
            out.append(item)
        else:
            out.append(item)
    return out


def _sections(template: Mapping, ice: bool) -> Structured:
    """A ``{begin, round, end}`` template as items with section markers (``begin``/``end``
    only outside in-context examples)."""
    out: Structured = []

    def section(name: str, body) -> None:
        out.append({"section": name, "pos": "begin"})
        out.extend(body if isinstance(body, list) else [body])
        out.append({"section": name, "pos": "end"})

    if "begin" in template and not ice:
        section("begin", template["begin"])
    section("ice" if ice else "round", list(template["round"]))
    if "end" in template and not ice:
        # OpenCompass opens the end section with an "end" marker too; nothing reads it twice
        out.append({"section": "end", "pos": "end"})
        out.extend(template["end"] if isinstance(template["end"], list) else [template["end"]])
        out.append({"section": "end", "pos": "end"})
    return out


@dataclass(frozen=True)
class Template:
    """One ``PromptTemplate`` of a config: ``template``, ``ice_token``, ``sep_token``."""

    template: Any
    ice_token: str | None = None
    sep_token: str | None = None

    @property
    def is_dialogue(self) -> bool:
        """A single ``{begin, round, end}`` dialogue (not one template per label)."""
        t = self.template
        return isinstance(t, Mapping) and bool(t) and all(k in ("begin", "round", "end") for k in t)

    @property
    def labels(self) -> list | None:
        t = self.template
        return list(t) if isinstance(t, Mapping) and not self.is_dialogue else None

    def _pick(self, label=None):
        if isinstance(self.template, str) or self.is_dialogue:
            return self.template
        if label is None:
            return self.template[next(iter(self.template))]
        if label in self.template:
            return self.template[label]
        same = [k for k in self.template if str(k) == str(label)]  # a row's "1" for a config's 1
        return self.template[same[0]] if same else self.template[label]

    @staticmethod
    def _encode(value, ice: bool):
        return value if isinstance(value, str) else _sections(value, ice)

    def example(self, entry: Mapping[str, Any], label) -> str | Structured:
        """One in-context example (the sep token is kept: OpenCompass's removal there is a no-op)."""
        tp = self._encode(self._pick(label), ice=True)
        if self.ice_token is not None:
            tp = _replace(tp, self.ice_token, "")
        return _fill_all(tp, entry)

    def label_prompt(self, entry: Mapping[str, Any], ice, label, keep_sep: bool = False) -> str | Structured:
        """The prompt for one label (ppl / ll): the whole row filled, examples at the ice token."""
        tp = self._encode(self._pick(label), ice=False)
        if not keep_sep and self.sep_token is not None:
            tp = _replace(tp, self.sep_token, "")
        if self.ice_token is not None:
            tp = _replace(tp, self.ice_token, ice)
        return _fill_all(tp, entry)

    def gen_prompt(self, entry: Mapping[str, Any], output_column: str | None, ice) -> str | Structured:
        """The prompt to generate from (gen / clp): the answer column blanked."""
        first = self.template if isinstance(self.template, str) else self._pick()
        tp = self._encode(first, ice=False)
        if self.ice_token is not None:
            tp = _replace(tp, self.ice_token, ice)
        if self.sep_token is not None:
            tp = _replace(tp, self.sep_token, "")
        if output_column is not None:
            entry = {**entry, output_column: ""}
        return _fill_all(tp, entry)


@dataclass(frozen=True)
class ICL:
    """A config's ``infer_cfg`` (templates, examples' separators) and ``reader_cfg.output_column``."""

    prompt_template: Template | None
    ice_template: Template | None
    output_column: str | None
    ice_separator: str = "\n"
    ice_eos_token: str = "\n"
    extra: dict = field(default_factory=dict)

    def examples(self, rows: Sequence[Mapping[str, Any]]) -> str | Structured:
        """The in-context examples for these training rows."""
        t = self.ice_template
        if not rows:
            if t is not None and t.is_dialogue:
                return ""
            return self.ice_separator.join([]) + self.ice_eos_token
        if t is None:
            raise ValueError("in-context examples need an ice_template")
        items = [t.example(r, r.get(self.output_column) if self.output_column else None) for r in rows]
        if not isinstance(items[0], str):
            sep, eos = ("", "") if t.is_dialogue else (self.ice_separator, self.ice_eos_token)
            out = Ice()
            for it in items:
                out.extend(it)
                if sep:
                    out.append(sep)
            out.append(eos)
            return out
        sep, eos = ("", "") if t.is_dialogue else (self.ice_separator, self.ice_eos_token)
        return sep.join(items) + eos

    def _which(self) -> Template:
        if self.prompt_template is not None and self.ice_template is not None:
            if self.prompt_template.ice_token is None:
                raise ValueError("the prompt_template has no ice_token for the examples the ice_template makes")
            return self.prompt_template
        if self.prompt_template is not None:
            return self.prompt_template
        if self.ice_template is not None:
            if self.ice_template.ice_token is None:
                raise ValueError("an ice_template used alone needs an ice_token")
            return self.ice_template
        raise ValueError("infer_cfg has neither prompt_template nor ice_template")

    def labels(self) -> list | None:
        if self.prompt_template is not None and self.prompt_template.labels is not None:
            return self.prompt_template.labels
        if self.ice_template is not None and self.ice_template.ice_token is not None:
            return self.ice_template.labels
        return None

    def gen(self, row: Mapping[str, Any], examples: Sequence[Mapping[str, Any]]) -> str | Structured:
        return self._which().gen_prompt(row, self.output_column, self.examples(examples))

    def per_label(self, row: Mapping[str, Any], examples: Sequence[Mapping[str, Any]],
                  labels: Sequence | None = None) -> dict:
        """``{label: prompt}`` — the label's whole text, as a ppl inferencer scores it."""
        ice = self.examples(examples)
        return {lab: self._which().label_prompt(row, ice, lab) for lab in (labels or self.labels() or [])}


# ------------------------------------------------------------------ how a model receives it
def base_text(prompt: str | Structured) -> str:
    """The text a base model (no meta template) reads."""
    if isinstance(prompt, str):
        return prompt
    text, sep = "", ""
    for item in prompt:
        if _is_marker(item):
            continue
        piece = item if isinstance(item, str) else (item.get("prompt") or "")
        if piece:
            text += sep + piece
        sep = "\n"
    return text


def _rounds(dialogue: Structured, roles: Sequence[str]) -> list[Structured]:
    """Split turns into rounds: a new round starts when a role comes again (or an earlier one)."""
    order = {r: i for i, r in enumerate(roles)}
    rounds: list[Structured] = [[]]
    last = -1
    for item in dialogue:
        if isinstance(item, str):
            rounds[-1].append(item)
            continue
        role = item["role"] if item["role"] in order else item.get("fallback_role")
        if role not in order:
            raise ValueError(f"the role {item['role']!r} is not in the meta template ({', '.join(roles)})")
        if order[role] <= last:
            rounds.append([])
        rounds[-1].append(item)
        last = order[role]
    return rounds


def api_turns(prompt: str | Structured, meta: Mapping = CHAT_META, mode: str = "gen") -> str | list[dict]:
    """``[{role: api_role, prompt}]`` as OpenCompass's API template parser makes them."""
    if isinstance(prompt, str):
        return prompt
    slots = [r for r in meta["round"] if isinstance(r, dict)]
    by_role = {r["role"]: dict(r) for r in (*slots, *meta.get("reserved_roles", ()))}
    names = [r["role"] for r in slots]

    def turn(role_cfg: dict, for_gen: bool):
        if for_gen and role_cfg.get("generate"):
            return None, False
        return {"role": role_cfg["api_role"],
                "prompt": role_cfg.get("begin", "") + role_cfg.get("prompt", "") + role_cfg.get("end", "")}, True

    def merged(items) -> dict:
        table = {k: dict(v) for k, v in by_role.items()}
        for it in items if isinstance(items, list) else [items]:
            if isinstance(it, dict):
                role = it["role"] if it["role"] in by_role else it.get("fallback_role")
                table[role].update(it)
        return table

    out: list[dict] = []
    going = True
    stack: list[tuple[str, int]] = []
    for i, item in enumerate(prompt):
        if not going:
            break
        if isinstance(item, str):
            continue
        if "section" in item:
            if item["pos"] == "begin":
                stack.append((item["section"], i + 1))
                continue
            name, start = stack.pop()
            if name not in ("round", "ice"):
                continue
            rounds = _rounds(prompt[start:i], names)
            for j, rnd in enumerate(rounds):
                table = merged(rnd)
                last = mode == "gen" and name == "round" and j == len(rounds) - 1
                for slot in slots:
                    t, going = turn(table[slot["role"]], last)
                    if t is not None:
                        out.append(t)
                    if not going:
                        break
        elif stack and stack[-1][0] in ("begin", "end"):
            table = merged(item)
            role = item["role"] if item["role"] in by_role else item.get("fallback_role")
            t, going = turn(table[role], mode == "gen")
            if t is not None:
                out.append(t)
    joined: list[dict] = []
    for t in out:
        if joined and joined[-1]["role"] == t["role"]:
            joined[-1]["prompt"] += "\n" + t["prompt"]
        else:
            joined.append(dict(t))
    begin = meta.get("begin")
    if begin:  # put first after the merge, under its own role name (OpenCompass inserts the table as written)
        joined.insert(0, {"role": begin["role"], "prompt": begin.get("prompt", "")})
    return joined


def check_chat_meta(meta: Any, where: str) -> dict:
    """A chat or API model's ``meta_template`` as OpenCompass's ``APITemplateParser`` reads it:
    ``round`` (and ``reserved_roles``) role tables with an ``api_role`` each, an optional ``begin``
    message table; a one-line error for anything else."""
    def role_table(item: Any, key: str) -> None:
        if not isinstance(item, dict) or "role" not in item:
            raise CompassError(f"{where}: meta_template.{key} entries are tables with a 'role', got {item!r}")
        api = item.get("api_role")
        if api not in _API_ROLES:
            raise CompassError(f"{where}: meta_template.{key} role {item['role']!r} needs api_role HUMAN, BOT or "
                               f"SYSTEM (OpenCompass's chat models send only those), got {api!r}")

    if isinstance(meta, list):
        raise CompassError(f"{where}: a meta_template given as a list of messages is not applied by compass yet; "
                           f"write it as dict(round=[...], begin=dict(role='SYSTEM', api_role='SYSTEM', prompt=...))")
    if not isinstance(meta, dict) or not isinstance(meta.get("round"), list):
        raise CompassError(f"{where}: meta_template needs a 'round' list of role tables, got {meta!r}")
    for key in ("round", "reserved_roles"):
        for item in meta.get(key) or []:
            role_table(item, key)
    begin = meta.get("begin")
    if begin is not None and begin != "":
        if not isinstance(begin, dict) or begin.get("role") not in _API_ROLES:
            raise CompassError(f"{where}: a chat model's meta_template.begin is a message table, e.g. "
                               f"dict(role='SYSTEM', api_role='SYSTEM', prompt='...'), got {begin!r}")
        if not isinstance(begin.get("prompt", ""), str):
            raise CompassError(f"{where}: meta_template.begin's prompt must be a string")
    return meta


def chat_messages(prompt: str | Structured, meta: Mapping = CHAT_META, mode: str = "gen") -> list[dict]:
    """``[{role: user|assistant|system, content}]`` as ``HuggingFacewithChatTemplate`` sends them."""
    turns = api_turns(prompt, meta, mode)
    if isinstance(turns, str):
        return [{"role": "user", "content": turns}]
    msgs: list[dict] = []
    for t in turns:
        if not t["prompt"]:
            continue
        role = _API_ROLES[t["role"]]
        if msgs and msgs[-1]["role"] == role:
            msgs[-1]["content"] += "\n" + t["prompt"]
        else:
            msgs.append({"role": role, "content": t["prompt"]})
    return msgs


# ------------------------------------------------------------------ retrievers
def fixed(pool_size: int, ids: Sequence[int]) -> list[int]:
    """``FixKRetriever``: the same examples, in the listed order, for every question."""
    bad = [i for i in ids if i >= pool_size]
    if bad:
        raise ValueError(f"fix_id_list names example {bad[0]}, but the example split has {pool_size} rows")
    return list(ids)


def random_ids(pool_size: int, n_test: int, k: int, seed: int = 43) -> list[list[int]]:
    """``RandomRetriever``: numpy's legacy generator seeded once, k distinct rows per question in turn."""
    import numpy as np

    rng = np.random.RandomState(seed)
    return [rng.choice(pool_size, k, replace=False).tolist() for _ in range(n_test)]


def from_config(infer_cfg: Mapping, reader_cfg: Mapping) -> ICL:
    """An :class:`ICL` from a config's ``infer_cfg`` / ``reader_cfg`` (types already names or dropped)."""
    def template(key: str) -> Template | None:
        t = infer_cfg.get(key)
        if not t:
            return None
        return Template(t["template"], t.get("ice_token"), t.get("sep_token"))

    retr = infer_cfg.get("retriever") or {}
    return ICL(template("prompt_template"), template("ice_template"), reader_cfg.get("output_column"),
               ice_separator=retr.get("ice_separator", "\n"), ice_eos_token=retr.get("ice_eos_token", "\n"))
