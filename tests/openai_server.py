"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Standard library only (``ThreadingHTTPServer``): one thread per connection, HTTP/1.1
keep-alive. It answers

* ``POST /v1/chat/completions`` and ``POST /v1/completions`` deterministically: the answer to
  the last ``What is A + B?`` in the prompt is ``A + B`` — except when ``A + B`` is a
  multiple of ``wrong_mod``, where it is ``A + B + 1`` (so scores are not trivially 100);
  a prompt without a question is answered ``pong``;
* completions with ``echo`` + ``logprobs``: the prompt's tokens (words and punctuation)
  with per-token log-probabilities (a number right after ``A:`` scores -0.1 when it is the
  server's answer, -3.0 otherwise) and ``text_offset``; a list of prompts gives one choice
  each;
* ``GET /v1/models``;
* as a deterministic judge (``judge``): ``length`` rates the answer in a single-answer grading
  prompt ``1 + len(answer) // 10`` (at most 10; the last turn of a conversation), ``longer``
  prefers the longer of two answers (``A>>B`` when at least twice as long, ``A=B`` when equal)
  and ``always_a`` always prefers position A; a pairwise prompt asking for ``[[A>>B]]`` gets
  five-way labels (arena-hard's "My final verdict is …: [[A>B]]"), others ``[[A]]``/``[[B]]``/
  ``[[C]]`` (MT-Bench's multi-turn pairwise prompts: the turn-2 answers). AlpacaEval 2.0's classifier prompt (``"model_identifier": "m"``) is answered with the
  one token ``m``/``M`` and, when the request asks for ``logprobs``, the first token's
  ``top_logprobs`` (the longer output preferred with probability 0.8, 0.95 when twice as long,
  0.5 each for equal lengths). Replies are written as the references' judges write them (the
  verdict once, at the end); ``quote_format`` makes them first quote the format ("e.g. Rating:
  [[5]]"), so that only the last verdict is the real one (compass's forgiving parser). A prompt containing one
  of ``malformed`` gets a reply without a verdict unless it is a re-ask (a later message says
  "Reply again"); one of ``malformed_always`` never gets a verdict. An answer check (``[Reference Answer]`` … ``[Response]``) is
  ``[[CORRECT]]`` when the reference appears as a word in the response. An AlignBench prompt
  (``[助手的答案开始]``) gets every listed dimension and ``综合得分`` rated by the length rule.

and misbehaves on purpose: a fraction ``fault_rate`` of requests (decided per prompt and
attempt by a seeded hash, so the same run faults the same way whatever the arrival order)
gets one of ``faults``: ``429`` (with ``Retry-After``), ``500``, ``slow`` (answers after
``slow_seconds``), ``drop`` (closes the connection without answering) or ``badjson``
(200 with a truncated body). ``fail`` (a predicate on the prompt text) makes matching
requests fail with 500 every time. ``require_key`` answers 401 to any other key;
``models`` answers 404 to any other model. Like a reasoning model's API, ``reasoning`` puts a
reasoning text apart in each chat answer (``reasoning_content`` or ``reasoning``) and
``reject_max_tokens`` answers 400 to a chat request that sets ``max_tokens``.

Every request is recorded in :class:`Stats` (arrival time, path, prompt, outcome, body), and
the number of requests in flight is tracked.

Run it alone for benchmarks: ``python tests/openai_server.py --latency 0.2`` prints
``PORT <n>`` once it listens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

QUESTION = re.compile(r"What is (\d+) \+ (\d+)\?")
TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+$")
FAULTS = ("429", "500", "slow", "drop", "badjson")


@dataclass
class ServerConfig:
    """How the server behaves; tests change fields while it runs."""

    require_key: str | None = None
    models: tuple[str, ...] = ("test-model",)
    latency: float = 0.0
    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    seed: int = 1234
    retry_after: str = "0.2"
    slow_seconds: float = 3.0
    wrong_mod: int = 7
    fail: Callable[[str], bool] | None = None
    leak_key_in_errors: bool = False  # put the caller's key in error bodies (tests redaction)
    rate_limit_first: int = 0  # answer 429 to the first N requests, whatever the prompt
    logprobs: bool = True  # completions honour echo+logprobs
    reasoning: str | None = None  # chat answers carry this reasoning text apart from the answer …
    reasoning_field: str = "reasoning_content"  # … in this message field (DeepSeek's; "reasoning" elsewhere)
    reject_max_tokens: bool = False  # 400 to chat requests with max_tokens, as OpenAI's reasoning models
    judge: str | None = None  # "length", "longer" or "always_a": chat answers are judge verdicts
    malformed: tuple[str, ...] = ()  # judge prompts containing one of these: no verdict (until re-asked)
    malformed_always: tuple[str, ...] = ()  # … no verdict even when re-asked
    quote_format: bool = False  # judge replies first quote the verdict format (an earlier, false verdict)
    replies: dict[str, str] | None = None  # a judge prompt containing a key gets that reply verbatim
    chat_logprobs: bool = True  # chat answers carry top_logprobs when asked (AlpacaEval's classifier judge)


@dataclass
class Record:
    t: float
    path: str
    prompt: str
    outcome: str
    body: dict | None = None  # the request's JSON


@dataclass
class Stats:
    records: list[Record] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok_prompts(self) -> list[str]:
        with self.lock:
            return [r.prompt for r in self.records if r.outcome == "ok"]

    def outcomes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.lock:
            for r in self.records:
                out[r.outcome] = out.get(r.outcome, 0) + 1
        return out


def answer_for(text: str, wrong_mod: int) -> str:
    """The server's answer to the last arithmetic question in ``text``."""
    found = QUESTION.findall(text)
    if not found:
        return "pong"
    a, b = map(int, found[-1])
    total = a + b
    if wrong_mod and total % wrong_mod == 0:
        total += 1
    return str(total)


_SINGLE = re.compile(r"\[The Start of Assistant's Answer\]\n(.*?)\n\[The End of Assistant's Answer\]", re.S)
_TURN = re.compile(r"### Assistant A:\n(.*?)\n\n(?=### User:|<\|The End of Assistant A)", re.S)
_PAIR = re.compile(r"(?:\[|<\|)The Start of Assistant ([AB])'s Answer(?:\]|\|>)\n(.*?)\n"
                   r"(?:\[|<\|)The End of Assistant \1's Answer", re.S)
_PAIR_TURN = re.compile(r"### Assistant ([AB]):\n(.*?)\n\n(?=### User:|<\|The End of Assistant \1)", re.S)
_ALPACA = re.compile(r'"output": """(.*?)"""', re.S)
_ALIGN = re.compile(r"\[助手的答案开始\]\n(.*?)\n\[助手的答案结束\]", re.S)
_DIMS = re.compile(r"^\d+\. ([^：:\n]+)[：:]", re.M)
_REF = re.compile(r"\[Reference Answer\]\n(.*?)\n\[End of Reference Answer\]", re.S)
_RESPONSE = re.compile(r"\[Response\]\n(.*?)\n\[End of Response\]", re.S)
_THREE = {"A>>B": "A", "A>B": "A", "A=B": "C", "B>A": "B", "B>>A": "B"}


def _preference(cfg: "ServerConfig", la: int, lb: int) -> str:
    if cfg.judge == "always_a":
        return "A>B"
    if la == lb:
        return "A=B"
    if la > lb:
        return "A>>B" if la >= 2 * lb else "A>B"
    return "B>>A" if lb >= 2 * la else "B>A"


def alpaca_top_logprobs(cfg: "ServerConfig", prompt: str) -> list[tuple[str, float]]:
    """The first token's top log-probabilities of the AlpacaEval classifier judge: ``m`` is
    output 1, ``M`` output 2."""
    out1, out2 = _ALPACA.findall(prompt)[:2]
    p_m = {"A>>B": 0.95, "A>B": 0.8, "A=B": 0.5, "B>A": 0.2, "B>>A": 0.05}[_preference(cfg, len(out1), len(out2))]
    return sorted([("m", math.log(p_m)), ("M", math.log(1.0 - p_m)), ("The", -9.0)], key=lambda t: -t[1])


def judge_reply(cfg: "ServerConfig", prompt: str) -> str:
    """The deterministic judge's reply to a judge prompt (see the module docstring)."""
    for key, reply in (cfg.replies or {}).items():
        if key in prompt:
            return reply
    reask = "Reply again" in prompt or "continue your judgment" in prompt
    if any(m in prompt for m in cfg.malformed_always) or (not reask and any(m in prompt for m in cfg.malformed)):
        return "Both have merits; I would rather not decide."
    if '"model_identifier": "m"' in prompt:  # AlpacaEval 2.0's classifier: one token
        return alpaca_top_logprobs(cfg, prompt)[0][0]
    ref, resp = _REF.search(prompt), _RESPONSE.search(prompt)
    if ref and resp:  # an answer check: correct when the reference appears as a word in the response
        ok = re.search(rf"(?<![\w.]){re.escape(ref.group(1).strip())}(?![\w]|\.\d)", resp.group(1))
        return f"The labels are [[INCORRECT]] and [[CORRECT]]. Verdict: [[{'CORRECT' if ok else 'INCORRECT'}]]"
    pair = dict((k, v) for k, v in _PAIR.findall(prompt))
    if "Assistant B's Conversation with User" in prompt:  # MT-Bench pairwise, turn 2: the last answers
        pair = dict(_PAIR_TURN.findall(prompt))  # later matches overwrite earlier ones: each side's turn 2
    if "A" in pair and "B" in pair:
        verdict = _preference(cfg, len(pair["A"]), len(pair["B"]))
        label = verdict if "[[A>>B]]" in prompt else _THREE[verdict]
        quote = "the format is e.g. [[C]]. " if cfg.quote_format else ""
        return f"Assistant B has some points, and {quote}My final verdict is: [[{label}]]"
    align = _ALIGN.findall(prompt)
    if align:  # AlignBench: every dimension and the overall score get the length rating
        r = min(10, 1 + len(align[-1]) // 10)
        dims = "".join(f"'{d}': {r}, " for d in _DIMS.findall(prompt))
        quote = "格式例如 {'综合得分': 5}。" if cfg.quote_format else ""
        return f"{quote}理由从略。\n{{{dims}'综合得分': {r}}}"
    turns = _TURN.findall(prompt)
    single = _SINGLE.findall(prompt)
    answer = turns[-1] if turns else (single[-1] if single else "")
    rating = min(10, 1 + len(answer) // 10)
    quote = "The format is e.g. Rating: [[5]]. " if cfg.quote_format else ""
    return f"{quote}This answer has {len(answer)} characters. Rating: [[{rating}]]"


def tokenize(text: str) -> list[tuple[str, int]]:
    """Words and punctuation marks (each with its leading blanks) and their character offsets."""
    return [(m.group(0), m.start()) for m in TOKEN.finditer(text) if m.group(0)]


def token_logprob(text: str, token: str, offset: int, wrong_mod: int) -> float:
    word = token.strip()
    before = text[:offset].rstrip()
    if word.lstrip("-").isdigit() and before.endswith("A:"):
        return -0.1 if word == answer_for(before, wrong_mod) else -3.0
    if len(word) == 1 and word.isupper() and before.endswith("Answer:"):
        # multiple choice "A. 4\nB. 5 ... Answer:" — the option holding the answer wins
        options = dict(re.findall(r"^([A-Z])\. (\S+)$", before, re.M))
        return -0.1 if options.get(word) == answer_for(before, wrong_mod) else -3.0
    return -1.0 - 0.1 * len(word)


def _prompt_text(path: str, body: dict) -> str:
    if path.endswith("/chat/completions"):
        return "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
    prompt = body.get("prompt", "")
    return "\n".join(prompt) if isinstance(prompt, list) else str(prompt)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet
        pass

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, type_: str, code: str | None = None,
               headers: dict | None = None) -> None:
        self._send(status, {"error": {"message": message, "type": type_, "code": code}}, headers)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            cfg = self.server.cfg
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in cfg.models]})
        else:
            self._error(404, f"no route {self.path}", "invalid_request_error")

    def do_POST(self) -> None:  # noqa: N802
        stats = self.server.stats
        with stats.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            self._handle()
        finally:
            with stats.lock:
                stats.in_flight -= 1

    # -- one request ---------------------------------------------------------------------

    def _handle(self) -> None:
        cfg, stats = self.server.cfg, self.server.stats
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = self.path.split("?")[0]
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        prompt = _prompt_text(path, body)

        def record(outcome: str) -> None:
            with stats.lock:
                stats.records.append(Record(arrived, path, prompt, outcome, body))

        auth = self.headers.get("Authorization", "")
        if cfg.require_key is not None and auth != f"Bearer {cfg.require_key}":
            record("401")
            shown = auth.removeprefix("Bearer ") if cfg.leak_key_in_errors else "***"
            return self._error(401, f"Incorrect API key provided: {shown}", "invalid_request_error",
                               "invalid_api_key")
        if not path.endswith(("/chat/completions", "/completions")):
            record("404")
            return self._error(404, f"no route {path}", "invalid_request_error")
        model = body.get("model")
        if model not in cfg.models:
            record("404")
            return self._error(404, f"The model `{model}` does not exist", "invalid_request_error",
                               "model_not_found")
        with stats.lock:
            attempt = stats.attempts.get(prompt, 0)
            stats.attempts[prompt] = attempt + 1
            early = len(stats.records) < cfg.rate_limit_first
        if early:
            record("429")
            return self._error(429, "Rate limit reached, slow down", "rate_limit_error",
                               headers={"Retry-After": cfg.retry_after})
        if cfg.fail is not None and cfg.fail(prompt):
            record("500")
            leak = f" (request with {auth})" if cfg.leak_key_in_errors else ""
            return self._error(500, f"The server had an error while processing your request{leak}",
                               "server_error")
        fault = None
        if cfg.fault_rate:
            h = hashlib.sha256(f"{cfg.seed}:{prompt}:{attempt}".encode()).digest()
            rng = random.Random(h)
            if rng.random() < cfg.fault_rate:
                fault = rng.choice(cfg.faults)
        if cfg.latency:
            time.sleep(cfg.latency)
        if fault == "429":
            record("429")
            return self._error(429, "Rate limit reached, slow down", "rate_limit_error",
                               headers={"Retry-After": cfg.retry_after})
        if fault == "500":
            record("500")
            return self._error(500, "The server had an error while processing your request", "server_error")
        if fault == "drop":
            record("drop")
            return self._drop()
        if fault == "slow":
            time.sleep(cfg.slow_seconds)
        if cfg.reject_max_tokens and path.endswith("/chat/completions") and "max_tokens" in body:
            record("400")
            return self._error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                               "Use 'max_completion_tokens' instead.", "invalid_request_error")
        if (not cfg.logprobs and path.endswith("/v1/completions")
                and (body.get("echo") or body.get("logprobs") is not None)):
            record("400")
            return self._error(400, "echo and logprobs are not supported by this server",
                               "invalid_request_error")
        answer = self._answer(path, body, prompt)
        if fault == "badjson":
            record("badjson")
            data = json.dumps(answer).encode()
            return self._send(200, data[: len(data) // 2])
        record("slow" if fault == "slow" else "ok")
        self._send(200, answer)

    def _answer(self, path: str, body: dict, prompt: str) -> dict:
        cfg = self.server.cfg
        created = int(time.time())
        if path.endswith("/chat/completions"):
            text = judge_reply(cfg, prompt) if cfg.judge else answer_for(prompt, cfg.wrong_mod)
            message = {"role": "assistant", "content": text}
            if cfg.reasoning is not None:
                message[cfg.reasoning_field] = cfg.reasoning
            choice = {"index": 0, "finish_reason": "stop", "message": message}
            if body.get("logprobs") and cfg.chat_logprobs and cfg.judge and '"model_identifier": "m"' in prompt:
                top = alpaca_top_logprobs(cfg, prompt)[: int(body.get("top_logprobs") or 1)]
                choice["logprobs"] = {"content": [{"token": top[0][0], "logprob": top[0][1],
                                                   "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top]}]}
            return {"id": "chatcmpl-test", "object": "chat.completion", "created": created,
                    "model": body["model"],
                    "choices": [choice],
                    "usage": {"prompt_tokens": len(tokenize(prompt)), "completion_tokens": 1,
                              "total_tokens": len(tokenize(prompt)) + 1}}
        prompts = body.get("prompt", "")
        prompts = prompts if isinstance(prompts, list) else [prompts]
        choices, p_tokens = [], 0
        for i, p in enumerate(prompts):
            text = answer_for(p, cfg.wrong_mod)
            max_tokens = body.get("max_tokens")
            gen = (" " + text) if max_tokens is None or int(max_tokens) > 0 else ""
            choice = {"index": i, "finish_reason": "stop", "text": gen, "logprobs": None}
            p_tokens += len(tokenize(p))
            echo = bool(body.get("echo"))
            full = p + gen
            choice["text"] = full if echo else gen
            if cfg.logprobs and body.get("logprobs") is not None:
                begin = 0 if echo else len(p)
                toks = [(t, o) for t, o in tokenize(full) if o >= begin]
                lps = [token_logprob(full, t, o, cfg.wrong_mod) for t, o in toks]
                if echo and lps:
                    lps[0] = None  # the first token has no context
                choice["logprobs"] = {
                    "tokens": [t for t, _ in toks],
                    "token_logprobs": lps,
                    "text_offset": [o for _, o in toks],
                    "top_logprobs": [None if lp is None else {t: lp} for (t, _), lp in zip(toks, lps)],
                }
            choices.append(choice)
        return {"id": "cmpl-test", "object": "text_completion", "created": created, "model": body["model"],
                "choices": choices,
                "usage": {"prompt_tokens": p_tokens, "completion_tokens": len(prompts),
                          "total_tokens": p_tokens + len(prompts)}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True
    cfg: ServerConfig
    stats: Stats

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (timed out) is part of the tests: no traceback for it."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeOpenAI:
    """The server running in a background thread: ``with FakeOpenAI(cfg) as srv: srv.url``."""

    def __init__(self, cfg: ServerConfig | None = None, port: int = 0):
        self.cfg = cfg or ServerConfig()
        self.stats = Stats()
        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._httpd.cfg = self.cfg
        self._httpd.stats = self.stats
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset_stats(self) -> None:
        with self.stats.lock:
            self.stats.records.clear()
            self.stats.attempts.clear()
            self.stats.max_in_flight = self.stats.in_flight

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--model", action="append", default=None)
    ap.add_argument("--judge", choices=("length", "longer", "always_a"), default=None)
    args = ap.parse_args(argv)
    cfg = ServerConfig(latency=args.latency, fault_rate=args.fault_rate,
                       models=tuple(args.model or ("test-model",)), judge=args.judge)
    # many connection threads, each mostly asleep: hand the GIL over sooner than every 5 ms
    # so that a finished sleep is answered promptly (the latency stays what was asked for)
    sys.setswitchinterval(0.0005)
    srv = FakeOpenAI(cfg, args.port)
    print(f"PORT {srv.port}", flush=True)
    try:
        srv._httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
