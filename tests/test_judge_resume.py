"""``-r`` after a SIGKILL mid-judging re-judges nothing finished (the real command, killed); the
judgement cache (runs in this process through ``compass.api``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from extras import require_extra

require_extra("openai")

from judge_helpers import config, env, in_process, lines, result  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

QUESTIONS = ("famous actors", "US states get", "kickball", "music from the 1920s")  # alpaca_eval rows 0-3


def judged(prompts: list[str]) -> set[int]:
    return {k for p in prompts for k, q in enumerate(QUESTIONS) if q in p}


def test_sigkill_mid_judging_then_reuse_judges_only_what_is_left(tmp_path):
    srv = FakeOpenAI(ServerConfig(models=("judge-model",), judge="longer", latency=0.8)).start()
    try:
        cfg = config(tmp_path, "alpaca_eval", srv.url, judge_extra="", extra="")
        cfg.write_text(cfg.read_text().replace("max_concurrency = 8", "max_concurrency = 1"))
        e = env()
        proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg)], cwd=tmp_path, env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        evals = None
        deadline = time.time() + 120
        while time.time() < deadline:
            runs = list((tmp_path / "outputs" / "default").glob("*")) if (tmp_path / "outputs").exists() else []
            if runs:
                evals = runs[0] / "evaluations" / "cand" / "alpaca_eval.jsonl"
                if len(lines(evals)) >= 1:
                    break
            time.sleep(0.05)
        log = evals.parents[2] / "logs" / "eval" / "cand" / "alpaca_eval.out"
        worker = int(re.search(r"\(pid (\d+)\)", log.read_text()).group(1))
        os.killpg(proc.pid, signal.SIGKILL)
        os.kill(worker, signal.SIGKILL)
        proc.communicate(timeout=30)
        finished = {r["index"] for r in lines(evals)}
        assert 1 <= len(finished) < 4, finished
        srv.reset_stats()
        srv.cfg.latency = 0.0
        res = subprocess.run([sys.executable, "-m", "compass", "eval", str(cfg), "-r"], cwd=tmp_path, env=e,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        again = judged(srv.stats.ok_prompts())
    finally:
        srv.stop()
    assert again == set(range(4)) - finished, "finished judgements were judged again"
    out = result(evals.parents[2], "cand", "alpaca_eval")
    assert out["metrics"]["win_rate"] == 62.5
    assert out["evaluation"] == {"evaluated": 4 - len(finished), "reused": len(finished)}


def test_judgement_cache_asks_only_about_a_new_candidate(evaluate, tmp_path):
    cache = tmp_path / "cache"
    e = in_process(COMPASS_JUDGE_CACHE="1", COMPASS_CACHE_DIR=str(cache))
    table = ", ".join(f'"{q}" = "{"v" * 60}"' for q in QUESTIONS)
    two = ('[[models]]\ntype = "mock"\nabbr = "cand"\nanswers = { "famous actors" = "' + "x" * 100 +
           '", "US states get" = "' + "y" * 50 + '", "kickball" = "' + "z" * 40 + '", "music from the 1920s" = "' +
           "w" * 10 + '" }\n' + f'[[models]]\ntype = "mock"\nabbr = "newcomer"\nanswers = {{ {table} }}\n')
    with FakeOpenAI(ServerConfig(models=("judge-model",), judge="longer")) as srv:
        first = config(tmp_path, "alpaca_eval", srv.url)
        res = evaluate(first, **e)
        assert res.code == 0, res.err
        assert len(srv.stats.ok_prompts()) == 8
        srv.reset_stats()
        (tmp_path / "outputs").rename(tmp_path / "outputs-first")  # a new run, not -r
        second = config(tmp_path, "alpaca_eval", srv.url, models=two)
        res = evaluate(second, **e)
        assert res.code == 0, res.err
        asked = srv.stats.ok_prompts()
    assert len(asked) == 8 and all("v" * 60 in p for p in asked), "known pairs were judged again"
    run = sorted((tmp_path / "outputs" / "default").iterdir())[-1]
    assert result(run, "cand", "alpaca_eval")["metrics"]["win_rate"] == 62.5
    assert result(run, "newcomer", "alpaca_eval")["metrics"]["win_rate"] == 100.0  # 60 vs 40 characters
    assert "8 of 8 judgements taken from the judgement cache" in res.out


def test_reuse_with_another_judge_or_template_judges_again(evaluate, tmp_path):
    e = in_process()
    with FakeOpenAI(ServerConfig(models=("judge-model",), judge="longer")) as srv:
        cfg = config(tmp_path, "alpaca_eval", srv.url)
        res = evaluate(cfg, **e)
        assert res.code == 0, res.err
        srv.reset_stats()
        res = evaluate(cfg, reuse="latest", **e)
        assert res.code == 0, res.err
        assert srv.stats.ok_prompts() == []  # same judge, same template: nothing asked again
        # another judge setting: every pair is judged again
        cfg.write_text(cfg.read_text().replace('model = "judge-model"\n', 'model = "judge-model"\ntemperature = 0.0\n'))
        res = evaluate(cfg, reuse="latest", **e)
        assert res.code == 0, res.err
        assert len(srv.stats.ok_prompts()) == 8
        srv.reset_stats()
        # another template (a config's judge_templates file): judged again, with that template
        override = tmp_path / "mine.json"
        override.write_text('{"pair-three": {"type": "pairwise", "system_prompt": "MY OWN JUDGE PROMPT. '
                            'End with [[A]], [[B]] or [[C]].", "prompt_template": "[User Question]\\n{question}\\n\\n'
                            '[The Start of Assistant A\'s Answer]\\n{answer_a}\\n[The End of Assistant A\'s Answer]\\n\\n'
                            '[The Start of Assistant B\'s Answer]\\n{answer_b}\\n[The End of Assistant B\'s Answer]"}}')
        cfg.write_text(cfg.read_text().replace("[eval_settings.judge]", f'[eval_settings]\njudge_templates = "{override}"\n'
                                                                        "[eval_settings.judge]"))
        res = evaluate(cfg, reuse="latest", **e)
        assert res.code == 0, res.err
        asked = srv.stats.ok_prompts()
    assert len(asked) == 8 and all("MY OWN JUDGE PROMPT" in p for p in asked)
    run = sorted((tmp_path / "outputs" / "default").iterdir())[-1]
    out = result(run, "cand", "alpaca_eval")
    assert out["metrics"]["win_rate"] == 62.5
    from compass_judge.templates import shipped
    assert out["info"]["templates"]["pair-three"] != shipped()["pair-three"].hash
