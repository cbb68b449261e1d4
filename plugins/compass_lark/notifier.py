"""Posting to a Lark/Feishu custom bot, off the run's critical path.

Messages are sent in order by one daemon thread per run, each with a short timeout; the run
waits for the last ones at most :data:`FINAL_WAIT` seconds when it ends. A failure is one warning on stderr
per run (the URL is never printed) and never changes the run's outcome.

Signature (a bot with "signature verification"): ``sign = base64(HMAC-SHA256(key=
f"{timestamp}\\n{secret}", msg=b""))``, sent with ``timestamp`` (seconds) in the body.

Messages are interactive cards (a header coloured by outcome, the score table, failed and
interrupted counts, the host, the report's path); a bot that refuses a card (it answers a
non-zero code) gets the same message as plain text instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import platform
import queue
import sys
import threading
import time
import urllib.error
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

    def post(self, text: str, card: dict | None = None) -> None:
        self.queue.put((text, card))

    def _loop(self) -> None:  # one sender: messages arrive in the order they were posted
        while (item := self.queue.get()) is not None:
            text, card = item
            if card is None or not self._send({"msg_type": "interactive", "card": card}, quiet=True):
                self._send({"msg_type": "text", "content": {"text": text}})

    def _send(self, body: dict, quiet: bool = False) -> bool:
        """Post one message; False (and one warning unless ``quiet``) when it was not taken."""
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
            return True
        except urllib.error.HTTPError as exc:  # an answer: the card was refused; the text may pass
            if not quiet:
                self.warn(f"HTTPError: {exc.code} {exc.reason}")
            return False
        except RuntimeError as exc:
            if not quiet:
                self.warn(f"RuntimeError: {exc}")
            return False
        except Exception as exc:  # unreachable: no fallback would get through either; never fails the run
            self.warn(f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}")
            return True

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


def _card(title: str, colour: str, blocks: list, fields: list[tuple[str, str]] = ()) -> dict:
    """An interactive card: a coloured header, short fields side by side, then markdown blocks
    (or ready elements)."""
    elements: list[dict] = [b if isinstance(b, dict) else {"tag": "div", "text": {"tag": "lark_md", "content": b}}
                            for b in blocks if b]
    if fields:
        elements.insert(0, {"tag": "div", "fields": [
            {"is_short": True, "text": {"tag": "lark_md", "content": f"**{name}**\n{value}"}} for name, value in fields]})
    return {"config": {"wide_screen_mode": True}, "header": {"template": colour, "title": {"tag": "plain_text",
                                                                                                "content": title}},
            "elements": elements}


def _status(run_dir: str) -> dict:
    """The run's newest ``summary/status_<ts>.json`` (written just before the run-finished hook)."""
    files = sorted((Path(run_dir) / "summary").glob("status_*.json"))
    try:
        return json.loads(files[-1].read_text(encoding="utf-8")) if files else {}
    except (OSError, ValueError):
        return {}


def run_started(event) -> None:
    settings = event.settings or {}
    url = settings.get("lark_bot_url") or os.environ.get(ENV_URL)
    if not url:
        print("warning: --lark: no webhook URL; set lark_bot_url in the config file or "
              f"{ENV_URL}", file=sys.stderr, flush=True)
        return
    bot = _BOTS[event.run_dir] = _Bot(str(url), settings.get("lark_secret") or os.environ.get(ENV_SECRET))
    host = platform.node()
    text = (f"compass: run launched\nmodels: {', '.join(event.models)}\ndatasets: {', '.join(event.datasets)}\n"
            f"tasks: {event.num_tasks}\nhost: {host}\nrun folder: {_abs(event.run_dir)}")
    card = _card("compass: run launched", "blue", [f"run folder: `{_abs(event.run_dir)}`"],
                 [("models", ", ".join(event.models)), ("datasets", ", ".join(event.datasets)),
                  ("tasks", str(event.num_tasks)), ("host", host)])
    bot.post(text, card)


def _interrupted(error: str) -> bool:
    return "KeyboardInterrupt" in error or "interrupted" in error.lower()


def task_failed(event) -> None:
    bot = _BOTS.get(event.run_dir)
    if bot is not None:
        error = (event.error or "").strip()
        word = "interrupted" if _interrupted(error) else "failed"
        first = error.splitlines()[0][:300] if error else ""
        text = (f"compass: task {word}: {event.task}\nhost: {platform.node()}\nlog: {_abs(event.log_path)}"
                + (f"\nerror: {first}" if first else ""))
        card = _card(f"compass: task {word}: {event.task}", "orange" if word == "interrupted" else "red",
                     [f"log: `{_abs(event.log_path)}`", f"error: {first}" if first else ""],
                     [("host", platform.node())])
        bot.post(text, card)


def headline_text(event) -> str:
    headline = event.headline or {}
    lines = [f"{model}: " + ", ".join(f"{row} {score}" for row, score in rows.items())
             for model, rows in headline.items() if rows]
    return "\n".join(lines) or "no scores"


def score_table(headline: dict) -> dict:
    """The headline as a card element: a column per model, a line per benchmark."""
    models = [m for m, rows in headline.items() if rows]
    if not models:
        return {"tag": "div", "text": {"tag": "lark_md", "content": "no scores"}}
    return {"tag": "div", "fields": [
        {"is_short": True, "text": {"tag": "lark_md", "content": f"**{m}**\n" + "\n".join(
            f"{row}: {score}" for row, score in headline[m].items())}} for m in models]}


def run_finished(event) -> None:
    bot = _BOTS.pop(event.run_dir, None)
    if bot is None:
        return
    status = _status(event.run_dir)
    state = status.get("state") or ("interrupted" if getattr(event, "interrupted", False) else
                                     "finished" if event.ok else "failed")
    word = {"finished": "finished", "interrupted": "interrupted", "failed": "finished with failures"}.get(state, state)
    left = tuple(getattr(event, "not_finished", ()) or ())
    if state == "interrupted" and left:
        word += f" ({len(left)} task(s) not finished; resume with -r)"
    incomplete = int(status.get("incomplete_samples") or 0)
    failed_logs = event.failed_logs or {}
    failed = "".join(f"\nfailed: {name} (log: {_abs(failed_logs.get(name))})" for name in event.failed_tasks)
    report = next((f for f in event.report_files if str(f).endswith(".html")), None) or event.summary_path
    host = platform.node()
    text = (f"compass: run {word} in {event.seconds:.0f}s\n{headline_text(event)}{failed}\n"
            f"failed tasks: {len(event.failed_tasks)}, failed or missing samples: {incomplete}\nhost: {host}\n"
            f"run folder: {_abs(event.run_dir)}" + (f"\nreport: {_abs(report)}" if report else ""))
    colour = {"finished": "green", "interrupted": "orange"}.get(state, "red")
    card = _card(f"compass: run {word} in {event.seconds:.0f}s", colour,
                 [score_table(event.headline or {}),
                  "\n".join(f"failed: {name} (log: `{_abs(failed_logs.get(name))}`)" for name in event.failed_tasks),
                  f"run folder: `{_abs(event.run_dir)}`" + (f"\nreport: `{_abs(report)}`" if report else "")],
                 [("state", word), ("failed tasks", str(len(event.failed_tasks))),
                  ("failed or missing samples", str(incomplete)), ("host", host)])
    bot.post(text, card)
    bot.wait()
