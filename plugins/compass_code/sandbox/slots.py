"""A sandbox slot: its own user (as root) and its own cgroup (where the cgroup fs is writable).

* **User.** As root, each slot (a fork server, or one program of a process-per-program
  provider) takes a user id of its own from ``UID_BASE`` on, claimed by an exclusive ``flock``
  on ``/run/lock/compass-sandbox/<uid>`` held for the slot's life (released by the kernel if
  compass dies), so two slots — of one run or of two runs — never share one: process counts
  (``RLIMIT_NPROC``), signals (``kill(-1)``) and files of one slot never touch another's. As
  another user there is no second user to take: each slot is its own user namespace instead.
* **Cgroup.** A cgroup per slot under ``compass-sandbox/`` — cgroup v2 (``memory.max``,
  ``memory.swap.max`` 0, ``pids.max``, ``cpu.max`` one core) or the v1 memory, pids and cpu
  controllers — when compass may create it (root, or a delegated v2 tree): memory counts
  every page the slot's processes touch, shared memory and its ``/tmp`` included. Otherwise
  :meth:`Slot.cgroup` is None and only the per-process rlimits bind.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

UID_BASE = 0x5C000000  # 1543503872: far above any distribution's users and subordinate ranges
UID_SLOTS = 1 << 16
LOCKS = Path("/run/lock/compass-sandbox")
CGROUP_FS = Path("/sys/fs/cgroup")
NAME = "compass-sandbox"
SERVER_MB = 128  # the fork server and bwrap, beside the program
CPU_PERIOD = 100_000
#: a slot's CPU weight, in tasks: a cgroup competes with the machine's other tasks as one task
#: would, and a slot runs two at a time (the server, the program)
CPU_WEIGHT = 2


@dataclass
class Cgroup:
    """One slot's cgroup: the ``cgroup.procs`` files to join and the folders to remove."""

    dirs: list[Path]
    version: int
    procs: list[Path] = field(default_factory=list)

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started by a shell that first moves itself into this cgroup (so everything it
        starts is inside from its first instruction), with an empty environment."""
        script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", str(len(self.procs)), *map(str, self.procs), *argv]

    def oom_kills(self) -> int:
        """How many processes the kernel killed for memory in this cgroup so far."""
        try:
            if self.version == 2:
                for line in (self.dirs[0] / "memory.events").read_text().splitlines():
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
            else:
                for line in (self.dirs[0] / "memory.oom_control").read_text().splitlines():
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):  # the last processes of a dead PID namespace take a moment to go
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _v2_parent() -> Path | None:
    root = CGROUP_FS
    try:
        if not {"memory", "pids", "cpu"} <= set((root / "cgroup.controllers").read_text().split()):
            return None
        parent = root / NAME
        parent.mkdir(exist_ok=True)
        enabled = set((root / "cgroup.subtree_control").read_text().split())
        for c in ("memory", "pids", "cpu"):
            if c not in enabled:
                _write(root / "cgroup.subtree_control", "+" + c)
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        for c in ("memory", "pids", "cpu"):
            if c not in enabled:
                _write(parent / "cgroup.subtree_control", "+" + c)
        _write(parent / "cpu.weight", str(min(10000, 100 * CPU_WEIGHT * (os.cpu_count() or 1))))
        return parent
    except OSError:
        return None


def _sweep(parent: Path) -> None:
    """Remove the empty slot folders of runs that ended before removing theirs (a minute old)."""
    try:
        old = time.time() - 60
        for d in parent.iterdir():
            if d.is_dir() and d.stat().st_mtime < old:
                try:
                    d.rmdir()
                except OSError:
                    pass
    except OSError:
        pass


def make_cgroup(name: str, memory_bytes: int, pids: int) -> Cgroup | None:
    """A cgroup with these limits and one core, or None where none can be made."""
    if os.geteuid() != 0 or not CGROUP_FS.is_dir():
        return None
    parent = _v2_parent()
    if parent is not None:
        _sweep(parent)
        d = parent / name
        try:
            d.mkdir()
            _write(d / "memory.max", str(memory_bytes))
            if (d / "memory.swap.max").exists():
                _write(d / "memory.swap.max", "0")
            _write(d / "pids.max", str(pids))
            _write(d / "cpu.max", f"{CPU_PERIOD} {CPU_PERIOD}")
            _write(d / "cpu.weight", str(100 * CPU_WEIGHT))
            return Cgroup([d], 2, [d / "cgroup.procs"])
        except OSError:
            Cgroup([d], 2).remove()
            return None
    made: list[Path] = []
    try:  # cgroup v1: one folder in each controller's hierarchy
        for ctl in ("memory", "pids", "cpu"):
            base = CGROUP_FS / ctl
            if not (base / "cgroup.procs").exists():
                raise OSError(f"no {ctl} hierarchy")
            (base / NAME).mkdir(exist_ok=True)
            _sweep(base / NAME)
            if ctl == "cpu":  # every slot is below this folder: weigh it as all of them
                _write(base / NAME / "cpu.shares", str(1024 * CPU_WEIGHT * (os.cpu_count() or 1)))
            d = base / NAME / name
            d.mkdir()
            made.append(d)
        mem, pid, cpu = made
        _write(mem / "memory.limit_in_bytes", str(memory_bytes))
        if (mem / "memory.memsw.limit_in_bytes").exists():
            _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes))
        _write(pid / "pids.max", str(pids))
        _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD))
        _write(cpu / "cpu.cfs_quota_us", str(CPU_PERIOD))
        _write(cpu / "cpu.shares", str(1024 * CPU_WEIGHT))
        return Cgroup(made, 1, [d / "cgroup.procs" for d in made])
    except OSError:
        Cgroup(made, 1).remove()
        return None


@dataclass
class Slot:
    """A user id (root only; -1 otherwise) and a cgroup (or None) for one sandbox."""

    uid: int
    cgroup: Cgroup | None
    lock: int | None = None

    def release(self) -> None:
        """Remove the cgroup and free the user id, in the background: the last processes of a
        killed sandbox take a moment to go, and nothing waits for them (a folder left when
        compass exits first is removed by a later run)."""
        cgroup, lock, self.cgroup, self.lock = self.cgroup, self.lock, None, None

        def release() -> None:
            if cgroup is not None:
                cgroup.remove()
            if lock is not None:
                os.close(lock)

        if cgroup is None:
            release()
        else:
            threading.Thread(target=release, name="compass-slot-release", daemon=True).start()


def _claim_uid() -> tuple[int, int]:
    LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    start = (os.getpid() * 64) % UID_SLOTS
    for i in range(UID_SLOTS):
        n = (start + i) % UID_SLOTS
        fd = os.open(LOCKS / str(UID_BASE + n), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return UID_BASE + n, fd
    raise RuntimeError("every sandbox user id is taken")


def acquire(memory_mb: int, processes: int, cgroups: bool = True) -> Slot:
    """A slot: its own uid (as root) and, when ``cgroups`` and possible, its own cgroup."""
    uid, lock = _claim_uid() if os.geteuid() == 0 else (-1, None)
    cg = None
    if cgroups:
        name = f"{uid if uid >= 0 else os.getpid()}-{time.monotonic_ns()}"
        cg = make_cgroup(name, memory_mb << 20, processes)
    return Slot(uid, cg, lock)


def cgroups_available() -> str | None:
    """Which cgroup version slots get here ("v2", "v1"), or None."""
    probe = make_cgroup(f"probe-{os.getpid()}-{time.monotonic_ns()}", 64 << 20, 8)
    if probe is None:
        return None
    probe.remove()
    return f"v{probe.version}"
