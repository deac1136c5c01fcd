"""The repository itself: what a clean checkout holds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_no_tracked_link_points_outside_the_repository() -> None:
    """Session 39: a worktree's `git add -A` committed its `.venv` link to the main checkout's
    environment (the ignore rule `.venv/` matched a folder only), and merging it replaced that
    environment with a link to itself. A tracked link must stay inside the checkout."""
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listed if line.startswith("120000 ")]
    outside = [name for name in links
               if not (REPO / os.path.dirname(name) / os.readlink(REPO / name)).resolve()
               .is_relative_to(REPO)]
    assert outside == [], outside
    assert ".venv" not in {name.split("/")[0] for name in
                           subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True,
                                          text=True, check=True).stdout.splitlines()}
