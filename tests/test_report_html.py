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
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", f"--virtual-time-budget={budget_ms}", "--window-size=1280,2400",
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


def samples_shown(dom: Dom) -> list[dict]:
    """The sample browser's rows in the DOM (only those in view are drawn)."""
    return dom.find("div", class_="sample")


def browser_of(dom: Dom) -> dict:
    (box,) = dom.find("section", id="sample-browser")
    return box


def verdicts(run: Path, model: str, dataset: str) -> dict[int, object]:
    path = run / "results" / model / f"{dataset}.samples.jsonl"
    return {v["index"]: v["correct"] for v in map(json.loads, path.read_text().splitlines())}


def test_the_page_reads_top_down_status_headline_then_the_table(run):
    html = browse(report_of(run))
    dom = Dom(html)
    (banner,) = dom.find("div", class_="banner")
    assert banner["data-state"] == "finished" and "finished" in banner["text"]
    order = [html.index(marker) for marker in ('class="banner', 'id="headline"', 'id="summary"',
                                               'id="sample-browser"', 'id="charts"')]
    assert order == sorted(order)
    heads = {tr["data-dataset"]: tr for tr in dom.find("tr") if "data-dataset" in tr and any(p.get("id") == "headline-table" for p in tr["parents"])}
    # the benchmarks' overall rows: toy's only subset, toy_pair's average, toy_judged's only subset
    assert list(heads) == ["toy-gen", "toy-pair-avg", "toy-judged"]
    cell = next(c for c in dom.find("td", **{"data-model": "arith"}) if heads["toy-pair-avg"] in c["parents"])
    assert cell["text"].startswith("55.00") and "[32.32, 74.31]" in cell["text"]  # MOVER, as in the csv


def test_the_charts_render(run, tmp_path):
    dom = Dom(browse(report_of(run)))
    charts = dom.find("div", class_="chart")
    assert {c["data-title"] for c in charts} == {"toy", "toy_pair", "toy_judged", "capability groups"}
    assert all(any(chart in n["parents"] for n in dom.find("svg")) for chart in charts)
    shot = tmp_path / "charts.png"
    browse(report_of(run), "#charts", screenshot=shot)
    pixels = png_pixels(shot)
    colours = set(pixels)
    assert len(colours) > 200, "the screenshot is blank"
    bars = sum(1 for r, g, b in pixels if abs(r - 31) < 12 and abs(g - 119) < 12 and abs(b - 180) < 12)
    assert bars > 500, "no bars of the first model's colour on the charts"


def test_wrong_only_shows_exactly_the_wrong_samples_side_by_side(run):
    for dataset in ("toy-gen", "toy-first", "toy-second", "toy-judged"):
        dom = Dom(browse(report_of(run), f"#dataset={dataset}&filter=wrong"))
        assert browser_of(dom)["data-state"] == "ready"
        va, vm = verdicts(run, "arith", dataset), verdicts(run, "mocky", dataset)
        wrong = [i for i in va if va[i] is not True or vm.get(i) is not True]  # wrong in any model
        rows = samples_shown(dom)
        assert wrong and [int(r["data-index"]) for r in rows] == wrong, dataset
        assert browser_of(dom)["data-shown"] == str(len(wrong))
        assert all(r["data-dataset"] == dataset for r in rows)
        assert [r["data-correct"] for r in rows] == [f"{str(va[i]).lower()},{str(vm[i]).lower()}" for i in wrong]


def test_a_sample_opens_with_its_question_few_shot_folded_and_judge_reply(run):
    dom = Dom(browse(report_of(run), "#sample=toy-judged:1"))
    (detail,) = dom.find("div", id="sb-detail")
    assert detail["data-dataset"] == "toy-judged" and detail["data-index"] == "1"
    (question,) = [p for p in dom.find("pre", class_="question") if detail in p["parents"]]
    assert "What is" in question["text"]
    replies = [p["text"] for p in dom.find("pre", class_="evaluation") if detail in p["parents"]]
    assert len(replies) == 2 and any('"judge_reply"' in r for r in replies)
    # toy-gen's prompts share their few-shot examples: folded away, the question itself shown
    dom = Dom(browse(report_of(run), "#sample=toy-gen:4"))
    (question,) = dom.find("pre", class_="question")
    (fold,) = dom.find("details", class_="fewshot")
    assert "open" not in fold and "4 + 4" in question["text"] and "4 + 4" not in fold["text"]
    assert fold["text"].count("Q: What is") >= 1  # the examples are there, folded


def test_failed_only_and_search_across_datasets_with_highlights(run):
    dom = Dom(browse(report_of(run), "#filter=failed"))
    assert browser_of(dom)["data-shown"] == "0"  # nothing failed
    dom = Dom(browse(report_of(run), "#q=What%20is%203%20%2B%203"))
    rows = samples_shown(dom)
    hits = [(r["data-dataset"], r["data-index"]) for r in rows]
    assert ("toy-gen", "3") in hits and len({d for d, _ in hits}) > 1  # every dataset is searched …
    table_order = ["toy-gen", "toy-first", "toy-second", "toy-judged"]
    assert sorted(hits, key=lambda h: (table_order.index(h[0]), int(h[1]))) == hits  # … in the table's order
    marks = [m for m in dom.find("mark") if any(r in m["parents"] for r in rows)]
    assert marks and all(m["text"].lower() == "what is 3 + 3" for m in marks)


def test_the_page_is_self_contained_small_and_leaks_no_secret(run):
    html = report_of(run).read_text(encoding="utf-8")
    assert "sk-do-not-leak-123" not in html
    assert "service_token" in html and "***" in html  # the config is shown, redacted
    dom = Dom(html)  # nothing is fetched: no element loads a file (scripts, styles, images inline)
    assert not [n for n in dom.nodes if n.get("src") or (n["tag"] == "link" and n.get("href"))]
    assert "@import" not in "".join(n["text"] for n in dom.find("style"))
    assert len(html.encode()) < 2_000_000  # a small run is a small file (no 4.8 MB chart library)
    style = "".join(n["text"] for n in dom.find("style"))
    assert "Noto Sans CJK SC" in style and "Microsoft YaHei" in style  # Chinese text has fonts to use


def test_a_runs_trouble_reaches_the_banner_and_the_cells(run, tmp_path):
    broken = tmp_path / run.name
    shutil.copytree(run, broken)
    res_path = broken / "results" / "mocky" / "toy-first.json"
    res = json.loads(res_path.read_text())
    res_path.write_text(json.dumps(res | {"failed": 3}))
    (status,) = (broken / "summary").glob("status_*.json")
    status.write_text(json.dumps(json.loads(status.read_text()) | {"state": "interrupted"}))
    (broken / "results" / "arith" / "toy-judged.json").unlink()
    out = run_compass(["report", str(broken)], tmp_path, compass_env(PLUGINS))
    assert out.code == 0, out.err
    dom = Dom(browse(report_of(broken)))
    (banner,) = dom.find("div", class_="banner")
    assert banner["data-state"] == "interrupted" and "bad" in banner["class"]
    assert "the run was interrupted" in banner["text"] and "mocky / toy-first 3 of 10" in banner["text"]
    flagged = {(c["data-model"], tr["data-dataset"]) for tr in dom.find("tr", class_="subset")
               for c in dom.find("td", class_="flag") if tr in c["parents"]}
    assert ("mocky", "toy-first") in flagged and ("arith", "toy-judged") in flagged
    cell = next(c for c in dom.find("td", class_="flag") if c["data-model"] == "arith"
                and any(p.get("data-dataset") == "toy-judged" for p in c["parents"]))
    assert "no result: the run was interrupted" in cell["text"]


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
    dom = Dom(out.read_text(encoding="utf-8"))
    header = [th["text"] for th in dom.find("th") if any(p.get("id") == "summary" for p in th["parents"])]
    assert header == ["dataset", "version", "metric", "mode", f"arith ({run.name})", f"mocky ({run.name})",
                      "arith (other)", "mocky (other)"]
    # one sample browser: the four columns side by side, one row per sample
    dom = Dom(browse(out, "#dataset=toy-gen"))
    rows = samples_shown(dom)
    assert len(rows) == 10 and all(len(r["data-correct"].split(",")) == 4 for r in rows)
    bad = run_compass(["report", str(tmp_path / "nope")], tmp_path, compass_env(PLUGINS))
    assert bad.code == 2 and bad.err.startswith("error: ") and "Traceback" not in bad.err


def test_compass_report_latest_and_timestamp_under_a_work_dir_and_refuses_a_running_run(run, tmp_path):
    work = run.parent
    env = compass_env(PLUGINS)
    for arg in ("latest", run.name):
        page = report_of(run)
        page.unlink()
        res = run_compass(["report", arg, "-w", str(work)], tmp_path, env)
        assert res.code == 0, res.err
        assert page.exists()
    running = tmp_path / "w" / "20990101_000000"
    shutil.copytree(run, running)
    (status,) = (running / "summary").glob("status_*.json")
    status.write_text(json.dumps(json.loads(status.read_text()) | {"state": "running", "pid": os.getpid()}))
    res = run_compass(["report", "latest", "-w", str(tmp_path / "w")], tmp_path, env)
    assert res.code == 2 and res.err.strip().count("\n") == 0
    assert "is still running" in res.err and "--partial" in res.err and "Traceback" not in res.err
    res = run_compass(["report", "latest", "-w", str(tmp_path / "w"), "--partial"], tmp_path, env)
    assert res.code == 0, res.err
    html = report_of(running).read_text(encoding="utf-8")
    assert "still running" in html and 'data-state="running"' in html


def test_a_14k_sample_report_draws_a_few_rows_of_its_samples(tmp_path):
    rows = [{"question": f"Question {i}: which?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "ABCD"[i % 4]}
            for i in range(14_000)]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "big.toml").write_text('[[models]]\ntype = "mock"\nbatch_size = 2000\n'
                                       f'[[datasets]]\ntype = "custom"\npath = "{tmp_path / "big.jsonl"}"\n')
    res = run_compass(["eval", "big.toml", "--debug"], tmp_path, compass_env(PLUGINS), timeout=300)
    assert res.code == 0, res.err
    (run_dir,) = (tmp_path / "outputs" / "default").iterdir()
    dom = Dom(browse(report_of(run_dir), "#q=question%201399"))
    box = browser_of(dom)
    assert box["data-state"] == "ready" and box["data-total"] == "14000"
    assert box["data-shown"] == "11"  # 1399, 13990 … 13999
    dom = Dom(browse(report_of(run_dir)))
    box = browser_of(dom)
    assert box["data-shown"] == "14000"
    assert 10 <= len(samples_shown(dom)) <= 60  # the rows in view, not 14k
    assert int(dom.find("html")[0]["data-first-ready-ms"]) > 0  # bench/report_open.py times it
