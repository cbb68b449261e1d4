"""Running untrusted programs: one small interface, two providers.

* :mod:`.forkserver` (the default) — bubblewrap, one sandbox per worker whose server
  (:mod:`.server`) forks each program: no network, own PID namespace, read-only system, a
  private ``/tmp`` emptied between programs as the only writable place, an empty
  environment, dies with its parent, every leftover process killed after each program;
* :mod:`.bwrap` (``provider="bwrap-each"``) — the same policy with a fresh ``bwrap`` and
  interpreter per program (slower: tens of milliseconds each);
* :mod:`.unsafe` — a separate process in a temp dir with an empty environment: rlimits
  only, for machines without bubblewrap (``--allow-unsafe-code``); never as root.

Every program runs under the seccomp filter of :mod:`.syscalls` and tells its verdict
through the audit hook of :mod:`.guard`; each sandbox has its own user (as root) and cgroup
(where one can be made), :mod:`.slots`.

Both apply the same rlimits and wall-clock timeout (:class:`.base.Limits`) and report the
same :class:`.base.Outcome`; :func:`.pool.run_programs` runs many programs in parallel.
"""

from __future__ import annotations

import shutil

from compass.sdk import CompassError

from compass_code.sandbox.base import Limits, Outcome, Sandbox

__all__ = ["Limits", "Outcome", "Sandbox", "choose", "check_starts", "REFUSAL"]

REFUSAL = ("model code needs a sandbox and bubblewrap (bwrap) is not on PATH: install it "
           "(apt-get install bubblewrap) or pass --allow-unsafe-code to run it with rlimits only")


def choose(allow_unsafe: bool = False, provider: str | None = None) -> Sandbox:
    """The sandbox to run model code in: bubblewrap, or rlimits only when allowed.

    :param allow_unsafe: with bubblewrap missing, run programs with rlimits only instead
        of refusing.
    :param provider: ``"bwrap"`` (the fork server), ``"bwrap-each"`` (a fresh bubblewrap per
        program) or ``"unsafe"`` to force one (tests, benchmarks).
    :raises CompassError: bubblewrap is missing and ``allow_unsafe`` is false.
    """
    from compass_code.sandbox.bwrap import BwrapSandbox
    from compass_code.sandbox.forkserver import ForkServerSandbox
    from compass_code.sandbox.unsafe import UnsafeSandbox

    if provider == "unsafe":
        return UnsafeSandbox()
    path = shutil.which("bwrap")
    if path:
        return BwrapSandbox(path) if provider == "bwrap-each" else ForkServerSandbox(path)
    if provider in ("bwrap", "bwrap-each"):
        raise CompassError("bubblewrap (bwrap) is not on PATH: install it (apt-get install bubblewrap)")
    if allow_unsafe:
        return UnsafeSandbox()
    raise CompassError(REFUSAL)


def check_starts(sandbox: Sandbox) -> Sandbox:
    """Run one tiny program through ``sandbox`` (the real path: bubblewrap, the slot's user and
    cgroup, the seccomp filter, the verdict hook); it must pass.

    :raises CompassError: it did not, with what the sandbox said, in one line.
    """
    from compass_code.sandbox.pool import run_programs

    probe = "def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n"
    try:
        [(_, outcome)] = list(run_programs(sandbox, [("probe", probe)], Limits(timeout=20), workers=1,
                                           tag="compass-sandbox-check"))
    except Exception as exc:  # the server could not start, Popen failed, ...
        why = " ".join(str(exc).split())[:300]
        raise CompassError(f"the code sandbox ({sandbox.name}) does not start here: {why}") from None
    if not outcome.passed:
        tail = " ".join(outcome.stderr.split())[-300:]
        raise CompassError(f"the code sandbox ({sandbox.name}) does not run a correct program here "
                           f"({outcome.reason}{': ' + tail if tail else ''})")
    return sandbox
