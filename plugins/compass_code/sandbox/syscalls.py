"""The seccomp filter every program runs under: the system calls a test program never needs.

Built once per process with libseccomp's Python bindings (Debian/Ubuntu ``python3-seccomp``,
imported here or, when this interpreter cannot import them (a venv, another Python), by the
system's ``python3``) and exported as a classic BPF program, which the bootstrap installs
(``PR_SET_NO_NEW_PRIVS`` + ``PR_SET_SECCOMP``) just before the model's code runs; it binds the
program and everything it starts. Denied with ``EPERM``: the kernel keyring, new namespaces
(``unshare``, ``setns``, ``clone`` with a ``CLONE_NEW*`` flag; ``clone3``, whose flags a filter
cannot read, answers ``ENOSYS`` so the C library falls back to ``clone``), ``ptrace`` and reading
other processes' memory, ``bpf``, ``perf_event_open``, ``userfaultfd``, ``io_uring``, mounting,
modules, reboot, clocks, and the memory that no address-space limit counts (``memfd_create``,
System V shared memory and message queues). Any other architecture's system calls kill the
process (libseccomp's default).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys

DENY = ("add_key", "request_key", "keyctl", "unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev",
        "kcmp", "pidfd_getfd", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
        "fsconfig", "fsmount", "fspick", "mount_setattr", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl",
        "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init", "iopl", "ioperm",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "vhangup",
        "memfd_create", "shmget", "msgget")
#: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NEW = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)

BUILD = r"""
import errno, sys, seccomp
deny, flags = sys.argv[1].split(","), [int(f) for f in sys.argv[2].split(",")]
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in deny:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError):  # not a system call of this kernel/architecture
        pass
for flag in flags:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
try:
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
except (RuntimeError, ValueError):
    pass
f.export_bpf(sys.stdout.buffer)
"""

MISSING = "no seccomp filter (libseccomp's Python bindings are missing: apt-get install python3-seccomp)"


@functools.lru_cache(maxsize=1)
def bpf() -> bytes | None:
    """The filter as a BPF program (8 bytes an instruction), or None when it cannot be built."""
    args = [",".join(DENY), ",".join(str(f) for f in CLONE_NEW)]
    try:
        import seccomp  # noqa: F401

        pythons = [sys.executable]
    except ImportError:
        pythons = [p for p in ("/usr/bin/python3", shutil.which("python3")) if p]
    for python in dict.fromkeys(pythons):
        try:
            out = subprocess.run([python, "-I", "-c", BUILD, *args], capture_output=True, timeout=30, env={})
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout and len(out.stdout) % 8 == 0:
            return out.stdout
    return None


def describe() -> str:
    if bpf() is None:
        return MISSING
    return "seccomp filter (no keyring, new namespaces, ptrace, bpf, perf events, mounts, memfd, System V shm)"

