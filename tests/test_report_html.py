"""The HTML report, opened in real headless Chromium (Debian's ``chromium``; nothing downloads a browser).

The run is real (toy models and datasets through the CLI); the page is loaded from disk with
``--dump-dom`` (the DOM after its scripts ran) and ``--screenshot``. Without chromium these
tests skip, saying why; with ``COMPASS_REQUIRE_EXTRAS=1`` (``.ci/run``) they fail instead.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import compass_env, run_compass

PLUGINS = "toy.toy_plugin,toy.trust_plugin"
pytestmark = pytest.mark.browser


def chromium() -> str:
    """The chromium binary; a skip without it, a failure with ``COMPASS_REQUIRE_EXTRAS=1``."""
    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if found:
        return found
    why = "no chromium on PATH (Debian: apt-get install -y chromium)"
    if os.environ.get("COMPASS_REQUIRE_EXTRAS") == "1":
        pytest.fail(f"{why}, and COMPASS_REQUIRE_EXTRAS=1 says it is installed", pytrace=False)
    pytest.skip(why)


def browse(page: Path, fragment: str = "", screenshot: Path | None = None, budget_ms: int = 8000) -> str:
    """The DOM of ``page`` once its scripts ran (or a screenshot of it)."""
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", f"--virtual-time-budget={budget_ms}", "--window-size=1280,2400",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: the page must need no network
            f"--user-data-dir={page.parent / '.chromium'}"]
    args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    out = subprocess.run([*args, page.resolve().as_uri() + fragment], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


class Dom(HTMLParser):
    """Just enough of the DOM: elements with their attributes and text, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.nodes: list[dict] = []
        self.open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, **{k: v or "" for k, v in attrs}, "text": "", "parents": list(self.open)}
        self.nodes.append(node)
        if tag not in ("meta", "link", "br", "input", "col", "img"):
            self.open.append(node)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for node in self.open:
            node["text"] += data

    def find(self, tag=None, **attrs) -> list[dict]:
        return [n for n in self.nodes if (tag is None or n["tag"] == tag)
                and all(attrs[k] in n.get(k.rstrip("_"), "").split() if k == "class_" else n.get(k) == attrs[k]
                        for k in attrs)]


def png_pixels(path: Path) -> list[tuple]:
    """RGB(A) pixels of an 8-bit PNG (what Chromium writes), decoded with zlib alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, prev, pixels = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels += [tuple(line[i:i + 3]) for i in range(0, stride, bpp)]
        prev = line
    return pixels


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """Two models × three benchmarks (one judged by a model), with three group rows (a radar)."""
    cwd = tmp_path_factory.mktemp("report")
    (cwd / "run.toml").write_text(
        '[[models]]\ntype = "arith"\n'
        '[[models]]\ntype = "mock"\nabbr = "mocky"\ndefault = "4"\n'
        '[[datasets]]\ntype = "toy"\n[[datasets]]\ntype = "toy_pair"\n'
        f'[[datasets]]\ntype = "toy_judged"\ncalls_file = "{cwd / "calls.jsonl"}"\n'
        '[summarizer]\nservice_token = "sk-do-not-leak-123"\n'
        '[[summarizer.groups]]\nname = "gen-avg"\nmembers = ["toy-gen", "toy-first"]\n')
    res = run_compass(["eval", "run.toml"], cwd, compass_env(PLUGINS))
    assert res.code == 0, res.err
    (run_dir,) = (cwd / "outputs" / "default").iterdir()
    assert f"summary/report_{run_dir.name}.html" in res.err  # compass eval prints where the report is
    return run_dir


def report_of(run_dir: Path) -> Path:
    return run_dir / "summary" / f"report_{run_dir.name}.html"


def test_the_table_shows_the_numbers_of_the_summary_csv(run):
    dom = Dom(browse(report_of(run)))
    with open(run / "summary" / f"summary_{run.name}.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    rows = dom.find("tr", class_="subset") + dom.find("tr", class_="group")
    assert sorted(r["data-dataset"] for r in rows) == sorted(r["dataset"] for r in table)
    for expected in table:
        (row,) = [r for r in rows if r["data-dataset"] == expected["dataset"]]
        for model in ("arith", "mocky"):
            (cell,) = [c for c in dom.find("td", **{"data-model": model}) if row in c["parents"]]
            assert cell["text"].split()[0] == expected[model]
            if expected[f"{model}_stderr"] != "-":
                assert f"± {expected[f'{model}_stderr']}" in cell["text"]
                assert f"[{expected[f'{model}_ci95_low']}, {expected[f'{model}_ci95_high']}]" in cell["text"]
    assert "± 21.91" in next(r["text"] for r in rows if r["data-dataset"] == "toy-second")


def test_the_charts_render(run, tmp_path):
    dom = Dom(browse(report_of(run)))
    charts = dom.find("div", class_="chart")
    assert {c["data-title"] for c in charts} == {"toy", "toy_pair", "toy_judged", "capability groups"}
    assert all(c.get("data-rendered") == "1" for c in charts), "a chart did not finish drawing"
    assert len(dom.find("svg", class_="main-svg")) >= len(charts)
    shot = tmp_path / "charts.png"
    browse(report_of(run), "#charts", screenshot=shot)
    pixels = png_pixels(shot)
    colours = set(pixels)
    assert len(colours) > 200, "the screenshot is blank"
    bars = sum(1 for r, g, b in pixels if abs(r - 99) < 12 and abs(g - 110) < 12 and abs(b - 250) < 12)
    assert bars > 500, "no bars of plotly's first colour on the charts"


def test_wrong_only_shows_exactly_the_wrong_samples_and_judge_replies(run):
    dom = Dom(browse(report_of(run), "#filter=wrong"))
    browsers = dom.find("details", class_="browser")
    assert {b["data-dataset"] for b in browsers} == {"toy-gen", "toy-first", "toy-second", "toy-judged"}
    for box in browsers:
        assert box["data-state"] == "ready"
        verdicts = [json.loads(x) for x in
                    (run / "results" / "arith" / f"{box['data-dataset']}.samples.jsonl").read_text().splitlines()]
        wrong = [v["index"] for v in verdicts if v["correct"] is not True]
        shown = [int(tr["data-index"]) for tr in dom.find("tr", class_="sample") if box in tr["parents"]]
        assert wrong and shown == wrong, box["data-dataset"]
        assert all(tr["data-correct"] == "false" for tr in dom.find("tr", class_="sample") if box in tr["parents"])
    judged = next(b for b in browsers if b["data-dataset"] == "toy-judged")
    replies = [p["text"] for p in dom.find("pre", class_="evaluation") if judged in p["parents"]]
    assert replies and all('"judge_reply": "no"' in r for r in replies)
    prompts = [p["text"] for p in dom.find("pre", class_="prompt") if judged in p["parents"]]
    assert prompts and all("What is" in p for p in prompts)


def test_failed_only_and_text_search(run):
    dom = Dom(browse(report_of(run), "#filter=failed"))
    assert all(b["data-shown"] == "0" for b in dom.find("details", class_="browser"))  # nothing failed
    dom = Dom(browse(report_of(run), "#q=What%20is%203%20%2B%203"))
    gen = next(b for b in dom.find("details", class_="browser") if b["data-dataset"] == "toy-gen")
    assert [tr["data-index"] for tr in dom.find("tr", class_="sample") if gen in tr["parents"]] == ["3"]


def test_the_page_is_self_contained_and_leaks_no_secret(run):
    html = report_of(run).read_text(encoding="utf-8")
    assert "sk-do-not-leak-123" not in html
    assert "service_token" in html and "***" in html  # the config is shown, redacted
    dom = Dom(html)  # nothing is fetched: no element loads a file (scripts, styles, images inline)
    assert not [n for n in dom.nodes if n.get("src") or (n["tag"] == "link" and n.get("href"))]
    assert "@import" not in "".join(n["text"] for n in dom.find("style"))


def test_compass_report_rewrites_one_run_and_compares_several(run, tmp_path):
    page = report_of(run)
    page.unlink()
    res = run_compass(["report", str(run)], tmp_path, compass_env(PLUGINS))
    assert res.code == 0, res.err
    assert page.exists() and f"report written to {page}" in res.out
    assert "± 21.91" in page.read_text(encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(run, other)
    out = tmp_path / "both.html"
    res = run_compass(["report", str(run), str(other), "-o", str(out)], tmp_path, compass_env(PLUGINS))
    assert res.code == 0, res.err
    header = [th["text"] for th in Dom(out.read_text(encoding="utf-8")).find("th")][:8]
    assert header == ["dataset", "version", "metric", "mode", f"arith ({run.name})", f"mocky ({run.name})",
                      "arith (other)", "mocky (other)"]
    bad = run_compass(["report", str(tmp_path / "nope")], tmp_path, compass_env(PLUGINS))
    assert bad.code == 2 and bad.err.startswith("error: ") and "Traceback" not in bad.err


def test_a_14k_sample_report_shows_one_page_of_rows(tmp_path):
    # how fast it loads is measured, not asserted (machines are busy): the page renders 25 rows of 14k
    rows = [{"question": f"Question {i}: which?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "ABCD"[i % 4]}
            for i in range(14_000)]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "big.toml").write_text('[[models]]\ntype = "mock"\nbatch_size = 2000\n'
                                       f'[[datasets]]\ntype = "custom"\npath = "{tmp_path / "big.jsonl"}"\n')
    res = run_compass(["eval", "big.toml", "--debug"], tmp_path, compass_env(PLUGINS), timeout=300)
    assert res.code == 0, res.err
    (run_dir,) = (tmp_path / "outputs" / "default").iterdir()
    dom = Dom(browse(report_of(run_dir), "#open=all"))
    (box,) = dom.find("details", class_="browser")
    assert box["data-state"] == "ready" and box["data-shown"] == "14000"
    assert len(dom.find("tr", class_="sample")) == 25  # a page of rows, not 14k
    (status,) = [s for s in dom.find("span", class_="status") if box in s["parents"]]
    assert status["text"] == "1–25 of 14000"
    assert int(dom.find("html")[0]["data-first-ready-ms"]) >= 0  # the page says when it was ready
