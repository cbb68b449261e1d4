"""What every sandbox provider shares: limits, the bootstrap, how an exit is read.

A program runs as ``python -I -S -B -c BOOTSTRAP`` with ``main.py`` in its working
directory. The bootstrap (inside the sandbox, before any model code) drops to user
``nobody`` when it starts as root (bubblewrap only), sets the rlimits, reads a one-time
token from stdin, runs ``main.py`` and writes ``<token> <status> <name>`` on its stdout:
``done`` only when the program ran to its end — so a program that exits 0 before its
tests (``sys.exit(0)``, ``os._exit(0)``, a killed test runner) never passes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Protocol

#: runs inside the sandbox; argv: tag (names the run's processes), limits JSON, drop (0/1)
BOOTSTRAP = r"""
import os, sys
def _compass_run():
    import json, resource
    limits, drop = json.loads(sys.argv[2]), sys.argv[3] == "1"
    if drop and os.getuid() == 0:
        os.setgroups([]); os.setgid(65534); os.setuid(65534)
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    token = sys.stdin.readline().strip()
    def say(status, name=""):
        os.write(1, ("\n%s %s %s\n" % (token, status, name)).encode())
    with open("main.py", encoding="utf-8") as fh:
        source = fh.read()
    del limits, drop
    try:
        code = compile(source, "main.py", "exec")
    except SyntaxError as exc:
        say("syntax", type(exc).__name__)
        raise
    sys.argv = ["main.py"]
    try:
        exec(code, {"__name__": "__main__", "__file__": "main.py", "__builtins__": __builtins__})
    except SystemExit as exc:
        say("exit", repr(exc.code))
        raise
    except BaseException as exc:
        say("error", type(exc).__name__)
        raise
    say("done")
_compass_run()
"""


@dataclass(frozen=True)
class Limits:
    """Per-program limits (both providers apply all of them).

    :param timeout: wall-clock seconds; the CPU limit is this plus one, rounded up.
    :param memory_mb: address space (RLIMIT_AS).
    :param processes: RLIMIT_NPROC (counted per user: the sandbox runs as ``nobody``).
    :param file_mb: largest file a program may write (RLIMIT_FSIZE).
    :param open_files: RLIMIT_NOFILE.
    :param output_bytes: stdout + stderr; a program writing more is killed.
    :param tmp_mb: size of the private ``/tmp`` (bubblewrap).
    """

    timeout: float = 10.0
    memory_mb: int = 1024
    processes: int = 64
    file_mb: int = 16
    open_files: int = 64
    output_bytes: int = 1 << 20
    tmp_mb: int = 64

    def rlimits(self) -> dict[str, int]:
        mib = 1 << 20
        return {"RLIMIT_CPU": int(self.timeout) + 1, "RLIMIT_AS": self.memory_mb * mib,
                "RLIMIT_NPROC": self.processes, "RLIMIT_FSIZE": self.file_mb * mib,
                "RLIMIT_NOFILE": self.open_files, "RLIMIT_CORE": 0}

    def describe(self) -> str:
        return (f"cpu {int(self.timeout) + 1} s, memory {self.memory_mb} MiB, {self.processes} processes, "
                f"files {self.file_mb} MiB, {self.open_files} open files, wall clock {self.timeout:g} s, "
                f"output {self.output_bytes >> 10} KiB")


@dataclass(frozen=True)
class Outcome:
    """How one program ended.

    ``reason`` is ``passed`` or why not: ``assertion``, ``exception`` (``exception`` names
    its type), ``syntax error``, ``timeout``, ``memory``, ``killed`` (by a signal),
    ``output limit``, ``incomplete`` (exited before the end, e.g. ``sys.exit(0)``).
    """

    reason: str
    exception: str | None = None
    returncode: int | None = None
    stderr: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.reason == "passed"

    def record(self) -> dict:
        out = {"correct": self.passed, "reason": self.reason, "seconds": round(self.seconds, 3)}
        if self.exception:
            out["exception"] = self.exception
        if not self.passed:
            out["returncode"] = self.returncode
            out["stderr"] = self.stderr
        return out


@dataclass
class Job:
    """A started program: its process, its token and what the provider must clean up."""

    proc: subprocess.Popen
    token: str
    cleanup: list = field(default_factory=list)


class Sandbox(Protocol):
    """A provider: starts one program under :class:`Limits`; kills it; says its isolation."""

    name: str

    def start(self, source: str, limits: Limits, tag: str) -> Job: ...

    def kill(self, job: Job) -> None: ...

    def describe(self, limits: Limits) -> str: ...


def interpreter() -> str:
    """The real Python binary (not a venv's shim): programs run with the standard library only."""
    exe = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(exe)


def command(limits: Limits, tag: str, drop: bool) -> list[str]:
    return [interpreter(), "-I", "-S", "-B", "-c", BOOTSTRAP, tag, json.dumps(limits.rlimits()),
            "1" if drop else "0"]


def new_token() -> str:
    return secrets.token_hex(16)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the program's process group (it was started in a session of its own)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def classify(token: str, stdout: bytes, stderr: bytes, returncode: int | None, *, timed_out: bool,
             over_output: bool, seconds: float) -> Outcome:
    """Read how a program ended from its bootstrap line, exit status and stderr."""
    tail = stderr[-2000:].decode("utf-8", "replace")
    status, name = None, ""
    mark = token.encode()
    for line in reversed(stdout.splitlines()):
        if line.startswith(mark):
            parts = line.decode("utf-8", "replace").split(" ", 2)
            status, name = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
            break

    def out(reason: str, exception: str | None = None) -> Outcome:
        return Outcome(reason, exception, returncode, tail, seconds)

    if over_output:
        return out("output limit")
    if timed_out:
        return out("timeout")
    if status == "done" and returncode == 0:
        return out("passed")
    if status == "syntax":
        return out("syntax error", name or "SyntaxError")
    if status == "error":
        if name == "AssertionError":
            return out("assertion", name)
        if name == "MemoryError":
            return out("memory", name)
        return out("exception", name)
    if status == "exit":
        return out("incomplete" if name in ("0", "None") else "exception", "SystemExit")
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            return out("timeout")
        if b"MemoryError" in stderr[-2000:]:
            return out("memory", "MemoryError")
        return out("killed", signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig))
    if b"MemoryError" in stderr[-2000:]:
        return out("memory", "MemoryError")
    return out("incomplete")
