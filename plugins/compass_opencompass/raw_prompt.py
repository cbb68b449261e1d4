"""OpenCompass's ``RawPromptTemplate``: a prompt written as OpenAI-style chat messages.

``prompt_template=dict(type=RawPromptTemplate, messages=[{'role': 'user', 'content': '...{x}...'}])``
is rendered as OpenCompass 0.5.4 renders it for a chat model: each message as written, its
``content`` with every ``{column}`` replaced by the row's value (one column after the other, as
OpenCompass's ``safe_format`` does; ``format_variables=False`` leaves it as written), an
``{'expand_column': c}`` element replaced by the row's list of messages in column ``c``, and
string elements (the in-context placeholder) left out — compass runs these configs with
``ZeroRetriever`` only, so there are no examples to put there.

OpenCompass sends such a list to chat API models as it is; its base-model parser rejects it,
and so does compass: a base model gets a one-line refusal naming the fix.
"""

from __future__ import annotations

from typing import Any, Mapping

from compass.sdk import CompassError, Message

ROLES = {"system": "SYSTEM", "user": "HUMAN", "assistant": "BOT"}


def is_raw(template: Any) -> bool:
    return isinstance(template, Mapping) and template.get("type") == "RawPromptTemplate"


class RawSpec:
    """The messages of one ``RawPromptTemplate`` (see the module docstring)."""

    def __init__(self, template: Mapping, infer: Mapping, where: str):
        self.messages = template.get("messages")
        self.format_variables = bool(template.get("format_variables", True))
        if not isinstance(self.messages, list) or not self.messages:
            raise CompassError(f"{where}.infer_cfg.prompt_template: RawPromptTemplate needs messages=[...]")
        for i, m in enumerate(self.messages):
            if isinstance(m, str) or (isinstance(m, Mapping) and "expand_column" in m):
                continue
            if not isinstance(m, Mapping) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                raise CompassError(f"{where}.infer_cfg.prompt_template.messages[{i}]: expected "
                                   f"{{'role': 'system'|'user'|'assistant', 'content': '...'}}")
        retriever = (infer.get("retriever") or {}).get("type", "ZeroRetriever")
        if retriever != "ZeroRetriever" or infer.get("ice_template"):
            raise CompassError(f"{where}.infer_cfg: compass runs RawPromptTemplate with ZeroRetriever only "
                               f"(no in-context examples), not {retriever}")
        inferencer = (infer.get("inferencer") or {}).get("type", "GenInferencer")
        if inferencer != "GenInferencer":
            raise CompassError(f"{where}.infer_cfg: compass runs RawPromptTemplate with GenInferencer only, "
                               f"not {inferencer}")
        self.where = where

    def chat(self, row: Mapping) -> list[dict]:
        """The messages for one row, as OpenCompass renders them."""
        out: list[dict] = []
        for m in self.messages:
            if isinstance(m, str):
                continue  # the in-context placeholder: no examples here
            if "expand_column" in m:
                value = row.get(m["expand_column"])
                if isinstance(value, list):
                    out.extend(dict(x) for x in value)
                continue
            msg = dict(m)
            if self.format_variables:
                text = msg["content"]
                for key, value in row.items():
                    if not str(key).startswith("_oc_"):
                        text = text.replace("{" + str(key) + "}", str(value))
                msg["content"] = text
            out.append(msg)
        return out

    def render(self, row: Mapping, *, chat: bool) -> tuple:
        if not chat:
            raise CompassError(f"{self.where}: RawPromptTemplate writes chat messages, which OpenCompass sends "
                               f"to chat models only; run it with a chat model (chat=True)")
        return tuple(Message(ROLES.get(m.get("role"), "HUMAN"), str(m.get("content", ""))) for m in self.chat(row))
