"""OpenCompass's ``ChatInferencer`` (``infer_mode='last'``) and the refusal of ``AgentInferencer``.

``ChatInferencer`` makes a conversation of each row and has the model write its last
assistant turn:

* the row is its input and output columns only; the ``prompt_template`` is filled with all of
  them (the answer too: a template's own ``BOT`` turns are the conversation's history), and
  each filled turn is one message (``HUMAN`` -> user, ``BOT`` -> assistant, ``SYSTEM`` ->
  system; a bare string -> user, but a string holding the word "section" is skipped, as
  OpenCompass's ``promptlist_to_openai`` does; other roles are dropped); a conversation that
  does not end with the assistant gets the answer as its last turn;
* the prompt is every message before the last assistant turn: for a chat model
  (``HuggingFacewithChatTemplate``) system turns are sent as user turns, empty turns dropped
  and turns of one role merged with ``"\\n"``; for a base model the contents joined by ``"\\n"``;
* without a ``prompt_template`` a single input column is the user turn.

``infer_mode='every'``/``'every_with_gt'`` (a generation per assistant turn), ``AgentInferencer``
(a lagent agent calling tools between turns) and ``CLPInferencer`` in a config (its choices come
from the dataset class's rows; compass's clp mode is its built-in ``*_clp`` datasets) are refused
in one line each, naming the nearest compass offers.
"""

from __future__ import annotations

from typing import Any, Mapping

from compass.sdk import CompassError

_OPENAI_ROLE = {"SYSTEM": "system", "HUMAN": "user", "BOT": "assistant"}


def check(inferencer: Mapping, where: str) -> None:
    kind = inferencer.get("type")
    if kind == "AgentInferencer":
        raise CompassError(f"{where}.infer_cfg.inferencer: compass does not run AgentInferencer (a lagent agent that "
                           f"calls a Python interpreter between turns, scored from its tool steps); the nearest compass "
                           f"offers is the dataset's GenInferencer configs (e.g. gsm8k_gen, math_gen), or "
                           f"ChatInferencer for a multi-turn prompt without tools")
    if kind == "CLPInferencer":  # OpenCompass's own CLP configs: civilcomments, jigsawmultilingual only
        raise CompassError(f"{where}.infer_cfg.inferencer: compass runs CLPInferencer's next-token option "
                           f"probabilities for its built-in clp datasets (ceval_clp, cmmlu_clp, mmlu_clp), not for an "
                           f"OpenCompass config (its choices come from the dataset class's rows); use GenInferencer "
                           f"or PPLInferencer, or one of those datasets")
    mode = inferencer.get("infer_mode", "last")
    if kind == "ChatInferencer" and mode != "last":
        raise CompassError(f"{where}.infer_cfg.inferencer: compass runs ChatInferencer with infer_mode='last' (the "
                           f"last assistant turn generated), not {mode!r} (a generation per turn)")


def conversation(template: Any, row: Mapping[str, Any], input_columns: list, output_column: str | None) -> list[dict]:
    """The row as OpenCompass's ChatInferencer makes it a conversation (``[{role, content}]``)."""
    entry = {k: v for k, v in row.items() if k in input_columns or k == output_column}
    gold = entry.get(output_column, "") if output_column else ""
    if template is None:
        if len(input_columns) != 1:
            raise CompassError("ChatInferencer without a prompt_template needs exactly one input column")
        return [{"role": "user", "content": entry.get(input_columns[0])}, {"role": "assistant", "content": gold}]
    filled = template.gen_prompt(entry, None, "")  # nothing blanked: the template's answers are history
    chat: list[dict] = []
    items = [filled] if isinstance(filled, str) else filled
    for item in items:
        if isinstance(item, str):
            if "section" not in item and item:
                chat.append({"role": "user", "content": item})
        elif "section" in item:
            continue
        elif item.get("role") in _OPENAI_ROLE:
            chat.append({"role": _OPENAI_ROLE[item["role"]], "content": item.get("prompt")})
    if not chat or chat[-1]["role"] != "assistant":
        chat.append({"role": "assistant", "content": gold})
    return chat


def history(chat: list[dict]) -> list[dict]:
    """Every turn before the last assistant turn (what the model answers)."""
    last = max(i for i, t in enumerate(chat) if t["role"] == "assistant")
    return chat[:last]


def chat_messages(turns: list[dict]) -> list[dict]:
    """``HuggingFacewithChatTemplate``: system as user, empty turns dropped, one role's turns merged."""
    out: list[dict] = []
    for t in turns:
        role = "user" if t["role"] == "system" else t["role"]
        content = t.get("content") or ""
        if not content:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n" + content
        else:
            out.append({"role": role, "content": content})
    return out


def base_text(turns: list[dict]) -> str:
    """A base model without a meta template: the contents joined by ``"\\n"``."""
    return "\n".join(t.get("content") or "" for t in turns)
