"""Live progress: the sample counter of a running task moves on a terminal; piped output is
plain lines (one per finished task, a periodic status line), without control characters."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time

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
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append((time.monotonic(), data.decode("utf-8", "replace")))
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), chunks


def _seen(chunks: list[tuple[float, str]], pattern: str) -> list[tuple[float, int]]:
    """(arrival time, the pattern's first group as an int) of every redrawn frame that matches."""
    out = []
    for when, text in chunks:
        for frame in re.split(r"[\r\n]", ANSI.sub("", text)):
            m = re.match(pattern, frame)
            if m:
                out.append((when, int(m.group(1))))
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
    first = next(t for t, n in seen if n == middle[0])
    last = next(t for t, n in seen if n == middle[-1])
    assert last - first >= 1.0  # … over time, not in one final burst
    full = ANSI.sub("", "".join(t for _, t in chunks))
    assert "[1/1 tasks] arith/toy-gen ok" in full and "10/10 samples" in full
    assert "samples/s" not in full or re.search(r"\d+\.\d/s", full)


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
    assert any(re.search(r"arith/toy-gen \d/10 samples, [\d.]+ samples/s, ETA \d+:\d\d", ln) for ln in status), status
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
    assert len(moving) >= 3, tokens  # the count rose several times before any sample was done …
    first = next(t for t, n in before_first_sample if n == moving[0])
    last = next(t for t, n in before_first_sample if n == moving[-1])
    assert last - first >= 1.0  # … over time
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
