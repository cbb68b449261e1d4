"""Sample counts are remembered by file content: a second plan does not parse the data again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from compass._sizes import SizeCache

from compass_datasets import gsm8k

DATA = Path(__file__).parent / "data" / "datasets"


class Counter:
    def __init__(self, subset, data_dir):
        self.subset, self.data_dir, self.calls = subset, data_dir, 0

    def __call__(self) -> int:
        self.calls += 1
        return len(self.subset.load(self.data_dir).test)


def copy_gsm8k(tmp_path: Path) -> tuple[Path, object]:
    data = tmp_path / "data"
    shutil.copytree(DATA / "gsm8k", data / "gsm8k")
    return data, gsm8k.gsm8k(chat=True).subsets[0]


def test_count_reused_until_the_file_changes(tmp_path):
    data, subset = copy_gsm8k(tmp_path)
    cache_dir = tmp_path / "cache"
    first = Counter(subset, data)
    cache = SizeCache(cache_dir)
    assert cache.count(subset, data, first) == 5 and first.calls == 1
    cache.save()

    again = Counter(subset, data)
    assert SizeCache(cache_dir).count(subset, data, again) == 5
    assert again.calls == 0  # read from sizes.json, the file was not parsed

    test = data / "gsm8k" / "test.jsonl"
    lines = test.read_text(encoding="utf-8").splitlines(keepends=True)
    test.write_text("".join(lines[:3]), encoding="utf-8")
    fresh = gsm8k.gsm8k(chat=True).subsets[0]  # a new loader: nothing remembered in memory
    changed = Counter(fresh, data)
    assert SizeCache(cache_dir).count(fresh, data, changed) == 3 and changed.calls == 1


def test_cache_off_and_counts_of_deleted_files_dropped(tmp_path, monkeypatch):
    data, subset = copy_gsm8k(tmp_path)
    cache_dir = tmp_path / "cache"
    cache = SizeCache(cache_dir)
    cache.count(subset, data, Counter(subset, data))
    cache.save()
    assert len(json.loads((cache_dir / "sizes.json").read_text())) == 1

    monkeypatch.setenv("COMPASS_SIZE_CACHE", "0")
    off = Counter(subset, data)
    SizeCache(cache_dir).count(subset, data, off)
    assert off.calls == 1
    monkeypatch.delenv("COMPASS_SIZE_CACHE")

    other, other_subset = copy_gsm8k(tmp_path / "second")
    cache = SizeCache(cache_dir)
    cache.count(other_subset, other, Counter(other_subset, other))
    shutil.rmtree(data)  # the first copy is gone: its count goes when the file is written
    cache.save()
    keys = [json.loads(k)[-1] for k in json.loads((cache_dir / "sizes.json").read_text())]
    assert keys == [str((other / "gsm8k" / "test.jsonl").resolve())]


def test_a_dry_run_writes_and_then_reads_the_counts(compass, tmp_path):
    from conftest import compass_env

    data, _ = copy_gsm8k(tmp_path)
    env = compass_env(COMPASS_CACHE_DIR=str(tmp_path / "cache"))
    first = compass("eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(data), "--dry-run", env=env)
    assert first.code == 0, first.err
    stored = json.loads((tmp_path / "cache" / "sizes.json").read_text())
    assert [v["n"] for v in stored.values()] == [5]
    # A remembered count that no longer matches what is stored under the same hash would
    # show here: edit the count by hand and the plan must take it (it did not parse).
    key = next(iter(stored))
    stored[key]["n"] = 4
    (tmp_path / "cache" / "sizes.json").write_text(json.dumps(stored))
    second = compass("eval", "-m", "mock", "-d", "gsm8k", "--data-dir", str(data), "--dry-run", env=env)
    assert second.code == 0 and "4 samples" in second.out, second.out
