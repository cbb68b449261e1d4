#!/usr/bin/env python3
"""Raw speed of the hf backend against plain transformers, same model, same process.

The model is the embedded default, SmolLM2-135M-Instruct (float32, CPU), read once; the
backend (``compass_hf.backend.HFCausalLM``, base mode so prompts are exactly the tokens
given) and "plain" (direct ``model(...)`` / ``model.generate(...)`` calls, the way
``../shared/tools/peer-bench/raw_speed.py`` measures this box) use the *same* weights
object, so the only difference is the harness around them. Measurements alternate between
the two (A B A B …) and keep each side's fastest run, which is the least disturbed one on
a shared machine.

Workloads (token ids identical on both sides):

* ``ppl`` prefill — B requests, each a context of L tokens and one 16-token continuation,
  scored by the backend's ``loglikelihood``; plain: one forward pass of the same ids,
  log-softmax, gather. Two plain variants: logits for every position (what lm-eval and
  raw_speed.py's "full" do) and for the last 16 positions only (the cheapest plain code).
* ``ppl 4 cands`` — (B ≤ 8) each context with four 16-token candidates: the backend reads
  the context once and the candidates from its KV cache; plain scores the four
  context+candidate sequences in one padded batch (lm-eval's way). Tokens counted: the four
  sequences, as plain reads them.
* ``clp`` prefill — B contexts of L tokens, next-token log-probs of 4 options
  (``option_logprobs``); plain: one forward pass with ``logits_to_keep=1``.
* decode — B prompts of 128 tokens, exactly N new tokens, greedy (``generate`` with
  ``min_out_len = max_out_len = N``); plain: ``model.generate(min_new_tokens=N,
  max_new_tokens=N)``. Throughput counts new tokens over the whole call (prefill included).

Prints one table with tokens/s for both and the ratio backend/plain (target ≥ 0.9).
Environment: ``THREADS`` (2), ``PREFILL`` (``1x512,8x128,32x128``: BxL),
``DEC_BATCHES`` (``1,8,32``), ``NEW_TOKENS`` (64), ``REPS`` (2 per side), ``OUT_JSON``.
Takes about four minutes on two cores.
"""

from __future__ import annotations

import json
import os
import sys
import time

THREADS = int(os.environ.get("THREADS", "2"))
PREFILL = [tuple(int(x) for x in s.split("x")) for s in os.environ.get("PREFILL", "1x512,8x128,32x128").split(",")]
DEC_BATCHES = [int(x) for x in os.environ.get("DEC_BATCHES", "1,8,32").split(",")]
NEW_TOKENS = int(os.environ.get("NEW_TOKENS", "64"))
REPS = int(os.environ.get("REPS", "2"))
CONT = 16

TEXT = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and "
        "bakes muffins for her friends every day with four. She sells the remainder at the "
        "farmers' market daily for $2 per fresh duck egg. ") * 60


def alternate(fns: dict, reps: int = REPS) -> dict:
    """Run each callable ``reps`` times, interleaved; the fastest wall time of each."""
    best = {k: float("inf") for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main() -> int:
    import torch

    torch.set_num_threads(THREADS)
    from compass._types import GenerateRequest, LoglikelihoodRequest, Message, OptionsRequest
    from compass_hf.backend import HFCausalLM
    from compass_hf.presets import PRESETS
    from compass_hf.scoring import split_continuations

    t0 = time.perf_counter()
    defaults = {**PRESETS["smollm2-135m-instruct"][1], "hf_type": "base"}
    backend = HFCausalLM(**defaults, batch_size=32)
    print(f"backend load: {time.perf_counter() - t0:.1f}s  torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, loadavg {os.getloadavg()[0]:.2f}")
    model, tok, enc = backend.model, backend.tokenizer, backend.encoder
    pad = backend.pad_id

    # Texts whose re-encoding is stable, and the exact ids both sides use.
    base_ids = tok(TEXT, add_special_tokens=False).input_ids

    def text_of(n: int, offset: int = 0) -> tuple[str, list[int]]:
        text = tok.decode(base_ids[offset:offset + n])
        return text, enc.encode_one(text)

    rows = []
    human = lambda text: (Message("HUMAN", text),)  # noqa: E731

    with torch.inference_mode():
        # warm-up
        ids = torch.tensor([base_ids[:64]] * 2)
        model(input_ids=ids)
        model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=4, do_sample=False,
                       pad_token_id=pad)

        for bs, L in PREFILL:
            backend.batch_size = backend.scorer.batch_size = bs
            ctx_text, ctx_ids = text_of(L)
            cont_text = tok.decode(base_ids[L:L + CONT])
            whole = enc.encode_one(ctx_text + cont_text)
            n_ctx = len(ctx_ids) if whole[:len(ctx_ids)] == ctx_ids else len(whole) - CONT
            cont_ids = whole[n_ctx:]
            seq = torch.tensor([whole[:-1]] * bs)
            target = torch.tensor(cont_ids)
            k = len(cont_ids)
            ppl_reqs = [LoglikelihoodRequest(human(ctx_text), (cont_text,))] * bs

            def plain_full():
                lp = torch.log_softmax(model(input_ids=seq, use_cache=False).logits.float(), -1)
                return lp[:, -k:].gather(-1, target.expand(bs, k)[..., None]).sum((1, 2))

            def plain_keep():
                lp = torch.log_softmax(model(input_ids=seq, use_cache=False, logits_to_keep=k).logits.float(), -1)
                return lp.gather(-1, target.expand(bs, k)[..., None]).sum((1, 2))

            ref = plain_full()
            got = torch.tensor([s[0] for s in backend.loglikelihood(ppl_reqs)])
            assert torch.allclose(ref, got, atol=1e-3), (ref, got)
            t = alternate({"backend": lambda: backend.loglikelihood(ppl_reqs), "plain_full": plain_full,
                           "plain_keep": plain_keep})
            n = bs * seq.shape[1]
            rows.append({"workload": "ppl prefill", "bs": bs, "L": seq.shape[1], "tokens": n,
                         "backend_tok_s": n / t["backend"], "plain_tok_s": n / t["plain_keep"],
                         "plain_full_tok_s": n / t["plain_full"]})

            if bs <= 8:  # four 16-token candidates per context: the backend reads the context once
                conts4 = [tok.decode(base_ids[L + 16 * i:L + 16 * (i + 1)]) for i in range(4)]
                wholes4 = [enc.encode_one(ctx_text + c) for c in conts4]
                _, cont4_ids = split_continuations(ctx_ids, wholes4)
                seqs4 = [w[:-1] for w in wholes4] * bs
                width = max(len(s) for s in seqs4)
                seq4 = torch.tensor([[pad] * (width - len(s)) + s for s in seqs4])
                mask4 = (torch.arange(width)[None, :] >= torch.tensor([width - len(s) for s in seqs4])[:, None]).long()
                keep4 = max(len(c) for c in cont4_ids)
                reqs4 = [LoglikelihoodRequest(human(ctx_text), tuple(conts4))] * bs

                def plain_naive():
                    logits = model(input_ids=seq4, attention_mask=mask4, position_ids=(mask4.cumsum(-1) - 1).clamp(min=0),
                                   use_cache=False, logits_to_keep=keep4).logits
                    return torch.log_softmax(logits.float(), -1)

                t = alternate({"backend": lambda: backend.loglikelihood(reqs4), "plain": plain_naive})
                n = sum(len(w) for w in wholes4) * bs
                rows.append({"workload": "ppl 4 cands", "bs": bs, "L": L, "tokens": n,
                             "backend_tok_s": n / t["backend"], "plain_tok_s": n / t["plain"]})

            clp_reqs = [OptionsRequest(human(ctx_text), (" A", " B", " C", " D"))] * bs
            ctx = torch.tensor([ctx_ids] * bs)

            def plain_last():
                return torch.log_softmax(model(input_ids=ctx, use_cache=False, logits_to_keep=1).logits[:, -1].float(), -1)

            t = alternate({"backend": lambda: backend.option_logprobs(clp_reqs), "plain": plain_last})
            n = bs * ctx.shape[1]
            rows.append({"workload": "clp prefill", "bs": bs, "L": ctx.shape[1], "tokens": n,
                         "backend_tok_s": n / t["backend"], "plain_tok_s": n / t["plain"]})
            print(f"  prefill bs={bs} L={L} done", file=sys.stderr, flush=True)

        for bs in DEC_BATCHES:
            backend.batch_size = bs
            text, ids = text_of(128)
            reqs = [GenerateRequest(human(text), max_out_len=NEW_TOKENS, min_out_len=NEW_TOKENS)] * bs
            inp = torch.tensor([ids] * bs)
            mask = torch.ones_like(inp)

            def plain_gen():
                return model.generate(input_ids=inp, attention_mask=mask, max_new_tokens=NEW_TOKENS,
                                      min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=pad,
                                      eos_token_id=list(backend.eos_ids))

            out = plain_gen()[0, inp.shape[1]:].tolist()
            got = backend.generate(reqs[:1])[0]
            assert got.completion_tokens == NEW_TOKENS
            assert got.text == tok.decode([t for t in out if t not in backend.eos_ids], skip_special_tokens=True)
            t = alternate({"backend": lambda: backend.generate(reqs), "plain": plain_gen})
            n = bs * NEW_TOKENS
            rows.append({"workload": "decode", "bs": bs, "L": inp.shape[1], "tokens": n,
                         "backend_tok_s": n / t["backend"], "plain_tok_s": n / t["plain"]})
            print(f"  decode bs={bs} done", file=sys.stderr, flush=True)

    print()
    print(f"{'workload':12s} {'bs':>3s} {'L':>4s} {'backend tok/s':>14s} {'plain tok/s':>12s} {'ratio':>6s}"
          f" {'plain full-logits tok/s':>24s}")
    for r in rows:
        r["ratio"] = r["backend_tok_s"] / r["plain_tok_s"]
        extra = f" {r['plain_full_tok_s']:24.1f}" if "plain_full_tok_s" in r else ""
        print(f"{r['workload']:12s} {r['bs']:3d} {r['L']:4d} {r['backend_tok_s']:14.1f} {r['plain_tok_s']:12.1f} "
              f"{r['ratio']:6.2f}{extra}")
    worst = min(r["ratio"] for r in rows)
    print(f"\nworst ratio backend/plain: {worst:.2f} (target >= 0.90); loadavg {os.getloadavg()[0]:.2f}")
    if os.environ.get("OUT_JSON"):
        with open(os.environ["OUT_JSON"], "w") as f:
            json.dump({"threads": THREADS, "new_tokens": NEW_TOKENS, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
