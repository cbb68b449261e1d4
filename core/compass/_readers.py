"""Finding and reading data files, with errors that name the file and the line.

The one set of readers every loader uses (public through :mod:`compass.sdk`), so a missing
file is one
:class:`~compass._dataset.DataMissing` line naming the exact path looked for and how to
get it, and a malformed row is one :class:`~compass._dataset.DataError` line
``<file>:<line>: <what is wrong>``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Iterable, Sequence

from compass._dataset import DataError, DataMissing

#: how to obtain data in the OpenCompass layout, appended to every "not found" message
HOW_TO_GET = "get it by unzipping OpenCompassData-core into the data dir, or point --data-dir / " \
             "COMPASS_DATA_DIR at a folder that has it"

Record = tuple[int, dict]  # (line number where the row starts, the row)


def find(data_dir: Path, candidates: Sequence[str], *, name: str, what: str = "",
         how: str | None = None) -> Path:
    """The first ``data_dir / c`` that exists, or :class:`DataMissing` naming the first.

    :param candidates: relative paths in order of preference; the first is the canonical
        (OpenCompass) location and is the one the error message names.
    :param name: the dataset name, used in the message.
    :param what: a short description of the file (``"C-Eval val split"``).
    :param how: how to obtain it (the end of the message); by default, OpenCompass's data zip.
    """
    data_dir = Path(data_dir)
    for rel in candidates:
        path = data_dir / rel
        if path.exists():
            return path
    primary = data_dir / candidates[0]
    also = [str(data_dir / c) for c in candidates[1:]]
    alt = f" (also tried {', '.join(also)})" if also else ""
    hint = how if how is not None else HOW_TO_GET
    label = f"{name}: {what} not found" if what else f"{name}: data not found"
    exc = DataMissing(f"{label}: looked for {primary}{alt}; {hint}")
    exc.looked_for = primary  # for `compass data`
    raise exc



def read_text(path: Path) -> str:
    """A UTF-8 text file (a BOM is accepted; ``*.gz`` is decompressed); bad bytes are a
    DataError naming the line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataMissing(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a file") from None
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                        f"re-save the file as UTF-8") from None


def read_csv(path: Path, *, header: bool = True, columns: Sequence[str] | None = None) -> list[Record]:
    """Rows of a CSV file as ``(line, dict)`` pairs.

    :param header: whether the first row names the columns. Without a header, ``columns``
        names them (MMLU's files have none).
    :param columns: with a header, the columns that must be present; without one, the
        names of the columns in order (a row with another count is an error).
    Quoted fields may span lines; the line reported is where the row starts.
    """
    path = Path(path)
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    names: list[str] | None = None if header else list(columns or ())
    out: list[Record] = []
    start = 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue
            if names is None:
                names = [f.strip() for f in fields]
                missing = [c for c in (columns or ()) if c not in names]
                if missing:
                    raise DataError(f"{path}:{line}: header lacks column(s) {', '.join(missing)} "
                                    f"(found: {', '.join(names)})")
                continue
            if len(fields) != len(names):
                raise DataError(f"{path}:{line}: expected {len(names)} columns "
                                f"({','.join(names)}), found {len(fields)}")
            out.append((line, dict(zip(names, fields))))
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from None
    return out


def read_jsonl(path: Path) -> list[Record]:
    """Objects of a JSON Lines file as ``(line, dict)`` pairs; blank lines are skipped."""
    path = Path(path)
    out: list[Record] = []
    # split at line feeds only: str.splitlines() would also split at U+2028 and friends, which
    # JSON allows unescaped inside strings (GSM8K's train split has one)
    for number, raw in enumerate(read_text(path).split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
        out.append((number, obj))
    return out


def read_json(path: Path) -> object:
    """A whole JSON document; a syntax error names the line."""
    path = Path(path)
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def read_labels(path: Path, allowed: Iterable[str]) -> list[str]:
    """One label per non-blank line (SIQA's and PIQA's ``*-labels.lst``)."""
    path = Path(path)
    allowed = set(allowed)
    out = []
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        value = raw.strip()
        if not value:
            continue
        if value not in allowed:
            raise DataError(f"{path}:{number}: label {value!r} is not one of {', '.join(sorted(allowed))}")
        out.append(value)
    return out


def require(row: dict, keys: Sequence[str], path: Path, line: int) -> None:
    """Every key is present (and not null) in ``row``, or a DataError naming file:line."""
    missing = [k for k in keys if row.get(k) is None]
    if missing:
        raise DataError(f"{path}:{line}: missing field(s) {', '.join(missing)} "
                        f"(has: {', '.join(map(str, row)) or 'nothing'})")


def check_label(value: object, labels: Sequence[str], path: Path, line: int, field: str = "answer") -> str:
    """``value`` as one of ``labels`` (surrounding spaces ignored), or a DataError."""
    text = str(value).strip() if value is not None else ""
    if text not in labels:
        raise DataError(f"{path}:{line}: {field} {value!r} is not one of {', '.join(labels)}")
    return text
