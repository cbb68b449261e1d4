"""The default bubblewrap provider: one sandbox per worker that forks each program.

Each worker starts one ``bwrap`` with the same policy as :mod:`.bwrap` (no network, own
PID/IPC/UTS namespaces, read-only system, a private size-capped ``/tmp`` as the only
writable place, an empty environment, dies with its parent; started itself with an empty
environment, in the slot's cgroup when there is one — :mod:`.slots`) and one Python inside
it (:mod:`.server`) that has imported the modules test programs use. Each program is a fork
of it: a session of its own, the slot's own user (when root), its rlimits, the seccomp
filter and the verdict hook (:mod:`.guard`), ``/tmp`` emptied before it, and after it every
leftover process of the namespace killed and ``/tmp`` emptied again; when anything is left
(a file, a process, a System V IPC object), or the server dies, that sandbox is thrown away
and a fresh one started. The server (root in the sandbox, keeping only the capabilities it
needs: kill, set uid/gid, override file permissions) cannot be signalled or traced by a
program running as the slot's user.

This saves a ``bwrap`` and an interpreter start per program (tens of milliseconds).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable, Iterable, Iterator

from compass_code.sandbox import slots, syscalls
from compass_code.sandbox.base import GUARD, Limits, Outcome, classify, interpreter
from compass_code.sandbox.bwrap import BwrapSandbox, _version

SERVER = Path(__file__).with_name("server.py")
SLACK = 10.0  # seconds past a program's wall clock before the host gives up on its server
#: the server's capabilities as root (a program, as the slot's user, has none)
CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER")


class ServerFailed(RuntimeError):
    """A fork server could not start."""


@dataclass
class _Server:
    proc: subprocess.Popen
    errlog: object
    buf: bytearray = field(default_factory=bytearray)
    ready: bool = False
    slot: slots.Slot | None = None
    key: Hashable = None
    busy: bool = False
    deadline: float = 0.0
    sent: float = 0.0
    oom_seen: int = 0


class ForkServerSandbox:
    name = "bwrap"

    def __init__(self, path: str):
        self.base = BwrapSandbox(path)
        self.path = path

    def argv(self, limits: Limits, tag: str, uid: int = -1) -> list[str]:
        b = self.base
        if b.root:
            spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                      "--cap-drop", "ALL"]
            for cap in CAPS:
                spaces += ["--cap-add", cap]
        else:
            spaces = ["--unshare-all", "--unshare-user", "--disable-userns"]
        return [self.path, *spaces, "--die-with-parent", "--new-session", *b._mounts,
                "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp", "--chdir", "/tmp",
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
                "--", interpreter(), "-I", "-S", "-B", "-c", GUARD + SERVER.read_text(encoding="utf-8"), tag,
                str(uid), (syscalls.bpf() or b"").hex()]

    def _start(self, limits: Limits, tag: str, sel: selectors.BaseSelector) -> _Server:
        slot = slots.acquire(limits.memory_mb + limits.tmp_mb + slots.SERVER_MB, limits.processes + 8)
        errlog = tempfile.TemporaryFile()
        argv = self.argv(limits, tag, slot.uid)
        if slot.cgroup is not None:
            argv = slot.cgroup.wrap(argv)
        try:  # an empty environment: bubblewrap's own process (PID 1 inside) keeps the one it gets
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog,
                                    start_new_session=True, cwd="/", env={})
        except OSError as exc:
            slot.release()
            errlog.close()
            raise ServerFailed(f"the sandbox did not start: {exc}") from None
        os.set_blocking(proc.stdout.fileno(), False)
        server = _Server(proc, errlog, slot=slot)
        sel.register(proc.stdout, selectors.EVENT_READ, server)
        return server

    def _stop(self, server: _Server, sel: selectors.BaseSelector, wait: float = 1.0) -> None:
        try:
            sel.unregister(server.proc.stdout)
        except (KeyError, ValueError):
            pass
        try:
            server.proc.stdin.close()
        except OSError:
            pass
        try:
            server.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        try:  # bwrap and, with it, everything in its namespace
            os.killpg(server.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        server.proc.wait()
        server.proc.stdout.close()
        server.errlog.close()
        if server.slot is not None:
            server.slot.release()

    def _errtail(self, server: _Server) -> str:
        server.errlog.seek(0)
        return server.errlog.read()[-2000:].decode("utf-8", "replace")

    def run_many(self, programs: Iterable[tuple[Hashable, str]], limits: Limits, workers: int,
                 tag: str) -> Iterator[tuple[Hashable, Outcome]]:
        """Run ``(key, source)`` programs on ``workers`` fork servers; yield each outcome as it ends."""
        todo = iter(programs)
        sel = selectors.DefaultSelector()
        servers: list[_Server] = []
        rlimits = limits.rlimits()

        def send(server: _Server) -> bool:
            item = next(todo, None)
            if item is None:
                return False
            server.key, source = item
            server.busy = True
            server.sent = time.monotonic()
            server.deadline = server.sent + limits.timeout + SLACK
            line = json.dumps({"source": source, "rlimits": rlimits,
                               "timeout": limits.timeout, "output": limits.output_bytes}) + "\n"
            try:
                server.proc.stdin.write(line.encode())
                server.proc.stdin.flush()
            except OSError:  # it died: reported when its stdout closes
                pass
            return True

        def replace(server: _Server) -> _Server | None:
            self._stop(server, sel, wait=0)
            servers.remove(server)
            fresh = self._start(limits, tag, sel)
            servers.append(fresh)
            if not send(fresh):
                self._stop(fresh, sel)
                servers.remove(fresh)
                return None
            return fresh

        def lost(server: _Server, reason: str, why: str) -> Outcome:
            return Outcome(reason, "sandbox" if reason == "killed" else None, None, why,
                           time.monotonic() - server.sent)

        try:
            while len(servers) < workers:
                server = self._start(limits, tag, sel)
                servers.append(server)
                if not send(server):
                    self._stop(server, sel)
                    servers.remove(server)
                    break
            while servers:
                now = time.monotonic()
                wait = max(0.0, min(s.deadline for s in servers) - now)
                for sk, _ in sel.select(timeout=min(wait, 1.0)):
                    server: _Server = sk.data
                    try:
                        chunk = os.read(sk.fd, 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:  # the server died (a program killed it, or it could not start)
                        if not server.ready:
                            tail = self._errtail(server)
                            self._stop(server, sel)
                            servers.remove(server)
                            raise ServerFailed(f"the sandbox did not start: {tail.strip() or 'no message'}")
                        key = server.key
                        outcome = _memory(lost(server, "killed", "the program's sandbox died (the program killed it)"),
                                          server)
                        replace(server)
                        yield key, outcome
                        continue
                    server.buf += chunk
                    while b"\n" in server.buf:
                        line, _, rest = bytes(server.buf).partition(b"\n")
                        server.buf = bytearray(rest)
                        reply = json.loads(line)
                        if reply.get("ready"):
                            server.ready = True
                            continue
                        key = server.key
                        outcome = classify((reply["status"], reply["name"]), reply["err"].encode("latin-1"),
                                           reply["returncode"], timed_out=reply["timed_out"],
                                           over_output=reply["over"], seconds=reply["seconds"])
                        outcome = _memory(outcome, server)
                        server.busy = False
                        if not reply["clean"]:  # it exits: a fresh sandbox for the next program
                            replace(server)
                        elif not send(server):
                            self._stop(server, sel)
                            servers.remove(server)
                        yield key, outcome
                        break  # the server may have been replaced: read the next event afresh
                now = time.monotonic()
                for server in [s for s in servers if s.busy and now >= s.deadline]:
                    key = server.key
                    outcome = lost(server, "timeout", "the program's sandbox stopped answering")
                    replace(server)
                    yield key, outcome
        finally:
            for server in servers:
                self._stop(server, sel)
            sel.close()

    def describe(self, limits: Limits) -> str:
        return (f"bubblewrap {_version(self.path)}, one sandbox per worker forking each program (no network, "
                f"own PID namespace, read-only system, private /tmp emptied between programs as the only "
                f"writable place, empty environment, {self.base.who()}, every leftover process killed after each "
                f"program, dies with its parent); {syscalls.describe()}; {self.base.limits_note(limits)}")


def _memory(outcome: Outcome, server: _Server) -> Outcome:
    """A program the kernel killed for its slot's memory limit ran out of memory."""
    cg = server.slot.cgroup if server.slot is not None else None
    if cg is None or outcome.reason != "killed" or outcome.exception not in ("SIGKILL", "sandbox"):
        return outcome
    if cg.oom_kills() > server.oom_seen:
        server.oom_seen = cg.oom_kills()
        return Outcome("memory", "cgroup memory.max", outcome.returncode, outcome.stderr, outcome.seconds)
    return outcome
