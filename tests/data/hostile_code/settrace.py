# (d) a tracer that swaps check for a no-op just before check(add) runs (or jumps over it)
import sys
def add(a, b):
    return 0
def tracer(frame, event, arg):
    if event == "line" and "check" in frame.f_globals:
        frame.f_globals["check"] = lambda candidate: None
    return tracer
try:
    sys.settrace(tracer)
    sys._getframe().f_trace = tracer
except RuntimeError:
    pass
try:
    sys.setprofile(lambda *a: None)
except RuntimeError:
    pass
