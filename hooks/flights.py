"""The flights project's prepare hook: a raw batch of NYC flights -> the table tuneloop learns.

Run at ingest (on each arriving month) and by the served model (on raw rows to score). It labels
each flight `late` (arrival more than 15 minutes after schedule) when the batch carries the
arrival delay, joins the hourly weather at the origin (weather.parquet beside this file, logged
with the model), adds scheduling-time features, and keeps only what is known at scheduling time:
the post-departure columns (dep_time, dep_delay, arr_time, air_time, arr_delay) are dropped here.
params.yaml forbids them in the prepared table, so a hook that let one through would have every
batch rejected. Unlabelled rows (to score) come back one per raw row, in the caller's order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

LATE_MINUTES = 15
WEATHER = ("temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure",
           "visib")
KEEP = ("flight_id", "time_hour", "carrier", "origin", "dest", "distance", "dep_hour",
        "dep_minute", "arr_hour", *WEATHER)


@cache
def _weather() -> pd.DataFrame:
    weather = pd.read_parquet(Path(__file__).with_name("weather.parquet"))
    weather["time_hour"] = pd.to_datetime(weather["time_hour"], utc=True)
    # The raw table repeats a few hours (DST change); keep one reading per hour and origin.
    return weather[["origin", "time_hour", *WEATHER]].drop_duplicates(["origin", "time_hour"])


def prepare(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.copy()
    labelled = "arr_delay" in frame.columns
    if labelled:  # cancelled and diverted flights have no arrival delay: no label
        frame = frame[frame["arr_delay"].notna()]
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True)
    frame["flight_id"] = (
        frame["year"].astype(str) + "-" + frame["month"].astype(str).str.zfill(2) + "-"
        + frame["day"].astype(str).str.zfill(2) + "-" + frame["carrier"]
        + frame["flight"].astype(str) + "-" + frame["origin"] + "-"
        + frame["sched_dep_time"].astype(str))
    frame["dep_hour"] = frame["sched_dep_time"] // 100
    frame["dep_minute"] = frame["sched_dep_time"] % 100
    frame["arr_hour"] = frame["sched_arr_time"] // 100
    frame = frame.merge(_weather(), on=["origin", "time_hour"], how="left",
                        validate="many_to_one")
    if not labelled:
        # Rows to score: one prepared row per raw row, in the caller's order and index.
        return frame[list(KEEP)]
    frame["late"] = (frame["arr_delay"] > LATE_MINUTES).astype("int64")
    frame = frame.drop_duplicates("flight_id")
    return frame.sort_values(["time_hour", "flight_id"], kind="stable")[[*KEEP, "late"]] \
        .reset_index(drop=True)
