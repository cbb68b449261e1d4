"""The fork server: one per worker, inside its own bubblewrap sandbox, forking each program.

compass never imports this module: its text is the ``-c`` of the sandbox's interpreter
(standard library only). It imports the modules test programs use once, then serves
requests from the host, one at a time — one JSON line on stdin (``token``, ``source``,
``rlimits``, ``timeout``, ``output``) answered by one JSON line on stdout (``out`` and
``err`` tails as latin-1 text, ``returncode``, ``timed_out``, ``over``, ``seconds``,
``clean``). For each program it:

1. writes ``/tmp/main.py`` (read-only to the program) into the empty ``/tmp``;
2. forks a child that starts a session of its own, gets ``/dev/null`` and two pipes as
   stdin/stdout/stderr and no other descriptor, drops to ``nobody`` (when root), sets its
   rlimits and runs the program with a fresh ``__main__``, ``sys.argv`` and ``sys.modules``
   back at the server's baseline, then writes ``<token> <status> <name>`` (``done`` only
   when the program ran to its end);
3. keeps the tails of both pipes, kills at the wall-clock deadline or the output cap;
4. kills every other process of the sandbox's PID namespace (``kill(-1)``: all but itself
   and bubblewrap's init; it is their subreaper, so it reaps them all), empties ``/tmp``
   and checks that nothing is left (no process, no file, no System V IPC object). When
   anything is, it says ``clean: false`` and exits: the host starts a fresh sandbox.

The server refuses to run outside a bubblewrap PID namespace (``kill(-1)`` there would hit
the whole machine). It is not dumpable (a program running as the same user cannot ptrace
it) and, as root, a program running as ``nobody`` cannot signal it.
"""

import ctypes
import json
import os
import select
import signal
import sys
import time

PRELOAD = ("abc", "array", "bisect", "cmath", "collections", "contextlib", "copy", "dataclasses",
           "datetime", "decimal", "enum", "fractions", "functools", "hashlib", "heapq", "io", "itertools",
           "json", "math", "numbers", "operator", "queue", "random", "re", "resource", "statistics",
           "string", "textwrap", "traceback", "types", "typing")
NOBODY = 65534
WORK = "/tmp"
KEEP = (64 << 10, 8 << 10)  # stdout, stderr tails
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _child(req, drop, baseline, out_w, err_w):
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
    os.closerange(3, 1 << 16)
    os.chdir(WORK)
    if drop:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    for name, value in req["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
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
    token, source = req["token"], req["source"]
    del req

    def say(status, name=""):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os.write(1, ("\n%s %s %s\n" % (token, status, name)).encode())

    def leave(code):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)

    try:
        code = compile(source, "main.py", "exec")
    except SyntaxError as exc:
        say("syntax", type(exc).__name__)
        sys.excepthook(type(exc), exc.with_traceback(None), None)
        leave(1)
    del source
    status = 0
    try:
        exec(code, main.__dict__)
    except SystemExit as exc:
        say("exit", repr(exc.code))
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            status = 1
        leave(status)
    except BaseException as exc:
        say("error", type(exc).__name__)
        tb = exc.__traceback__.tb_next  # from main.py on
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        leave(1)
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit
        atexit._run_exitfuncs()
    except BaseException:
        pass
    say("done")
    leave(0)


def _run(req, drop, baseline):
    path = os.path.join(WORK, "main.py")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(req["source"])
    os.chmod(path, 0o644)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(req, drop, baseline, out_w, err_w)
        finally:
            os._exit(70)
    os.close(out_w)
    os.close(err_w)
    pidfd = os.pidfd_open(pid)
    bufs = {out_r: bytearray(), err_r: bytearray()}
    keep = {out_r: KEEP[0], err_r: KEEP[1]}
    live = [out_r, err_r]
    total, timed_out, over, exited = 0, False, False, False
    deadline = started + req["timeout"]

    def take(fd, chunk):
        nonlocal total, over
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
    for fd in (out_r, err_r, pidfd):
        os.close(fd)
    return {"out": bufs[out_r].decode("latin-1"), "err": bufs[err_r].decode("latin-1"),
            "returncode": None if status is None else os.waitstatus_to_exitcode(status),
            "timed_out": timed_out, "over": over, "seconds": seconds}


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


def _wipe(path):
    for entry in os.scandir(path):
        full = os.path.join(path, entry.name)
        if entry.is_dir(follow_symlinks=False):
            os.chmod(full, 0o700)
            _wipe(full)
            os.rmdir(full)
        else:
            os.unlink(full)


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
    drop = os.getuid() == 0
    _write_all(1, b'{"ready": true}\n')
    stdin = os.fdopen(0, "rb", buffering=1 << 16)
    for line in stdin:
        reply = _run(json.loads(line), drop, baseline)
        reply["clean"] = _clean()
        _write_all(1, (json.dumps(reply) + "\n").encode())
        if not reply["clean"]:
            return


if __name__ == "__main__":
    main()
