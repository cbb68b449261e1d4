"""Plain data exchanged between the core and plugins.

Everything here is a frozen, slotted dataclass: cheap to build, safe to share between
threads, and easy to turn into JSON. Model backends receive requests and return
``Completion`` / ``float`` / ``dict`` values; they never see a dataset, and the rest of the
system never sees a tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Role = Literal["SYSTEM", "HUMAN", "BOT"]
Mode = Literal["gen", "ppl", "clp"]
MODES: tuple[str, ...] = ("gen", "ppl", "clp")


@dataclass(frozen=True, slots=True)
class Message:
    """One role-tagged turn of a prompt."""

    role: Role
    content: str


Prompt = tuple[Message, ...]


def prompt_to_text(prompt: Prompt) -> str:
    """The plain-text form of a prompt, as a base (non-chat) model receives it.

    Turns are concatenated as written: templates carry their own separators.
    """
    return "".join(m.content for m in prompt)


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """Generate a continuation of ``prompt`` (gen mode)."""

    prompt: Prompt
    max_out_len: int = 512
    min_out_len: int = 0
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    top_logprobs: int = 0  # > 0: also return the first generated token's most likely alternatives


@dataclass(frozen=True, slots=True)
class LoglikelihoodRequest:
    """Score each continuation given the shared ``prompt`` (ppl mode).

    The answer is one score per continuation, in order; higher is more likely. Grouping all
    candidates of a question in one request lets a backend compute the context once.

    ``score`` says which number (a backend lists the ones it computes in
    ``ModelTraits.ppl_scores``; the planner refuses a run that asks another):

    * ``sum``: the summed log-probability of the continuation's tokens given the prompt;
    * ``mean_all``: OpenCompass's ``PPLInferencer`` rule: over the whole text (prompt followed
      by continuation, tokenized as one), the summed log-probability of every token after the
      first, divided by the number of tokens; the prompt counts, so this is not ``sum``
      normalised by the continuation's length.
    """

    prompt: Prompt
    continuations: tuple[str, ...]
    score: str = "sum"


@dataclass(frozen=True, slots=True)
class OptionsRequest:
    """Log-probability of each option string as the very next token (clp mode)."""

    prompt: Prompt
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Completion:
    """The answer to a ``GenerateRequest``.

    ``error`` is set (and ``text`` empty) when the backend could not answer this one
    request, e.g. an API call that failed after its retries; such a sample is recorded as
    failed, counted in the summary and retried by ``--reuse``.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""
    error: str | None = None
    # (token, log-probability) of the first generated token's top alternatives, when the request
    # asked for ``top_logprobs`` and the backend can give them (a judge scored by log-probs)
    top_logprobs: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Failure:
    """Returned in place of a score tuple when one ppl/clp request could not be answered.

    Like ``Completion.error``: the sample is recorded as failed and retried by ``--reuse``.
    """

    error: str


@dataclass(frozen=True, slots=True)
class ModelTraits:
    """What the planner must know about a model before it is loaded.

    ``device`` is the device kind the model runs on when its settings name none
    (``cuda``, ``npu``, ``mps``, ``cpu``; ``""``: decided by the settings alone, see
    :func:`compass._devices.task_resources`). A backend for one kind of accelerator sets it
    here, so its tasks are scheduled on that kind even when the user gives no ``device``.
    """

    is_chat: bool
    modes: frozenset[str] = frozenset(MODES)
    device: str = ""
    #: keyword arguments that change how fast answers come, not what they are (batch size,
    #: concurrency, timeouts): left out of the fingerprint that decides what ``-r`` reuses.
    operational: frozenset[str] = frozenset()
    #: the ``LoglikelihoodRequest.score`` rules this backend computes (ppl mode)
    ppl_scores: frozenset[str] = frozenset({"sum"})


@runtime_checkable
class Model(Protocol):
    """The interface every model backend implements.

    A backend may leave out a mode it cannot serve; it then says so through
    ``ModelTraits.modes`` so that the run is refused while it is planned.

    Optional members the core uses when present:

    * ``batch_size``: how many requests to hand over at once (and to checkpoint);
    * ``handover_size``: overrides ``batch_size`` for the hand-over, for a backend that
      batches internally and gains from seeing more requests at once (shared prefixes);
    * ``generate_stream(requests) -> Iterator[tuple[int, Completion]]``: all pending gen
      requests at once, each answer yielded with its position as soon as it is finished
      (continuous batching, API concurrency); preferred over ``generate`` when present;
    * ``token_counts``: ``{"prompt": n, "completion": m}`` running totals, for telemetry;
    * ``tokens_generated``: an int, tokens generated so far *including rows still decoding*,
      read from another thread about once a second for live progress (tokens/s while one
      long batch decodes);
    * ``close()``: release the model.
    """

    def generate(self, requests: list[GenerateRequest]) -> list[Completion]: ...

    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...] | Failure]: ...

    def option_logprobs(self, requests: list[OptionsRequest]) -> list[tuple[float, ...] | Failure]: ...


@dataclass(frozen=True, slots=True)
class Score:
    """One metric value of one evaluated dataset (percent where it is a rate)."""

    metric: str
    value: float


@dataclass(frozen=True, slots=True)
class SampleResult:
    """An evaluator's verdict on one sample."""

    index: int
    correct: bool
    pred: object = None
    gold: object = None
    extra: dict = field(default_factory=dict)
