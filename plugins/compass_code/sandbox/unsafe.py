"""The rlimits-only provider (``--allow-unsafe-code``): for machines without bubblewrap.

Each program is a separate process in a fresh temp dir (removed afterwards) with an empty
environment and the same rlimits, timeout, output cap, seccomp filter and verdict hook as in
the sandbox, in a session of its own under a ``/bin/sh`` that is its parent (so
``os.kill(os.getppid(), 9)`` hits the shell, not compass), in a cgroup of its own where one
can be made. Started as root it never runs as root: it switches to a user of its own
(:mod:`.slots`), so ``kill(-1)`` reaches only its own processes and compass's environment
and files stay unreadable to it. It is **not** isolated: it can reach the network and any
file that user (or, as a normal user, you) can.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from compass_code.sandbox import slots, syscalls
from compass_code.sandbox.base import Job, Limits, command, kill_group, readable_by_all


def remove_tree(top: str) -> None:
    """Remove ``top`` whatever its depth: each folder's folders are first moved up to ``top`` (no
    recursion, no path longer than two names), then it is emptied and removed."""
    todo, n = [top], 0
    while todo:
        d = todo.pop()
        try:
            os.chmod(d, 0o700)
            with os.scandir(d) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        n += 1
                        flat = os.path.join(top, f".flat-{n}")
                        os.rename(entry.path, flat)
                        todo.append(flat)
                    else:
                        os.unlink(entry.path)
            if d != top:
                os.rmdir(d)
        except OSError:
            continue
    try:
        os.rmdir(top)
    except OSError:
        pass


class UnsafeSandbox:
    name = "unsafe"

    def start(self, source: str, limits: Limits, tag: str) -> Job:
        slot = slots.acquire(limits.memory_mb + slots.SERVER_MB, limits.processes + 8)
        try:
            tmp = tempfile.mkdtemp(prefix="compass-code-")
            Path(tmp, "main.py").write_text(source, encoding="utf-8", errors="surrogatepass")
            if slot.uid >= 0:
                os.chown(tmp, slot.uid, slot.uid)
            env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8"}
            argv = ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command(limits, tag, slot.uid, syscalls.bpf(),
                                                                    preload=not readable_by_all(sys.base_prefix))]
            if slot.cgroup is not None:
                argv = slot.cgroup.wrap(argv)
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=tmp, env=env, start_new_session=True)
        except BaseException:
            slot.release()
            raise
        return Job(proc, [lambda: remove_tree(tmp), slot.release])

    def kill(self, job: Job) -> None:
        kill_group(job.proc)

    def describe(self, limits: Limits) -> str:
        who = "a user of its own" if os.geteuid() == 0 else "your user"
        cg = "a cgroup of its own" if slots.cgroups_available() else "no cgroup"
        return (f"rlimits only (separate process as {who}, temp dir, empty environment, {cg}; no network or file "
                f"isolation; --allow-unsafe-code); {syscalls.describe()}; rlimits: {limits.describe()}")
