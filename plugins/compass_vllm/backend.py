"""The ``vllm`` model backend: a Hugging Face causal LM run by vLLM's offline engine.

It takes the ``hf`` backend's settings and renders prompts with the ``hf`` backend's own
code (:class:`compass_hf.encoding.Encoder`: chat template or meta template, end-of-turn
markers), so a model reads the same tokens under both; vLLM does the forward passes.

* gen: every pending request goes to the engine at once (its continuous batching); the
  answers come back as they finish and are cut exactly as ``hf`` cuts them
  (:func:`compass_hf.generation.finish`: eos/end-of-turn after ``min_out_len``, stop words);
* ppl: one-token continuations read from one next-token pass over their shared context;
  longer ones scored by the prompt log-probabilities of context + continuation (vLLM
  does not read its prefix cache for prompt log-probabilities: the context is computed
  again for each such candidate);
* clp: the options' first tokens read from one next-token pass per question.

Importing this module is cheap; vllm and transformers load when a model is built, in the
worker process (vLLM starts processes of its own, which needs a ``__main__`` guard: the
worker, ``python -m compass._task``, has one).
"""

from __future__ import annotations

import functools
import gc
import os
from typing import Any, Iterator

from compass.sdk import (CompassError, Completion, Failure, GenerateRequest, LoglikelihoodRequest,
                        OptionsRequest)
from compass_hf import HFOptions, HFSettingsModel

from compass_vllm.cpu_threads import engine_thread_env, usable_cpus
from compass_vllm.options import INSTALL, check, engine_kwargs, sampling_kwargs

HANDOVER = 1 << 16  # ppl/clp requests handed over at once: the engine batches them itself
TOP_LOGPROBS = 20  # token log-probs read per request (vLLM's default max_logprobs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [int(v) for v in value if v is not None]
    return [int(value)]


class VLLMModel(HFSettingsModel):
    """A causal LM served by ``vllm.LLM``; the parameters are those of
    :class:`compass_hf.backend.HFCausalLM` (``--hf-path``, ``--hf-type``, ...), with these
    differences: ``model_kwargs`` go to ``vllm.LLM`` (``gpu_memory_utilization``,
    ``max_model_len``, ``enforce_eager``, ``swap_space``…); ``num_gpus`` is the tensor
    parallel size; ``generation_kwargs`` go to ``vllm.SamplingParams``; ``threads`` (on CPU) is
    the engine's OpenMP threads, bound to the worker's cores (:mod:`compass_vllm.cpu_threads`);
    ``batch_size`` is ignored (vLLM schedules its own batches); ``peft_path`` is refused.
    """

    def _setup(self, opts: HFOptions) -> None:
        check(opts)
        self.handover_size = HANDOVER
        self._prompt_tokens = self._completion_tokens = 0
        self._generated = 0  # tokens of finished requests, for tokens_generated
        self._next_id = 0
        self._saved_env: dict[str, str | None] = {}  # what the engine's thread settings replaced
        self._start_engine(opts)

    # ------------------------------------------------------------------ set-up
    def _start_engine(self, opts: HFOptions) -> None:
        try:
            import vllm
        except ImportError:
            import sys

            raise CompassError(INSTALL.format(python=sys.executable)) from None
        from compass_hf import Encoder
        from compass_hf import import_transformers
        from compass_hf import MetaTemplate

        from compass_vllm.weights import model_source, tokenizer_source

        transformers = import_transformers()
        weights = model_source(opts)
        tok_source = tokenizer_source(opts, weights)
        try:
            tok = transformers.AutoTokenizer.from_pretrained(tok_source, **opts.tokenizer_kwargs)
        except (OSError, ValueError, TypeError) as exc:
            raise CompassError(f"could not load the tokenizer of {tok_source}: {_first_line(exc)}") from None
        self.tokenizer = tok
        meta = MetaTemplate.from_config(opts.meta_template) if opts.meta_template is not None else None
        self.encoder = Encoder(tok, chat=opts.is_chat, meta_template=meta)
        self.end_strings, end_ids = self.encoder.end_of_turn()
        try:
            gen_cfg = transformers.GenerationConfig.from_pretrained(weights)
        except Exception:  # no generation_config.json: the tokenizer's eos only
            gen_cfg = None
        eos = _as_ids(getattr(gen_cfg, "eos_token_id", None)) + _as_ids(tok.eos_token_id) + list(end_ids)
        self.eos_ids = tuple(dict.fromkeys(eos))
        pad = next((int(t) for t in (opts.pad_token_id, tok.pad_token_id, *self.eos_ids, 0) if t is not None), 0)
        self.start_id = next(int(t) for t in (tok.bos_token_id, *self.eos_ids, pad) if t is not None)
        eos_text = {tok.convert_ids_to_tokens(i) for i in self.eos_ids}
        self.end_watch = tuple(s for s in self.end_strings if s not in eos_text)

        from vllm.platforms import current_platform

        dtype = opts.dtype
        if dtype == "auto" and current_platform.is_cpu():
            dtype = "float32"  # as the hf backend on CPU: same weights, same numbers
        if current_platform.is_cpu():  # the engine processes read these when they start
            self._set_env(engine_thread_env(opts.threads, max(1, opts.num_gpus), os.environ, usable_cpus()))
        kwargs = {"generation_config": "vllm", "seed": 0, **engine_kwargs(opts)}
        try:
            self.llm = vllm.LLM(model=weights, tokenizer=tok_source, dtype=dtype, **kwargs)
        except TypeError as exc:
            self._restore_env()
            raise CompassError(f"vLLM's engine rejected the model settings: {_first_line(exc)} "
                               f"(check --model-kwargs)") from None
        except (ValueError, OSError, RuntimeError) as exc:
            self._restore_env()
            raise CompassError(f"vLLM could not load {opts.path}: {_first_line(exc)}") from None
        self.max_seq_len = int(self.llm.llm_engine.model_config.max_model_len)
        # Final outputs only, as vLLM's own LLM.generate asks for them: the default
        # (cumulative) kind makes the engine build every running request's whole text at
        # every step, which on a 2-core CPU took more time than the model itself.
        from vllm.sampling_params import RequestOutputKind

        self._sampling = functools.partial(vllm.SamplingParams, output_kind=RequestOutputKind.FINAL_ONLY)

    def _set_env(self, env: dict[str, str]) -> None:
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    @property
    def token_counts(self) -> dict:
        """Running totals for telemetry: tokens the model read (prompt) and wrote (completion)."""
        return {"prompt": self._prompt_tokens, "completion": self._completion_tokens}

    @property
    def tokens_generated(self) -> int:
        """Tokens of the requests finished so far (the engine hands back final outputs only),
        for the core's live progress."""
        return self._generated

    def __repr__(self) -> str:
        return f"VLLMModel({self.options.path!r}, {self.options.hf_type})"

    # ------------------------------------------------------------------ engine
    def _run(self, prompts: list[list[int]], params: list[Any]) -> Iterator[tuple[int, Any]]:
        """Each prompt's position and its ``RequestOutput`` (or the exception that refused
        it), as the engine finishes them; all of them are in the engine at once."""
        engine = self.llm.llm_engine
        ids: dict[str, int] = {}
        alias: dict[str, str] = {}  # the engine's own request id -> ours
        for i, (ids_, p) in enumerate(zip(prompts, params)):
            rid = f"c{self._next_id}"
            self._next_id += 1
            try:
                internal = engine.add_request(rid, {"prompt_token_ids": ids_}, p)
            except Exception as exc:  # this request only (too long, bad parameters): a failed sample
                yield i, exc
                continue
            ids[rid] = i
            alias[internal or rid] = rid
        while ids and engine.has_unfinished_requests():
            for out in engine.step():
                rid = alias.get(out.request_id, out.request_id)
                if out.finished and rid in ids:
                    self._generated += len(out.outputs[0].token_ids) if out.outputs else 0
                    yield ids.pop(rid), out
        for i in ids.values():  # the engine dropped them (should not happen)
            yield i, RuntimeError("vLLM returned no answer")

    # ------------------------------------------------------------------ gen
    def _gen_params(self, req: GenerateRequest) -> tuple[Any, tuple[str, ...], int, int]:
        opts = self.options
        max_new = max(1, int(req.max_out_len))
        min_new = min(max_new, max(int(req.min_out_len or 0), opts.min_out_len))
        stops = tuple(dict.fromkeys((*req.stop, *opts.stop_words)))
        watch = tuple(dict.fromkeys((*stops, *self.end_watch)))
        kwargs: dict[str, Any] = {"temperature": float(req.temperature or 0.0)}
        kwargs.update(sampling_kwargs(opts.generation_kwargs))
        try:
            params = self._sampling(
                **kwargs, max_tokens=max_new, min_tokens=min_new, stop=list(watch) or None,
                stop_token_ids=list(self.eos_ids) or None, skip_special_tokens=False,
                spaces_between_special_tokens=False, include_stop_str_in_output=True)
        except (TypeError, ValueError) as exc:
            raise CompassError(f"--generation-kwargs: vLLM's SamplingParams refused them: {_first_line(exc)}") from None
        return params, tuple(dict.fromkeys((*stops, *self.end_strings))), min_new, max_new

    def generate_stream(self, requests: list[GenerateRequest]) -> Iterator[tuple[int, Completion]]:
        """Every request in the engine at once; each answer with its position when it is done."""
        from compass_hf import left_truncate
        from compass_hf import finish

        prompts, params, cuts = [], [], []
        for req in requests:
            p, trim, min_new, max_new = self._gen_params(req)
            ids = left_truncate(self.encoder.encode_one(self.encoder.render(req.prompt)), self.max_seq_len - max_new)
            prompts.append(ids)
            params.append(p)
            cuts.append((trim, min_new, max_new))
        for i, out in self._run(prompts, params):
            if isinstance(out, Exception):
                yield i, Completion("", prompt_tokens=len(prompts[i]), error=f"vLLM refused the request: "
                                                                               f"{_first_line(out)}")
                continue
            first = out.outputs[0]
            new = list(first.token_ids)
            trim, min_new, max_new = cuts[i]
            stopped_at = len(new) if isinstance(first.stop_reason, str) else None
            done = finish(self.tokenizer, new, eos_ids=self.eos_ids, stops=trim, min_new=min_new,
                          max_new=max_new, stopped_at=stopped_at)
            self._prompt_tokens += len(prompts[i])
            self._completion_tokens += done.completion_tokens
            yield i, Completion(done.text, prompt_tokens=len(prompts[i]), completion_tokens=done.completion_tokens,
                                finish_reason=done.finish_reason)

    def generate(self, requests: list[GenerateRequest]) -> list[Completion]:
        """Greedy (or sampled) continuations, in order."""
        out: list[Completion | None] = [None] * len(requests)
        for i, c in self.generate_stream(requests):
            out[i] = c
        return [c for c in out if c is not None]

    # ------------------------------------------------------------------ scoring
    def _next_token(self, contexts: list[list[int]], tokens: list[list[int]]) -> list[list[float] | str]:
        """Log-probability of each of ``tokens[k]`` right after ``contexts[k]`` (or an error):
        one pass over each context, reading those tokens' log-probabilities
        (``SamplingParams.logprob_token_ids``)."""
        prompts, params, owner = [], [], []
        for k, (ctx, toks) in enumerate(zip(contexts, tokens)):
            wanted = list(dict.fromkeys(toks))
            for start in range(0, len(wanted), TOP_LOGPROBS):  # the engine's cap per request
                prompts.append(ctx)
                params.append(self._sampling(max_tokens=1, temperature=0.0, detokenize=False,
                                             logprob_token_ids=wanted[start:start + TOP_LOGPROBS]))
                owner.append(k)
        found: list[dict[int, float]] = [{} for _ in contexts]
        errors: dict[int, str] = {}
        for n, res in self._run(prompts, params):
            k = owner[n]
            if isinstance(res, Exception):
                errors[k] = f"vLLM refused the request: {_first_line(res)}"
                continue
            self._prompt_tokens += len(prompts[n])
            step = res.outputs[0].logprobs[0]
            found[k].update({int(t): float(lp.logprob) for t, lp in step.items()})
        return [errors[k] if k in errors else [found[k][t] for t in tokens[k]] for k in range(len(contexts))]

    def _sequences(self, seqs: list[list[int]], tails: list[int]) -> list[float | str]:
        """Summed prompt log-probability of the last ``tails[k]`` tokens of ``seqs[k]`` (or an error)."""
        if not seqs:
            return []
        params = self._sampling(max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False)
        out: list[Any] = [None] * len(seqs)
        for k, res in self._run(seqs, [params] * len(seqs)):
            if isinstance(res, Exception):
                out[k] = f"vLLM refused the request: {_first_line(res)}"
                continue
            self._prompt_tokens += len(seqs[k])
            logprobs = res.prompt_logprobs
            n = len(seqs[k])
            out[k] = sum(float(logprobs[p][seqs[k][p]].logprob) for p in range(n - tails[k], n))
        return out

    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...] | Failure]:
        """Summed log-probability of each continuation given the request's prompt."""
        from compass_hf import make_groups

        texts = [self.encoder.render(req.prompt) for req in requests]
        contexts = self.encoder.encode(texts)
        pairs = [(r, j) for r, req in enumerate(requests) for j, c in enumerate(req.continuations) if c]
        flat = self.encoder.encode([texts[r] + requests[r].continuations[j] for r, j in pairs])
        wholes: list[list[list[int]]] = [[] for _ in requests]
        index: list[list[int]] = [[] for _ in requests]
        for (r, j), ids in zip(pairs, flat):
            wholes[r].append(ids)
            index[r].append(j)
        keep = [r for r in range(len(requests)) if wholes[r]]
        groups = make_groups([contexts[r] for r in keep], [wholes[r] for r in keep], self.max_seq_len - 1,
                             self.start_id)
        scores: dict[tuple[int, int], float | str] = {}
        singles = [g for g in groups if any(len(c) == 1 for c in g.continuations)]
        values = self._next_token([g.context for g in singles],
                                  [[c[0] for c in g.continuations if len(c) == 1] for g in singles])
        for g, vals in zip(singles, values):
            one = [slot for slot, c in zip(g.slots, g.continuations) if len(c) == 1]
            for n, slot in enumerate(one):
                scores[slot] = vals if isinstance(vals, str) else vals[n]
        multi = [(g.context + c, len(c), slot) for g in groups for slot, c in zip(g.slots, g.continuations)
                 if len(c) > 1]
        for (_, _, slot), value in zip(multi, self._sequences([m[0] for m in multi], [m[1] for m in multi])):
            scores[slot] = value
        out: list[tuple[float, ...] | Failure] = []
        position = {r: k for k, r in enumerate(keep)}
        for r, req in enumerate(requests):
            values = [0.0] * len(req.continuations)  # an empty continuation is certain
            error = None
            for n, j in enumerate(index[r]):
                v = scores[(position[r], n)]
                if isinstance(v, str):
                    error = v
                else:
                    values[j] = v
            out.append(Failure(error) if error else tuple(values))
        return out

    def option_logprobs(self, requests: list[OptionsRequest]) -> list[tuple[float, ...] | Failure]:
        """Log-probability of each option's first token as the next token after the prompt."""
        from compass_hf import left_truncate

        contexts, tokens = [], []
        for req in requests:
            text = self.encoder.render(req.prompt)
            ctx = self.encoder.encode_one(text)
            tokens.append([self._option_token(text, ctx, option) for option in req.options])
            contexts.append(left_truncate(ctx, self.max_seq_len - 1))
        return [Failure(v) if isinstance(v, str) else tuple(v) for v in self._next_token(contexts, tokens)]

    def _option_token(self, text: str, ctx: list[int], option: str) -> int:
        """The first token of ``option`` as the tokenizer writes it after the prompt, else on its own
        (as the ``hf`` backend picks it)."""
        whole = self.encoder.encode_one(text + option)
        if len(whole) > len(ctx) and whole[:len(ctx)] == ctx:
            return whole[len(ctx)]
        plain = self.encoder.encode_plain(option)
        return plain[0] if plain else self.eos_ids[0] if self.eos_ids else self.start_id

    # ------------------------------------------------------------------ end
    def close(self) -> None:
        """Stop the engine and its processes (the worker may load another model next)."""
        llm = getattr(self, "llm", None)
        self.llm = None
        if llm is not None:
            shutdown = getattr(llm.llm_engine, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception:
                    pass
        del llm
        self._restore_env()
        gc.collect()
