"""Read a data batch (Parquet or CSV) or say in one line why it cannot be read.

A batch that is not even readable must be rejected like one that fails its suite: the message
names the file and the problem (empty, truncated, bad encoding, wrong delimiter, unknown
extension, a directory), never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tuneloop.errors import ConfigError, DataError, TuneloopError

# Whole numbers a float64 holds exactly: past this, int64 casts lose or wrap them.
EXACT_INTEGERS = 2**53


def exact_whole(values: Any) -> bool:
    """Whether every value is a whole number a float64 holds exactly (under EXACT_INTEGERS):
    one an int64 cast keeps as it is. A blank or an infinity is not."""
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not whole, said without a warning
        return bool(((x % 1 == 0) & (np.abs(x) < EXACT_INTEGERS)).all())

if TYPE_CHECKING:
    from tuneloop.suite import Suite

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv")
_MAGIC = b"PAR1"
# Tried in this order; the one that splits the header into the most columns wins, so a
# semicolon file (Excel in much of Europe, UCI's wine tables) or a TSV reads as it is.
_DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "','", ";": "';'", "\t": "a tab", "|": "'|'"}


def is_batch_file(path: Path) -> bool:
    """Named as a batch the readers read: Parquet, CSV or TSV, the text ones maybe gzipped."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return Path(path.stem).suffix.lower() in CSV
    return suffix in PARQUET + CSV


def not_a_batch_hint(path: Path) -> str:
    """What to do with a file of a type the readers do not read: a delimited text export is
    renamed, a spreadsheet exported (README: "a .psv or .txt file is refused: rename it")."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".psv", ".dat", ".csv2"):
        return "if it is comma-, semicolon-, tab- or pipe-separated text, rename it .csv"
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods", ".numbers"):
        return "export the sheet as CSV"
    return "export it as Parquet or CSV"


def check_batch_kind(path: Path) -> None:
    """One line for a file of a type the readers do not read (a .json, a .xlsx)."""
    if not is_batch_file(path):
        raise DataError(f"{path}: unknown extension {path.suffix.lower() or '(none)'}; "
                        "expected .parquet, .csv, .tsv or either gzipped (.csv.gz): "
                        f"{not_a_batch_hint(path)}")


def unread_incoming(folder: Path) -> list[Path]:
    """The files in an incoming folder that are not batch files (not hidden): a run leaves
    them where they are, and says so (sweep 31: a `.txt` export sat there while the run said
    "no new batch")."""
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")
                  and not is_batch_file(f))


def _check_file(path: Path) -> str:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a Parquet or CSV file")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    check_batch_kind(path)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower() + ".gz"
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
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: corrupt Parquet file ({reason})") from None
    return _as_columns(frame)


def _as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet table as plain columns: a named index pandas saved (a time or an id kept as
    the index) back as columns, and decimal columns (money and rates as databases and Spark
    write them) as floats. Read as pandas restores them, a time index was no column ("no
    column 'issued_at' (--time)", or silently gone) and a decimal128 rate a 70-level text
    category (sweep 23)."""
    named = [n for n in frame.index.names if n is not None and n not in frame.columns]
    if named:
        frame = frame.reset_index(level=named)
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.ArrowDtype) and str(column.dtype).startswith("decimal"):
            frame[name] = column.astype("float64")
        elif column.dtype == object:
            values = column.dropna()
            if len(values) and bool(values.map(lambda v: isinstance(v, decimal.Decimal)).all()):
                frame[name] = column.map(lambda v: None if pd.isna(v) else float(v)).astype(
                    "float64")
    return frame


# What a file named .csv may really be, by its first bytes.
_NOT_TEXT = ((_MAGIC, "a Parquet file: name it .parquet"),
             (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?): save the sheet as CSV "
                             "(UTF-8)"),
             (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook: save the sheet as CSV (UTF-8)"),
             # Both were "not UTF-8 text (byte 0x1f ...)", naming no cause (sweep 27).
             (b"\x1f\x8b", "a gzip file: name it with .gz at the end (table.csv.gz)"),
             (b"\xff\xfe", "UTF-16 text (Excel's \"Unicode text\"): save it as CSV (UTF-8)"),
             (b"\xfe\xff", "UTF-16 text: save it as CSV (UTF-8)"))


def _without_header_repeats(text: str, skipped: int = 0) -> tuple[str, list[int]]:
    """The text without lines that repeat its header line, and their line numbers: two
    exports joined into one file (sweep 35: CES11's header again at line 1202 made its target
    a class 'abortion' beside No and Yes, and its numbers text). `skipped`: lines before the
    text's first (Excel's `sep=` line), for the line numbers said. A header-equal line inside
    a quoted multi-line cell would go too (not seen in any export)."""
    end = text.find("\n")
    # A byte-order mark opens the first export only (the review): no part of the header.
    header = text[:end].rstrip("\r").lstrip("\ufeff") if end >= 0 else ""
    if not header.strip() or text.count(header) < 2:
        return text, []
    lines = text.split("\n")
    repeats = [i + 1 + skipped for i, line in enumerate(lines)
               if i and line.rstrip("\r").lstrip("\ufeff") == header]
    if not repeats:
        return text, []
    dropped = set(repeats)
    return "\n".join(line for i, line in enumerate(lines)
                     if i + 1 + skipped not in dropped), repeats


def header_repeats_note(repeats: list[int]) -> str:
    """What _without_header_repeats dropped, in words ("" if nothing)."""
    if not repeats:
        return ""
    where = ", ".join(map(str, repeats[:5])) + (" ..." if len(repeats) > 5 else "")
    return (f"{len(repeats)} line(s) repeating the header dropped (line {where}: files joined "
            "one after another?)")


def _read_csv(path: Path, datetime_columns: Iterable[str] | Mapping[str, str],
              text_columns: Iterable[str] | None = (), thousands: bool = True,
              missing: Mapping[str, Iterable[str]] | None = None,
              decimal: str | None = None,
              clock: Iterable[str] | None = None) -> pd.DataFrame:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
    for magic, what in _NOT_TEXT:
        if raw.startswith(magic):
            # Its bytes said "not UTF-8" or "the header is one column ('PK\x03\x04...')",
            # which sent a user to re-encode a spreadsheet (sweep 25).
            raise DataError(f"{path}: {what}, not CSV text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start}); re-encode the file as UTF-8 (from Excel's Western "
                        "European: `iconv -f cp1252 -t utf-8 FILE > NEW.csv`)") from None
    if not text.strip():
        raise DataError(f"{path}: empty file (no header)")
    # Excel's delimiter hint, `sep=;` on a line of its own before the header, names the
    # delimiter: read it so and drop the line (sweep 31: the hint was read as the header).
    hint = re.match(r"\ufeff?sep=(.)[ \t]*\r?\n", text)
    if hint is not None and hint.group(1) in _DELIMITERS:
        text, sep = text[hint.end():], hint.group(1)
    else:
        sep = _delimiter(text, tab_first=".tsv" in path.name.lower())
    text, repeats = _without_header_repeats(text, 1 if hint is not None and hint.group(1)
                                            in _DELIMITERS else 0)
    records = _records(text, sep, SNIFF_RECORDS)
    names = records[0]
    if len(records) > 1 and _looks_like_data(names):
        # A UCI-style file without a header line: its first row would become the column names
        # (and be lost as a row), and the error a user met named a column '0' twice.
        raise DataError(f"{path}: its first line ({sep.join(names[:6])}"
                        f"{', ...' if len(names) > 6 else ''}) is numbers, not column names: "
                        "add a header line naming the columns")
    _check_title(path, records, sep)
    # Empty names closing the header are separators closing every line (Excel's `a;b;;`),
    # stripped below with their empty columns: no name given twice (sweep 29).
    named = list(names)
    while named and not named[-1].strip():
        named.pop()
    repeated = sorted({n for n in named if named.count(n) > 1})
    if repeated:
        # pandas would rename the second one 'a.1' and the suite would freeze that name.
        raise DataError(f"{path}: column {repeated[0]!r} appears more than once in the header")
    _check_rows(path, text, records, sep)
    _check_last_row(path, text, len(names), sep)
    # A decimal comma init found (data.decimal ','): sniffed again on each file, one batch
    # whose numbers all had three decimals (0,570) or one dotted cell was read otherwise. A
    # point is what init writes where it saw no choice (a Parquet or comma-separated file),
    # so a ';' batch of a '.' project is still sniffed.
    other_mark: list[str] = []  # columns written with the mark the file's numbers lack
    project_mark = decimal  # None at init: nothing decided yet
    if sep == ",":
        decimal = "."
    elif decimal != ",":
        # Thousands written 1.500 decide a file's mark only at init (no mark yet): in a '.'
        # project a batch of 1.125s and 3s would read as 1,125 (the review).
        decimal, other_mark = _decimal(records, sep, set(text_columns or ()),
                                       grouping=decimal is None)
    try:
        # Text columns stay text: a batch whose codes happen to be all digits is not numbers.
        dtype = "string" if text_columns is None else {c: "string" for c in text_columns}
        frame = pd.read_csv(io.StringIO(text), dtype=dtype, sep=sep, decimal=decimal,
                            keep_default_na=False, na_values=CSV_MISSING)
    except (pd.errors.ParserError, csv.Error) as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(f"{path}: malformed CSV ({reason})") from None
    # A separator closing every line (Excel's `a;b;`) makes a last column without a name or a
    # value: none of the user's (init froze its `Unnamed: 14` as required, sweep 25).
    while 1 < len(frame.columns) <= len(names) and \
            not names[len(frame.columns) - 1].strip() and frame.iloc[:, -1].isna().all():
        frame = frame.iloc[:, :-1]
    # Before the number readers below: a "?" among 1,234s or 12,96s hid them, and so did a
    # blank written as a space (a Telco export's TotalCharges made a 5,586-level category).
    blanked = _blank_as_na(frame)
    if text_columns is not None:
        # Read against a suite: a `None` in a column it does not keep as text is a value not
        # known, as pandas read it before CSV_MISSING (a project whose exporter writes None
        # for a blank number had every batch rejected: the review).
        for col in frame.columns:
            if col not in set(text_columns) and (frame[col].dtype == object
                                                 or pd.api.types.is_string_dtype(frame[col])):
                none = frame[col].astype("string").str.strip().eq("None").fillna(False)
                if none.any():
                    frame[col] = frame[col].mask(none.astype(bool))
                    blanked.add(col)
    frame = _missing_as_na(frame, missing, numbers=False)
    typographic = _typographic_numbers(frame, text_columns)
    if decimal == ",":
        frame = _comma_numbers(frame, text_columns)
    elif sep == "," and thousands:
        # Only where a comma cannot be a decimal mark (it separates the fields: the number is
        # quoted); a `;` or tab file's 1,500 may be one and a half.
        frame = _thousands_numbers(frame, text_columns)
    elif thousands:
        # A `;` or tab file read with the point: a column holding 22,661.05 or 1,234,567 groups
        # thousands, which no decimal comma writes, and so does 20,105 where the file writes
        # its decimals with a point and none with a comma (the served model reads them so);
        # elsewhere 20,105 stays text, and init names it (sweep 27: a TSV's mileage was
        # excluded as text of most distinct values, and a price target was "a string of 696
        # values").
        # A '.' project's later batch: a comma in a number groups thousands there, as the
        # served model reads it, whether or not this file has a decimal anywhere (the review:
        # a batch of whole numbers had 23,731 left as text and rejected).
        frame = _thousands_numbers(frame, text_columns, unmistakable=bool(other_mark) or (
            project_mark is None and not _writes_points(records, set(text_columns or ()))))
    comma_read = frame.attrs.pop("comma_read", set())
    frame.attrs["clock_read"] = sorted(_clock_times(frame, {*(text_columns or ()),
                                                            *datetime_columns}, clock))
    if text_columns is not None:  # read against a suite: the marked columns are numbers now
        keep = {*text_columns, *datetime_columns}
        frame = _missing_as_na(frame, missing, numbers=True, keep=keep)
        frame = _plain_numbers(frame, blanked | comma_read | typographic, keep)
    frame.attrs["decimal"] = decimal
    frame.attrs["other_mark"] = other_mark
    frame.attrs["header_repeats"] = repeats
    return _read_dates(frame, datetime_columns)


def _blank_as_na(frame: pd.DataFrame) -> set[str]:
    """Cells of text columns that hold only spaces, as missing (pandas reads only an empty
    cell so). Returns the columns that had one."""
    changed: set[str] = set()
    for col in frame.columns:
        if pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object:
            text = frame[col].astype("string")
            spaces = text.notna() & (text.str.strip() == "")
            if spaces.any():
                frame[col] = frame[col].mask(spaces)
                changed.add(col)
    return changed


def has_leading_zero(text: pd.Series) -> bool:
    """Whether a text column holds a code with a leading zero ("0101", "02134"): read as a
    number it would be lost (101), so such a column stays text."""
    return bool(text.str.match(r"^[-+]?0\d").fillna(False).any())


def _plain_numbers(frame: pd.DataFrame, columns: set[str], keep: set[str]) -> pd.DataFrame:
    """Columns the readers above left as text only for what they put right (a blank written
    as a space, a decimal comma read as a point), as numbers where every value now is one; a
    column the suite keeps as text (or a date) stays as it is."""
    for col in columns - keep:
        if col in frame.columns and (pd.api.types.is_string_dtype(frame[col])
                                     or frame[col].dtype == object):
            text = frame[col].astype("string").str.strip()
            if has_leading_zero(text):
                continue  # a code with a leading zero ("02134") stays text, as init keeps it
            parsed = pd.to_numeric(text, errors="coerce")
            if not (parsed.isna() & frame[col].notna()).any():
                frame[col] = parsed.astype("float64")
    return frame


# A number written for people, as ingest reads it (and the served model, tuneloop.features):
# thousands separators in a file with decimal points, or a decimal comma.
THOUSANDS = r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?"  # 0,125 is no thousands
# With a decimal comma the point groups thousands (1.290.941 or 45.200,00); small numbers
# come in scientific notation (1,3e-05: R's write.csv2 and pandas write them so; a column of
# returns with 31 such cells was excluded as free text: sweep 40a).
# (No exponent after points that group thousands: 1.234e-05 is a decimal point's, not 1234e-5.)
DECIMAL_COMMA = r"[-+]?(([1-9]\d{0,2}(\.\d{3})+|\d+)(,\d+)?|\d+(,\d+)?[eE][-+]?\d+)"
_COMMA_NUMBER = re.compile(r"^[-+]?(\d+),(\d+)$")
# A decimal point no thousands grouping writes: 0.07, 12.5, 3.14159 (not 1.500).
STRAY_POINT = r"[-+]?(0?\.\d+|\d+\.(\d{1,2}|\d{4,}))"
_DOT_NUMBER = re.compile(r"^[-+]?\d*\.\d+$")
_WHOLE = re.compile(r"^[-+]?\d+$")
_ONE_GROUP = re.compile(r"^[-+]?[1-9]\d{0,2}\.\d{3}$")  # 2.500: a decimal point, or thousands
# 1.290.941 or 45.200,00: points that group thousands, so a decimal comma.
_COMMA_GROUPED = re.compile(r"^[-+]?[1-9]\d{0,2}(\.\d{3}){2,}(,\d+)?$|"
                            r"^[-+]?[1-9]\d{0,2}(\.\d{3})+,\d+$")


# 1,234.5 or 1,234,567: commas that group thousands, which no decimal comma writes.
_POINT_GROUPED = re.compile(r"^[-+]?[1-9]\d{0,2}((,\d{3})+\.\d+|(,\d{3}){2,}(\.\d+)?)$")


def comma_decimal_text(text: pd.Series) -> pd.Series:
    """Stripped text of numbers written with a decimal comma (data.decimal ','), written as
    Python reads them: 12,96 -> 12.96 and 1.290.941,5 -> 1290941.5; other values unchanged."""
    written = text.str.fullmatch(DECIMAL_COMMA).fillna(False).astype(bool)
    plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return text.mask(written, plain)
# What a saved index is called: pandas' to_csv (an empty header read back as `Unnamed: 0`),
# R's rownames, readr's `...1`: the row numbers of a fuller or shuffled table, in any order.
# init drops such a column of row numbers; ingest drops it from a batch whose suite lacks it.
SAVED_INDEX = re.compile(r"^(Unnamed: \d+|rownames|row\.names|index|level_0|\.\.\.1)$",
                         re.IGNORECASE)
# ... and those of them no table names a measurement so (not `index`, a price index's name):
# unique there, any values are the export's row names (R's `1.1`, `1.2` for a nested table's
# rows: sweep 55c, geepack koch's, a float feature that named each unit's visit).
ROW_NAMES = re.compile(r"^(Unnamed: \d+|rownames|row\.names|\.\.\.1)$", re.IGNORECASE)


# What a CSV cell means by "no value": pandas' own list less "None", a level as often as not
# (an airbag "None", a sentiment "None"): read as blank, a 3-class target lost 40% of its rows
# and became binary without a word (sweep 29). Among numbers a "None" is still a not-known mark
# (missing_markers), as a text column's blank cell is still blank.
CSV_MISSING = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
               "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"]
SNIFF_RECORDS = 501  # the header and the first 500 records decide delimiter and decimal mark


FOOTER_ROWS = 3  # at most this many rows after a file's last blank line are its footer


def footer_rows(frame: pd.DataFrame,
                known: Mapping[str, Iterable[Any]] | None = None) -> list[int]:
    """The positions of a spreadsheet's footer: up to FOOTER_ROWS rows below the table's last
    blank row (blank in every column) that hold text where every value above is a number, a
    footer's label the column never held above nor knows (`known`: a suite's levels), or one
    note (`_unlike`); [] if none. Init drops them (sweep 33: a Total row made `female` text);
    ingest refuses a batch holding one (sweep 35: a `Mean` row was accepted as a 101st
    teacher)."""
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return _total_line(frame, known or {})
    last = int(np.flatnonzero(blank)[-1])
    below = np.flatnonzero(~blank[last + 1:]) + last + 1
    if not 0 < len(below) <= FOOTER_ROWS or int((~blank[:last]).sum()) < 10 * FOOTER_ROWS:
        return []
    return [int(i) for i in below] \
        if _unlike(frame.iloc[:last], frame.iloc[below], known or {}) else []


def _total_line(frame: pd.DataFrame, known: Mapping[str, Iterable[Any]]) -> list[int]:
    """The position of a totals line closing the table with no blank row above it (Excel's
    SUM row: sweep 36, Wage's last line `Total,,127244,...` made `Total` a level of `maritl`
    and its sum a training target), as a one-element list, or []: a "Total", "Sum" or "Grand
    total" cell the column held nowhere above nor knows, beside numbers and blanks only."""
    if len(frame) < 10 * FOOTER_ROWS:
        return []
    row = frame.iloc[-1]
    cells = row.dropna().astype("string").str.strip()
    for col, text in cells.items():
        if not _TOTAL_LABEL.match(text) or not _is_number(cells.drop(index=col)).all():
            continue
        if _new_label(text, frame[col].iloc[:-1], known.get(str(col), ())):
            return [len(frame) - 1]
    return []


def _new_label(text: str, above: pd.Series, known: Iterable[Any]) -> bool:
    """Whether a footer's label is none the column held above nor the suite knows."""
    seen = set(above.dropna().astype("string").str.strip().str.lower()) | \
        {str(v).strip().lower() for v in known}
    return text.lower() not in seen


_TOTAL_LABEL = re.compile(r"(?i)^((grand |sub-?)?totals?|sum|sums)\b[\s:.]*$")
# A footer's label: "Total", "Grand total", "Source: ...", "Note: ..." wherever they sit; a
# summary's ("Mean", "Max", "SD") only first in a row of numbers, as a summary row writes it
# (sweep 35: Davis's "Total" and "Mean" rows under its blank lines sat in the `sex` column,
# text above too, and were learnt as two more people). Never a level the column held above or
# the suite knows (the review: a grouped export's last group may be "Max" or "Average").
_FOOTER_LABEL = re.compile(_TOTAL_LABEL.pattern + "|"
                           r"^(source|sources|note|notes|footnote|data source)\s*:")
_SUMMARY_LABEL = re.compile(r"(?i)^(mean|means|average|avg|median|std|sd|min|max|count|"
                            r"overall)\b[\s:.]*$")
_NOTE_WORDS = 3  # a lone cell of text is a note from this many words, or with a colon


def _is_number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce").notna() | text.isin(_NOT_KNOWN)


def _unlike(above: pd.DataFrame, rows: pd.DataFrame,
            known: Mapping[str, Iterable[Any]]) -> bool:
    """Whether rows hold text where every value above them is a number (a "Total" label), a
    footer's label the column neither held above nor knows ("Total", "Source: ...", or a
    summary's "Mean" first in a row of numbers), or one lone note ("Data: a survey of 2020")
    where the rows above fill several cells: a footer, not the last rows of a group (the
    review: a grouped export's last 3 rows after a blank line were dropped as one)."""
    filled = above.notna().sum(axis=1)
    lone = rows.stack().astype("string").str.strip()
    if len(filled) and filled.median() >= 3 and (rows.notna().sum(axis=1) == 1).all() and \
            not _is_number(lone).any() and \
            (lone.str.split().str.len().ge(_NOTE_WORDS) | lone.str.contains(":")).all():
        return True
    for _, row in rows.iterrows():
        cells = row.dropna().astype("string").str.strip()
        for position, (col, text) in enumerate(cells.items()):
            summary = position == 0 and bool(_SUMMARY_LABEL.match(text)) and \
                bool(_is_number(cells.iloc[1:]).all()) and _aggregates(above, cells.iloc[1:])
            if (_FOOTER_LABEL.match(text) or summary) and \
                    _new_label(text, above[col], known.get(str(col), ())):
                return True
    for col in above.columns:
        values = above[col].dropna().astype("string").str.strip()
        if values.empty or not _is_number(values).all():
            continue
        theirs = rows[col].dropna().astype("string").str.strip()
        if not _is_number(theirs).all():  # a dash is a missing number, not a label
            return True
    return False


def _aggregates(above: pd.DataFrame, cells: pd.Series) -> bool:
    """Whether a summary row's numbers are what a spreadsheet computes of the columns above
    (a sum, mean, median, minimum, maximum, count or spread, to 0.5%): a grouped export's last
    group `Max` holds its own values, not these (the review)."""
    matched = 0
    for col, text in cells.items():
        value = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]
        column = pd.to_numeric(above[col], errors="coerce").dropna()
        if pd.isna(value) or column.empty:
            continue
        figures = (column.sum(), column.mean(), column.median(), column.min(), column.max(),
                   float(len(column)), column.std())
        if not any(abs(value - f) <= 0.005 * max(abs(f), 1e-9) for f in figures):
            return False
        matched += 1
    return matched > 0


# Cells a spreadsheet writes for a number not known: no label.
_NOT_KNOWN = ("-", "--", "\u2013", "\u2014", "?", ".", "..", "*", "n.a.", "n.a", "N.A.", "NA",
              "na", "x", "X")


def _looks_like_data(names: list[str]) -> bool:
    """A header whose every name is a number (or blank, with at least two numbers, one of
    them not a small whole count a name could be: '2019', '1' are names; 51.1 or 0.25 not)."""
    values = [n.strip() for n in names]
    numbers = [v for v in values if _NUMBER.fullmatch(v)]
    return len(values) >= 2 and len(numbers) >= 2 and \
        all(v == "" or _NUMBER.fullmatch(v) for v in values) and \
        any(not v.lstrip("+-").isdigit() for v in numbers)


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _records(text: str, sep: str, n: int) -> list[list[str]]:
    """The first n records (a quoted field may span lines), as far as they parse."""
    out: list[list[str]] = []
    # newline="": the csv module splits \n, \r\n and a bare \r (old Mac exports) itself.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for record in reader:
            if record:
                out.append(record)
            if len(out) >= n:
                break
    except csv.Error:
        pass  # pandas says what is malformed, with the line
    return out or [[]]


def _decimal(records: list[list[str]], sep: str, text_columns: set[str],
             grouping: bool = True) -> tuple[str, list[str]]:
    """',' for a file not separated by commas whose numbers are written 12,96 (Europe's
    spreadsheets): read as text, every such column was a category of strings and a model
    trained on them stayed at chance. '.' where numbers are written 12.96, and where every
    comma has three digits after it (1,234: a thousands separator as often as a decimal mark;
    in such a file they stay text and init names them; in a comma-separated file a quoted
    "1,234" is thousands: _thousands_numbers). The suite's text columns do not count (a code
    3.1 there says nothing of the numbers). A file that writes some columns one way and some
    the other is read with the point, as before, and its columns of decimal commas (kept as
    text) are returned for init to name: one column of dotted lab values made 55 columns of
    decimal commas text without a word (sweep 21). Reading each column with its own mark
    would need one per column, in data.decimal and the served model alike: not done."""
    skip = {i for i, name in enumerate(records[0]) if name.lstrip("\ufeff") in text_columns}
    commas: dict[int, set[str]] = {}
    dots: dict[int, set[str]] = {}
    one_group: dict[int, set[str]] = {}
    small_whole: dict[int, bool] = {}  # whether each plain whole number is below 1,000
    for record in records[1:]:
        for i, value in enumerate(record):
            if i in skip:
                continue
            value = value.strip()
            if _WHOLE.match(value):
                small_whole[i] = small_whole.get(i, True) and abs(int(value)) < 1000
            match = _COMMA_NUMBER.match(value)
            # 0,570 or 1234,567 cannot group thousands: a decimal comma, three decimals or not;
            # nor can 1.290.941 or 45.200,00 be written with a decimal point.
            if match and (len(match.group(2)) != 3 or match.group(1) == "0"
                          or len(match.group(1)) > 3) or _COMMA_GROUPED.match(value):
                commas.setdefault(i, set()).add(value)
            # 2.500 alone may be either: it counts for a point, unless its column groups
            # thousands with points elsewhere (513.614 beside 2.291.176: sweep 23).
            elif _DOT_NUMBER.match(value):
                (one_group if _ONE_GROUP.match(value) else dots).setdefault(
                    i, set()).add(value)
    # A column writing both marks counts for the one most of its decimals use: 59 cells of
    # 0.07 hand-edited among 941 of 0,14 made a whole file of decimal commas read with the
    # point, every one of its numbers text (sweep 29). Its few cells of the other mark are
    # read where they cannot be mistaken (_comma_numbers).
    for i in set(commas) & set(dots):
        if len(commas[i]) >= len(dots[i]):
            del dots[i]
        else:
            del commas[i]
    # 1.500 and 12.000 beside plain 50 and 500 (never 1500): points that group thousands, as
    # a German export writes heights in feet; read with a point they were 1.5 and 12 (sweep
    # 25). Such a column counts for neither mark.
    grouped = {i for i in one_group if grouping and i not in commas and i not in dots
               and small_whole.get(i, False)}
    for i, values in one_group.items():
        if i not in commas and i not in grouped:
            dots.setdefault(i, set()).update(values)
    if (commas or grouped) and not dots:
        return ",", []
    return ".", [records[0][i].lstrip("\ufeff") for i in sorted(commas)
                 if i < len(records[0])]


# A spreadsheet's total or empty lines: a few per file. More rows blank in every input are
# a sparse table's own rows (or an export that lost its columns, for the suite to reject).
TOTAL_WORDS = r"\s*(grand\s+|sub-?)?totals?:?\s*|\s*sum:?\s*"
BLANK_LINES_AT_MOST = 3
BLANK_LINES_SHARE = 0.02


def blank_lines(frame: pd.DataFrame, inputs: list[str]) -> pd.Series | None:
    """The rows blank in every one of `inputs` (the features and the time: what the model
    reads), where there are two inputs or more and such rows are a few (at most 3, or 2 % of
    the rows): a total line (`TOTAL,,,,"1,288,372.06"`) carries a label and nothing to learn
    it from. None where there is nothing to drop."""
    present = [c for c in inputs if c in frame.columns]
    if len(present) < 2 or frame.empty:
        return None
    # "Total" in a text column beside blanks is the same line (sweep 28: kept at init).
    blank = pd.concat([frame[c].isna() | (frame[c].astype("string").str.fullmatch(
        TOTAL_WORDS, case=False).fillna(False).astype(bool) if frame[c].dtype == object
        or pd.api.types.is_string_dtype(frame[c]) else False) for c in present],
        axis=1).all(axis=1)
    blank &= frame[present].isna().any(axis=1)  # a total word alone in every column is data
    if not blank.any() or int(blank.sum()) > max(BLANK_LINES_AT_MOST,
                                                   BLANK_LINES_SHARE * len(frame)):
        return None
    return blank


def _writes_points(records: list[list[str]], text_columns: set[str]) -> bool:
    """Whether a file writes decimals with a point: some number outside the suite's text
    columns is 12.96 or 1,234.5 (not 2.500, which may group thousands)."""
    skip = {i for i, name in enumerate(records[0]) if name.lstrip("\ufeff") in text_columns}
    return any(i not in skip and (_DOT_NUMBER.match(value.strip()) is not None
                                  and _ONE_GROUP.match(value.strip()) is None
                                  or _POINT_GROUPED.match(value.strip()) is not None)
               for record in records[1:] for i, value in enumerate(record))


# Words that mean "not known" where the other values are numbers (pandas already reads NA,
# N/A, null, None, NaN and blanks so); a value of punctuation alone ("?", "-", ".", "--")
# counts too.
MISSING_WORDS = {"na", "n.a.", "n.a", "nan", "none", "null", "nil", "missing", "unknown",
                  "not available", "#n/a", "#na", "#value!", "#div/0!"}


def missing_markers(other: pd.Series, present: int, distinct_numbers: int = 0) -> list[str]:
    """The values of a column that are not numbers, when they only mark a value as not known:
    at most three distinct ones, each a "not known" word or punctuation alone, on at most half
    of the present rows (a UCI file's "?" among ages). Among a measurement's numbers (20
    distinct or more), a short code of letters on at most a fifth of the rows counts too: a
    weather table's "T" for a trace of rain made its amounts 136 text levels. Else none: the
    column is text."""
    values = sorted({str(v).strip() for v in other})
    if not values or len(values) > 3 or 2 * len(other) > present:
        return []
    codes = distinct_numbers >= 20 and 5 * len(other) <= present
    marks = all(v.lower() in MISSING_WORDS or (0 < len(v) <= 3 and not any(
        ch.isalnum() for ch in v)) or (codes and 0 < len(v) <= 3 and v.isalpha())
        for v in values)
    return values if marks else []


def _marks(present: pd.Series, numbers: pd.Series) -> pd.Series:
    """Which of a column's values are not-known marks among its numbers (missing_markers):
    a "?" among 1,234s or 12,96s must not keep the column from being read as numbers."""
    numbers = numbers.fillna(False).astype(bool)
    return present.isin(missing_markers(present[~numbers], len(present),
                                        int(present[numbers].nunique())))


def _numbers_as_text(frame: pd.DataFrame, text_columns: Iterable[str] | None
                     ) -> Iterator[tuple[Any, pd.Series]]:
    """Each column pandas kept as text that the suite does not freeze as text, with its
    present values stripped: where a reader may find numbers written for people."""
    keep = set() if text_columns is None else set(text_columns)
    for col in frame.columns:
        if col not in keep and (pd.api.types.is_string_dtype(frame[col])
                                or frame[col].dtype == object):
            yield col, frame[col].dropna().astype("string").str.strip()


# Digits grouped by a space, as French and Swiss exports write them (2 291 176, with a no-break,
# narrow no-break, thin or plain space), and the minus sign U+2212 (−10) of typeset numbers.
_SPACE_GROUP = r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?!\d))"
_NUMBER_TEXT = r"[-+]?(\d+([.,]\d+)?|[.,]\d+)"


def typographic_text(text: pd.Series) -> pd.Series:
    """Stripped text with space-grouped digits joined, U+2212 read as a minus sign and an
    accountant's parentheses as one ((4,992.79) is -4,992.79); other values unchanged (also
    the served model's reading: tuneloop.features.read_numbers)."""
    text = text.str.replace("\u2212", "-", regex=False)
    # Only a value holding a parenthesis or a space can change: the two patterns below run
    # per value in Python, and 20,000 served rows of numbers as text spent 1.3 s in them
    # (sweep 56c); the test for the characters runs in pyarrow where pandas stores text so.
    odd = text.str.contains(_ODD_CHARACTERS, regex=True).fillna(False).astype(bool)
    if not odd.any():
        return text
    text = text.copy()
    text[odd] = text[odd].str.replace(_ACCOUNTING, r"-\1", regex=True).str.replace(
        _SPACE_GROUP, "", regex=True)
    return text


_ODD_CHARACTERS = "[( \u00a0\u202f\u2009]"


# A negative amount as accounts write it: digits grouped in thousands or two decimals,
# (4,992.79), (12.000), (1 250,50), (350.00); not (15) or (5.8), a flagged rank or a standard
# error under its estimate (the second review: read as negatives without a word).
_ACCOUNTING = (r"^\(\s*(\d{1,3}(?:[,.\u00a0\u202f\u2009 ]\d{3})+(?:[.,]\d+)?|\d+[.,]\d{2})"
               r"\s*\)$")


# A time of day or a duration written with colons as hours:minutes[:seconds]: 14:30, 7:05:09,
# 2:30 PM, 35:12 (minutes two digits, as a clock writes them: a ratio 3:1 is no time).
CLOCK = r"(\d{1,3}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?(?:\s?([AaPp])\.?[Mm]\.?)?"


def clock_minutes(values: pd.Series) -> pd.Series:
    """Clock text (or datetime.time values, as a Parquet time64 column arrives) as minutes
    after midnight: 14:30 is 870, 2:30 PM too, 7:05:30 is 425.5; a duration written as
    hours:minutes reads alike (35:12 is 2,112). Anything else is missing."""
    if values.dtype == object and values.map(lambda v: isinstance(v, dt.time)).any():
        return values.map(lambda v: v.hour * 60 + v.minute + v.second / 60
                          if isinstance(v, dt.time) else None).astype("float64")
    parts = values.astype("string").str.strip().str.extract(f"^{CLOCK}$")
    hours = pd.to_numeric(parts[0], errors="coerce").astype("float64")
    meridiem = parts[3].str.upper().astype("object")
    hours = hours.where(meridiem.isna(), hours % 12 + (meridiem == "P").astype("float64") * 12)
    seconds = pd.to_numeric(parts[2], errors="coerce").astype("float64").fillna(0.0)
    minutes = hours * 60 + pd.to_numeric(parts[1], errors="coerce").astype("float64")
    return minutes + seconds / 60


def _minutes_and_hours(text: pd.Series) -> bool:
    """Durations mixing m:ss (59:30) with h:mm:ss (1:02:03), as race times are written: read
    as hours:minutes they would be out of order, so such a column stays text (the review)."""
    parts = text.str.extract(f"^{CLOCK}$")
    three = parts[2].notna()
    first = pd.to_numeric(parts[0], errors="coerce")
    return bool(three.any() and (first[~three] >= 24).any())


def _clock_times(frame: pd.DataFrame, keep: Iterable[str] | None,
                 only: Iterable[str] | None = None) -> set[str]:
    """Columns (not kept as text or dates by the suite) whose every value is a clock time
    (CLOCK; a Parquet time64): read as minutes after midnight. As text, a departure time was a
    category of 1,242 levels, most seen a handful of times, where a number orders them.
    Returns their names."""
    read: set[str] = set()
    kept, allowed = set(keep or ()), None if only is None else set(only)
    for col in frame.columns:
        column = frame[col]
        if col in kept or (allowed is not None and col not in allowed) or not (
                pd.api.types.is_string_dtype(column) or column.dtype == object):
            continue
        present = column.dropna()
        if present.empty:
            continue
        # A time64's datetime.time values read as their text (14:30:00): one reading for both.
        text = present.astype("string").str.strip()
        clock = text.str.fullmatch(CLOCK).fillna(False).astype(bool)
        if clock.any() and (clock | _marks(text, clock)).all() and not _minutes_and_hours(
                text[clock]):
            minutes = clock_minutes(column)
            frame[col] = minutes.where(column.notna() & minutes.notna())
            read.add(str(col))
    return read


def _codes_with_spaces(present: pd.Series) -> bool:
    """Whether a column's space-grouped values are codes, not amounts: every value written in
    one grouped shape with a plain space (postal codes 75 001 and 13 008, sizes 120 240), none
    without a group. Amounts come in several (840, 513 614, 2 291 176), or grouped by a no-break
    or thin space, as spreadsheets write numbers (salaries 8 515): the review read codes as
    numbers, and then such salaries as codes."""
    grouped = present[present.str.contains(_SPACE_GROUP, regex=True)]
    if grouped.empty or len(grouped) < len(present) or grouped.str.contains(
            "[\u00a0\u202f\u2009]", regex=True).any():
        return False  # a no-break or thin space groups the digits of a number, not a code
    whole = grouped.str.replace(r"[.,]\d+$", "", regex=True)
    return whole.str.replace(r"\d", "9", regex=True).nunique() == 1


def _typographic_numbers(frame: pd.DataFrame, text_columns: Iterable[str] | None) -> set[str]:
    """Columns kept as text whose every value is a number once its digit groups are joined
    and its minus sign read (typographic_text): written so, they were a free-text column
    excluded as "a name, code or free text" (the table's strongest feature) or a category of
    "−10"s (sweep 23). Their text is put right for the readers after this one (a decimal
    comma, thousands, the caller's typing); returns their names."""
    read: set[str] = set()
    for col, present in list(_numbers_as_text(frame, text_columns)):
        accounts = present.str.fullmatch(_ACCOUNTING).fillna(False).astype(bool)
        if not len(present) or not (present.str.contains(
                "[\u2212\u00a0\u202f\u2009 ]", regex=True).any()
                or accounts.any() and (text_columns is not None or not accounts.all())):
            # (At init, parentheses on every value are labels, not amounts: sweep 52c's budget
            # balances wrote negatives so beside positives. Against a suite's number column
            # a batch of negatives only is read as any other: the second review.)
            continue
        if _codes_with_spaces(present):
            continue
        plain = typographic_text(present)
        numbers = (plain.str.fullmatch(_NUMBER_TEXT) | plain.str.fullmatch(DECIMAL_COMMA)
                   | plain.str.fullmatch(THOUSANDS)).fillna(False).astype(bool)
        if (numbers | _marks(present, numbers)).all():
            frame[col] = typographic_text(frame[col].astype("string").str.strip())
            read.add(str(col))
            if accounts.any():
                frame.attrs.setdefault("parentheses", {})[str(col)] = (
                    int(accounts.sum()), str(present[accounts].iloc[0]))
    return read


def _comma_numbers(frame: pd.DataFrame, text_columns: Iterable[str] | None) -> pd.DataFrame:
    """Columns pandas kept as text (read as text for the caller to type) whose every value is
    a number with a decimal comma, written with a point: the caller's typing sees numbers.
    A column the suite freezes as text stays as written."""
    read: set[str] = set()
    stray: dict[str, tuple[int, str]] = {}
    for col, present in list(_numbers_as_text(frame, text_columns)):
        written = present.str.fullmatch(DECIMAL_COMMA).fillna(False).astype(bool)
        # 0.07 or 12.5 cannot group thousands (1.500 could): a decimal point, where most of
        # the column writes commas (sweep 29: a hand-edited cell here and there).
        points = present.str.fullmatch(STRAY_POINT).fillna(False).astype(bool) & ~written
        numbers = written | points
        if len(present) and (numbers | _marks(present, numbers)).all() \
                and present.str.contains(r"[,.]", regex=True).any() \
                and int(points.sum()) < int(written.sum()):
            text = frame[col].astype("string").str.strip()
            # 30.135 beside 30,13 and 29,87, none of them a thousand: a decimal point, not
            # 30,135 (sweep 30: twenty such cells read x1000, unsaid). Where the column's other
            # numbers reach a thousand, it groups thousands, as a comma file writes them.
            grouped = present.str.fullmatch(_ONE_GROUP.pattern.strip("^$")).fillna(False)\
                .astype(bool)
            rest = pd.to_numeric(comma_decimal_text(present[written & ~grouped]),
                                 errors="coerce").abs()
            small = grouped.any() and 2 * int(grouped.sum()) < int(written.sum()) and \
                len(rest.dropna()) > 0 and bool((rest.dropna() < 1000).all())
            converted = comma_decimal_text(text)
            if small:
                dotted = text.str.fullmatch(_ONE_GROUP.pattern.strip("^$")).fillna(False)\
                    .astype(bool)
                converted = converted.mask(dotted, text)
                points |= grouped
            frame[col] = converted
            read.add(col)
            if points.any():
                stray[str(col)] = (int(points.sum()), str(present[points].iloc[0]))
    frame.attrs["comma_read"] = read
    frame.attrs["stray_points"] = stray
    return frame


def _thousands_numbers(frame: pd.DataFrame, text_columns: Iterable[str] | None,
                       unmistakable: bool = False) -> pd.DataFrame:
    """Columns of a file with decimal points whose every value is a number, some written with
    thousands separators (`"106,231"`, quoted in a comma-separated file): the separators go,
    so the caller's typing sees numbers. Read as text, a salary was a category of 299 strings
    and, as the target, a task init could not tell. A column the suite freezes as text stays
    as written. unmistakable: only a column where some value could not be a decimal comma
    (1,234.5 or 1,234,567) counts."""
    read: list[str] = []
    for col, present in list(_numbers_as_text(frame, text_columns)):
        grouped = present.str.fullmatch(THOUSANDS)
        numbers = grouped | present.str.fullmatch(r"[-+]?\d+(\.\d+)?")
        if unmistakable and not present.str.match(_POINT_GROUPED).any():
            continue
        if len(present) and grouped.any() and (numbers | _marks(present, numbers)).all():
            plain = frame[col].astype("string").str.strip().str.replace(",", "", regex=False)
            # Read for a caller that types every column itself (init): text of plain digits
            # (and the marks, for its typing to find); read against a suite: numbers, where
            # the marks were read as missing already (data.missing_values).
            parsed = pd.to_numeric(plain, errors="coerce")
            every = not (parsed.isna() & plain.notna()).any()
            frame[col] = parsed if text_columns is not None and every else plain
            read.append(str(col))
    frame.attrs["thousands"] = read
    return frame


def _delimiter(text: str, tab_first: bool = False) -> str:
    """The delimiter under which the header and the first records split alike into the most
    columns, with no column name starting with a space (`Mean, mm` is one name); ',' on a
    tie, a tab first for a .tsv file."""
    def score(sep: str) -> tuple[bool, float, int, int, bool]:
        records = _records(text[:1_000_000], sep, 41)
        width = len(records[0])
        rows = records[1:]
        # A short row is legal (pandas fills blanks): only a longer one disagrees.
        alike = sum(1 <= len(r) <= width for r in rows) / len(rows) if rows else 1.0
        spaced = sum(name.startswith(" ") for name in records[0][1:])
        return width >= 2, alike, -spaced, width, tab_first and sep == "\t"

    return max(sorted(_DELIMITERS, key=lambda d: d != "\t" if tab_first else False),
               key=score)


def _check_title(path: Path, records: list[list[str]], sep: str) -> None:
    """A spreadsheet's title line above the header (`Meat samples export,,,`): one named
    field, the rest blank, and a line of names filling every field a few records below. Read
    as the header, its columns were 'Meat samples export', 'Unnamed: 1', ... and the error
    named the target as missing (sweep 40a). Names hold no plain number (a data row does)."""
    names = records[0]
    if len(names) < 2 or sum(bool(n.strip()) for n in names) != 1:
        return
    for record in records[1:6]:
        if len(record) >= len(names) and all(v.strip() for v in record) and \
                not any(_NUMBER.fullmatch(v.strip()) for v in record):
            raise DataError(f"{path}: its first line ({sep.join(names).rstrip(sep)[:60]!r}) "
                            f"looks like a title above the header ({sep.join(record[:4])}"
                            f"{', ...' if len(record) > 4 else ''}): remove the lines above "
                            "the header")


def _check_rows(path: Path, text: str, records: list[list[str]], sep: str) -> None:
    """A header of one column, or records without the header's delimiter, is a file whose
    delimiter is not what it looks like: pandas would read the rows as one blank-filled line."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    if len(records[0]) < 2:
        raise DataError(f"{path}: wrong delimiter: the header is one column ({header[:60]!r});"
                        " expected columns separated by ',', ';', a tab or '|'")
    checked = records[1:41]
    if len(records) <= 41 and not text.endswith(("\n", "\r")):
        # The file's last record, maybe cut short: _check_last_row says so, not "delimiter".
        checked = checked[:-1]
    for number, record in enumerate(checked, start=2):
        if len(record) == 1 and record[0].strip():
            other = max(_DELIMITERS, key=record[0].count)
            found = f" (it is separated by {_NAMES[other]})" if other in record[0] else ""
            raise DataError(f"{path}: wrong delimiter: the header's columns are separated by "
                            f"{_NAMES[sep]}, record {number} has none{found}")


def _check_last_row(path: Path, text: str, width: int, sep: str) -> None:
    """A file cut off mid-row (a copy or a download interrupted): its last record has no line
    end and fewer fields than the header, or an unclosed quote. pandas filled the missing
    fields with blanks, and the cut row (a balance of 17 for 17,520) was trained on. (A gzip or
    Parquet file cut off is caught by its format; a file that ends with a line end is whole.)"""
    if text.endswith(("\n", "\r")):
        return
    last: list[str] = []
    number = 0
    try:  # records, not lines: a quoted field may span lines
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""),  # noqa: B007
                                                   delimiter=sep, strict=True), start=1):
            last = record
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return  # quoting pandas may read otherwise: its own parser says what is wrong
        raise DataError(f"{path}: its last record (after record {number}) opens a quoted field "
                        "it does not close, with no line end: the file looks cut off; send it "
                        "whole") from None
    if number > 1 and len(last) < width and any(v.strip() for v in last):
        raise DataError(f"{path}: its last record ({number}, the header counted) has "
                        f"{len(last)} of {width} fields and no line end: the file looks cut "
                        "off; send it whole")


def _read_dates(frame: pd.DataFrame,
                datetime_columns: Iterable[str] | Mapping[str, str]) -> pd.DataFrame:
    """Date columns held as text, as date-times. Unparseable timestamps become missing: the
    suite's checks name the column and quote the text (frame.attrs, read by run_gx)."""
    from tuneloop.features import parse_dates

    formats = datetime_columns if isinstance(datetime_columns, Mapping) else \
        dict.fromkeys(datetime_columns, "ISO8601")
    unparsed: dict[str, dict[str, Any]] = {}
    for col, fmt in formats.items():
        if col in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[col]) \
                and (pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object
                     or pd.api.types.is_numeric_dtype(frame[col])):
            # Numbers too: a time column of whole years reads as the years it names.
            parsed = parse_dates(frame[col], fmt)
            bad = frame[col][parsed.isna() & frame[col].notna()]
            if len(bad):
                # tuneloop.table.dates imports this module (through tuneloop.features)
                from tuneloop.table.dates import also_reads_as, date_format

                # The format the unread values are written in, from all of them (up to a
                # sample): three examples from a month's first days read as month-first
                # (01.01.1984, 02.01.1984), and the hint named the swapped format (sweep 31).
                distinct = pd.Series(bad.astype("string").unique()[:5000], dtype="string")
                reads_as = date_format(distinct)
                unparsed[col] = {"count": len(bad), "format": fmt,
                                 "examples": [str(v) for v in bad.unique()[:3]],
                                 "reads_as": reads_as,
                                 # Every day 12 or less: the other order reads them too, and
                                 # the hint named one as if sure (sweep 58c F2: followed, 85%
                                 # of a batch's dates were stored wrong).
                                 "also_reads_as": also_reads_as(distinct, reads_as)
                                 if reads_as is not None else None}
            elif "%d" in fmt and "%m" in fmt and parsed.notna().any() and \
                    not fmt.lstrip().startswith("%Y"):
                # Every day at most 12: the batch reads as well with day and month swapped,
                # and only its shape and where it lands can tell which it is (stages.ingest).
                # Strictly, without parse_dates' ISO 8601 fallback, which reads anything.
                swapped_fmt = fmt.replace("%d", "<day>").replace("%m", "%d").replace("<day>", "%m")
                swapped = pd.to_datetime(frame[col].astype("string").str.strip(),
                                         format=swapped_fmt, errors="coerce", utc=True)
                if not (swapped.isna() & frame[col].notna()).any():
                    frame.attrs.setdefault("swapped_dates", {})[col] = (
                        swapped_fmt, swapped.min().isoformat(), swapped.max().isoformat())
            frame[col] = parsed
    frame.attrs["unparsed_dates"] = unparsed
    return frame


def read_batch(path: Path | str, datetime_columns: Iterable[str] | Mapping[str, str] = (),
               text_columns: Iterable[str] | None = (), thousands: bool = True,
               missing: Mapping[str, Iterable[str]] | None = None,
               decimal: str | None = None, numeric_columns: Iterable[str] = (),
               clock: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a batch; raise DataError naming the file and the problem when it is unreadable.
    datetime_columns held as text (any CSV; a Parquet file that stores dates as text) are
    parsed as ISO 8601, or each in its format when given as a mapping (data.date_formats; ISO
    8601 where that fails); a CSV's text_columns are read as text (None: every column, for the
    caller to type), and a Parquet file's booleans among them become the text a CSV holds
    ('True' / 'False'), the same values to the suite and the model. thousands: numbers with
    thousands separators in a comma-separated file are numbers (off where a prepare hook gets
    the file as written). missing: data.missing_values, column -> the values that mean "not
    known" there; read as missing (and the column as numbers where the rest are numbers).
    decimal: the project's decimal mark (data.decimal): ',' reads a file not separated by
    commas with it; '.' or None sniffs the file's (init, or a project whose table showed no
    choice). A cell of spaces is missing, as an empty one. numeric_columns: the suite's
    number columns, which a Parquet file may store as strings of numbers. clock: the columns
    whose clock times become minutes (data.clock_times; none where a prepare hook gets the
    file as written, as served rows reach it); None (init): any column of clock times."""
    path = Path(path)
    suffix = _check_file(path)
    if suffix in PARQUET:
        frame = _read_parquet(path)
        for col in text_columns or ():
            if col in frame.columns and pd.api.types.is_bool_dtype(frame[col]):
                frame[col] = frame[col].astype("string")
        blanked = _blank_as_na(frame)
        frame = _missing_as_na(frame, missing, numbers=True,
                               keep={*(text_columns or ()), *datetime_columns})
        # Text of numbers with a cell of spaces: numbers, as a CSV's are (a column the suite
        # keeps as text stays so). Read against a suite, so is a column of numbers stored as
        # strings ('79', '159'): a CSV's would be numbers, and the type check said "the other
        # decimal mark" (sweep 25).
        stored_as_text = {c for c in numeric_columns if c in frame.columns and (
            pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object)}
        frame = _plain_numbers(frame, blanked | stored_as_text,
                               {*(text_columns or ()), *datetime_columns})
        frame.attrs["clock_read"] = sorted(_clock_times(frame, {*(text_columns or ()),
                                                                *datetime_columns}, clock))
        return _read_dates(frame, datetime_columns)
    return _read_csv(path, datetime_columns, text_columns, thousands, missing, decimal, clock)


def _missing_as_na(frame: pd.DataFrame, missing: Mapping[str, Iterable[str]] | None,
                   numbers: bool, keep: Iterable[str] = ()) -> pd.DataFrame:
    """Each column's "not known" values (data.missing_values) as missing; with `numbers`, a
    column whose remaining values are all numbers becomes numbers (a CSV read against a suite,
    a Parquet file), unless it is in `keep` (the suite's text and date columns: a database's
    NULL (\\N) is missing there too, and a batch of digit-only codes stays text) or a value has a
    leading zero. Other text stays as it was, for the suite's type check to name."""
    keep = set(keep)
    for col, values in (missing or {}).items():
        if col not in frame.columns or not (pd.api.types.is_string_dtype(frame[col])
                                            or frame[col].dtype == object):
            continue
        stripped = frame[col].astype("string").str.strip()
        known = stripped.mask(stripped.isin([str(v).strip() for v in values]))
        if numbers and col not in keep and not has_leading_zero(known):
            parsed = pd.to_numeric(known, errors="coerce")
            if not (parsed.isna() & known.notna()).any():
                frame[col] = parsed.astype("float64")
                continue
        frame[col] = frame[col].mask(known.isna() & frame[col].notna())
    return frame


# --- the project's accepted batches and the ledger of every batch decided -----------------

BATCH_SUFFIX = ".parquet"


def accepted_batches(batches_dir: Path) -> list[Path]:
    """Accepted batch files in arrival order (their names start with a sequence number)."""
    if not batches_dir.is_dir():
        return []
    return sorted(p for p in batches_dir.iterdir()
                  if p.suffix == BATCH_SUFFIX and not p.name.startswith("."))


def in_time_order(spec: Any, files: list[Path]) -> list[Path]:
    """Accepted batches by their earliest time (a batch that arrives late still lands in its
    place), else by arrival."""
    if spec.time is None:
        return files
    starts = first_times(spec.time, files)
    return sorted(files, key=lambda f: (pd.isna(starts[f]), starts[f], f.name))


class MedianHistory:
    """Each accepted batch's median of some columns, with its place in time (its earliest
    time, else its arrival), each batch read once (tuneloop.suite.following moves median
    bounds by them); a batch accepted later in the same ingest is added from its frame."""

    def __init__(self, spec: Any, columns: list[str], files: list[Path]) -> None:
        import pyarrow.parquet as pq  # with pandas' parquet reading: not at start-up

        self.time, self.columns = spec.time, columns
        self.entries: list[tuple[tuple[Any, ...], dict[str, float]]] = []
        wanted = list(dict.fromkeys([*columns, *([self.time] if self.time else [])]))
        for path in files:
            # Opened once for its schema and its columns: a schema read, then a read, took
            # three times as long over 500 batches (6.4 s against 2.0 s).
            stored = pq.ParquetFile(path)
            have = set(stored.schema_arrow.names)
            self.add(stored.read(columns=[c for c in wanted if c in have]).to_pandas())

    def add(self, frame: pd.DataFrame) -> None:
        arrival = len(self.entries)
        first = frame[self.time].min() if self.time and self.time in frame.columns else None
        key = (1, 0, arrival) if first is None or pd.isna(first) else (0, first, arrival)
        medians = {}
        for col in self.columns:
            if col in frame.columns:
                value = pd.to_numeric(frame[col], errors="coerce").median()
                if pd.notna(value):
                    medians[col] = float(value)
        self.entries.append((key, medians))

    def in_time_order(self) -> list[dict[str, float]]:
        try:
            ordered = sorted(self.entries, key=lambda e: e[0])
        except TypeError:  # times of mixed types: arrival order
            ordered = sorted(self.entries, key=lambda e: e[0][2])
        return [medians for _, medians in ordered]


def first_times(time: str, files: list[Path]) -> dict[Path, Any]:
    """Each accepted batch's earliest time (its place in time order)."""
    return {f: first for f, (first, _) in time_spans(time, files).items()}


def time_spans(time: str, files: list[Path]) -> dict[Path, tuple[Any, Any]]:
    """Each accepted batch's earliest and latest time, its time column read once."""
    spans = {}
    for f in files:
        times = pd.read_parquet(f, columns=[time])[time]
        spans[f] = (times.min(), times.max())
    return spans


def training_window(spec: Any, ordered: list[Any]) -> list[Any]:
    """The last `data.window` of the batches (all when null), given oldest first."""
    return ordered[-spec.window:] if spec.window else ordered


def window_files(spec: Any, batches_dir: Path) -> list[str]:
    """The names of the accepted batch files in the training window, oldest first."""
    return [f.name for f in training_window(spec, in_time_order(spec,
                                                                accepted_batches(batches_dir)))]


def stack_batches(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The window as one table, each row carrying its batch's number (0 = oldest)."""
    from tuneloop.features import BATCH_COLUMN

    return pd.concat([frame.assign(**{BATCH_COLUMN: number})
                      for number, frame in enumerate(frames)], ignore_index=True)


def next_batch_path(batches_dir: Path, source: Path, recorded: Iterable[str] = ()) -> Path:
    """Where an accepted batch goes: the next sequence number, then the source's name. Past the
    names the batch ledger recorded too (`recorded`): a withdrawn newest batch's number given
    again hid an orphan of a stopped ingest from recovery, which looks past the newest (the
    review)."""
    numbers = [int(p.name.split("-", 1)[0]) for p in accepted_batches(batches_dir)]
    numbers += [int(n.split("-", 1)[0]) for n in (Path(r).name for r in recorded)
                if n.split("-", 1)[0].isdigit()]
    number = max(numbers, default=0) + 1
    return batches_dir / f"{number:06d}-{batch_name(source)}{BATCH_SUFFIX}"


def latest_entries(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The batch ledger's latest entry per file hash: a file's state now."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        latest[entry["md5"]] = entry
    return latest


def accepted_now(entries: list[dict[str, Any]]) -> set[str]:
    """The hashes of the files whose latest ledger entry accepted them: one accepted and then
    withdrawn is not (a rejected one accepted on a retry is)."""
    return {md5 for md5, e in latest_entries(entries).items() if e.get("accepted")}


def withdrawn_now(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest entries of the files withdrawn (`tuneloop data withdraw`) and not accepted
    again since, by hash."""
    return {md5: e for md5, e in latest_entries(entries).items() if e.get("withdrawn")}


def withdrawn_batches(entries: list[dict[str, Any]]
                      ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The stored batch files withdrawn and not accepted again since, by name: (the ledger
    entry that accepted it, the one that withdrew it)."""
    withdrawn = withdrawn_now(entries)
    return {Path(str(e.get("stored_as"))).name: (e, withdrawn[e["md5"]]) for e in entries
            if e.get("accepted") and e.get("stored_as") and e.get("md5") in withdrawn}


def batch_name(source: Path) -> str:
    """The source's name without its file type (`may.csv.gz` -> `may`)."""
    name = source.name.removesuffix(".gz").removesuffix(".GZ")
    for suffix in (*PARQUET, *CSV):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return Path(name).stem or name


def load_hook(ref: str | None, root: Path) -> Callable[[pd.DataFrame], pd.DataFrame] | None:
    """The project's prepare hook ("module:function", importable from the project root)."""
    if ref is None:
        return None
    import importlib
    import sys

    module_name, _, func_name = ref.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(f"data.prepare: cannot import {module_name!r} from {root} "
                          f"({type(exc).__name__}: {exc})") from None
    hook = getattr(module, func_name, None)
    if not callable(hook):
        raise ConfigError(f"data.prepare: {module_name!r} has no function {func_name!r}")
    return hook


def apply_hook(hook: Callable[[pd.DataFrame], pd.DataFrame] | None, frame: pd.DataFrame,
               source: str) -> pd.DataFrame:
    """Run the prepare hook on a raw batch; its failure is one line naming the batch: a
    DataError (the batch is bad) or, when the hook hit an OSError, a TuneloopError that stops
    the step without deciding the batch."""
    if hook is None:
        return frame
    try:
        out = hook(frame)
    except OSError as exc:
        # A file or store the hook reads is missing or unreadable: no answer about the batch,
        # which must not be quarantined and recorded as decided for it.
        raise TuneloopError(f"{source}: the prepare hook could not read what it needs "
                            f"({type(exc).__name__}: {exc})") from None
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise DataError(f"{source}: the prepare hook failed ({type(exc).__name__}: "
                        f"{reason})") from None
    if not isinstance(out, pd.DataFrame):
        raise DataError(f"{source}: the prepare hook returned {type(out).__name__}, "
                        "not a DataFrame")
    return out


def conform(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Store columns as the suite types them, so accepted batches share dtypes: an `int` column
    is int64 while its values are whole and present, float64 otherwise (a blank, or a fraction
    the type check accepts: a number is a number). A text column's other spelling of a known
    level (' Male' for 'male', '90' for '090') is stored as that level, as the served model
    reads it (features.as_known_levels); a column the suite does not declare (let in by its
    allow_extra_columns) is not stored: unchecked, it would become a feature blank in every
    earlier batch (sweep 58c F1, F3)."""
    from tuneloop.features import as_known_levels  # features imports this module

    out = frame[[c for c in frame.columns if c in suite.columns]].copy()
    for name, col in suite.columns.items():
        if name not in out.columns:
            continue
        if col.type == "int" and pd.api.types.is_signed_integer_dtype(out[name]) and \
                not out[name].isna().any():
            # exact whatever their size (the review); a nullable Int64 with a blank (what
            # DataFrame.convert_dtypes leaves) is float64 below, as a CSV's blank makes it
            # (so, as there, whole numbers past 2**53 lose their last digits)
            out[name] = out[name].astype("int64")
        elif col.type == "int" and exact_whole(out[name]):
            # Whole floats (a CSV's 1.0): integers again, so a class label stays the label
            # the suite and the schema know ('1', not '1.0').
            out[name] = out[name].astype("int64")
        elif col.type in ("float", "int"):
            out[name] = out[name].astype("float64")
        elif col.type == "string":
            out[name] = as_known_levels(col.levels, out[name]) if col.levels \
                else out[name].astype("string")
        elif col.type == "bool" and not pd.api.types.is_bool_dtype(out[name]):
            # A CSV's True / False text (with blanks): booleans, as a Parquet batch holds them.
            out[name] = out[name].map({"True": True, "False": False, True: True,
                                       False: False}).astype("boolean")
        elif col.type == "datetime":
            out[name] = pd.to_datetime(out[name], utc=True)
    if suite.time is not None:
        out = out.sort_values(suite.time, kind="stable")
    return out.reset_index(drop=True)
