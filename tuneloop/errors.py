"""Errors a user sees as one line: what went wrong, and which file, column or key."""


class TuneloopError(Exception):
    """Base for every error tuneloop reports to the user without a traceback."""


class ConfigError(TuneloopError):
    """params.yaml (or an override) is invalid."""


class DataError(TuneloopError):
    """An input file cannot be read or has the wrong shape."""


class InitError(TuneloopError):
    """`tuneloop init` cannot make a project from what it was given."""


class ValidationFailed(TuneloopError):
    """A batch failed its Great Expectations suite."""


class StudyFailed(TuneloopError):
    """A tuning study ended with no completed trial."""


class NoFeasibleTrial(StudyFailed):
    """Trials completed, but none met the limits of `constraints:`: nothing may be selected."""


class StoreError(TuneloopError):
    """An infrastructure resource (the tracking store, the registry, a remote) is locked,
    read-only or unreachable: never an answer such as "no champion", always a stop."""
