"""Read a data batch (Parquet or CSV) or say in one line why it cannot be read.

A batch that is not even readable must be rejected like one that fails its suite: the message
names the file and the problem (empty, truncated, bad encoding, wrong delimiter, unknown
extension, a directory), never a traceback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from tuneloop.errors import DataError

PARQUET = (".parquet", ".pq")
CSV = (".csv",)
_MAGIC = b"PAR1"
_DELIMITERS = (";", "\t", "|")


def _check_file(path: Path) -> str:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a Parquet or CSV file")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    suffix = path.suffix.lower()
    if suffix not in PARQUET + CSV:
        shown = suffix or "(none)"
        raise DataError(f"{path}: unknown extension {shown}; expected .parquet or .csv")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file (0 bytes)")
    return suffix


def _read_parquet(path: Path) -> pd.DataFrame:
    # Check the magic bytes first: pyarrow's own message for a cut-off file is cryptic.
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if head != _MAGIC:
        raise DataError(f"{path}: not a Parquet file (no PAR1 header)")
    if tail != _MAGIC or size < 12:
        raise DataError(f"{path}: truncated Parquet file (no PAR1 footer; {size} bytes)")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: corrupt Parquet file ({reason})") from None


def _read_csv(path: Path, datetime_columns: Iterable[str]) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start}); re-encode the file as UTF-8") from None
    if not text.strip():
        raise DataError(f"{path}: empty file (no header)")
    header = text.splitlines()[0]
    if "," not in header:
        found = [d for d in _DELIMITERS if d in header]
        hint = f" (the header is separated by {found[0]!r})" if found else ""
        raise DataError(f"{path}: wrong delimiter: expected ',' between columns{hint}")
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, csv.Error) as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(f"{path}: malformed CSV ({reason})") from None
    for col in datetime_columns:
        if col in frame.columns:
            # Unparseable timestamps become missing: the suite's null check names the column.
            frame[col] = pd.to_datetime(frame[col], utc=True, errors="coerce", format="ISO8601")
    return frame


def read_batch(path: Path | str, datetime_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a batch; raise DataError naming the file and the problem when it is unreadable."""
    path = Path(path)
    suffix = _check_file(path)
    if suffix in PARQUET:
        return _read_parquet(path)
    return _read_csv(path, datetime_columns)
