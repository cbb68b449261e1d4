"""What every sandbox provider shares: limits, the bootstrap, how an exit is read.

A program runs as ``python -I -S -B -c BOOTSTRAP`` with ``main.py`` in its working
directory (a process per program), or as a fork of the fork server (:mod:`.server`). Either
way, before any model code it switches to the slot's own user when it starts as root, sets
the rlimits, becomes non-dumpable, installs the seccomp filter (:mod:`.syscalls`) and the
audit hooks of :mod:`.guard`, which tell the parent a token first and ``<token> done`` only
when ``exec`` of the program returned normally — so a program that exits before its tests
(``sys.exit(0)``, ``os._exit(0)``), or that walks frames, patches ``os``, calls the reporter
or traces the tests, never passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

GUARD = Path(__file__).with_name("guard.py").read_text(encoding="utf-8")
#: the modules test programs use, imported before a program runs (the fork server, and the
#: bootstrap when it switches users)
PRELOAD = ("abc", "array", "bisect", "cmath", "collections", "contextlib", "copy", "ctypes", "dataclasses",
           "datetime", "decimal", "enum", "fractions", "functools", "hashlib", "heapq", "io", "itertools",
           "json", "math", "numbers", "operator", "queue", "random", "re", "resource", "statistics",
           "string", "textwrap", "traceback", "types", "typing", "signal", "subprocess", "threading", "time",
           "socket", "tempfile", "pathlib", "shutil", "unittest")

#: runs inside the sandbox; argv: tag (names the run's processes), limits JSON, uid (-1: stay), seccomp BPF (hex)
BOOTSTRAP = GUARD + f"PRELOAD = {PRELOAD!r}\n" + r"""
def _compass_run():
    import json, resource
    limits, uid, bpf = json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if uid >= 0 and os.getuid() == 0:
        for name in PRELOAD if sys.argv[5] == "1" else ():  # the slot's user may not be able to read this Python's folder (/root/...)
            __import__(name)
        os.setgroups([]); os.setgid(uid); os.setuid(uid)
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    _compass_lockdown(bpf)
    with open("main.py", encoding="utf-8") as fh:
        source = fh.read()
    sys.argv = ["main.py"]
    del limits, uid, bpf
    _compass_program(source, {"__name__": "__main__", "__file__": "main.py", "__builtins__": __builtins__},
                     1, (sys.stdout, sys.stderr))
_compass_run()
"""


@dataclass(frozen=True)
class Limits:
    """Per-program limits (both providers apply all of them).

    :param timeout: wall-clock seconds; the CPU limit is this plus one, rounded up.
    :param memory_mb: address space (RLIMIT_AS).
    :param processes: RLIMIT_NPROC (counted per user: each sandbox has its own, see :mod:`.slots`).
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
    """A started program: its process and what the provider must clean up."""

    proc: subprocess.Popen
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


def command(limits: Limits, tag: str, uid: int, bpf: bytes | None, preload: bool = False) -> list[str]:
    """The bootstrap's command line: ``uid`` to switch to (-1: none), the seccomp filter (None: none),
    whether to import :data:`PRELOAD` first (the user switched to cannot read this Python's folder)."""
    return [interpreter(), "-I", "-S", "-B", "-c", BOOTSTRAP, tag, json.dumps(limits.rlimits()), str(uid),
            bpf.hex() if bpf else "", "1" if preload else "0"]


def readable_by_all(path: str) -> bool:
    """Whether any user can read ``path`` (every folder above it searchable)."""
    p = Path(path).resolve()
    for d in [p, *p.parents]:
        try:
            mode = d.stat().st_mode
        except OSError:
            return False
        if not mode & 0o001 or (d == p and not mode & 0o004):
            return False
    return True


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


def read_marks(verdict: bytes) -> tuple[str | None, str]:
    """The last status the verdict hook wrote on ``verdict`` (its first line is the token):
    ``done``, ``exit``, ``error``, ``syntax`` or None, with its name."""
    token, _, rest = verdict.partition(b"\n")
    if len(token) != 32:
        return None, ""
    status, name = None, ""
    for line in rest.split(b"\n"):
        if line.startswith(token + b" "):
            parts = line[len(token) + 1:].decode("ascii", "replace").split(" ", 1)
            if status == "done":
                break
            status, name = parts[0], parts[1] if len(parts) > 1 else ""
    return status, name


def classify(marks: tuple[str | None, str], stderr: bytes, returncode: int | None, *, timed_out: bool,
             over_output: bool, seconds: float) -> Outcome:
    """Read how a program ended from its verdict hook's status, exit status and stderr."""
    tail = stderr[-2000:].decode("utf-8", "replace")
    status, name = marks

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
