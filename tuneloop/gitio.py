"""git as tuneloop calls it: in the project's folder, never waiting on a person.

No terminal (stdin closed), no signing prompt, a deadline: a scheduled run holds the project
lock and must not wait on a pinentry or a hook forever. A git that is missing or too slow is
an answer with a non-zero code and a message, like any failed git command.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

TIMEOUT_S = 60


def run(root: Path, *args: str, timeout_s: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"git {args[0]} timed out after "
                                                          f"{timeout_s:g} s")
    except OSError as exc:  # no git on the PATH
        return subprocess.CompletedProcess(args, 127, "", f"git: {exc.strerror or exc}")
