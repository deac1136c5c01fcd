"""Names of the Prefect events tuneloop emits, shared by the flow that emits and the trigger."""

from __future__ import annotations

import hashlib
from pathlib import Path


def project_resource_id(root: Path) -> str:
    """The event resource of one project: its folder name for people, a hash of its full path
    so two projects in folders of the same name never trigger each other's re-tune."""
    path = root.resolve()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return f"tuneloop.project.{path.name}.{digest}"
