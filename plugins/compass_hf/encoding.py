"""Prompts to token ids: chat template or plain text, special tokens, end-of-turn markers.

:class:`Encoder` knows how one model wants its text:

* chat models: the tokenizer's chat template (``add_generation_prompt=True``, or
  ``continue_final_message=True`` when the prompt ends with a BOT turn) or the model's
  meta template; the rendered text carries its own special tokens;
* base models: :func:`compass._types.prompt_to_text`, with the tokenizer's own prefix
  (e.g. ``<s>``) in front, exactly as ``tokenizer(text)`` would add it.

Token ids are plain ``list[int]``; tensors are made elsewhere.
"""

from __future__ import annotations

from typing import Any, Sequence

from compass.sdk import CompassError, Prompt, prompt_to_text

from compass_hf.templates import MetaTemplate, chat_messages

_PROBE_USER = "Hi"
_PROBE_REPLY = "Zq7xWv"


class Encoder:
    """Renders and tokenizes prompts for one tokenizer."""

    def __init__(self, tokenizer: Any, *, chat: bool, meta_template: MetaTemplate | None = None):
        self.tokenizer = tokenizer
        self.chat = chat
        self.meta = meta_template
        if chat and meta_template is None and not getattr(tokenizer, "chat_template", None):
            raise CompassError("the tokenizer has no chat template; use --hf-type base, "
                               "or give the model a meta_template")
        # Special tokens the tokenizer puts in front of plain text (base models only).
        self.prefix: list[int] = [] if chat else self._special_prefix()

    # ---------------------------------------------------------------- text
    def render(self, prompt: Prompt) -> str:
        """The text the model reads for ``prompt``."""
        if not self.chat:
            return prompt_to_text(prompt)
        if self.meta is not None:
            return self.meta.render(prompt)
        continue_final = bool(prompt) and prompt[-1].role == "BOT"
        kwargs = {"tokenize": False, "add_generation_prompt": not continue_final}
        if continue_final:
            kwargs["continue_final_message"] = True
        try:
            return self.tokenizer.apply_chat_template(chat_messages(prompt), **kwargs)
        except Exception:
            # Some templates insist on alternating roles: join consecutive turns and retry.
            try:
                return self.tokenizer.apply_chat_template(chat_messages(prompt, merge=True), **kwargs)
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise CompassError(f"the chat template rejected the prompt: {first}") from None

    # ---------------------------------------------------------------- ids
    def _raw(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        out = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [list(ids) for ids in out]

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, with the tokenizer's prefix for base models."""
        return [self.prefix + ids for ids in self._raw(texts)]

    def encode_one(self, text: str) -> list[int]:
        return self.encode([text])[0]

    def encode_plain(self, text: str) -> list[int]:
        """Ids of ``text`` on its own (no special tokens)."""
        return self._raw([text])[0]

    def _special_prefix(self) -> list[int]:
        with_special = self.tokenizer("a", add_special_tokens=True)["input_ids"]
        without = self.tokenizer("a", add_special_tokens=False)["input_ids"]
        n = len(without)
        for start in range(len(with_special) - n + 1):
            if list(with_special[start:start + n]) == list(without):
                return list(with_special[:start])
        return []

    # ---------------------------------------------------------------- markers
    def end_of_turn(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Strings and token ids that end an assistant turn in this chat format.

        For a tokenizer template the marker is found by rendering a short exchange and
        reading what follows the reply (``<|im_end|>``, ``<|eot_id|>``, ``<end_of_turn>``…);
        it counts only when it is a single special/added token. A meta template's BOT end
        string counts as given. Base models have none.
        """
        if not self.chat:
            return (), ()
        if self.meta is not None:
            text = self.meta.end_of_turn
            if not text:
                return (), ()
            ids = self.encode_plain(text)
            return (text,), (tuple(ids) if len(ids) == 1 else ())
        try:
            rendered = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": _PROBE_USER}, {"role": "assistant", "content": _PROBE_REPLY}],
                tokenize=False)
        except Exception:
            return (), ()
        pos = rendered.rfind(_PROBE_REPLY)
        if pos < 0:
            return (), ()
        tail = rendered[pos + len(_PROBE_REPLY):].strip()
        if not tail:
            return (), ()
        specials = set(getattr(self.tokenizer, "all_special_tokens", []) or [])
        added = {str(t) for t in (getattr(self.tokenizer, "added_tokens_decoder", {}) or {}).values()}
        for token in sorted(specials | added, key=len, reverse=True):
            if token and tail.startswith(token):
                ids = self.encode_plain(token)
                if len(ids) == 1:
                    return (token,), (ids[0],)
        return (), ()
