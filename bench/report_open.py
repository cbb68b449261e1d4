#!/usr/bin/env python3
"""How long the HTML report of a 20k-sample run takes to open in headless Chromium.

Builds a real run (the ``mock`` model on a 20,000-question ``custom`` dataset, through the
CLI; with ``--runs 2`` a second run too, and their side-by-side report), then opens the
report in Debian's chromium, driven over the DevTools protocol on 127.0.0.1 (aiohttp's
websocket client): navigate, then poll until the sample browser says it is ready. Reports
per try:

* ``ready_ms`` — the page's own clock (``performance.now()`` since navigation) when the
  sample browser had inflated, joined and drawn every sample;
* ``wall_s`` — the harness's clock from ``Page.navigate`` to that point;
* the file's size.

Target (issue 27): the 20k-sample report opens in ≤ 3 s on this 2-core machine. Timings are
never asserted in tests; this script is where they are measured.

    .venv/bin/python bench/report_open.py [--samples 20000] [--tries 3] [--runs 1|2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
         "--host-resolver-rules=MAP * ~NOTFOUND"]


def make_run(work: Path, samples: int, default: str) -> Path:
    data = work / "big.jsonl"
    if not data.exists():
        rows = [{"question": f"Question {i}: which of these is right? " + "context " * (i % 7),
                 "A": "alpha", "B": "beta", "C": "gamma", "D": "delta", "answer": "ABCD"[i % 4]}
                for i in range(samples)]
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = work / f"run_{default}.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nabbr = "mock_{default}"\ndefault = "{default}"\nbatch_size = 2000\n'
                   f'[[datasets]]\ntype = "custom"\npath = "{data}"\n')
    out = work / f"w_{default}"
    proc = subprocess.run([sys.executable, "-m", "compass", "eval", str(cfg), "--debug", "-w", str(out)],
                          cwd=work, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-2000:])
    (run,) = out.iterdir()
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def open_once(page: Path) -> tuple[float, float]:
    import aiohttp

    port = free_port()
    profile = tempfile.mkdtemp(prefix="chromium-bench-")
    browser = subprocess.Popen([shutil.which("chromium") or "chromium", *FLAGS, f"--user-data-dir={profile}",
                                f"--remote-debugging-port={port}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                        targets = [t for t in await resp.json() if t.get("type") == "page"]
                    if targets:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            async with http.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                ids = iter(range(1, 1_000_000))

                async def call(method: str, **params):
                    n = next(ids)
                    await ws.send_json({"id": n, "method": method, "params": params})
                    while True:
                        msg = await ws.receive_json()
                        if msg.get("id") == n:
                            return msg.get("result", {})

                await call("Page.enable")
                t0 = time.perf_counter()
                await call("Page.navigate", url=page.resolve().as_uri())
                while True:
                    got = await call("Runtime.evaluate", returnByValue=True, expression=(
                        "(() => { const b = document.getElementById('sample-browser');"
                        " return b && b.dataset.state === 'ready' ? document.documentElement.dataset.firstReadyMs"
                        " : null; })()"))
                    value = got.get("result", {}).get("value")
                    if value:
                        return float(value), time.perf_counter() - t0
                    if time.perf_counter() - t0 > 60:
                        raise RuntimeError("the report was not ready after 60 s")
                    await asyncio.sleep(0.02)
    finally:
        browser.terminate()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--runs", type=int, choices=(1, 2), default=1)
    ap.add_argument("--keep", default=None, help="build the runs in this folder (kept) instead of a temp one")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    work = Path(args.keep or tempfile.mkdtemp(prefix="report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = [make_run(work, args.samples, d) for d in ("A", "B")[: args.runs]]
    if args.runs == 1:
        page = runs[0] / "summary" / f"report_{runs[0].name}.html"
    else:
        page = work / "both.html"
        proc = subprocess.run([sys.executable, "-m", "compass", "report", *map(str, runs), "-o", str(page)],
                              cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(proc.stderr[-2000:])
    size = page.stat().st_size
    tries = [asyncio.run(open_once(page)) for _ in range(args.tries)]
    ready = [r for r, _ in tries]
    wall = [w for _, w in tries]
    print(f"report: {page} ({size / 1e6:.2f} MB, {args.samples} samples × {args.runs} run(s))")
    for k, (r, w) in enumerate(tries, 1):
        print(f"  try {k}: ready at {r:.0f} ms (page clock), {w:.2f} s from navigate")
    print(f"median: ready {statistics.median(ready):.0f} ms, {statistics.median(wall):.2f} s from navigate "
          f"(target ≤ 3 s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
