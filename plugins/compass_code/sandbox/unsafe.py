"""The rlimits-only provider (``--allow-unsafe-code``): for machines without bubblewrap.

Each program is a separate process in a fresh temp dir (removed afterwards) with an empty
environment and the same rlimits, timeout and output cap as in the sandbox, in a session
of its own under a ``/bin/sh`` that is its parent (so ``os.kill(os.getppid(), 9)`` hits
the shell, not compass). It is **not** isolated: it can reach the network and any file
its user can, and the process limit does not bind root.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from compass_code.sandbox.base import Job, Limits, command, kill_group, new_token


class UnsafeSandbox:
    name = "unsafe"

    def start(self, source: str, limits: Limits, tag: str) -> Job:
        tmp = tempfile.mkdtemp(prefix="compass-code-")
        Path(tmp, "main.py").write_text(source, encoding="utf-8", errors="surrogatepass")
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8"}
        argv = ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command(limits, tag, drop=False)]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=tmp, env=env, start_new_session=True)
        return Job(proc, new_token(), [lambda: shutil.rmtree(tmp, ignore_errors=True)])

    def kill(self, job: Job) -> None:
        kill_group(job.proc)

    def describe(self, limits: Limits) -> str:
        return (f"rlimits only (separate process, temp dir, empty environment; no network or file "
                f"isolation; --allow-unsafe-code); rlimits: {limits.describe()}")
