"""A base model's ``meta_template`` applied as OpenCompass's ``LMTemplateParser`` applies it.

An OpenCompass base-model config (``HuggingFaceCausalLM`` & co.) may carry a ``meta_template``:
``round`` (and ``reserved_roles``) role entries with ``begin``/``end`` strings, one marked
``generate=True``, and the template's own ``begin``/``end``. The text the model reads is then
built from a structured prompt (:mod:`compass_opencompass.icl`: strings, role turns and section
markers) by these rules:

* a plain-string prompt is sent as it is;
* strings outside any dialogue are kept; turns in the ``begin``/``end`` sections become
  ``role.begin + prompt + role.end``;
* a ``round``/``ice`` section is cut into rounds (a new round starts at a role that does not come
  later in the meta ``round`` than the previous one), and each round renders *every* role of the
  meta ``round`` in its order, with the round's prompt for the roles it has (a role it lacks gives
  its bare ``begin + end``); in gen mode the last round of the ``round`` section stops at the
  ``begin`` of the role marked ``generate``, and nothing after it is rendered;
* the template's ``begin`` goes first, its ``end`` last unless generation stopped the text.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from compass.sdk import CompassError


def check(meta: Any, where: str) -> dict:
    """``meta`` as a checked meta template (one line naming what is wrong)."""
    if not isinstance(meta, Mapping) or not isinstance(meta.get("round"), (list, tuple)):
        raise CompassError(f"{where}: meta_template needs a 'round' list of role tables, got {meta!r}")
    for key in ("round", "reserved_roles"):
        for item in meta.get(key) or ():
            if isinstance(item, Mapping):
                if not isinstance(item.get("role"), str) or not item.get("role"):
                    raise CompassError(f"{where}: meta_template.{key} entry {dict(item)!r} needs a 'role' name")
                for part in ("begin", "end"):
                    if not isinstance(item.get(part, ""), str):
                        raise CompassError(f"{where}: meta_template role {item.get('role')!r}: {part} must be a "
                                           f"string (token-id lists are not supported)")
            elif not isinstance(item, str):
                raise CompassError(f"{where}: meta_template.{key} entries are role tables, got {item!r}")
    for part in ("begin", "end"):
        if not isinstance(meta.get(part, ""), str):
            raise CompassError(f"{where}: meta_template.{part} must be a string")
    return dict(meta)


def _roles(meta: Mapping) -> dict[str, dict]:
    roles: dict[str, dict] = {}
    for key in ("round", "reserved_roles"):
        for item in meta.get(key) or ():
            if isinstance(item, Mapping):
                roles[item["role"]] = dict(item)
    return roles


def _with_turns(roles: Mapping[str, dict], turns) -> dict[str, dict]:
    """The role table with each turn's settings (its ``prompt``) merged over its role's."""
    out = copy.deepcopy(dict(roles))
    for turn in [turns] if isinstance(turns, Mapping) else turns:
        if isinstance(turn, Mapping):
            role = turn["role"] if turn["role"] in out else turn.get("fallback_role")
            if role in out:
                out[role].update(turn)
    return out


def _turn(turn: Mapping, roles: Mapping[str, dict], for_gen: bool) -> tuple[str, bool]:
    cfg = roles.get(turn["role"]) or roles.get(turn.get("fallback_role")) or {}
    text = cfg.get("begin", "")
    if for_gen and cfg.get("generate", False):
        return text, False
    return text + cfg.get("prompt", "") + cfg.get("end", ""), True


def _render(items, roles: Mapping[str, dict], for_gen: bool) -> tuple[str, bool]:
    if isinstance(items, str):
        return items, True
    if isinstance(items, Mapping):
        return _turn(items, roles, for_gen)
    out = ""
    go = True
    for item in items:
        text, go = _render(item, roles, for_gen)
        out += text
        if not go:
            break
    return out, go


def _cuts(dialogue: Sequence, meta_round: Sequence) -> list[int]:
    order = {r["role"]: i for i, r in enumerate(meta_round) if isinstance(r, Mapping)}
    last, cuts = -1, [0]
    for i, item in enumerate(dialogue):
        if isinstance(item, str):
            continue
        idx = order.get(item["role"], order.get(item.get("fallback_role")))
        if idx is None:
            raise CompassError(f"the prompt's role {item['role']!r} is not in the model's meta_template round "
                               f"({', '.join(order)})")
        if idx <= last:
            cuts.append(i)
        last = idx
    cuts.append(len(dialogue))
    return cuts


def lm_text(prompt, meta: Mapping, mode: str) -> str:
    """The text a base model with ``meta`` reads for ``prompt`` (``mode``: ``gen`` or ``ppl``)."""
    if isinstance(prompt, str):
        return prompt
    roles = _roles(meta)
    text, go, stack = "", True, []
    for i, item in enumerate(prompt):
        if not go:
            break
        if isinstance(item, str):
            text += item
        elif set(item) == {"section", "pos"}:
            if item["pos"] == "begin":
                stack.append((item["section"], i + 1))
                continue
            name, start = stack.pop()
            if name not in ("round", "ice"):
                continue
            dialogue = prompt[start:i]
            cuts = _cuts(dialogue, meta["round"])
            for j in range(len(cuts) - 1):
                part = dialogue[cuts[j]:cuts[j + 1]]
                last = mode == "gen" and j == len(cuts) - 2 and name == "round"
                piece, go = _render(meta["round"], _with_turns(roles, part), last)
                text += piece
        elif stack and stack[-1][0] in ("begin", "end"):
            piece, go = _render(item, _with_turns(roles, item), False)
            text += piece
    text = meta.get("begin", "") + text
    if go:
        text += meta.get("end", "")
    return text
