"""Write template.html: DVC's plots page with vega, vega-lite and vega-embed inlined.

Usage (README.md here): `npm pack vega@5.20.2 vega-lite@5.2.0 vega-embed@6.18.2`, unpack each
tarball into a folder named after it (vega-5.20.2/package/...), then
`python tuneloop/assets/dvc_plots/build.py FOLDER`. The versions are the ones dvc-render's own
page loads from a CDN, so the specs DVC writes are drawn by the same code, offline.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

LIBRARIES = (("vega", "5.20.2"), ("vega-lite", "5.2.0"), ("vega-embed", "6.18.2"))
OUT = Path(__file__).with_name("template.html")

# DVC (dvc_render.html.HTML) replaces the placeholders below; the page leaves out the scripts
# placeholder on purpose, as DVC would fill it with CDN links. No placeholder may appear
# anywhere else in the page (the scripts are checked for them).
PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
<!--
Offline page for `dvc plots show` / `dvc plots diff` (plots.html_template in .dvc/config),
written by tuneloop/assets/dvc_plots/build.py. Inlined, unmodified but for the dropped
sourceMappingURL line: %(list)s, from the npm registry (npm pack).

%(licenses)s
-->
%(scripts)s
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""
PLACEHOLDERS = ("{scripts}", "{plot_divs}", "{refresh_tag}")


def _script(folder: Path, name: str, version: str) -> tuple[str, str]:
    package = folder / f"{name}-{version}" / "package"
    text = (package / "build" / f"{name}.min.js").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("//# sourceMappingURL=")]
    code = "\n".join(lines)
    for bad in ("</script", "<!--", *PLACEHOLDERS):
        if bad in code:
            raise SystemExit(f"{name}.min.js contains {bad!r}: it cannot be inlined as is")
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    licence = (package / "LICENSE").read_text(encoding="utf-8").strip()
    return (f"<script>/* {name}@{version} sha256:{digest} */\n{code}\n</script>",
            f"{name}@{version} (BSD-3-Clause):\n{licence}")


def build(folder: Path) -> Path:
    parts = [_script(folder, name, version) for name, version in LIBRARIES]
    page = PAGE % {"list": ", ".join(f"{n}@{v}" for n, v in LIBRARIES),
                   "licenses": "\n\n".join(lic for _, lic in parts),
                   "scripts": "\n".join(code for code, _ in parts)}
    OUT.write_text(page, encoding="utf-8")
    return OUT


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
