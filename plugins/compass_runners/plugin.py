"""Registers the built-in runners (cheap manifest)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_runners(register):
    register("debug", "compass_runners.debug:DebugRunner",
             "In-process, one task after another, output on the terminal (--debug).")
    register("local", "compass_runners.local:LocalRunner",
             "Worker processes on this machine (--max-num-workers); each keeps its model loaded.")
