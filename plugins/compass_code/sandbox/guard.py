"""How a program runs and how its verdict is told, out of the program's reach.

compass never imports this module for a program: its text starts the fork server's and the
bootstrap's ``-c`` (standard library only). :func:`_compass_program` compiles the program and
runs it; the verdict goes to a descriptor the parent reads (the fork server's pipe, or
stdout for a process per program) as ``<token> done`` — only when ``exec`` of the program
returned normally, so every line of it, the tests included, ran.

What the program's own process cannot do:

* know the token: it is drawn (``os.urandom``) and written to the parent (the first line on
  that descriptor) by an audit hook's factory before the program runs, and lives only in that
  hook's closure — not in any frame, global or argument the program can read. The hook object
  itself is unreachable from Python, and the routes to its memory are closed: ``gc``
  introspection, ``ctypes``, sub-interpreters and new audit hooks are refused by a second
  hook; ``/proc/self/mem``, ``/proc/self/fd`` (re-opening the pipe) and ``ptrace`` are closed
  by making the process non-dumpable and by the seccomp filter.
* have the token written early: the hook writes ``done`` when asked (``sys.audit``) only
  once the bootstrap's own frame has moved past its ``exec`` call, which only ``exec``
  returning does; the program can call ``sys.audit`` but not move that frame. Patching
  ``os.write``, ``os._exit`` or ``sys.audit`` changes nothing: the hook and the bootstrap use
  the functions they took before the program ran.
* skip its tests: ``sys.settrace``/``sys.setprofile`` (jumping lines, swapping ``check``) and
  ``sys.monitoring`` are refused.

What it can still do is make its own answers compare equal to anything (``__eq__``), or shadow
what the tests use (``abs``, ``math.isclose``): :mod:`compass_code.suspect` flags those.
"""

import os
import sys


def _compass_lockdown(bpf_hex):
    """Non-dumpable (no /proc/self/mem, /proc/self/fd, no ptrace), then the seccomp filter."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")
    if not bpf_hex:
        return
    code = bytes.fromhex(bpf_hex)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    buf = ctypes.create_string_buffer(code, len(code))
    prog = Prog(len(code) // 8, ctypes.cast(buf, ctypes.c_char_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def _compass_deny_hook():
    """Refuses what could read the verdict hook's memory or skip lines (holds no secret)."""
    deny = frozenset(("sys.settrace", "sys.setprofile", "sys.addaudithook", "gc.get_objects", "gc.get_referrers",
                      "gc.get_referents", "cpython.PyInterpreterState_New", "sys.remote_exec"))
    prefixes = ("ctypes.", "sys.monitoring.")
    error = RuntimeError

    def hook(event, args):
        if event in deny or event.startswith(prefixes):
            raise error("not allowed in the sandbox: " + event)

    return hook


def _compass_verdict_hook(fd, code, boot):
    """Draws the token, tells it on ``fd``, and returns the hook that alone can write with it.

    Nothing in the hook calls code the program could have replaced, and it never raises."""
    write = os.write
    token = os.urandom(16).hex().encode()
    write(fd, token + b"\n")
    state = [None, False]  # the bootstrap frame's offset while exec runs; done said

    def hook(event, args):
        try:
            if event == "exec":
                if code is not None and state[0] is None and len(args) == 1 and args[0] is code:
                    state[0] = boot.f_lasti
            elif event == "compass.done":
                if code is not None and state[0] is not None and not state[1] and boot.f_lasti != state[0]:
                    state[1] = True
                    write(fd, token + b" done\n")
            elif event == "compass.status":
                if state[1] or len(args) != 2 or type(args[0]) is not str or type(args[1]) is not str:
                    return
                if code is None or (state[0] is not None and boot.f_lasti != state[0]):
                    write(fd, token + b" " + (args[0] + " " + args[1][:200]).encode("ascii", "replace") + b"\n")
        except BaseException:
            pass

    return hook


def _compass_program(source, namespace, fd, streams):
    """Compile and run the program in ``namespace``; report on ``fd``; exit. Never returns."""
    audit, leave, addaudithook = sys.audit, os._exit, sys.addaudithook

    def flush():
        for stream in streams:
            try:
                stream.flush()
            except BaseException:
                pass

    try:
        code = compile(source, "main.py", "exec")
    except SyntaxError as exc:
        addaudithook(_compass_verdict_hook(fd, None, None))
        audit("compass.status", "syntax", type(exc).__name__)
        sys.excepthook(type(exc), exc.with_traceback(None), None)
        flush()
        leave(1)
    del source
    addaudithook(_compass_verdict_hook(fd, code, sys._getframe()))
    addaudithook(_compass_deny_hook())  # last: it refuses any later hook
    try:
        exec(code, namespace)
    except SystemExit as exc:
        name = repr(exc.code) if exc.code is None or type(exc.code) is int else "other"
        audit("compass.status", "exit", name)
        if exc.code is None:
            status = 0
        elif type(exc.code) is int:
            status = exc.code & 0xFF
        else:
            try:
                print(exc.code, file=sys.stderr)
            except BaseException:
                pass
            status = 1
        flush()
        leave(status)
    except BaseException as exc:
        name = type(exc).__name__
        audit("compass.status", "error", name if type(name) is str else "?")
        try:
            tb = exc.__traceback__.tb_next  # from main.py on
            sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        except BaseException:
            pass
        flush()
        leave(1)
    audit("compass.done")
    flush()
    leave(0)
