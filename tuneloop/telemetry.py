"""Telemetry of the stack off unless the user set the variable themselves."""

import os

_OFF = {
    "DO_NOT_TRACK": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "GIT_PYTHON_REFRESH": "quiet",
}


def disable_telemetry() -> None:
    for name, value in _OFF.items():
        os.environ.setdefault(name, value)
