"""Reading dates a table writes as text: the format that reads a column (and the ones it
also reads as, day/month orders, two-digit years, month-year), time zones and UTC offsets,
dates as numbers of days, and date columns that cannot follow a season.
"""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np
import pandas as pd

from tuneloop.features import (
    DATE_PART_WORDS,
    DATE_PARTS,
    column_kind,
    informative_parts,
    spans_a_year,
)


def _iso_share(series: pd.Series) -> float:
    """The share of a text column's values that are ISO 8601 dates or times."""
    text = series.dropna().astype("string")
    if text.empty or not text.str.contains(r"^\d{4}-\d{2}-\d{2}", regex=True).mean() >= 0.5:
        return 0.0
    return float(pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
                 .notna().mean())


def _best_date_format(series: pd.Series) -> tuple[str | None, float]:
    """The format that reads most of a text column's values as dates, and that share."""
    if column_kind(series) != "string":
        return None, 0.0
    text = series.dropna().astype("string")
    if text.empty:
        return None, 0.0

    best, share = None, 0.0
    iso = _iso_share(series)
    if iso > 0:
        best, share = "ISO8601", iso
    if share >= 0.99:
        return best, share
    readings = {}
    for fmt in _date_candidates(text.drop_duplicates().head(20)):
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
        readings[fmt] = parsed
        if parsed.notna().mean() > share:
            best, share = fmt, float(parsed.notna().mean())
    tied = [f for f, parsed in readings.items() if float(parsed.notna().mean()) == share]
    if best in readings and len(tied) > 1:
        best = _tie_break(tied, readings)
    return best, share


def _date_candidates(values: pd.Series) -> list[str]:
    """The strftime formats that name a day, a month and a year which pandas guesses for
    `values`, month first and day first."""
    from pandas.tseries.api import guess_datetime_format

    candidates: list[str] = []
    for value in values:
        for dayfirst in (False, True):
            with warnings.catch_warnings():  # "Parsing dates in %d/%m/%Y format when ...": a guess
                warnings.simplefilter("ignore", UserWarning)
                fmt = guess_datetime_format(str(value), dayfirst=dayfirst)
            if fmt and "%d" in fmt and any(m in fmt for m in ("%m", "%b", "%B")) \
                    and any(y in fmt for y in ("%Y", "%y")) and fmt not in candidates:
                candidates.append(fmt)
        if _TWO_DIGIT_YEAR.match(str(value).strip()):
            # pandas guesses no format for a two-digit year (1/3/11, 03-Jan-11: sweep 51a,
            # a date column refused as "not dates", or excluded as text without a word), nor
            # for one with a clock time (8/6/20 18:57, as spreadsheets and forms export
            # timestamps: sweep 52a).
            for fmt in (f"{day}{clock}" for day in TWO_DIGIT_YEAR_FORMATS
                        for clock in TWO_DIGIT_YEAR_CLOCKS):
                if fmt not in candidates and not pd.isna(pd.to_datetime(
                        str(value).strip(), errors="coerce", format=fmt)):
                    candidates.append(fmt)
    return candidates


# Day, month and a two-digit year, month first before day first (as pandas reads 1/3/11).
TWO_DIGIT_YEAR_FORMATS = ("%m/%d/%y", "%d/%m/%y", "%m-%d-%y", "%d-%m-%y", "%d.%m.%y",
                          "%d-%b-%y", "%d %b %y", "%d/%b/%y", "%d-%B-%y", "%d %B %y")
# ... with no time, or a 24-hour or 12-hour clock after it.
TWO_DIGIT_YEAR_CLOCKS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p",
                         " %I:%M:%S%p")
_CLOCK = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?"
_TWO_DIGIT_YEAR = re.compile(rf"^\d{{1,2}}([./-])\d{{1,2}}\1\d{{2}}{_CLOCK}$|"
                             rf"^\d{{1,2}}([ /-])[A-Za-z]{{3,9}}\2\d{{2}}{_CLOCK}$")


# Months without a day, as spreadsheets and loan books write them (Mar-2018, March 2018,
# 03/2018); a two-digit year (Mar-18) is left out: 18-Mar is as often the 18th of March.
MONTH_YEAR_FORMATS = ("%b-%Y", "%b %Y", "%B %Y", "%B-%Y", "%m/%Y", "%b/%Y", "%m.%Y")


def month_year_format(series: pd.Series) -> str | None:
    """The format of a --time column of months written without a day (sweep 37: Lending
    Club's `Mar-2018` was refused as "not dates"), or None. Only for the time column: a
    feature of such text stays a category."""
    if column_kind(series) != "string":
        return None
    text = series.dropna().astype("string").str.strip()
    if text.empty:
        return None
    for fmt in MONTH_YEAR_FORMATS:
        if pd.to_datetime(text, errors="coerce", format=fmt).notna().mean() >= 0.99:
            return fmt
    return None


def two_day_orders(series: pd.Series) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """((format, a value only it reads), (the other, one only it reads)) for a text column of
    dates written in two orders of day and month (two locales' exports joined: 13/01/2021 and
    01/13/2021), every value read by one or the other; else None."""
    text = series.dropna().astype("string")
    distinct = text.drop_duplicates()
    formats = _date_candidates(pd.concat([distinct.head(20), distinct.tail(20)]))
    readings = {f: pd.to_datetime(text, errors="coerce", format=f).notna() for f in formats}
    for first, second in itertools.combinations(formats, 2):
        a, b = readings[first], readings[second]
        if (a | b).mean() >= 0.99 and (a & ~b).any() and (b & ~a).any():
            return (first, str(text[a & ~b].iloc[0])), (second, str(text[b & ~a].iloc[0]))
    return None


def _tie_break(tied: list[str], readings: dict[str, pd.Series]) -> str:
    """Of formats that read every value alike well (every day 12 or less): the one reading
    every date as the 1st of changing months (monthly data: 01/03/2019 ... 01/12/2019 are
    months, not twelve days of January, sweep 8; 03/01 ... 03/10 stay ten days); else day
    first where dots separate the parts (01.03.2018 is March 1 where dots are the custom; a
    sweep's monthly dates were stored as January 3), else month first, as pandas reads it."""
    monthly = [f for f in tied if set(readings[f].dt.day.dropna()) == {1}
               and readings[f].dt.month.nunique() > 1]
    if len(monthly) == 1:
        return monthly[0]
    dotted = [f for f in tied if "%d.%m" in f]
    return dotted[0] if dotted else tied[0]


def date_format(series: pd.Series) -> str | None:
    """The one format a text column's dates are written in: "ISO8601", a strftime format that
    names a day, a month and a year (05/31/2024, 31.05.2024, 31-May-2024 13:00), or None.
    (Almost) every value must parse with it, strictly: a lenient parser would read "9th" or
    "May" as dates, and batches would be cut by nonsense. A tie (every day of the month 12
    or less) is broken by _tie_break."""
    best, share = _best_date_format(series)
    return best if share >= 0.99 else None


def partly_dates(series: pd.Series) -> str:
    """A note for a text column most of whose values, but not 99 %, are dates in one format
    (formats mixed, or some values not dates): it stays text, and the user should know."""
    best, share = _best_date_format(series)
    if best is None or not 0.5 <= share < 0.99:
        return ""
    fmt = "ISO8601" if best == "ISO8601" else best
    parsed = pd.to_datetime(series.dropna().astype("string"), errors="coerce", format=fmt,
                            utc=True)
    other = series.dropna().astype("string")[parsed.isna()].unique()[:3].tolist()
    written = "ISO 8601" if best == "ISO8601" else best
    return (f"column {series.name!r} looks like dates, but only {100 * share:.1f}% are written "
            f"{written} (others, e.g. {other}): kept as text; write it in one format (99% "
            "must read) to use it as a date")


def time_zones(frame: pd.DataFrame) -> dict[str, str]:
    """The zone of each date-time column that carries a named one (a Parquet file's
    tz-aware column; a CSV's offsets name no zone): its date parts are read there. Times are
    kept in UTC, so a New York midnight was hour 4 or 5 by daylight saving."""
    from tuneloop.config import valid_zone

    zones = {}
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            zone = str(frame[col].dt.tz)
            if zone.upper() not in ("UTC", "Z", "ETC/UTC") and valid_zone(zone):
                zones[str(col)] = zone
    return zones


_OFFSET = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([+-]\d{2}:?\d{2})$")


def utc_offsets(frame: pd.DataFrame) -> dict[str, str]:
    """A CSV's text columns of times written with a UTC offset other than zero (19:26-04:00),
    and one offset of each: read in UTC, their evening hours became the next day's (sweep 23),
    where a Parquet file's named zone is kept (time_zones)."""
    out = {}
    for col in frame.columns:
        if not (pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object):
            continue
        found = frame[col].dropna().astype("string").head(200).str.strip().str.extract(
            _OFFSET)[2].dropna()
        offsets = found[~found.str.fullmatch(r"[+-]00:?00")]
        if len(offsets):
            out[str(col)] = str(offsets.iloc[0])
    return out


def only_dates_without_season(frame: pd.DataFrame, features: list[str],
                               parts: list[np.ndarray]) -> str | None:
    """A note where every feature is a date and the training rows span under a year, so no
    feature carries the season (sweep 52a: an hourly water temperature, its training rows over
    270 days, its date the one feature, served a constant 79.8 against a holdout at 87.5),
    else None."""
    if len(parts) < 3 or not features or any(column_kind(frame[c]) != "datetime"
                                             for c in features):
        return None
    training = frame.iloc[np.concatenate(parts[:-2])]
    # The span itself, not the parts left: dates of 1 January over decades lack those parts
    # too, and were told "under a year" (the review).
    if any(spans_a_year(training[c].dropna()) for c in features):
        return None
    kept = {p for c in features for p in informative_parts(training[c])}
    left = [DATE_PART_WORDS.get(p, p) for p in DATE_PARTS if p in kept]
    days = max((training[c].max() - training[c].min()) / pd.Timedelta(days=1) for c in features)
    return (f"every feature is a date ({', '.join(map(repr, features))}) and the training "
            f"rows span {days:.0f} days, under a year: day of year and month become features "
            "only once they span a year, so the model learns from "
            f"{_and_list(left) if left else 'nothing'} alone and cannot follow a season; "
            "add the columns known beside the date, or start with a longer window")


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def days_since_1970(values: pd.Series) -> pd.Series:
    """Date-times as days since 1970 (floats; NaT is NaN)."""
    stamps = pd.to_datetime(values, utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)


def also_reads_as(series: pd.Series, fmt: str) -> str | None:
    """The format with day and month swapped, where it reads (almost) every one of the
    column's dates too (every day 12 or less: the text alone cannot tell which), else None."""
    if "%m" not in fmt or "%d" not in fmt:
        return None
    swapped = fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")
    text = series.dropna().astype("string")
    if text.empty or pd.to_datetime(text, errors="coerce", format=swapped).notna().mean() < 0.99:
        return None
    return swapped


def ambiguity(series: pd.Series, fmt: str) -> str:
    """A note when the column reads just as well day first (every day 12 or less), and the
    century a two-digit year is read in."""
    century = ("; a two-digit year 69-99 is read as 1969-1999, 00-68 as 2000-2068"
               if "%y" in fmt else "")
    if century:
        # A year of the 1900s written 63 reads as 2063 (the review: KMsurv's baboon dates):
        # said where a date lands after today, so the batches' order is not trusted unseen.
        read = pd.to_datetime(series.dropna().astype("string"), errors="coerce", format=fmt)
        future = read[read > pd.Timestamp.now()]
        if len(future):
            century += (f", so {len(future)} date(s) land after today (e.g. "
                        f"{future.iloc[0]:%Y-%m-%d}): if they are of the 1900s, write the "
                        "years with four digits and init again")
    swapped = also_reads_as(series, fmt)
    if swapped is None:
        return century
    # Not "set data.date_formats": the batches are stored as read, and a model serving with
    # another format than it was trained in (sweep 8) was off by 4x its error, unsaid.
    return (f"; read as {fmt}, though {swapped} fits too: if it is that, write the dates as "
            f"ISO 8601 (2024-03-01) and init again{century}")
