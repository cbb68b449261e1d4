"""The hostile-program suite, run against both sandbox providers.

Every program runs in one parallel batch next to a correct one: each must fail with its
own reason, the correct one must pass (the run goes on), and nothing may leak onto the
machine (canary files and folders intact, no connection to a loopback server, no secret
read, no process or temp dir left behind). The rlimits-only provider isolates neither the
network nor the file system, and the process limit does not bind root: those cases are
skipped for it, saying why.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from compass_code.sandbox import Limits, choose
from compass_code.sandbox.pool import run_programs

LIMITS = Limits(timeout=3, memory_mb=256)
NOT_ISOLATED = "the rlimits-only provider does not isolate this (that is what --allow-unsafe-code accepts)"


pytestmark = pytest.mark.sandbox  # sandboxes and their fork servers, program by program
NEEDS_BWRAP = pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap (bwrap) not installed")


def _providers():
    yield pytest.param("bwrap", marks=NEEDS_BWRAP)  # the fork server (the default)
    yield pytest.param("bwrap-each", marks=NEEDS_BWRAP)  # a fresh bubblewrap per program
    yield "unsafe"


def _tagged_processes(tag: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if tag.encode() in cmd:
                found.append(entry.name)
    return found


def _gone(tag: str, within: float = 5.0) -> bool:
    """No process carries ``tag`` (the kernel kills a dead PID namespace's processes
    asynchronously: a fork bomb's may take a moment to go)."""
    import time

    deadline = time.monotonic() + within
    while _tagged_processes(tag):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def server():
    """A loopback server that records whether anything connected."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)
    yield srv
    srv.close()


@pytest.mark.parametrize("provider", list(_providers()))
def test_hostile_programs_fail_with_their_reason_and_nothing_leaks(provider, tmp_path, server, monkeypatch):
    secret = f"hunter2-{uuid.uuid4().hex}"
    monkeypatch.setenv("COMPASS_TEST_SECRET", secret)
    canary_file = tmp_path / "written-by-the-program"
    canary_dir = tmp_path / "canary"
    canary_dir.mkdir()
    (canary_dir / "keep.txt").write_text("keep")
    port = server.getsockname()[1]
    # a temp dir of this test's own: what it checks for leftovers is not what a test running
    # beside it (another xdist worker) has in flight
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    sandbox = choose(provider=provider)
    unsafe = provider == "unsafe"

    cases = {  # name: (program, reasons it may fail with, why it does not apply here or None)
        "correct": ("def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n", {"passed"}, None),
        "infinite loop": ("while True:\n    pass\n", {"timeout"}, None),
        "memory bomb": ("x = []\nwhile True:\n    x.append(bytearray(1 << 24))\n", {"memory"}, None),
        "fork bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                      {"timeout"}, "RLIMIT_NPROC does not bind root" if unsafe and os.geteuid() == 0 else None),
        "write outside": (f"open({str(canary_file)!r}, 'w').write('x')\n", {"exception"},
                          NOT_ISOLATED if unsafe else None),
        "delete canary": (textwrap.dedent(f"""\
            import os, subprocess
            assert os.path.isdir({str(canary_dir)!r}), "the canary is not visible"
            os.system("rm -rf {canary_dir}")
            subprocess.run(["rm", "-rf", {str(canary_dir)!r}])
            """), {"assertion"}, NOT_ISOLATED if unsafe else None),
        "read secret": ("import os\nprint(os.environ['COMPASS_TEST_SECRET'])\n", {"exception"}, None),
        "connect": (f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'hi')\n",
                    {"exception", "timeout"}, NOT_ISOLATED if unsafe else None),
        "kill parent": ("import os, time\nos.kill(os.getppid(), 9)\ntime.sleep(0.5)\nassert False, 'still here'\n",
                        {"exception", "killed", "assertion"}, None),
        "print a gigabyte": ("import sys\nfor _ in range(1 << 14):\n    sys.stdout.write('x' * 65536)\n",
                             {"output limit"}, None),
        "sys.exit(0) before tests": ("import sys\nsys.exit(0)\nassert False\n", {"incomplete"}, None),
        "os._exit(0) before tests": ("import os\nos._exit(0)\nassert False\n", {"incomplete"}, None),
    }
    skipped = {name: why for name, (_, _, why) in cases.items() if why}
    run = {name: prog for name, (prog, _, why) in cases.items() if not why}
    tag = f"compass-test-{uuid.uuid4().hex[:12]}"
    temp_before = set(Path(tempfile.gettempdir()).glob("compass-code-*"))

    outcomes = dict(run_programs(sandbox, run.items(), LIMITS, workers=4, tag=tag))

    assert set(outcomes) == set(run)
    for name, outcome in outcomes.items():
        assert outcome.reason in cases[name][1], (name, outcome)
    assert outcomes["memory bomb"].exception == "MemoryError"
    assert outcomes["read secret"].exception == "KeyError"
    assert all(secret not in o.stderr for o in outcomes.values())
    assert "Traceback" in outcomes["read secret"].stderr  # the stderr tail comes back
    # nothing leaked onto the machine
    assert not canary_file.exists()
    assert (canary_dir / "keep.txt").read_text() == "keep"
    with pytest.raises(BlockingIOError):
        server.accept()
    assert _gone(tag)
    assert set(Path(tempfile.gettempdir()).glob("compass-code-*")) <= temp_before
    if skipped:
        print(f"{provider}: not applicable: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))


@NEEDS_BWRAP
@pytest.mark.parametrize("provider", ["bwrap", "bwrap-each"])
def test_bwrap_sandbox_sees_no_host_files_and_no_parent_environment(provider, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    prog = textwrap.dedent("""\
        import os, socket
        assert sorted(os.environ) == ["HOME", "LANG", "PATH", "PWD", "TMPDIR"], sorted(os.environ)
        assert os.getcwd() == "/tmp" and not os.path.exists("/work") and not os.path.exists("/root/.ssh")
        open("/tmp/scratch", "w").write("ok")          # the only writable place
        for path in ("/usr/evil", "/evil"):
            try:
                open(path, "w")
                raise SystemExit(f"wrote {path}")
            except OSError:
                pass
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=1)
            raise SystemExit("network reachable")
        except OSError:
            pass
        raise ValueError("all checks done")
        """)
    [(_, outcome)] = list(run_programs(choose(provider=provider), [("p", prog)], LIMITS))
    assert outcome.reason == "exception" and outcome.exception == "ValueError", outcome
    assert "sk-must-not-leak" not in outcome.stderr


#: leaves behind everything it can: files (one in a folder it makes unreadable), a process
#: in a session of its own that writes a file later, an exec'd ``sleep``, a System V shared
#: memory segment, a patched module
LEAVER = textwrap.dedent("""\
    import ctypes, math, os, time
    open("left-behind", "w").write("x")
    os.makedirs("locked/inner")
    open("locked/inner/f", "w").write("x")
    os.chmod("locked", 0)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(0.4)
            open("/tmp/late", "w").write("x")
            os._exit(0)
        os.execv("/bin/sleep", ["sleep", "987.654"])
    libc = ctypes.CDLL(None)
    assert libc.shmget(0, 4096, 0o1000 | 0o666) >= 0, "shmget"
    math.pi = 3
    os.environ["LEFT"] = "1"
    """)
#: runs after LEAVER in the same sandbox and fails if anything of it is still there
CHECKER = textwrap.dedent("""\
    import math, os, time
    time.sleep(0.6)
    assert sorted(os.listdir("/tmp")) == ["main.py"], os.listdir("/tmp")
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            assert b"987.654" not in cmd and b"late" not in cmd, cmd
    with open("/proc/sysvipc/shm") as fh:
        assert len(fh.read().strip().splitlines()) == 1, "a shared memory segment was left"
    assert math.pi > 3.14 and "LEFT" not in os.environ
    """)


@NEEDS_BWRAP
@pytest.mark.parametrize("provider", ["bwrap", "bwrap-each"])
def test_a_program_cannot_affect_the_next_in_the_same_sandbox(provider):
    programs = [("leaver", LEAVER), ("checker", CHECKER), ("leaver 2", LEAVER), ("checker 2", CHECKER)]
    outcomes = dict(run_programs(choose(provider=provider), programs, LIMITS, workers=1))
    assert [outcomes[k].reason for k, _ in programs] == ["passed"] * 4, outcomes
    assert _tagged_processes("987.654") == []  # nothing left on the machine either


@NEEDS_BWRAP
def test_a_dead_fork_server_is_replaced_and_its_program_reported_killed():
    tag = f"compass-test-{uuid.uuid4().hex[:12]}"
    programs = [("victim", "import time\ntime.sleep(5)\n"), ("next", "assert 1 + 1 == 2\n")]
    results = run_programs(choose(provider="bwrap"), programs, LIMITS, workers=1, tag=tag)
    import threading
    import time

    def kill_server():  # once the server (the sandbox's Python, its command line carries the tag) has forked
        for _ in range(1000):
            pythons = {}
            for pid in _tagged_processes(tag):
                try:
                    if b"python" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
                        pythons[pid] = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
                except OSError:
                    pass
            servers = [pid for pid, ppid in pythons.items() if ppid not in pythons]
            if len(pythons) >= 2 and len(servers) == 1:
                time.sleep(0.2)
                os.kill(int(servers[0]), 9)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_server)
    killer.start()
    outcomes = dict(results)
    killer.join()
    assert outcomes["victim"].reason == "killed" and outcomes["victim"].exception == "sandbox", outcomes
    assert outcomes["next"].reason == "passed", outcomes
    assert _tagged_processes(tag) == []
