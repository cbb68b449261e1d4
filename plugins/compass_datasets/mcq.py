"""Multiple-choice subsets in the three modes, built the same way for every benchmark.

A question block (``body``) is followed by an answer cue (``答案:`` / ``Answer:``):

* ``gen``: the prompt ends with ``cue + " "``, the model writes the letter, the
  ``first_option`` postprocessor extracts it and ``accuracy`` scores it;
* ``ppl``: the prompt ends with ``cue``; each candidate continuation is ``" <letter>"``
  and the most likely one is the prediction (base models);
* ``clp``: the same prompt as ``ppl``; the option tokens ``" A"``, ``" B"``, ... are
  compared as the very next token.

In-context answers are written ``cue + " " + letter`` in every mode, so the few-shot text
is identical across modes.
"""

from __future__ import annotations

from typing import Callable, Sequence

from compass.sdk import CachedLoader, FewShot, PromptTemplate, Subset

__all__ = ["CachedLoader", "LETTERS", "MODES", "GEN_MAX_OUT_LEN", "choice_subset", "mcq_subset", "options_block",
           "pick_mode"]  # CachedLoader: the SDK's, re-exported for this package's loaders

LETTERS = "ABCDEFGHIJ"
MODES = ("gen", "ppl", "clp")
#: longest answer in gen mode: the letter comes first, and one runaway answer must not
#: hold a whole batch (OpenCompass's classic HF configs use 100 for such answers)
GEN_MAX_OUT_LEN = 100


def options_block(labels: Sequence[str]) -> str:
    """``A. {A}\\nB. {B}...`` for the given labels."""
    return "\n".join(f"{label}. {{{label}}}" for label in labels)


def mcq_subset(name: str, load: Callable, mode: str, *, body: str, cue: str,
               labels: Sequence[str] = "ABCD", instruction: str = "", example_sep: str = "\n",
               fewshot: FewShot = FewShot(), gold: str = "answer",
               max_out_len: int | None = GEN_MAX_OUT_LEN) -> Subset:
    """One multiple-choice subset in ``mode`` (gen, ppl or clp); see the module docstring.

    ``max_out_len`` caps a gen answer (default :data:`GEN_MAX_OUT_LEN`; None: the model's).
    """
    labels = tuple(labels)
    if mode == "gen":
        template = PromptTemplate(human=f"{body}{cue} ", bot="{" + gold + "}",
                                  instruction=instruction, example_sep=example_sep)
        return Subset(name, load, template, mode="gen", gold=gold, fewshot=fewshot,
                      max_out_len=max_out_len, postprocessor="first_option",
                      postprocessor_kwargs={"options": "".join(labels)}, evaluator="accuracy")
    template = PromptTemplate(human=f"{body}{cue}", bot=" {" + gold + "}",
                              instruction=instruction, example_sep=example_sep)
    if mode == "ppl":
        return Subset(name, load, template, mode="ppl", gold=gold, fewshot=fewshot,
                      candidates={label: f" {label}" for label in labels}, evaluator="accuracy")
    if mode == "clp":
        return Subset(name, load, template, mode="clp", gold=gold, fewshot=fewshot,
                      options=tuple(f" {label}" for label in labels), evaluator="accuracy")
    raise ValueError(f"unknown mode {mode!r}")


def pick_mode(variant: str | None, chat: bool) -> str:
    """The mode a variant name means; a bare name picks gen for chat models, ppl for base."""
    if variant in MODES:
        return variant
    return "gen" if chat else "ppl"



def choice_subset(name: str, load: Callable, mode: str, *, labels: Sequence[str], gen_human: str,
                  ppl_human: str, continuation: str = " {text%s}", gold: str = "answer",
                  ppl_gold: str | None = None, candidates_field: str | None = None) -> Subset:
    """A zero-shot question whose choices are texts (ARC, SIQA, PIQA, HellaSwag, ...).

    ``gen``: the choices are listed as ``A. ..`` in ``gen_human`` and the letter is
    extracted with ``first_option`` (at most :data:`GEN_MAX_OUT_LEN` new tokens).
    ``ppl``: ``ppl_human`` is the context and each choice's text (``continuation % label``, filled from the row) is a candidate
    continuation, as lm-evaluation-harness does it; ``ppl_gold`` may name a row field
    holding a list of acceptable labels; ``candidates_field`` names a row field holding
    that row's own ``{label: continuation}`` (questions with differing numbers of choices).
    """
    labels = tuple(labels)
    if mode == "gen":
        return Subset(name, load, PromptTemplate(human=gen_human), mode="gen", gold=gold,
                      max_out_len=GEN_MAX_OUT_LEN, postprocessor="first_option",
                      postprocessor_kwargs={"options": "".join(labels)}, evaluator="accuracy")
    if mode == "ppl":
        return Subset(name, load, PromptTemplate(human=ppl_human), mode="ppl", gold=ppl_gold or gold,
                      candidates=candidates_field or {label: continuation % label for label in labels},
                      evaluator="accuracy")
    raise ValueError(f"unknown mode {mode!r}")
