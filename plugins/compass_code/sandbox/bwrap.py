"""The bubblewrap provider: each program in its own namespaces, with nothing of the host.

No network (a new, empty network namespace), its own PID, IPC and UTS namespaces, the
system (``/usr`` and the Python installation) mounted read-only, a private size-capped
``/tmp`` (a tmpfs that vanishes with the sandbox) as the only writable place and working
directory, an empty environment (no API keys, no ``HOME`` of the user; ``bwrap`` itself is
started with none either, since its own process stays PID 1 inside), killed when its parent
dies. Started as root, each program runs as a user of its own (:mod:`.slots`: the process
limit binds per sandbox); as another user, bubblewrap maps that user into a new user
namespace of the sandbox's own (which it cannot leave or nest). A cgroup per sandbox where
compass can make one; the seccomp filter and verdict hook of :mod:`.guard` in every program.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from compass_code.sandbox import slots, syscalls
from compass_code.sandbox.base import Job, Limits, command, interpreter, kill_group

TOP_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.strip().split()[-1] if out.strip() else ""


class BwrapSandbox:
    name = "bwrap"

    def __init__(self, path: str):
        self.path = path
        self.root = os.geteuid() == 0
        self._mounts = self._mount_args()

    def _mount_args(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for top in TOP_DIRS:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        done = {"/usr"}
        for root in sorted({os.path.realpath(sys.base_prefix), os.path.dirname(os.path.dirname(interpreter()))}):
            if any(root == d or root.startswith(d + "/") for d in done):
                continue
            parents = list(Path(root).parents)[::-1][1:]  # without "/"
            for parent in parents:
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", root, root]
            done.add(root)
        return args

    def argv(self, limits: Limits, tag: str, program_fd: int, uid: int = -1) -> list[str]:
        if self.root:  # no user namespace: the bootstrap may switch to the slot's user, nothing else
            spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                      "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            spaces = ["--unshare-all", "--unshare-user", "--disable-userns"]
        return [self.path, *spaces, "--die-with-parent", "--new-session", *self._mounts,
                "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp",
                "--perms", "0644", "--file", str(program_fd), "/tmp/main.py", "--chdir", "/tmp",
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
                "--", *command(limits, tag, uid, syscalls.bpf())]

    def start(self, source: str, limits: Limits, tag: str) -> Job:
        slot = slots.acquire(limits.memory_mb + limits.tmp_mb + slots.SERVER_MB, limits.processes + 8)
        fd = os.memfd_create("main.py")
        try:
            os.write(fd, source.encode("utf-8", "surrogatepass"))
            os.lseek(fd, 0, os.SEEK_SET)
            argv = self.argv(limits, tag, fd, slot.uid)
            if slot.cgroup is not None:
                argv = slot.cgroup.wrap(argv)
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    pass_fds=(fd,), start_new_session=True, cwd="/", env={})
        except BaseException:
            slot.release()
            raise
        finally:
            os.close(fd)
        return Job(proc, [slot.release])

    def kill(self, job: Job) -> None:
        # bwrap's child (PID 1 of the sandbox) dies with it, and every process of the namespace with that
        kill_group(job.proc)

    def who(self) -> str:
        return "a user of its own per sandbox" if self.root else "your user in a user namespace of its own"

    @staticmethod
    def limits_note(limits: Limits) -> str:
        cg = slots.cgroups_available()
        if cg:
            return (f"cgroup {cg} per sandbox (memory {limits.memory_mb + limits.tmp_mb + slots.SERVER_MB} MiB "
                    f"with shared memory and /tmp, {limits.processes + 8} processes, one core); rlimits: "
                    f"{limits.describe()}")
        return f"no cgroup (memory bound per process only); rlimits: {limits.describe()}"

    def describe(self, limits: Limits) -> str:
        return (f"bubblewrap {_version(self.path)} (no network, own PID namespace, read-only system, "
                f"private /tmp only, empty environment, {self.who()}, dies with its parent); {syscalls.describe()}; "
                f"{self.limits_note(limits)}")
