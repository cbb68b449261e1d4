"""End to end through ``compass eval`` against the loopback OpenAI-compatible server.

The server (tests/openai_server.py) runs in this process; ``compass`` runs as a subprocess
with the local runner (a worker process per task), as a user would run it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from extras import require_extra

require_extra("openai")

from conftest import compass_env, run_compass  # noqa: E402
from openai_server import QUESTION, FakeOpenAI, ServerConfig  # noqa: E402
from toy.api_plugin import QUESTIONS, expected_accuracy  # noqa: E402

KEY = "sk-test-Zq8v3KxW9mN2pL5rT7yB"
PLUGINS = "openai,runners,metrics"  # only what these runs use: others' plugins cannot break them


def env(**extra):
    return compass_env("toy.api_plugin", COMPASS_PLUGINS=PLUGINS, TEST_API_KEY=KEY, **extra)


def api_flags(srv: FakeOpenAI, *more: str) -> list[str]:
    return ["--api-base", srv.url, "--api-model", "test-model", "--api-key-env", "TEST_API_KEY", *more]


def summary_row(out: str, dataset: str) -> list[str]:
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(dataset + " ")]
    assert len(rows) == 1, out
    return rows[0]


def run_dirs(cwd: Path) -> list[Path]:
    return sorted((cwd / "outputs" / "default").iterdir())


def predictions(run: Path) -> dict[int, dict]:
    path = next((run / "predictions").glob("*/api-arith.jsonl"))
    out = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        out[rec["index"]] = rec
    return out


def assert_no_key(folder: Path, *texts: str) -> None:
    """The key is in no file under ``folder`` and in none of ``texts`` (the terminal output)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for p in files:
        assert KEY.encode() not in p.read_bytes(), f"API key leaked into {p}"
    for t in texts:
        assert KEY not in t


def test_faults_are_retried_and_score_matches_a_clean_run(tmp_path):
    faulty_dir, clean_dir = tmp_path / "faulty", tmp_path / "clean"
    faulty_dir.mkdir()
    clean_dir.mkdir()
    with FakeOpenAI(ServerConfig(require_key=KEY, fault_rate=0.2, slow_seconds=2.0, retry_after="0.2")) as srv:
        res = run_compass(["eval", "-d", "api_arith", *api_flags(srv, "--max-concurrency", "16",
                                                                 "--request-timeout", "1")],
                          faulty_dir, env(), timeout=120)
        outcomes = srv.stats.outcomes()
    assert res.code == 0, res.err
    # every kind of fault happened, and was survived
    for kind in ("429", "500", "slow", "drop", "badjson"):
        assert outcomes.get(kind, 0) > 0, outcomes
    assert sum(v for k, v in outcomes.items() if k != "ok") >= 25, outcomes
    run = run_dirs(faulty_dir)[0]
    preds = predictions(run)
    assert sorted(preds) == list(range(200))
    assert all(not r["error"] for r in preds.values()), "every sample answered"
    assert all(r["usage"]["prompt_tokens"] > 0 and r["usage"]["completion_tokens"] == 1 for r in preds.values())
    row = summary_row(res.out, "api-arith")
    assert float(row[-1]) == pytest.approx(expected_accuracy(200))
    assert "failed" not in res.out
    assert_no_key(run, res.out, res.err)

    with FakeOpenAI(ServerConfig(require_key=KEY)) as srv:
        clean = run_compass(["eval", "-d", "api_arith", *api_flags(srv)], clean_dir, env(), timeout=120)
    assert clean.code == 0, clean.err
    assert summary_row(clean.out, "api-arith") == row


def _k(prompt: str) -> int:
    return int(QUESTION.findall(prompt)[-1][0])


def test_permanent_failures_are_failed_samples_and_reuse_asks_only_them(tmp_path):
    cfg = tmp_path / "api.toml"
    with FakeOpenAI(ServerConfig(require_key=KEY, leak_key_in_errors=True,
                                 fail=lambda p: _k(p) % 10 == 3)) as srv:
        cfg.write_text(f'[[models]]\ntype = "openai"\napi_base = "{srv.url}"\nmodel = "test-model"\n'
                       f'api_key_env = "TEST_API_KEY"\nmax_retries = 2\nbackoff_base = 0.05\n')
        first = run_compass(["eval", str(cfg), "-d", "api_arith", "--limit", "50"], tmp_path, env())
        assert first.code == 1, first.err
        # the failed samples: recorded with their error, counted, explained
        run = run_dirs(tmp_path)[0]
        preds = predictions(run)
        failed = sorted(i for i, r in preds.items() if r["error"])
        assert failed == [3, 13, 23, 33, 43]
        for i in failed:
            assert preds[i]["prediction"] == "" and "gave up after 3 attempts: HTTP 500" in preds[i]["error"]
        assert "note: test-model / api-arith: 5 failed and 0 missing of 50 samples" in first.out
        assert "5 sample(s) failed or are missing" in first.err and "-r" in first.err
        right = [k for k, q in enumerate(QUESTIONS[:50]) if int(q["answer"]) % 7 and k not in failed]
        assert float(summary_row(first.out, "api-arith")[-1]) == pytest.approx(100.0 * len(right) / 50)
        assert_no_key(run, first.out, first.err)  # the server put the key in its error bodies

        # the server recovers; -r asks for the failed samples only
        srv.cfg.fail = None
        srv.reset_stats()
        second = run_compass(["eval", str(cfg), "-d", "api_arith", "--limit", "50", "-r"], tmp_path, env())
        asked = sorted(_k(p) for p in srv.stats.ok_prompts())
    assert second.code == 0, second.err
    assert asked == [3, 13, 23, 33, 43], "only the failed samples were asked again"
    assert float(summary_row(second.out, "api-arith")[-1]) == pytest.approx(expected_accuracy(50))
    assert "note:" not in second.out
    assert_no_key(run, second.out, second.err)


def test_logprobs_serve_ppl_and_clp_and_gen_only_is_refused_at_plan_time(tmp_path):
    with FakeOpenAI(ServerConfig()) as srv:
        refused = run_compass(["eval", "-m", "openai-compatible", "--api-base", srv.url, "--api-model",
                               "test-model", "-d", "api_arith_ppl"], tmp_path, env())
        assert refused.code == 2
        assert re.search(r"cannot serve ppl mode", refused.err), refused.err
        assert not srv.stats.records, "refused before any request"

        cfg = tmp_path / "lp.toml"
        cfg.write_text(f'[[models]]\ntype = "openai-compatible"\napi_base = "{srv.url}"\n'
                       f'model = "test-model"\nlogprobs = true\nchat = false\n')
        res = run_compass(["eval", str(cfg), "-d", "api_arith_ppl", "api_arith_clp", "--debug"], tmp_path, env())
    assert res.code == 0, res.err
    want = expected_accuracy(40)  # the server prefers its own (sometimes wrong) answer
    assert float(summary_row(res.out, "api-arith-ppl")[-1]) == pytest.approx(want)
    assert float(summary_row(res.out, "api-arith-clp")[-1]) == pytest.approx(want)


def test_missing_key_is_one_line_at_plan_time(tmp_path):
    e = env()
    e.pop("MOONSHOT_API_KEY", None)
    res = run_compass(["eval", "-m", "moonshot-v1-8k", "-d", "api_arith", "--dry-run"], tmp_path, e)
    assert res.code == 2
    lines = [ln for ln in res.err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "MOONSHOT_API_KEY" in lines[0], res.err
    assert "Traceback" not in res.err


def test_an_unreachable_api_fails_its_task_with_the_cause_in_one_line(tmp_path):
    """Nothing answered: the task fails (exit 1) and the terminal says why in one line —
    not "ok" with 0.00 and the cause only in the log."""
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "down.toml"
    cfg.write_text(f'[[models]]\ntype = "openai-compatible"\napi_base = "http://127.0.0.1:{port}/v1"\n'
                   f'model = "test-model"\napi_key_env = "TEST_API_KEY"\nmax_retries = 1\nbackoff_base = 0.05\n')
    res = run_compass(["eval", str(cfg), "-d", "api_arith", "--limit", "2"], tmp_path, env())
    assert res.code == 1, res.err
    lines = res.err.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("FAILED task test-model/api-arith"))
    assert lines[at + 1].startswith("every request failed (2 of 2): ") and f"127.0.0.1:{port}" in lines[at + 1]
    assert not lines[at + 2].strip() or "failed" in lines[at + 2]  # the cause is one line, no log tail
    assert "Traceback" not in res.err and " ok (" not in res.err
