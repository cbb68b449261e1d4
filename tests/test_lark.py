"""Lark/Feishu notifications: a webhook server on 127.0.0.1 receives the messages of a real run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import platform
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import compass_env

SECRET = "s3cret-signing-key"


def _server(refuse_cards: bool):
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            bodies.append(body)
            if refuse_cards and body["msg_type"] == "interactive":  # an old bot: cards are refused
                out = b'{"code": 9499, "msg": "Bad Request"}'
            else:
                out = b'{"code": 0, "msg": "success"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}/open-apis/bot/v2/hook/tok-{server.server_port}", bodies


@pytest.fixture
def webhook():
    """A Lark-like bot endpoint: records each JSON body, answers ``{"code": 0}``."""
    server, url, bodies = _server(refuse_cards=False)
    yield url, bodies
    server.shutdown()


@pytest.fixture
def text_only_webhook():
    """A bot that refuses interactive cards (answers a non-zero code) and takes plain text."""
    server, url, bodies = _server(refuse_cards=True)
    yield url, bodies
    server.shutdown()


def _card_text(card: dict) -> str:
    """Every piece of text of a card, header first."""
    out = [card["header"]["title"]["content"]]
    for el in card["elements"]:
        if "text" in el:
            out.append(el["text"]["content"])
        out += [f["text"]["content"] for f in el.get("fields", [])]
    return "\n".join(out)


def _expected_sign(timestamp: str) -> str:
    key = f"{timestamp}\n{SECRET}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _files(run: Path) -> list[Path]:
    return [p for p in run.rglob("*") if p.is_file()]


def test_three_messages_signed_and_the_url_stays_out_of_the_run_folder(compass, tmp_path, webhook):
    url, bodies = webhook
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'lark_bot_url = "{url}"\n'
                   f'[[models]]\ntype = "arith"\n'
                   f'[[models]]\ntype = "unbuildable"\nattempts_file = "{tmp_path / "attempts"}"\n'
                   f'[[datasets]]\ntype = "toy"\n')
    res = compass("eval", str(cfg), "-l", env=compass_env(COMPASS_LARK_SECRET=SECRET))
    assert res.code == 1, res.err  # the unbuildable model's task failed
    (run,) = (tmp_path / "outputs" / "default").iterdir()
    assert [b["msg_type"] for b in bodies] == ["interactive"] * 3  # cards, taken at once
    cards = [b["card"] for b in bodies]
    launched, failed, finished = map(_card_text, cards)
    assert launched.startswith("compass: run launched")
    assert "**models**\narith, unbuildable" in launched and "**datasets**\ntoy" in launched
    assert "**tasks**\n2" in launched and str(run) in launched and f"**host**\n{platform.node()}" in launched
    assert failed.startswith("compass: task failed: unbuildable/toy-gen")
    assert f"log: `{run / 'logs' / 'infer' / 'unbuildable' / 'toy-gen.out'}`" in failed
    assert finished.startswith("compass: run finished with failures")
    assert cards[2]["header"]["template"] == "red" and cards[0]["header"]["template"] == "blue"
    assert "**arith**\ntoy-gen: 50.00" in finished  # the score table, not only a path
    assert "**failed tasks**\n1" in finished and "**failed or missing samples**\n10" in finished
    assert "failed: unbuildable/toy-gen (log: " in finished
    assert f"report: `{run / 'summary' / f'report_{run.name}.html'}`" in finished  # the report, not the .txt
    for body in bodies:
        assert body["sign"] == _expected_sign(body["timestamp"])
    assert "warning" not in res.err
    # neither the URL nor the secret reaches any file of the run folder (config dump redacted)
    for path in _files(run):
        data = path.read_bytes()
        assert url.encode() not in data and b"tok-" not in data and SECRET.encode() not in data, path
    dumped = json.loads(next((run / "configs").glob("config_*.json")).read_text())
    assert dumped["notify"] == {"lark_bot_url": "***", "lark": True}


def test_a_bot_that_refuses_cards_gets_the_plain_text(compass, tmp_path, text_only_webhook):
    url, bodies = text_only_webhook
    res = compass("eval", "-m", "arith", "-d", "toy", "-l", env=compass_env(COMPASS_LARK_WEBHOOK=url))
    assert res.code == 0, res.err
    assert [b["msg_type"] for b in bodies] == ["interactive", "text"] * 2  # each card refused, then its text
    (run,) = (tmp_path / "outputs" / "default").iterdir()
    launched, finished = bodies[1]["content"]["text"], bodies[3]["content"]["text"]
    assert launched.startswith("compass: run launched") and f"host: {platform.node()}" in launched
    assert finished.startswith("compass: run finished in ") and "arith: toy-gen 50.00" in finished
    assert "failed tasks: 0, failed or missing samples: 0" in finished
    assert f"report: {run / 'summary' / f'report_{run.name}.html'}" in finished
    assert "warning" not in res.err  # the fallback is not a failure


def test_no_flag_no_messages(compass, tmp_path, webhook):
    url, bodies = webhook
    res = compass("eval", "-m", "arith", "-d", "toy", env=compass_env(COMPASS_LARK_WEBHOOK=url))
    assert res.code == 0 and bodies == []


def test_unreachable_webhook_is_one_warning_and_the_same_run(compass, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    plain = compass("eval", "-m", "arith", "-d", "toy", "-w", "plain")
    res = compass("eval", "-m", "arith", "-d", "toy", "--lark", "-w", "lark",
                  env=compass_env(COMPASS_LARK_WEBHOOK=dead, COMPASS_LARK_SECRET=SECRET))
    assert res.code == 0 == plain.code
    warnings = [ln for ln in res.err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("warning: Lark notification not sent"), res.err
    assert dead not in res.err
    table = lambda out: [ln for ln in out.splitlines() if ln.startswith(("dataset", "toy-gen"))]  # noqa: E731
    assert table(res.out) == table(plain.out) and table(res.out)
    (run,) = (tmp_path / "lark").iterdir()
    assert not any(dead.encode() in p.read_bytes() for p in _files(run))


def test_lark_without_a_url_is_one_warning(compass):
    res = compass("eval", "-m", "arith", "-d", "toy", "-l")
    assert res.code == 0
    assert "warning: --lark: no webhook URL; set lark_bot_url in the config file or COMPASS_LARK_WEBHOOK" in res.err


def test_an_interrupted_run_is_posted_as_interrupted_not_failed(tmp_path, webhook):
    """The notifier's own calls, as the pipeline makes them after Ctrl-C: the workers' tasks end
    with KeyboardInterrupt, and the status file the run wrote just before says ``interrupted``."""
    from compass._events import RunFinished, RunStarted, TaskFinished

    from compass_lark import notifier

    url, bodies = webhook
    run = tmp_path / "20260101_000000"
    (run / "summary").mkdir(parents=True)
    (run / "summary" / "status_20260101_000000.json").write_text(json.dumps(
        {"state": "interrupted", "incomplete_samples": 32, "failed_tasks": {}}))
    notifier.run_started(RunStarted(str(run), ("m",), ("gsm8k",), 1, {"lark": True, "lark_bot_url": url}))
    notifier.task_failed(TaskFinished(str(run), "m/gsm8k", "m", "gsm8k", False, 3.0,
                                      "Traceback (most recent call last):\nKeyboardInterrupt", str(run / "log.out")))
    notifier.run_finished(RunFinished(str(run), False, 5.0, None, (), None, (), {"m": {"gsm8k": "12.50"}}, {}))
    cards = [b["card"] for b in bodies]
    assert [c["header"]["title"]["content"] for c in cards] == [
        "compass: run launched", "compass: task interrupted: m/gsm8k", "compass: run interrupted in 5s"]
    assert cards[2]["header"]["template"] == "orange"
    finished = _card_text(cards[2])
    assert "**failed or missing samples**\n32" in finished and "**m**\ngsm8k: 12.50" in finished
