"""``compass data import OpenCompassData-core-*.zip``: OpenCompass's data archive into the data dir.

The archive holds one ``data/`` folder laid out as OpenCompass (and compass) reads it; its
contents are unpacked into the data dir (the ``data/`` prefix dropped), into a staging
folder first and then moved into place, so a broken archive leaves the data dir as it was.
Each benchmark the archive brought is recorded as coming from the archive (its name and
sha256) in ``<data dir>/.compass/provenance/``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from pathlib import Path, PurePosixPath

from compass.sdk import CompassError

from compass_datasets.fetch import META, output_files, provenance_path
from compass_datasets.recipes import RECIPES
from compass_datasets.transfer import sha256_file


def _members(zf: zipfile.ZipFile, archive: Path) -> tuple[list[zipfile.ZipInfo], str]:
    infos = [i for i in zf.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
    if not infos:
        raise CompassError(f"{archive}: the archive is empty")
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts:
            raise CompassError(f"{archive}: unsafe path {info.filename!r} in the archive; not unpacked")
    firsts = {PurePosixPath(i.filename).parts[0] for i in infos}
    prefix = "data/" if firsts == {"data"} else ""
    return infos, prefix


def import_archive(archive, data_dir: Path, echo=print) -> tuple[int, list[str]]:
    archive, data_dir = Path(archive), Path(data_dir)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise CompassError(f"{archive}: not a zip archive (OpenCompassData-core-*.zip is one)") from None
    staging = data_dir / META / "staging" / "import"
    shutil.rmtree(staging, ignore_errors=True)
    with zf:
        infos, prefix = _members(zf, archive)
        echo(f"unpacking {len(infos)} file(s) from {archive.name} into {data_dir}")
        try:
            for info in infos:
                rel = info.filename[len(prefix):]
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise CompassError(f"{archive}: cannot unpack it ({exc}); download it again") from None
    tops = sorted(p.name for p in staging.iterdir())
    imported = set()
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = path.relative_to(staging)
        dest = data_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        imported.add(rel.as_posix())
    shutil.rmtree(staging, ignore_errors=True)
    digest = sha256_file(archive)
    for recipe in RECIPES.values():
        outputs = output_files(data_dir, recipe, looks=True)
        if not imported & set(outputs):  # the archive did not bring this benchmark
            continue
        record = {"recipe": recipe.name, "source": "archive", "endpoint": "", "repo": archive.name,
                  "revision": "", "sha": digest, "files": {archive.name: digest}, "outputs": outputs,
                  "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        path = provenance_path(data_dir, recipe)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    return len(infos), tops
