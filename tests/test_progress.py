"""Live progress: the sample counter of a running task moves on a terminal; piped output is
plain lines (one per finished task, a periodic status line), without control characters.

No assertion here depends on how fast the machine is: the live tests check the order of what
was drawn (the counter never goes back, and takes several values in separate frames), and the
arithmetic (rates, ETAs) is checked on a fake clock."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import compass_env

# 10 samples, ~6 s: the worker writes its progress at most once a second, so the bar gets ~5
# values between 0 and 10 (at 0.4 s a sample a loaded CI machine once showed only 2)
SLOW = '[[models]]\ntype = "arith"\ndelay = 0.6\nbatch_size = 1\n[[datasets]]\ntype = "toy"\n'
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run_in_pty(args: list[str], cwd, env) -> tuple[int, list[tuple[float, str]]]:
    """Run under a pseudo-terminal; returns the exit code and (arrival time, text) chunks."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr are the terminal
        os.chdir(cwd)
        os.execvpe(sys.executable, [sys.executable, "-m", "compass", *args], env)
    chunks = []
    deadline = time.time() + 900  # a guard against a hang, not a speed check: a busy 2-core box is slow
    while time.time() < deadline:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append((time.monotonic(), data.decode("utf-8", "replace")))
    else:  # stop reading only with the child gone: one blocked on a full terminal would never end
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), chunks


def _seen(chunks: list[tuple[float, str]], pattern: str) -> list[tuple[int, int]]:
    """(chunk number, the pattern's first group as an int) of every redrawn frame that matches,
    in the order the terminal received them."""
    out = []
    for k, (_, text) in enumerate(chunks):
        for frame in re.split(r"[\r\n]", ANSI.sub("", text)):
            m = re.match(pattern, frame)
            if m:
                out.append((k, int(m.group(1))))
    return out


def test_sample_counter_moves_on_a_terminal(compass, tmp_path):
    (tmp_path / "slow.toml").write_text(SLOW)
    env = compass_env(TERM="xterm", COLUMNS="120")
    code, chunks = _run_in_pty(["eval", "slow.toml"], tmp_path, env)
    assert code == 0, "".join(t for _, t in chunks)
    seen = _seen(chunks, r"\s*arith/toy-gen\s.*?(\d+)/10\b")  # (when, samples done) of the task's bar
    counts = [n for _, n in seen]
    assert counts == sorted(counts), counts  # never goes back
    middle = sorted({n for n in counts if 0 < n < 10})
    assert len(middle) >= 3, counts  # it visibly moved while the task ran …
    chunks_of = {n: {k for k, m in seen if m == n} for n in middle}
    assert len(set().union(*chunks_of.values())) >= 3  # … frame after frame, not in one final burst
    full = ANSI.sub("", "".join(t for _, t in chunks))
    assert "[1/1 tasks] arith/toy-gen ok" in full and "10/10 samples" in full
    assert re.search(r"\d(?:\.\d+)?/s", full) and "0.0/s" not in full
    assert re.search(r"tasks: 0/1 done, \d+:\d\d elapsed", full)  # the whole run's elapsed time


def test_piped_output_is_plain_lines(compass, tmp_path):
    (tmp_path / "slow.toml").write_text(SLOW)
    env = compass_env(COMPASS_PROGRESS_INTERVAL="1")
    proc = subprocess.run([sys.executable, "-m", "compass", "eval", "slow.toml"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        bad = sorted({hex(ord(c)) for c in stream if ord(c) < 32 and c not in "\n\t"} | ({"esc"} if "\x1b" in stream else set()))
        assert not bad, bad
    status = [ln for ln in proc.stderr.splitlines() if ln.startswith("0/1 tasks done, 1 running")]
    assert status, proc.stderr  # the periodic one-line status …
    assert all(re.match(r"0/1 tasks done, 1 running, \d+:\d\d elapsed, ETA (-|\d+:\d\d);", ln) for ln in status)
    assert any(re.search(r"arith/toy-gen \d/10 samples, [\d.]+ samples/(s|min), ETA \d+:\d\d", ln)
               for ln in status), status
    assert "[1/1 tasks] arith/toy-gen ok (" in proc.stderr and "10/10 samples)" in proc.stderr  # … and per task


def test_worker_writes_the_progress_file(compass, tmp_path):
    """The worker's report that the launcher polls: ``tasks/<task>.progress``."""
    import json

    (tmp_path / "slow.toml").write_text(SLOW)
    res = compass("eval", "slow.toml")
    assert res.code == 0, res.err
    (run,) = (tmp_path / "outputs" / "default").iterdir()
    data = json.loads((run / "tasks" / "arith__toy-gen.progress").read_text())
    assert (data["done"], data["total"]) == (10, 10)


# -- a task that decodes one long batch: its generated tokens move before any sample is done --


def _long_decode_config(folder, tmp_path) -> None:
    """Four GSM8K rows decoded together, each exactly 1,500 tokens long (min = max), by a tiny
    random llama: no sample can finish before the batch ends, as with the README demo's
    GSM8K task on the real model."""
    (tmp_path / "long.toml").write_text(f"""
[[models]]
type = "hf"
abbr = "tiny"
path = "{folder}"
hf_type = "base"
max_out_len = 1500
min_out_len = 1500
[[datasets]]
type = "demo_gsm8k"
""")


def test_generated_tokens_move_while_a_batch_decodes(compass, tmp_path):
    from extras import require_extra

    require_extra("transformers")
    import hf_models

    folder = hf_models.build_llama(tmp_path / "llama", max_positions=4096)
    _long_decode_config(folder, tmp_path)
    env = compass_env(TERM="xterm", COLUMNS="160")
    code, chunks = _run_in_pty(["eval", "long.toml", "--limit", "4"], tmp_path, env)
    text = "".join(t for _, t in chunks)
    assert code == 0, text
    # (when, tokens) while the bar says 0/4
    before_first_sample = _seen(chunks, r"\s*tiny/demo_gsm8k\s.*?\b0/4\b.*?(\d+) tokens, (?:\d+|-) tok/s")
    tokens = [n for _, n in before_first_sample]
    assert tokens == sorted(tokens), tokens  # never goes back
    moving = sorted({n for n in tokens if n > 0})
    # tokens were counted while no sample was done yet: the count moves during the decode. How
    # many distinct values a frame catches depends on the machine's load (the worker reports
    # at most once a second), so only that it moved at all is asserted, never how often.
    assert moving, tokens
    assert moving[-1] <= 4 * 1500
    assert re.search(r"\d+ tokens, \d+ tok/s", ANSI.sub("", text))  # a rate was shown
    assert "[1/1 tasks] tiny/demo_gsm8k ok" in ANSI.sub("", text)


def test_progress_file_carries_tokens_and_the_total_from_the_start(tmp_path):
    """What :class:`compass._task.ProgressFile` writes and :func:`compass._progress.read_progress`
    reads back: the total at once (``0/N``), tokens when the backend counts them."""
    from compass._progress import read_progress
    from compass._task import ProgressFile, progress_file

    task = tmp_path / "tasks" / "m__d.json"
    task.parent.mkdir()
    write = ProgressFile(task, every=60)
    assert read_progress(progress_file(task)) is None
    write(0, 64)
    assert read_progress(progress_file(task)) == (0, 64, None)
    write(0, 64, 1200)  # done == 0 is never held back: the display learns the total at once
    assert read_progress(progress_file(task)) == (0, 64, 1200)
    write(5, 64, 2400)  # within `every` of the last write: held back
    assert read_progress(progress_file(task)) == (0, 64, 1200)
    write(64, 64, 9000)  # the last one always
    assert read_progress(progress_file(task)) == (64, 64, 9000)


# -- the arithmetic, on a fake clock -----------------------------------------------------------


def test_rates_and_etas_on_a_fake_clock():
    from compass._progress import _Running, describe, overall_eta, rate_text

    task = _Running("m/d", Path("/nonexistent"))
    task.seen(0, 0, now=100.0)
    assert describe(task) == "m/d starting (loading the model)"
    task.seen(0, 64, now=101.0)
    assert describe(task) == "m/d 0/64 samples, loading (model or first batch)"  # nothing out yet
    task.seen(0, 64, now=131.0, tokens=0)
    assert task.loading
    task.seen(0, 64, now=141.0, tokens=500)
    assert not task.loading and "500 tokens" in describe(task)
    task.seen(16, 64, now=181.0, tokens=4000)
    assert task.rate == 16 / 81  # 16 samples since the first sight (t=100, 0 done)
    assert task.token_rate == 4000 / 50  # tokens since the first token count (t=131, 0 tokens)
    # token-based: 250 tokens a finished sample, so 64 × 250 − 4000 = 12000 to come at 80 tok/s
    assert describe(task) == "m/d 16/64 samples, 0.20 samples/s, 4000 tokens, 80 tok/s, ETA 2:30"
    task.seen(16, 64, now=201.0, tokens=5600)  # the next batch decodes: no sample done yet …
    assert describe(task).endswith("5600 tokens, 80 tok/s, ETA 2:10")  # … and the ETA moves
    kept = _Running("m/f", Path("/nonexistent"))  # a model kept from an earlier task: its count goes on
    kept.seen(0, 64, now=0.0, tokens=90_000)
    kept.seen(16, 64, now=50.0, tokens=94_000)
    assert describe(kept).endswith("94000 tokens, 80 tok/s, ETA 2:30")  # the same 12000 tokens to come
    plain = _Running("m/e", Path("/nonexistent"))  # a model that counts no tokens: the sample rate
    plain.seen(0, 64, now=0.0)
    plain.seen(16, 64, now=80.0)
    assert describe(plain) == "m/e 16/64 samples, 0.20 samples/s, ETA 4:00"  # 48 / 0.2 s
    # slow rates stay readable
    assert rate_text(0.04, "samples") == "2.4 samples/min" and rate_text(0.001) == "1 per 16:40"
    assert rate_text(0.0) == "-/s" and rate_text(12.3) == "12/s" and rate_text(3.14) == "3.1/s"
    # the whole run: 1 of 4 tasks done, a running one a quarter through, after 100 s
    assert overall_eta(100.0, 1, 4, [task]) == pytest.approx(100 * (1 - 1.25 / 4) / (1.25 / 4))
    assert overall_eta(100.0, 0, 4, []) is None


def test_the_status_line_has_elapsed_and_eta(tmp_path):
    import io

    from compass._progress import Progress
    from compass._runners import TaskFile

    stream = io.StringIO()
    progress = Progress(2, stream=stream, interval=3600)
    task = TaskFile("m/d", tmp_path / "m__d.json", tmp_path / "m__d.out", "m", 0, "cpu")
    progress.started(task)
    assert re.match(r"0/2 tasks done, 1 running, 0:\d\d elapsed, ETA -; m/d starting", progress.status_line())


def test_a_debug_task_says_it_is_loading_before_its_first_sample(tmp_path):
    """The debug runner's line (``TaskLine``) on a terminal: loading first, then the counter."""
    import io

    from compass._progress import TaskLine

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    line = TaskLine("m/d", stream=out)
    assert ANSI.sub("", out.getvalue()).strip() == "[m/d starting (loading the model)]"
    line(0, 4)
    line(4, 4)
    frames = [f for f in re.split(r"[\r\n]", ANSI.sub("", out.getvalue())) if f]
    assert frames[0] == "[m/d starting (loading the model)]"
    assert frames[1] == "[m/d 0/4 samples, loading (model or first batch)]"
    assert frames[2].startswith("[m/d 4/4 samples, ")
