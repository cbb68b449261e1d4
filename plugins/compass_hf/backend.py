"""The ``hf`` model backend: a Hugging Face causal LM behind compass's Model interface.

Importing this module is cheap (the planner imports it to read the constructor's
signature); torch and transformers load when a model is built.
"""

from __future__ import annotations

import gc
from typing import Any, Iterator

from compass.sdk import Completion, GenerateRequest, LoglikelihoodRequest, OptionsRequest

from compass_hf.options import HFOptions

DEFAULT_MAX_SEQ_LEN = 2048
HANDOVER = 256  # requests handed over at once (predictions are written per hand-over)


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [int(v) for v in value if v is not None]
    return [int(value)]


class HFSettingsModel:
    """Base of the backends that take the ``hf`` backend's settings (``hf``, ``vllm``, ``npu``):
    the keyword arguments, checked and gathered into :class:`compass_hf.options.HFOptions`, then
    ``_setup(opts)``. One signature, so ``check_kwargs`` refuses an unknown option for all of them."""

    default_device = "auto"

    def __init__(self, path: str | None = None, hf_type: str = "chat", model_kwargs: dict | None = None,
                 tokenizer_path: str | None = None, tokenizer_kwargs: dict | None = None,
                 generation_kwargs: dict | None = None, max_seq_len: int | None = None,
                 max_out_len: int | None = None, min_out_len: int = 0, batch_size: int | str = 8,
                 num_gpus: int = 0, stop_words: list | None = None, pad_token_id: int | None = None,
                 peft_path: str | None = None, peft_kwargs: dict | None = None, gguf_file: str | None = None,
                 device: str | None = None, dtype: str | None = "auto", meta_template: dict | None = None,
                 threads: int | None = None):
        opts = HFOptions.from_kwargs(
            path=path, hf_type=hf_type, model_kwargs=model_kwargs, tokenizer_path=tokenizer_path,
            tokenizer_kwargs=tokenizer_kwargs, generation_kwargs=generation_kwargs, max_seq_len=max_seq_len,
            max_out_len=max_out_len, min_out_len=min_out_len, batch_size=batch_size, num_gpus=num_gpus,
            stop_words=stop_words, pad_token_id=pad_token_id, peft_path=peft_path, peft_kwargs=peft_kwargs,
            gguf_file=gguf_file, device=device or self.default_device, dtype=dtype,
            meta_template=meta_template, threads=threads)
        self.options = opts
        self._setup(opts)

    def _setup(self, opts: HFOptions) -> None:
        raise NotImplementedError


class HFCausalLM(HFSettingsModel):
    """A causal LM loaded with transformers; serves gen, ppl and clp requests.

    :param path: hub id (``ORG/NAME``), local folder, ``.gguf`` file, or ``pkg://PACKAGE``
        (the folder of an installed Python package) — ``--hf-path``.
    :param hf_type: ``chat`` (apply the chat template) or ``base`` (plain text) — ``--hf-type``.
    :param model_kwargs: extra ``from_pretrained`` arguments (``trust_remote_code=True``,
        ``device_map='auto'``, ``torch_dtype='torch.bfloat16'``…) — ``--model-kwargs``.
    :param tokenizer_path: tokenizer location when it differs from ``path``.
    :param tokenizer_kwargs: extra ``AutoTokenizer.from_pretrained`` arguments.
    :param generation_kwargs: extra ``generate`` arguments (``do_sample=True``, ``top_p``…).
    :param max_seq_len: longest input; longer prompts lose tokens on the left. Default: the
        model's ``max_position_embeddings`` (2048 when unknown).
    :param max_out_len: longest generation (the core puts it in each request).
    :param min_out_len: fewest new tokens before eos/end-of-turn/stop words may end generation.
    :param batch_size: requests per forward pass, or ``"auto"``: scoring passes of up to 32
        rows and 2048 padded tokens on CPU (64 and 16384 on accelerators); generation as
        many rows as the KV-cache memory budget allows (40% of free memory; on CPU at most
        512 MiB), the cache allocated once at rows × (longest prompt + longest output)
        (:mod:`compass_hf.autobatch`).
    :param num_gpus: accelerators for one model; above 1 the model is spread with ``device_map="auto"``.
    :param stop_words: strings that end generation (cut from the output), added to the
        dataset's own.
    :param pad_token_id: padding id when the tokenizer has none (default: its eos).
    :param peft_path: a LoRA/PEFT adapter to apply (needs ``peft``).
    :param peft_kwargs: extra ``PeftModel.from_pretrained`` arguments.
    :param gguf_file: a GGUF file inside ``path``, dequantised on load (cached as a plain
        folder after the first load; see :mod:`compass_hf.gguf_cache`).
    :param device: ``auto`` (cuda, else mps, else cpu), ``cpu``, ``cuda[:N]``, ``mps``, ``npu[:N]``.
    :param dtype: ``auto`` (float32 on CPU, the checkpoint's dtype elsewhere), ``float32``,
        ``float16``, ``bfloat16``.
    :param meta_template: per-role begin/end strings overriding the tokenizer's chat template
        (see :mod:`compass_hf.templates`).
    :param threads: torch CPU threads for this process.
    """

    default_device = "auto"


    # ------------------------------------------------------------------ set-up
    def _setup(self, opts: HFOptions) -> None:
        from compass_hf.encoding import Encoder
        from compass_hf.loading import load
        from compass_hf.scoring import Scorer
        from compass_hf.templates import MetaTemplate

        loaded = load(opts)
        self.model = loaded.model
        self.tokenizer = tok = loaded.tokenizer
        self.placement = loaded.placement
        self.device = loaded.placement.device if loaded.placement.device_map is None else self._input_device()
        meta = MetaTemplate.from_config(opts.meta_template) if opts.meta_template is not None else None
        self.encoder = Encoder(tok, chat=opts.is_chat, meta_template=meta)
        self.end_strings, end_ids = self.encoder.end_of_turn()
        gen_cfg = getattr(self.model, "generation_config", None)
        eos = _as_ids(getattr(gen_cfg, "eos_token_id", None)) + _as_ids(tok.eos_token_id) + list(end_ids)
        self.eos_ids = tuple(dict.fromkeys(eos))
        pad = opts.pad_token_id
        for candidate in (pad, tok.pad_token_id, getattr(gen_cfg, "pad_token_id", None), *self.eos_ids, 0):
            if candidate is not None:
                pad = int(candidate)
                break
        self.pad_id = pad
        self.start_id = next(int(t) for t in (tok.bos_token_id, *self.eos_ids, pad) if t is not None)
        self.max_seq_len = opts.max_seq_len or self._model_max_len()
        token_budget = None
        if opts.batch_size == "auto":
            from compass_hf.autobatch import scoring_limits

            self.batch_size, token_budget = scoring_limits(self.placement.kind)
        else:
            self.batch_size = int(opts.batch_size)
        # Requests the core hands over at once: the scorer batches them by batch_size
        # itself, and a larger hand-over lets it find the prefix they share.
        self.handover_size = max(self.batch_size, HANDOVER)
        self.scorer = Scorer(self.model, pad_id=self.pad_id, device=self.device, batch_size=self.batch_size,
                             token_budget=token_budget)
        self._gen_prompt_tokens = self._gen_completion_tokens = 0
        self._batch_generated = 0  # tokens of the generate() path (the decoder counts its own)
        self._decoder_obj: Any = None
        self.decoder_usable = True

    def _input_device(self) -> Any:
        try:
            return self.model.get_input_embeddings().weight.device
        except AttributeError:
            return self.placement.device

    def _model_max_len(self) -> int:
        config = getattr(self.model, "config", None)
        for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
            value = getattr(config, key, None)
            if isinstance(value, int) and value > 0:
                return value
        return DEFAULT_MAX_SEQ_LEN

    @property
    def token_counts(self) -> dict:
        """Running totals for telemetry: tokens the model read (prompt) and wrote (completion)."""
        read = self.scorer.tokens_read if self.scorer is not None else 0
        return {"prompt": self._gen_prompt_tokens + read, "completion": self._gen_completion_tokens}

    @property
    def tokens_generated(self) -> int:
        """Tokens generated so far, rows the continuous-batching decoder is still running
        included: the core's live progress reads it while a task decodes."""
        live = self._decoder_obj.decoded if self._decoder_obj is not None else 0
        return self._batch_generated + live

    def __repr__(self) -> str:
        return (f"HFCausalLM({self.options.path!r}, {self.options.hf_type}, device={self.device}, "
                f"batch_size={self.batch_size})")

    # ------------------------------------------------------------------ gen
    def generate(self, requests: list[GenerateRequest]) -> list[Completion]:
        """Greedy (or sampled) continuations; stop words and end-of-turn cut from the text."""
        from compass_hf.batching import left_truncate
        from compass_hf.generation import generate_batch

        opts = self.options
        by_settings: dict[Any, list[int]] = {}
        for i, req in enumerate(requests):
            by_settings.setdefault(self._settings(req), []).append(i)
        results: list[Completion | None] = [None] * len(requests)
        for settings, idx in by_settings.items():
            texts = [self.encoder.render(requests[i].prompt) for i in idx]
            budget = self.max_seq_len - settings.max_new
            prompts = [left_truncate(ids, budget) for ids in self.encoder.encode(texts)]
            outs = generate_batch(self.model, self.tokenizer, prompts, settings,
                                  user_kwargs=opts.generation_kwargs, eos_ids=self.eos_ids,
                                  end_strings=self.end_strings, pad_id=self.pad_id, device=self.device,
                                  batch_size=self.batch_size)
            self._gen_prompt_tokens += sum(len(ids) for ids in prompts)
            self._gen_completion_tokens += sum(out.completion_tokens for out in outs)
            self._batch_generated += sum(out.completion_tokens for out in outs)
            for i, ids, out in zip(idx, prompts, outs):
                results[i] = Completion(out.text, prompt_tokens=len(ids),
                                        completion_tokens=out.completion_tokens, finish_reason=out.finish_reason)
        return [r for r in results if r is not None]

    def _settings(self, req: GenerateRequest) -> Any:
        from compass_hf.generation import Settings

        opts = self.options
        max_new = max(1, int(req.max_out_len))
        return Settings(max_new=max_new, min_new=min(max_new, max(int(req.min_out_len or 0), opts.min_out_len)),
                        stops=tuple(dict.fromkeys((*req.stop, *opts.stop_words))),
                        temperature=float(req.temperature or 0.0))

    def generate_stream(self, requests: list[GenerateRequest]) -> Iterator[tuple[int, Completion]]:
        """Every pending request at once; each answer with its position when it is done.

        Greedy requests go through continuous batching (:mod:`compass_hf.decoding`): a
        finished row leaves the batch and a waiting request takes its slot. Sampling, user
        ``generation_kwargs`` and models whose cache cannot be shared use :meth:`generate`.
        """
        from compass_hf.batching import left_truncate
        from compass_hf.decoding import Job, NotShareable

        opts = self.options
        jobs: list[Job] = []
        rest: list[int] = []
        for i, req in enumerate(requests):
            settings = self._settings(req)
            if settings.temperature > 0 or opts.generation_kwargs:
                rest.append(i)
                continue
            text = self.encoder.render(req.prompt)
            ids = left_truncate(self.encoder.encode_one(text), self.max_seq_len - settings.max_new)
            jobs.append(Job(i, ids, settings))
        decoder = self._decoder() if jobs else None
        if decoder is not None and decoder.usable:
            before = (decoder.prompt_tokens, decoder.completion_tokens)
            done: set[int] = set()
            lengths = {j.pos: len(j.prompt) for j in jobs}
            try:
                for pos, out in decoder.run(jobs):
                    done.add(pos)
                    yield pos, Completion(out.text, prompt_tokens=lengths[pos], completion_tokens=out.completion_tokens,
                                          finish_reason=out.finish_reason)
            except NotShareable:
                self.decoder_usable = False
            finally:
                self._gen_prompt_tokens += decoder.prompt_tokens - before[0]
                self._gen_completion_tokens += decoder.completion_tokens - before[1]
            rest += [j.pos for j in jobs if j.pos not in done]
        else:
            rest += [j.pos for j in jobs]
        rest.sort()
        for start in range(0, len(rest), self.batch_size):
            idx = rest[start:start + self.batch_size]
            for i, c in zip(idx, self.generate([requests[i] for i in idx])):
                yield i, c

    def _decoder(self) -> Any:
        if self._decoder_obj is None:
            from compass_hf.autobatch import budget
            from compass_hf.decoding import Decoder
            from compass_hf.prefix import PrefixCache

            limits = budget(self.model, self.placement.kind, self.device, self.options.batch_size)
            prefix = PrefixCache(self.model, self.scorer.features, pad_id=self.pad_id, device=self.device)
            self._decoder_obj = Decoder(self.model, self.tokenizer, eos_ids=self.eos_ids,
                                        end_strings=self.end_strings, pad_id=self.pad_id, device=self.device,
                                        budget=limits, prefix=prefix)
        if not self.decoder_usable:
            self._decoder_obj.features = type(self._decoder_obj.features)(False, False)
        return self._decoder_obj

    # ------------------------------------------------------------------ ppl
    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...]]:
        """Each continuation's score given the request's prompt: its summed log-probability
        (``score="sum"``), or OpenCompass's ``mean_all`` (see :meth:`_mean_all`)."""
        from compass_hf.scoring import make_groups

        out: list[tuple[float, ...]] = [()] * len(requests)
        summed = [r for r, req in enumerate(requests) if req.score != "mean_all"]
        mean_all = [r for r, req in enumerate(requests) if req.score == "mean_all"]
        if mean_all:
            for r, values in zip(mean_all, self._mean_all([requests[r] for r in mean_all])):
                out[r] = values
        if not summed:
            return out
        requests_sum = [requests[r] for r in summed]
        texts = [self.encoder.render(req.prompt) for req in requests_sum]
        contexts = self.encoder.encode(texts)
        pairs = [(r, j) for r, req in enumerate(requests_sum) for j, c in enumerate(req.continuations) if c]
        flat = self.encoder.encode([texts[r] + requests_sum[r].continuations[j] for r, j in pairs])
        wholes: list[list[list[int]]] = [[] for _ in requests_sum]
        index: list[list[int]] = [[] for _ in requests_sum]
        for (r, j), ids in zip(pairs, flat):
            wholes[r].append(ids)
            index[r].append(j)
        keep = [r for r in range(len(requests_sum)) if wholes[r]]
        groups = make_groups([contexts[r] for r in keep], [wholes[r] for r in keep], self.max_seq_len,
                             self.start_id)
        scores = self.scorer.loglikelihood(groups, len(keep))
        by_request = dict(zip(keep, scores))
        for r, req in enumerate(requests_sum):
            values = [0.0] * len(req.continuations)  # an empty continuation is certain
            for j, value in zip(index[r], by_request.get(r, [])):
                values[j] = value
            out[summed[r]] = tuple(values)
        return out

    def _mean_all(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...]]:
        """OpenCompass's PPLInferencer number, minus its loss: each continuation's whole text
        (prompt + continuation, tokenized as one) scored token by token after its own first token,
        the sum divided by the token count. Every text is its own group: texts need not share a
        first token, and an empty continuation is the prompt's own text."""
        from compass_hf.scoring import make_groups

        texts = [self.encoder.render(req.prompt) + c for req in requests for c in req.continuations]
        wholes = self.encoder.encode(texts)
        scorable = [k for k, ids in enumerate(wholes) if len(ids) > 1]  # one token: nothing scored, 0 / 1
        groups = make_groups([wholes[k][:1] for k in scorable], [[wholes[k]] for k in scorable], self.max_seq_len,
                             self.start_id)
        flat = [0.0] * len(texts)
        for k, scores in zip(scorable, self.scorer.loglikelihood(groups, len(scorable))):
            flat[k] = scores[0] / len(wholes[k])
        out, at = [], 0
        for req in requests:
            out.append(tuple(flat[at:at + len(req.continuations)]))
            at += len(req.continuations)
        return out

    # ------------------------------------------------------------------ clp
    def option_logprobs(self, requests: list[OptionsRequest]) -> list[tuple[float, ...]]:
        """Log-probability of each option's first token as the next token after the prompt."""
        from compass_hf.batching import left_truncate

        contexts: list[list[int]] = []
        tokens: list[list[int]] = []
        for req in requests:
            text = self.encoder.render(req.prompt)
            ctx = self.encoder.encode_one(text)
            tokens.append([self._option_token(text, ctx, option) for option in req.options])
            contexts.append(left_truncate(ctx, self.max_seq_len))
        return [tuple(v) for v in self.scorer.next_token(contexts, tokens)]

    def _option_token(self, text: str, ctx: list[int], option: str) -> int:
        """The first token of ``option`` as the tokenizer writes it after the prompt
        (``A`` rather than ``▁A`` for SentencePiece), else of the option on its own."""
        whole = self.encoder.encode_one(text + option)
        if len(whole) > len(ctx) and whole[:len(ctx)] == ctx:
            return whole[len(ctx)]
        plain = self.encoder.encode_plain(option)
        return plain[0] if plain else self.eos_ids[0] if self.eos_ids else self.pad_id

    # ------------------------------------------------------------------ end
    def close(self) -> None:
        """Free the weights (the worker may load another model next)."""
        self.model = None
        self.scorer = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
