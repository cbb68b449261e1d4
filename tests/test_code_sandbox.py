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

LIMITS = Limits(timeout=5, memory_mb=256)  # 5 s: 2 busy cores run 4 hostile programs at once
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
#: in a session of its own that writes a file later, an exec'd ``sleep``, a System V
#: semaphore set (shared memory segments are refused), a patched module
LEAVER = textwrap.dedent("""\
    import math, os, time
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
    assert os.system("ipcmk -S 1 >/dev/null") == 0, "semget"
    math.pi = 3
    os.environ["LEFT"] = "1"
    """)
#: runs after LEAVER in the same sandbox and fails if anything of it is still there
CHECKER = textwrap.dedent("""\
    import math, os, time
    time.sleep(0.6)
    assert sorted(os.listdir("/tmp")) == ["main.py"], os.listdir("/tmp")
    others = {int(p) for p in os.listdir("/proc") if p.isdigit()} - {os.getpid()}
    assert others <= {1, 2}, others  # bubblewrap's init and the fork server (bwrap-each: init only)
    with open("/proc/sysvipc/sem") as fh:
        assert len(fh.read().strip().splitlines()) == 1, "a semaphore set was left"
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


HOSTILE = Path(__file__).parent / "data" / "hostile_code"
ADD_ROW = {"entry_point": "add", "tests": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "prompt": ""}


@pytest.mark.parametrize("provider", list(_providers()))
def test_no_wrong_answer_is_scored_as_a_pass(provider):
    """Frames to the token, calling the reporter, patching os/sys.audit, settrace, gc/ctypes,
    /proc/self/mem and the verdict pipe, a signal handler's frame: every one fails; an answer
    equal to anything passes its tests and is flagged (the evaluator scores it 0)."""
    from compass_code.programs import build_program
    from compass_code.suspect import suspicions

    answers = {p.name: p.read_text() for p in sorted(HOSTILE.glob("*.py"))}
    assert len(answers) >= 8
    programs = {name: build_program(a, ADD_ROW, False) for name, a in answers.items()}
    programs["honest"] = build_program("def add(a, b):\n    return a + b\n", ADD_ROW, False)
    outcomes = dict(run_programs(choose(provider=provider), programs.items(), LIMITS, workers=2))
    assert outcomes.pop("honest").passed
    for name, outcome in outcomes.items():
        flagged = suspicions(answers[name], ADD_ROW["tests"], "add")
        assert not outcome.passed or flagged, (name, outcome)
    assert suspicions(answers["always_equal.py"], ADD_ROW["tests"], "add") == ["class Anything defines __eq__ as a constant"]


ISOLATION = textwrap.dedent("""\
    import os, subprocess, sys
    env1 = open("/proc/1/environ", "rb").read() if os.access("/proc/1/environ", os.R_OK) else b""
    assert b"sk-canary" not in env1, "bubblewrap's environment leaks"
    # a fresh interpreter without the audit hooks, with ctypes: the seccomp filter still binds it
    probe = '''
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    calls = {"add_key": (248, b"user", b"k", b"v", 1, -3), "keyctl": (250, 0, -3, 0), "unshare": (272, 0x10000000),
             "ptrace": (101, 16, 1, 0, 0), "bpf": (321, 0, 0, 0), "perf_event_open": (298, 0, 0, -1, -1, 0),
             "memfd_create": (319, b"x", 0), "shmget": (29, 0, 4096, 0o1666)}
    for name, (nr, *args) in calls.items():
        r = libc.syscall(nr, *args)
        assert r == -1 and ctypes.get_errno() == 1, (name, r, ctypes.get_errno())
    assert os.fork.__name__ and os.getuid() != 0
    print("denied all")
    '''
    try:
        out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True)
        assert out.stdout.strip() == "denied all", out.stderr
    except PermissionError:  # rlimits only, as root, with a Python under /root: the program's user cannot start it
        pass
    assert os.getuid() != 0
    print("uid", os.getuid())
    for _ in range(1500):  # a 1,500-deep tree: the wipe after it must not recurse
        os.mkdir("d")
        os.chdir("d")
    os.chdir("/tmp")
    """)


@NEEDS_BWRAP
@pytest.mark.parametrize("provider", ["bwrap", "bwrap-each", "unsafe"])
def test_secrets_keyring_namespaces_and_users(provider, monkeypatch, tmp_path):
    if provider == "unsafe" and os.geteuid() != 0:
        pytest.skip("as a normal user the rlimits-only provider runs as that user")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary")
    # a temp folder of this test's own: another test's sandboxes (xdist) must not show up in it
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    programs = [(i, ISOLATION) for i in range(4)]
    if provider != "unsafe":  # the next program in the sandbox finds /tmp empty
        programs.append(("after", "assert sorted(__import__('os').listdir('/tmp')) == ['main.py']\n"))
    before = set(Path(tempfile.gettempdir()).glob("compass-code-*"))
    outcomes = dict(run_programs(choose(provider=provider), programs, Limits(timeout=20), workers=2))
    assert all(o.passed for o in outcomes.values()), outcomes
    assert set(Path(tempfile.gettempdir()).glob("compass-code-*")) <= before  # the deep trees are gone
    if os.geteuid() == 0:  # each sandbox slot its own user: never root, never shared (nor nobody)
        from compass_code.sandbox import slots

        probe = "import os, time\ntime.sleep(0.5)\nassert False, os.getuid()\n"
        got = run_programs(choose(provider=provider), [(i, probe) for i in range(2)], LIMITS, workers=2)
        uids = {int(o.stderr.strip().rsplit(":", 1)[1]) for _, o in got}
        assert len(uids) == 2 and min(uids) >= slots.UID_BASE, uids


@NEEDS_BWRAP
def test_the_sandbox_runs_as_an_unprivileged_user_too(tmp_path):
    """The real path as ``nobody`` (CI runs as root): the canary key stays unread (also from
    bubblewrap's own PID 1), the seccomp filter binds, every fake pass fails."""
    import json
    import subprocess
    import sys

    from compass_code.sandbox.base import readable_by_all

    setpriv = shutil.which("setpriv")
    repo = Path(__file__).resolve().parent.parent
    if os.geteuid() != 0 or not setpriv:
        pytest.skip("needs root and setpriv to drop to nobody")
    python = next((p for p in (sys.executable, "/usr/bin/python3") if readable_by_all(p)), None)
    if python is None or not readable_by_all(str(repo / "plugins")):
        pytest.skip(f"nobody can read neither this Python nor /usr/bin/python3, or not the checkout {repo}")
    from compass_code.programs import build_program

    progs = {p.name: build_program(p.read_text(), ADD_ROW, False) for p in HOSTILE.glob("*.py")}
    progs["isolation"] = ISOLATION
    (tmp_path / "programs.json").write_text(json.dumps(progs))
    code = textwrap.dedent(f"""\
        import json, sys
        sys.path[:0] = {[str(repo / "plugins"), str(repo / "core")]!r}
        from compass_code.sandbox import Limits, choose
        from compass_code.sandbox.pool import run_programs
        progs = json.load(open("programs.json"))
        out = dict(run_programs(choose(provider="bwrap"), progs.items(), Limits(timeout=20), workers=2))
        print(json.dumps({{k: [v.reason, v.stderr[-500:]] for k, v in out.items()}}))
        """)
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-canary", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    tmp_path.chmod(0o777)
    res = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", code],
                         capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got.pop("isolation")[0] == "passed", res.stdout
    for name, (reason, _) in got.items():
        assert reason != "passed" or name == "always_equal.py", (name, reason)


@NEEDS_BWRAP
def test_a_program_holding_every_process_slot_does_not_fail_another_runs_program():
    """Two runs at once (two models): one's programs fork until refused and hold their processes;
    the other's program, which starts a few processes, still passes (each sandbox slot has its
    own user and process count)."""
    import threading
    import time

    hog = "import os, time\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(30)\n    except OSError:\n        time.sleep(0.05)\n"
    honest = "import subprocess\nfor _ in range(8):\n    assert subprocess.run(['true']).returncode == 0\n"
    started = threading.Event()

    def hostile_run():
        programs = ((i, hog) for i in range(2))
        for _ in run_programs(choose(provider="bwrap"), programs, Limits(timeout=6), workers=2):
            pass

    t = threading.Thread(target=hostile_run)
    t.start()
    time.sleep(2)  # let the hogs fill their process limits
    outcomes = dict(run_programs(choose(provider="bwrap"), [("honest", honest)], LIMITS, workers=1))
    t.join()
    assert outcomes["honest"].passed, outcomes


@NEEDS_BWRAP
def test_many_processes_cannot_hold_more_memory_than_their_sandbox():
    """Four processes of 200 MiB each (each under its own 256 MiB address-space limit) exceed
    the sandbox's cgroup (256 + 64 + 128 MiB): the program cannot finish holding them all; the
    next program in that worker still passes. Without cgroups only the per-process limit holds."""
    from compass_code.sandbox import slots

    if slots.cgroups_available() is None:
        pytest.skip("no cgroup can be made here (not root, or no writable cgroup tree)")
    # The program passes only if all four hold their memory at once: the kernel's OOM killer
    # may kill a child that already said "k" (the largest), so the parent checks every child
    # is still alive once all four have said it.
    hog = textwrap.dedent("""\
        import os, time
        r, w = os.pipe()
        children = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                block = bytearray(200 << 20)
                os.write(w, b"k")
                time.sleep(60)
                os._exit(0)
            children.append(pid)
        got = b""
        while len(got) < 4:
            got += os.read(r, 4)
        dead = [pid for pid in children if os.waitpid(pid, os.WNOHANG) != (0, 0)]
        assert not dead, f"{len(dead)} of the 4 holders were killed"
        """)
    outcomes = dict(run_programs(choose(provider="bwrap"), [("hog", hog), ("next", "assert 1 + 1 == 2\n")],
                                 LIMITS, workers=1))
    assert not outcomes["hog"].passed and outcomes["hog"].reason in ("memory", "timeout", "killed", "assertion"), \
        outcomes
    assert outcomes["next"].passed, outcomes


def test_unsafe_code_never_runs_as_root(monkeypatch):
    """``--allow-unsafe-code`` as root: ``kill(-1, 9)`` reaches no process but the program's own,
    and compass's environment (an API key) cannot be read."""
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("as a normal user the rlimits-only provider runs as that user (and says so)")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-unsafe")
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        prog = textwrap.dedent(f"""\
            import os
            assert os.getuid() != 0 and os.geteuid() != 0
            try:
                data = open("/proc/{os.getpid()}/environ", "rb").read()
            except OSError:
                data = b""
            assert b"sk-canary" not in data, "read compass's environment"
            os.kill(-1, 9)
            """)
        [(_, outcome)] = list(run_programs(choose(provider="unsafe"), [("k", prog)], LIMITS))
        assert outcome.passed, outcome  # its asserts held (kill(-1) spares the caller itself)
        assert bystander.poll() is None, "kill(-1, 9) reached a process of the machine"
    finally:
        bystander.kill()
        bystander.wait()
