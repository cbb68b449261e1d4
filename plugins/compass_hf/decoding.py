"""Continuous batching for greedy generation: no row decodes after it is done.

:class:`Decoder` keeps one running batch (its KV cache and attention mask in a
preallocated :class:`~compass_hf.slots.SlotBuffer`, each row's next position). Every
step feeds each row its last token; a row that reaches eos/end-of-turn
(after ``min_out_len`` tokens), a stop word or ``max_out_len`` leaves the batch at once
and its answer is yielded, and freed slots are refilled with waiting requests: their
prompts are prefilled together (a prefix they share read from a
:class:`~compass_hf.prefix.PrefixCache`) and their cache rows copied into free rows of the
buffer, left-padded to a common width. Columns no row attends to any more are cut off.
Nothing copies the whole cache per step (a ``DynamicCache`` concatenates every layer at
every step).

Each row sees exactly the tokens and positions of a batch-of-one run (padding is masked,
position ids count real tokens), so greedy answers are those of ``generate`` one by one.
The batch is bounded by ``max_rows`` and by a KV-cache token budget: a run's rows ×
(its longest prompt + its longest output), which is also the size of the cache buffer,
allocated once; prefills are split by a prompt-token budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import torch

from compass_hf.batching import Features, forward, left_pad
from compass_hf.generation import Output, Settings, finish
from compass_hf.prefix import PrefixCache, layers, shareable
from compass_hf.slots import SlotBuffer


@dataclass
class Job:
    """One request in flight."""

    pos: int
    prompt: list[int]
    settings: Settings
    new: list[int] = field(default_factory=list)
    stopped_at: int | None = None


@dataclass
class Budget:
    """Limits of the running batch."""

    max_rows: int = 32
    kv_tokens: int = 1 << 16  # rows × the longest a row can get (prompt + new tokens)
    prefill_tokens: int = 4096  # padded prompt tokens per prefill pass


SLACK = 32  # cache columns beyond the longest row (see Decoder.rows_for)


class NotShareable(Exception):
    """The model's KV cache cannot be split and joined; use ``model.generate`` instead."""


class Decoder:
    """Greedy continuous-batching decoder for one model (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, *, eos_ids: Sequence[int], end_strings: Sequence[str],
                 pad_id: int, device: Any, budget: Budget, prefix: PrefixCache | None = None):
        self.model = model
        self.features = Features.of(model)
        self.tokenizer = tokenizer
        self.eos_ids = tuple(eos_ids)
        self.pad_id = pad_id
        self.device = device
        self.budget = budget
        self.prefix = prefix
        eos_text = {tokenizer.convert_ids_to_tokens(i) for i in self.eos_ids}
        self.end_watch = tuple(s for s in end_strings if s not in eos_text)
        self.end_trim = tuple(end_strings)
        self.prompt_tokens = self.completion_tokens = 0
        self.decoded = 0  # tokens picked so far, rows still running included (live progress)
        self._eos = torch.tensor(self.eos_ids, dtype=torch.long, device=device) if self.eos_ids else None

    @property
    def usable(self) -> bool:
        return self.features.position_ids

    # ------------------------------------------------------------------ rows
    def _watch(self, job: Job) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*job.settings.stops, *self.end_watch)))

    def _done(self, job: Job) -> bool:
        """Record ``job``'s latest token; whether it ends the row."""
        s = job.settings
        n = len(job.new)
        if n > s.min_new and job.new[-1] in self.eos_ids:
            return True
        watch = self._watch(job)
        if watch and n > s.min_new:
            window = max(len(w) for w in watch) + 4
            tail = self.tokenizer.decode(job.new[max(s.min_new, n - window):], skip_special_tokens=False)
            if any(w in tail for w in watch):
                job.stopped_at = n
                return True
        return n >= s.max_new

    def _output(self, job: Job) -> Output:
        s = job.settings
        trim = tuple(dict.fromkeys((*s.stops, *self.end_trim)))
        return finish(self.tokenizer, job.new, eos_ids=self.eos_ids, stops=trim, min_new=s.min_new,
                      max_new=s.max_new, stopped_at=job.stopped_at)

    def _pick(self, logits: torch.Tensor, jobs: list[Job]) -> list[int]:
        """Greedy next token per row; eos is forbidden before a row's ``min_new`` tokens."""
        scores = logits[:, -1].float()
        if self._eos is not None:
            early = [b for b, j in enumerate(jobs) if len(j.new) < j.settings.min_new]
            if early:
                rows = torch.tensor(early, device=scores.device)
                scores[rows[:, None], self._eos[None, :]] = float("-inf")
        return scores.argmax(-1).tolist()

    # ------------------------------------------------------------------ cache
    @torch.inference_mode()
    def _prefill(self, jobs: list[Job]) -> tuple[Any, torch.Tensor]:
        prompts = [j.prompt for j in jobs]
        n = self.prefix.plan(prompts) if self.prefix is not None else 0
        done = self.prefix.run(prompts, n, use_cache=True, keep=1) if n else None
        if done is None:
            ids, mask = left_pad(prompts, self.pad_id, self.device)
            logits, cache = forward(self.model, self.features, ids, mask, use_cache=True, keep=1)
        else:
            logits, cache, mask = done
        if not shareable(cache):
            raise NotShareable
        self.prompt_tokens += sum(len(p) for p in prompts)
        for job, tok in zip(jobs, self._pick(logits, jobs)):
            job.new.append(tok)
        self.decoded += len(jobs)
        return cache, mask

    # ------------------------------------------------------------------ loop
    def rows_for(self, jobs: Sequence[Job]) -> tuple[int, int]:
        """Rows of the running batch and columns of its cache for a run of ``jobs``: the
        longest a row can get plus :data:`SLACK`, and as many rows as the KV budget holds.

        The slack bounds how often the live region (as wide as the oldest row) reaches the
        right edge and is moved to the left one: at most every ``SLACK`` steps, a copy that
        costs about two steps' reading of the cache. Without it, a full-width region would
        move at every step."""
        columns = max(len(j.prompt) + j.settings.max_new for j in jobs) + SLACK
        rows = min(self.budget.max_rows, len(jobs), max(1, self.budget.kv_tokens // columns))
        return rows, columns

    def _admit(self, waiting: list[Job], running: int, max_rows: int) -> list[Job]:
        """Waiting jobs that fit now (in order), within the row and prefill budgets."""
        b = self.budget
        taken: list[Job] = []
        longest = 0
        for job in waiting:
            rows = running + len(taken) + 1
            new_longest = max(longest, len(job.prompt))
            if taken or running:
                if rows > max_rows or new_longest * (len(taken) + 1) > b.prefill_tokens:
                    break
            taken.append(job)
            longest = new_longest
        return taken

    def run(self, jobs: list[Job]) -> Iterator[tuple[int, Output]]:
        """Each job's position and output, as soon as it is finished."""
        waiting = list(jobs)
        if self.prefix is not None:
            self.prefix.prepare([j.prompt for j in jobs])
        active: list[Job] = []  # row i of `slots` is active[i]
        max_rows, columns = self.rows_for(jobs) if jobs else (1, 1)
        slots = SlotBuffer(self.device, max_rows=max_rows, max_tokens=max_rows * columns, max_columns=columns)
        refill = max(1, max_rows // 8)
        # No torch state is held across a yield: each tensor step runs in its own
        # inference_mode block, so the caller's code between answers is unaffected.
        while waiting or active:
            free = max_rows - len(active)
            if waiting and (not active or free >= refill or len(waiting) <= free):
                newcomers = self._admit(waiting, len(active), max_rows)
                if newcomers:
                    del waiting[:len(newcomers)]
                    cache, mask = self._prefill(newcomers)
                    room = max(1, max(j.settings.max_new - len(j.new) for j in (*active, *newcomers)))
                    slots.add(layers(cache), mask, room)
                    active += newcomers
            # Rows whose latest token ends them leave; the rest decode one more token.
            ended = [b for b, j in enumerate(active) if self._done(j)]
            if ended:
                for b in ended:
                    job = active[b]
                    out = self._output(job)
                    self.completion_tokens += out.completion_tokens
                    yield job.pos, out
                active = [active[old] for old in slots.remove(ended)]
                continue
            self._step(active, slots)

    @torch.inference_mode()
    def _step(self, active: list[Job], slots: SlotBuffer) -> None:
        ids = torch.tensor([[j.new[-1]] for j in active], dtype=torch.long, device=self.device)
        pos = torch.tensor([[len(j.prompt) + len(j.new) - 1] for j in active], dtype=torch.long,
                           device=self.device)
        mask = slots.step_mask()
        logits, _ = forward(self.model, self.features, ids, mask, position_ids=pos, past=slots.cache(),
                            use_cache=True, keep=1)
        slots.advance()
        for job, tok in zip(active, self._pick(logits, active)):
            job.new.append(tok)
        self.decoded += len(active)
