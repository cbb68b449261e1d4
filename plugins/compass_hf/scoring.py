"""Log-likelihood of continuations (ppl mode) and next-token option log-probs (clp mode).

Tokenisation follows lm-eval: a continuation's tokens are the tail of
``encode(context + continuation)`` after the context's tokens. Where the tokenizer merges
across the boundary, the shared context is shortened to the longest prefix all of a
request's continuations agree on, so every continuation is still scored exactly as
``encode(context + continuation)`` tokenises it.

Work is shared where the numbers allow it:

* the first token of every continuation is scored from the context's last position, so a
  request whose continuations are single tokens (`` A``/`` B``/`` C``/`` D``) costs one
  forward pass of its context with last-position logits only;
* longer continuations of the same context are packed into one row after it: the row
  reads ``context, continuation 1, continuation 2, ..`` and a 4-D attention mask lets each
  continuation see the context and itself only, with the positions it would have after
  the context alone (:func:`pack`). Every token of the workload goes through the model
  once and only the positions that score something get logits. The first packed batch is
  checked against the cache-reuse path below; a model that disagrees (its attention
  ignores custom masks) keeps that path;
* otherwise longer continuations reuse the context's KV cache (one context pass, its
  cache rows repeated for each continuation) instead of re-reading the context once per
  candidate; a model whose cache cannot be shared falls back to one full forward pass per
  continuation;
* a long prefix that all contexts of a batch share (few-shot examples) is read once and
  kept between batches (:mod:`compass_hf.prefix`);
* a pass that needs only each context's last logits lays its contexts (or their tails
  after the cached prefix) end to end in one row, without padding and without copying the
  prefix's KV cache (:mod:`compass_hf.segments`, CPU). The first such pass is checked
  against the padded one; a model that disagrees keeps the padded path.

Inputs are left-truncated so that no forward pass exceeds ``max_seq_len`` tokens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from compass_hf import segments
from compass_hf.batching import Features, budget_chunks, chunks, forward, left_pad, right_pad
from compass_hf.prefix import PrefixCache, select_rows, shareable


@dataclass
class Group:
    """One context and the continuations scored after it."""

    context: list[int]
    continuations: list[list[int]]
    slots: list[tuple[int, int]] = field(default_factory=list)  # (request, continuation) of each


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def split_continuations(context: list[int], wholes: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Shared context ids and each continuation's ids, from ``encode(context)`` and each
    ``encode(context + continuation)``. Every continuation keeps at least one token."""
    shared = len(context)
    for whole in wholes:
        shared = min(shared, common_prefix(context, whole), max(0, len(whole) - 1))
    return context[:shared], [whole[shared:] for whole in wholes]


def fit(context: list[int], continuation: list[int], max_len: int) -> tuple[list[int], list[int]]:
    """Left-truncate so that ``context + continuation[:-1]`` (the model's input) fits in
    ``max_len`` tokens; the continuation is cut only when it alone is too long."""
    window = (context + continuation)[-(max_len + 1):]
    n_cont = min(len(continuation), len(window) - 1)
    return window[:-n_cont], window[-n_cont:]


def make_groups(contexts: list[list[int]], wholes: list[list[list[int]]], max_len: int,
                start_token: int) -> list[Group]:
    """One group per request, or one per continuation where truncation must differ."""
    groups: list[Group] = []
    for r, (ctx, whole) in enumerate(zip(contexts, wholes)):
        shared, conts = split_continuations(ctx, whole)
        if not shared:
            shared = [start_token]  # nothing to condition on: start from BOS/EOS, as lm-eval does
        longest = max(len(c) for c in conts)
        if len(shared) + longest - 1 <= max_len:
            groups.append(Group(shared, conts, [(r, j) for j in range(len(conts))]))
            continue
        for j, cont in enumerate(conts):
            c_ctx, c_cont = fit(shared, cont, max_len)
            groups.append(Group(c_ctx, [c_cont], [(r, j)]))
    return groups


def packed_length(g: Group) -> int:
    """Tokens of the group's packed row: the context and every continuation but its last token."""
    return len(g.context) + sum(max(0, len(c) - 1) for c in g.continuations)


@dataclass
class Packed:
    """Left-padded packed rows (see :func:`pack`) and where each score is read."""

    ids: torch.Tensor
    positions: torch.Tensor
    mask: torch.Tensor  # [batch, 1, width, width], additive: 0 attends, dtype minimum does not
    keep: int  # logits of the last `keep` columns are enough
    reads: list[list[list[int]]]  # reads[b][j]: column of the logits scoring each token of continuation j


def pack(groups: Sequence[Group], pad_id: int, dtype: torch.dtype, device: Any) -> Packed:
    """One row per group: its context, then every continuation but its last token.

    Continuation ``j``'s tokens attend to the context and to the earlier tokens of ``j``
    only, at positions ``len(context), len(context)+1, ..``: exactly what a pass over
    ``context + continuation j`` alone computes. Its first token is scored from the
    context's last column, token ``i`` from the column of its token ``i-1``.
    """
    rows = []
    for g in groups:
        ids, seg, pos = list(g.context), [0] * len(g.context), list(range(len(g.context)))
        starts = []
        for j, cont in enumerate(g.continuations):
            starts.append(len(ids))
            ids += cont[:-1]
            seg += [j + 1] * (len(cont) - 1)
            pos += range(len(g.context), len(g.context) + len(cont) - 1)
        rows.append((ids, seg, pos, starts))
    width = max(len(r[0]) for r in rows)
    n = len(rows)
    ids_t = torch.full((n, width), pad_id, dtype=torch.long)
    pos_t = torch.zeros((n, width), dtype=torch.long)
    allowed = torch.eye(width, dtype=torch.bool).repeat(n, 1, 1)  # padding rows see themselves only
    keep = 1
    reads: list[list[list[int]]] = []
    for b, ((ids, seg, pos, starts), g) in enumerate(zip(rows, groups)):
        off = width - len(ids)
        ids_t[b, off:] = torch.tensor(ids, dtype=torch.long)
        pos_t[b, off:] = torch.tensor(pos, dtype=torch.long)
        s = torch.tensor(seg)
        causal = torch.ones((len(ids), len(ids)), dtype=torch.bool).tril()
        allowed[b, off:, off:] = causal & ((s[:, None] == s[None, :]) | (s[None, :] == 0))
        last_ctx = off + len(g.context) - 1
        keep = max(keep, width - last_ctx)
        reads.append([[last_ctx] + [off + start + i for i in range(len(cont) - 1)]
                      for start, cont in zip(starts, g.continuations)])
    mask = torch.zeros((n, 1, width, width), dtype=dtype)
    mask.masked_fill_(~allowed[:, None], torch.finfo(dtype).min)
    shift = width - keep
    reads = [[[c - shift for c in cols] for cols in row] for row in reads]
    return Packed(ids_t.to(device), pos_t.to(device), mask.to(device), keep, reads)


class Scorer:
    """Runs the forward passes of ppl and clp requests for one model."""

    def __init__(self, model: Any, *, pad_id: int, device: Any, batch_size: int, token_budget: int | None = None):
        self.model = model
        self.features = Features.of(model)
        self.pad_id = pad_id
        self.device = device
        self.batch_size = max(1, batch_size)
        self.token_budget = token_budget  # padded tokens per forward pass; None: rows only
        self.share_cache: bool | None = None  # unknown until the first cache is seen
        self.packing: bool | None = None if self.features.position_ids else False  # checked on first use
        self._read = 0
        self.prefix = PrefixCache(model, self.features, pad_id=pad_id, device=device)
        # packed last-logits passes (compass_hf.segments): None until checked on first use
        self.segments: bool | None = None if segments.available(model, self.features, device) else False

    @property
    def tokens_read(self) -> int:
        """Real (unpadded) tokens through the model, for telemetry."""
        return self._read + self.prefix.tokens_read

    @tokens_read.setter
    def tokens_read(self, value: int) -> None:
        self._read = value - self.prefix.tokens_read

    def context_pass(self, contexts: list[list[int]], *, use_cache: bool) -> tuple[torch.Tensor, Any, torch.Tensor]:
        """``(last-position logits, cache, mask)`` for ``contexts``; a prefix they share is
        read from the prefix cache (same numbers as a full pass). Without ``use_cache`` the
        pass may be packed (:meth:`_packed_pass`; no cache, no mask), else it is left-padded."""
        if not use_cache and self.segments is not False:
            logits = self._packed_pass(contexts)
            if logits is not None:
                return logits, None, None
        n = self.prefix.plan(contexts) if self.share_cache is not False else 0
        if n:
            done = self.prefix.run(contexts, n, use_cache=use_cache, keep=1)
            if done is not None:
                return done
        ids, mask = left_pad(contexts, self.pad_id, self.device)
        self.tokens_read += int(mask.sum())
        logits, cache = forward(self.model, self.features, ids, mask, use_cache=use_cache, keep=1)
        return logits, cache, mask

    def _packed_pass(self, contexts: list[list[int]]) -> torch.Tensor | None:
        """Last-position logits ``[batch, 1, vocab]`` of ``contexts`` from one packed pass
        (:mod:`compass_hf.segments`), or None where packing is off for this model.

        The first time, the two shortest contexts are also run the padded way; if the
        log-probabilities differ, packing is switched off for this model.
        """
        n = self.prefix.plan(contexts) if self.share_cache is not False else 0
        prefix = self.prefix.kv(list(contexts[0][:n])) if n else None
        if n and prefix is None:  # the model's cache cannot be shared: no prefix either way
            n = 0
        seqs = [c[n:] for c in contexts]
        try:
            logits = segments.packed_last_logits(self.model, seqs, self.device, prefix=prefix, offset=n)
        except Exception as err:  # noqa: BLE001 - any model this path cannot run keeps the padded one
            if self.segments:
                raise
            self._packing_off(f"{type(err).__name__}: {err}".rstrip(": "))
            return None
        if self.segments is None:
            self.segments = False
            sample = sorted(range(len(contexts)), key=lambda i: len(contexts[i]))[:2]
            read = self.tokens_read
            reference, _, _ = self.context_pass([contexts[i] for i in sample], use_cache=False)
            self.tokens_read = read  # the check is not the workload's tokens
            got = torch.log_softmax(logits[sample].float(), dim=-1)
            want = torch.log_softmax(reference[:, -1].float(), dim=-1)
            if not torch.allclose(got, want, rtol=0, atol=self._check_tolerance()):
                self._packing_off(f"not the padded pass's numbers: log-probabilities differ by up to "
                                  f"{float((got - want).abs().max()):.3g}")
                return None
            self.segments = True
        self.tokens_read += sum(len(s) for s in seqs)
        return logits[:, None]

    def _check_tolerance(self) -> float:
        """How far a first-use check lets a faster path's log-probabilities differ."""
        return 1e-3 if next(self.model.parameters()).dtype == torch.float32 else 5e-2

    def _packing_off(self, why: str) -> None:
        self.segments = False
        print(f"note: contexts are scored in padded batches for this model (packed in one row: {why})",
              file=sys.stderr)

    def _uncached(self, size: Callable[[Any], int],
                  context: Callable[[Any], Sequence[int]] = lambda g: g.context) -> Callable[[Any], int]:
        """``size`` minus the prefix the prefix cache will serve: what a pass really computes
        (a 5-shot question's own tail, not its thousand-token examples), for batching."""
        shared = list(self.prefix.tokens) if self.share_cache is not False else []
        n = len(shared)
        if not n:
            return size
        return lambda item: size(item) - (n if list(context(item)[:n]) == shared else 0)

    def _chunks(self, items: Sequence[Any], length: Callable[[Any], int], *, last_only: bool):
        """Batches of ``items`` for the passes: by padded size, or by total size when every
        pass needs last logits only and may be packed (then ``batch_size="auto"`` limits
        tokens, not rows)."""
        packed = last_only and self.segments is not False and self.token_budget is not None
        rows = self.token_budget if packed else self.batch_size
        return budget_chunks(items, rows, self.token_budget, length, packed=packed)

    # ------------------------------------------------------------------ ppl
    def loglikelihood(self, groups: list[Group], n_requests: int) -> list[list[float]]:
        """Summed log-probabilities, ``out[request][continuation]``."""
        out: dict[tuple[int, int], float] = {}
        if self.share_cache is not False:
            self.prefix.prepare([g.context for g in groups])
        length = self._uncached(packed_length)
        order = sorted(groups, key=lambda g: -length(g))
        single = all(len(c) == 1 for g in groups for c in g.continuations)
        with torch.inference_mode():
            for chunk in self._chunks(order, length, last_only=single):
                self._score_chunk(list(chunk), out)
        result: list[list[float]] = [[] for _ in range(n_requests)]
        for (r, j), value in sorted(out.items()):
            result[r].append(value)
        return result

    def _score_chunk(self, chunk: list[Group], out: dict[tuple[int, int], float]) -> None:
        share = self.share_cache is not False

        def multi(g: Group) -> list[int]:
            return [j for j, c in enumerate(g.continuations) if len(c) > 1]

        def has_single(g: Group) -> bool:
            return any(len(c) == 1 for c in g.continuations)

        packable = [g for g in chunk if multi(g)] if self.packing is not False else []
        if packable and not self.prefix.plan([g.context for g in packable]):
            chunk = self._score_packed(packable, out, chunk)
            if not chunk:
                return
        # A context pass pays off for single-token continuations (scored from its last
        # position) and, when the cache can be shared, for several longer ones.
        with_context = [g for g in chunk if has_single(g) or (share and len(multi(g)) >= 2)]
        chosen = {id(g) for g in with_context}
        full_rows = [(g, j) for g in chunk if id(g) not in chosen for j in multi(g)]
        if with_context:
            cached_rows = [(b, g, j) for b, g in enumerate(with_context) for j in multi(g)]
            want_cache = share and bool(cached_rows)
            logits, cache, mask = self.context_pass([g.context for g in with_context], use_cache=want_cache)
            last = torch.log_softmax(logits[:, -1].float(), dim=-1)
            for b, g in enumerate(with_context):
                for j, cont in enumerate(g.continuations):
                    out[g.slots[j]] = float(last[b, cont[0]])
            if cached_rows:
                if want_cache and shareable(cache):
                    self.share_cache = True
                    self._score_from_cache(cache, mask, cached_rows, out)
                else:
                    if want_cache and self.share_cache is None:
                        print("note: this model's KV cache cannot be shared between continuations; "
                              "each continuation gets its own forward pass", file=sys.stderr)
                    self.share_cache = False
                    full_rows += [(g, j) for _, g, j in cached_rows]
            del cache
        if full_rows:
            self._score_full(full_rows, out)

    def _score_packed(self, groups: list[Group], out: dict[tuple[int, int], float],
                      chunk: list[Group]) -> list[Group]:
        """Score ``groups`` packed (:func:`pack`); returns the groups of ``chunk`` left to score.

        The first time, two of the groups are also scored the other way: if the numbers
        differ, packing is switched off for this model and the whole chunk is left to the
        other paths.
        """
        dtype = next(self.model.parameters()).dtype
        p = pack(groups, self.pad_id, dtype if dtype.is_floating_point else torch.float32, self.device)
        logits, _ = forward(self.model, self.features, p.ids, p.mask, position_ids=p.positions, keep=p.keep)
        # Normalise only the positions that score a token (not every kept column).
        keys: list[tuple[int, int]] = []
        rows: list[int] = []
        cols: list[int] = []
        targets: list[int] = []
        owner: list[int] = []
        for b, g in enumerate(groups):
            for j, cont in enumerate(g.continuations):
                rows += [b] * len(cont)
                cols += p.reads[b][j]
                targets += cont
                owner += [len(keys)] * len(cont)
                keys.append(g.slots[j])
        dev = logits.device
        picked = logits[torch.tensor(rows, device=dev), torch.tensor(cols, device=dev)].float()
        lp = torch.log_softmax(picked, dim=-1).gather(-1, torch.tensor(targets, device=dev)[:, None]).squeeze(-1)
        sums = torch.zeros(len(keys), device=dev).index_add_(0, torch.tensor(owner, device=dev, dtype=torch.long), lp)
        got = dict(zip(keys, sums.tolist()))
        self.tokens_read += sum(len(g.context) + sum(len(c) - 1 for c in g.continuations) for g in groups)
        packed = {id(g) for g in groups}
        if self.packing is None:
            self.packing = False
            check: dict[tuple[int, int], float] = {}
            sample = sorted(groups, key=packed_length)[:2]  # the two shortest: a cheap check
            self._score_chunk(sample, check)
            tolerance = self._check_tolerance()
            self.packing = all(abs(got[k] - v) <= tolerance * max(1.0, abs(v)) for k, v in check.items())
            if not self.packing:
                print("note: this model's attention does not follow a custom 4-D mask; continuations are "
                      "scored one context pass at a time", file=sys.stderr)
                return chunk
        out.update(got)
        return [g for g in chunk if id(g) not in packed]

    def _score_from_cache(self, cache: Any, ctx_mask: torch.Tensor, rows: list[tuple[int, Group, int]],
                          out: dict[tuple[int, int], float]) -> None:
        """Tokens 2.. of each continuation, reading the context from its KV cache."""
        ctx_len = ctx_mask.sum(-1)
        for sub in chunks(rows, self.batch_size):
            idx = torch.tensor([b for b, _, _ in sub], device=ctx_mask.device)
            past = select_rows(cache, idx)
            conts = [g.continuations[j] for _, g, j in sub]
            ids, cont_mask = right_pad([c[:-1] for c in conts], self.pad_id, self.device)
            targets, _ = right_pad([c[1:] for c in conts], 0, self.device)
            self.tokens_read += int(cont_mask.sum())
            mask = torch.cat([ctx_mask.index_select(0, idx), cont_mask], dim=1)
            pos = ctx_len.index_select(0, idx)[:, None] + torch.arange(ids.shape[1], device=ids.device)[None, :]
            logits, _ = forward(self.model, self.features, ids, mask, position_ids=pos, past=past,
                                use_cache=True)
            lp = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[..., None]).squeeze(-1)
            sums = (lp * cont_mask).sum(-1)
            for (_, g, j), value in zip(sub, sums.tolist()):
                out[g.slots[j]] += value

    def _score_full(self, rows: list[tuple[Group, int]], out: dict[tuple[int, int], float]) -> None:
        """Whole continuations, one forward pass of context + continuation each."""
        for sub in chunks(rows, self.batch_size):
            seqs = [g.context + g.continuations[j][:-1] for g, j in sub]
            conts = [g.continuations[j] for g, j in sub]
            keep = max(len(c) for c in conts)
            ids, mask = left_pad(seqs, self.pad_id, self.device)
            self.tokens_read += int(mask.sum())
            logits, _ = forward(self.model, self.features, ids, mask, keep=keep)
            lp = torch.log_softmax(logits.float(), dim=-1)
            for row, ((g, j), cont) in enumerate(zip(sub, conts)):
                part = lp[row, keep - len(cont):]
                target = torch.tensor(cont, device=part.device)
                out[g.slots[j]] = float(part.gather(-1, target[:, None]).sum())

    # ------------------------------------------------------------------ clp
    def next_token(self, contexts: list[list[int]], token_ids: list[list[int]]) -> list[list[float]]:
        """Log-probability of each candidate token right after each context."""
        result: list[list[float]] = [[] for _ in contexts]
        order = sorted(range(len(contexts)), key=lambda i: -len(contexts[i]))
        self.prefix.prepare(contexts)
        length = self._uncached(lambda i: len(contexts[i]), lambda i: contexts[i])
        with torch.inference_mode():
            for sub in self._chunks(order, length, last_only=True):
                logits, _, _ = self.context_pass([contexts[i] for i in sub], use_cache=False)
                last = torch.log_softmax(logits[:, -1].float(), dim=-1)
                for row, i in enumerate(sub):
                    result[i] = [float(last[row, t]) for t in token_ids[i]]
        return result

