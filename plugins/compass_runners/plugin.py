"""Registers the built-in runners (cheap manifest)."""

from compass.sdk import hookimpl


@hookimpl
def register_runners(register):
    register("debug", "compass_runners.debug:DebugRunner",
             "In-process, one task after another, output on the terminal (--debug).")
    register("local", "compass_runners.local:LocalRunner",
             "Worker processes on this machine (--max-num-workers); each keeps its model loaded.")


@hookimpl
def default_runner(debug):
    return "debug" if debug else "local"


@hookimpl
def register_devices(register):
    register("cuda", "NVIDIA GPUs (and ROCm's, through the same variable)",
             visible_devices_var="CUDA_VISIBLE_DEVICES", default_accelerator=True)
    register("cpu", "the host's processor cores")
    register("mps", "Apple silicon's GPU (one device, nothing to share out)")
