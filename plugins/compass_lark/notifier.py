"""Posting to a Lark/Feishu custom bot, off the run's critical path.

Messages are sent in order by one daemon thread per run, each with a short timeout; the run
waits for the last ones at most :data:`FINAL_WAIT` seconds when it ends. A failure is one warning on stderr
per run (the URL is never printed) and never changes the run's outcome.

Signature (a bot with "signature verification"): ``sign = base64(HMAC-SHA256(key=
f"{timestamp}\\n{secret}", msg=b""))``, sent with ``timestamp`` (seconds) in the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import sys
import threading
import time
import urllib.request
from pathlib import Path

TIMEOUT = 5.0
FINAL_WAIT = 5.0
ENV_URL = "COMPASS_LARK_WEBHOOK"
ENV_SECRET = "COMPASS_LARK_SECRET"


def sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode("ascii")


class _Bot:
    def __init__(self, url: str, secret: str | None):
        self.url = url
        self.secret = secret
        self.queue: queue.Queue = queue.Queue()
        self.warned = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name="compass-lark", daemon=True)
        self.thread.start()

    def post(self, text: str) -> None:
        self.queue.put(text)

    def _loop(self) -> None:  # one sender: messages arrive in the order they were posted
        while (text := self.queue.get()) is not None:
            self._send(text)

    def _send(self, text: str) -> None:
        body: dict = {"msg_type": "text", "content": {"text": text}}
        if self.secret:
            ts = int(time.time())
            body |= {"timestamp": str(ts), "sign": sign(ts, self.secret)}
        req = urllib.request.Request(self.url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                reply = json.loads(resp.read() or b"{}")
            code = reply.get("code", reply.get("StatusCode", 0)) if isinstance(reply, dict) else 0
            if code:
                raise RuntimeError(f"the bot answered code {code}: {reply.get('msg') or reply.get('StatusMessage')}")
        except Exception as exc:  # a notifier never fails the run
            self.warn(f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}")

    def warn(self, why: str) -> None:
        with self.lock:
            if self.warned:
                return
            self.warned = True
        print(f"warning: Lark notification not sent ({why}); the run is not affected", file=sys.stderr, flush=True)

    def wait(self, budget: float = FINAL_WAIT) -> None:
        """Let the sender finish what is queued, waiting at most ``budget`` seconds."""
        self.queue.put(None)
        self.thread.join(budget)


_BOTS: dict[str, _Bot] = {}


def _abs(path) -> str:
    """An absolute path: a message is read far from the folder the run started in."""
    return str(Path(path).resolve()) if path else "?"


def run_started(event) -> None:
    settings = event.settings or {}
    url = settings.get("lark_bot_url") or os.environ.get(ENV_URL)
    if not url:
        print("warning: --lark: no webhook URL; set lark_bot_url in the config file or "
              f"{ENV_URL}", file=sys.stderr, flush=True)
        return
    bot = _BOTS[event.run_dir] = _Bot(str(url), settings.get("lark_secret") or os.environ.get(ENV_SECRET))
    bot.post(f"compass: run launched\nmodels: {', '.join(event.models)}\ndatasets: {', '.join(event.datasets)}\n"
             f"tasks: {event.num_tasks}\nrun folder: {_abs(event.run_dir)}")


def task_failed(event) -> None:
    bot = _BOTS.get(event.run_dir)
    if bot is not None:
        error = (event.error or "").strip().splitlines()
        bot.post(f"compass: task failed: {event.task}\nlog: {_abs(event.log_path)}"
                 + (f"\nerror: {error[0][:300]}" if error else ""))


def headline_text(event) -> str:
    headline = event.headline or {}
    lines = [f"{model}: " + ", ".join(f"{row} {score}" for row, score in rows.items())
             for model, rows in headline.items() if rows]
    return "\n".join(lines) or "no scores"


def run_finished(event) -> None:
    bot = _BOTS.pop(event.run_dir, None)
    if bot is None:
        return
    state = "finished" if event.ok else "finished with failures"
    if getattr(event, "interrupted", False):
        left = getattr(event, "not_finished", ())
        state = "interrupted" + (f" ({len(left)} task(s) not finished; resume with -r)" if left else "")
    failed = "".join(f"\nfailed: {name} (log: {_abs((event.failed_logs or {}).get(name))})"
                     for name in event.failed_tasks)
    bot.post(f"compass: run {state} in {event.seconds:.0f}s\n{headline_text(event)}{failed}\n"
             f"run folder: {_abs(event.run_dir)}"
             + (f"\nsummary: {_abs(event.summary_path)}" if event.summary_path else ""))
    bot.wait()
