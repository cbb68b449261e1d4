"""The fork server: one per worker, inside its own bubblewrap sandbox, forking each program.

compass never imports this module: its text, after :mod:`.guard`'s, is the ``-c`` of the
sandbox's interpreter (standard library only; argv: tag, the user id programs run as or -1,
the seccomp filter in hex). It imports the modules test programs use once, then serves
requests from the host, one at a time — one JSON line on stdin (``source``, ``rlimits``,
``timeout``, ``output``) answered by one JSON line on stdout (``out`` and ``err`` tails as
latin-1 text, ``status`` and ``name`` from the verdict pipe, ``returncode``, ``timed_out``,
``over``, ``seconds``, ``clean``). The host never sends a token: the program's own verdict
hook draws it after the fork and tells it only to this server. For each program it:

1. writes ``/tmp/main.py`` (read-only to the program) into the empty ``/tmp``;
2. forks a child that starts a session of its own, gets ``/dev/null`` and two pipes as
   stdin/stdout/stderr and the verdict pipe as descriptor 3, no other, switches to the
   slot's user (when root), sets its rlimits, becomes non-dumpable, installs the seccomp
   filter and runs the program (:func:`_compass_program`) with a fresh ``__main__``,
   ``sys.argv`` and ``sys.modules`` back at the server's baseline;
3. keeps the tails of both pipes, kills at the wall-clock deadline or the output cap;
4. kills every other process of the sandbox's PID namespace (``kill(-1)``: all but itself
   and bubblewrap's init; it is their subreaper, so it reaps them all), empties ``/tmp``
   and checks that nothing is left (no process, no file, no System V IPC object). When
   anything is, it says ``clean: false`` and exits: the host starts a fresh sandbox.

The server refuses to run outside a bubblewrap PID namespace (``kill(-1)`` there would hit
the whole machine). It is not dumpable (a program running as the same user cannot ptrace
it) and, as root, a program running as the slot's user cannot signal it.
"""

import ctypes
import json
import select
import signal
import time

PRELOAD = ("abc", "array", "bisect", "cmath", "collections", "contextlib", "copy", "dataclasses",
           "datetime", "decimal", "enum", "fractions", "functools", "hashlib", "heapq", "io", "itertools",
           "json", "math", "numbers", "operator", "queue", "random", "re", "resource", "statistics",
           "string", "textwrap", "traceback", "types", "typing")
WORK = "/tmp"
KEEP = (64 << 10, 8 << 10)  # stdout, stderr tails
VERDICT_KEEP = 4096
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _child(req, uid, bpf, baseline, out_w, err_w, verdict_w):
    """In the forked child: become the program. Never returns."""
    import builtins
    import io
    import resource
    import types

    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(verdict_w, 3)
    os.closerange(4, 1 << 16)
    os.chdir(WORK)
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    for name, value in req["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    _compass_lockdown(bpf)
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                   errors="backslashreplace", write_through=True)
    for name in [n for n in sys.modules if n not in baseline]:
        del sys.modules[name]
    main = types.ModuleType("__main__")
    main.__file__ = "main.py"
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv = ["main.py"]
    source = req["source"]
    del req
    _compass_program(source, main.__dict__, 3, (sys.stdout, sys.stderr))


def _run(req, uid, bpf, baseline):
    path = os.path.join(WORK, "main.py")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(req["source"])
    os.chmod(path, 0o644)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    ver_r, ver_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(req, uid, bpf, baseline, out_w, err_w, ver_w)
        finally:
            os._exit(70)
    os.close(out_w)
    os.close(err_w)
    os.close(ver_w)
    pidfd = os.pidfd_open(pid)
    bufs = {out_r: bytearray(), err_r: bytearray()}
    keep = {out_r: KEEP[0], err_r: KEEP[1]}
    verdict = bytearray()
    live = [out_r, err_r, ver_r]
    total, timed_out, over, exited = 0, False, False, False
    deadline = started + req["timeout"]

    def take(fd, chunk):
        nonlocal total, over
        if fd == ver_r:  # the token line, then a few status lines: the head is all that counts
            if len(verdict) < VERDICT_KEEP:
                verdict.extend(chunk[: VERDICT_KEEP - len(verdict)])
            return
        total += len(chunk)
        buf = bufs[fd]
        buf += chunk
        if len(buf) > keep[fd]:
            del buf[: len(buf) - keep[fd]]
        if total > req["output"]:
            over = True

    while not (over or exited):
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(live + [pidfd], [], [], left)
        for fd in ready:
            if fd == pidfd:
                exited = True
                continue
            chunk = os.read(fd, 65536)
            if chunk:
                take(fd, chunk)
            else:
                live.remove(fd)
    if exited and not over:  # what it wrote before it ended (not what a leftover writes after)
        for fd in live:
            os.set_blocking(fd, False)
            while not over:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                take(fd, chunk)
    seconds = time.monotonic() - started
    status = _kill_all(pid)
    for fd in (out_r, err_r, ver_r, pidfd):
        os.close(fd)
    mark, name = _marks(bytes(verdict))
    return {"out": bufs[out_r].decode("latin-1"), "err": bufs[err_r].decode("latin-1"),
            "status": mark, "name": name,
            "returncode": None if status is None else os.waitstatus_to_exitcode(status),
            "timed_out": timed_out, "over": over, "seconds": seconds}


def _marks(verdict):
    """The program's status from its verdict pipe: the first line is the token its hook drew;
    ``done`` wins over anything after it."""
    token, _, rest = verdict.partition(b"\n")
    status, name = None, ""
    if len(token) != 32:
        return status, name
    for line in rest.split(b"\n"):
        if line.startswith(token + b" "):
            parts = line[33:].decode("ascii", "replace").split(" ", 1)
            status, name = parts[0], parts[1] if len(parts) > 1 else ""
            if status == "done":
                break
    return status, name


def _kill_all(pid):
    """Kill and reap every process of the namespace but this one and init; the program's status."""
    status = None
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            got, st = os.waitpid(-1, 0)
        except ChildProcessError:
            return status
        if got == pid:
            status = st


def _scan():
    """Unlink every non-folder here; the folders' names."""
    subs = []
    with os.scandir(".") as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subs.append(entry.name)
            else:
                os.unlink(entry.name)
    return subs


def _wipe(path):
    """Empty ``path`` whatever its depth: no recursion, no long paths (it walks by ``chdir``)."""
    back = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.chdir(path)
        entered = []
        todo = [_scan()]
        while todo:
            if todo[-1]:
                name = todo[-1].pop()
                os.chmod(name, 0o700)
                os.chdir(name)
                entered.append(name)
                todo.append(_scan())
            else:
                todo.pop()
                if entered:
                    os.chdir("..")
                    os.rmdir(entered.pop())
    finally:
        os.fchdir(back)
        os.close(back)


def _clean():
    """Empty /tmp; true when nothing of the program is left anywhere."""
    try:
        _wipe(WORK)
    except OSError:
        return False
    try:
        os.kill(-1, 0)
        return False  # a process survived
    except ProcessLookupError:
        pass
    for kind in ("shm", "msg", "sem"):
        try:
            with open("/proc/sysvipc/" + kind) as fh:
                if len(fh.read().strip().splitlines()) > 1:
                    return False
        except OSError:
            pass
    return not os.listdir(WORK)


def main():
    with open("/proc/1/comm") as fh:
        init = fh.read().strip()
    if os.getpid() != 2 or os.getppid() != 1 or init != "bwrap":
        sys.exit("compass fork server: not inside a bubblewrap PID namespace; refusing to run")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 or libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.exit("compass fork server: prctl failed (errno %d)" % ctypes.get_errno())
    for name in PRELOAD:
        __import__(name)
    baseline = frozenset(sys.modules)
    uid, bpf = int(sys.argv[2]), sys.argv[3]
    if uid >= 0 and os.getuid() != 0:
        sys.exit("compass fork server: asked to switch users but not root")
    _write_all(1, b'{"ready": true}\n')
    stdin = os.fdopen(0, "rb", buffering=1 << 16)
    for line in stdin:
        reply = _run(json.loads(line), uid, bpf, baseline)
        reply["clean"] = _clean()
        _write_all(1, (json.dumps(reply) + "\n").encode())
        if not reply["clean"]:
            return


if __name__ == "__main__":
    main()
