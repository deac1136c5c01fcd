"""GX Data Docs that open offline: the CSS, JS and fonts their pages load from CDNs are bundled
(tuneloop/assets/data_docs), copied into the docs site and linked relatively.

Without this an offline browser shows the pages unstyled and the index empty: its table is drawn
by bootstrap-table, from a CDN. GX offers no template override for these tags (its own templates
come first in its loader), so the pages GX just wrote are rewritten after each build.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tuneloop.io import atomic_path

ASSETS = Path(__file__).parent / "assets" / "data_docs"
VENDOR = "static/vendor"  # inside the docs site, beside GX's own static/images and styles
KINDS = ("css", "js", "webfonts")  # the bundled folders; fontawesome's CSS finds ../webfonts

# Every CDN URL in GX 1.24's page templates (render/view/templates), and the bundled file that
# replaces it. tests/test_data_docs.py fails when a GX upgrade adds one that is not here.
CDN = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "css/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "css/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "css/fontawesome-all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "js/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "js/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
}
# Chart libraries: drawn only for expectations tuneloop's suites never use, so not bundled;
# their tags are removed rather than left to fail (or to fetch) on every page.
DROPPED = {
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
}
# The navbar logo (an <img> and a CSS background) comes from GX's web bucket; GX ships the
# light one in the site's static/images.
LOGO_HOST = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
LOGO = "static/images/logo-long.png"

_TAG = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"[^>]*>'
                  r'(?:\s*</script>)?')
# A local file loaded with Subresource Integrity from file:// is a CORS request Chromium refuses.
_SRI = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')
_LOGO = re.compile(re.escape(LOGO_HOST) + r'[\w.-]+\.png(?:\?[^"\')]*)?')
# A link to the site's static folder, re-rooted: GX's favicon tag climbs one folder too few
# on validation pages (a broken link, offline or not).
_STATIC = re.compile(r'\b((?:src|href)=")(?:\.\.?/)*static/')


def offline_html(html: str, to_root: str) -> str:
    """The page with every bundled CDN tag pointing into the site (`to_root`: the relative
    path from the page to the site root, "" or "../.."-style with a trailing slash)."""
    def local(match: re.Match[str]) -> str:
        url = match[1]
        if url in DROPPED:
            return ""
        if url not in CDN:
            return match[0]  # unknown: left as GX wrote it (the test of CDN catches it)
        return _SRI.sub("", match[0].replace(url, f"{to_root}{VENDOR}/{CDN[url]}"))

    html = _LOGO.sub(f"{to_root}{LOGO}", _TAG.sub(local, html))
    return _STATIC.sub(lambda m: f"{m[1]}{to_root}static/", html)


def install_assets(site: Path) -> bool:
    """Copy the bundled files into the site (a file already there is kept); return whether
    any was missing."""
    copied = False
    for kind in KINDS:
        for source in (ASSETS / kind).iterdir():
            target = site / VENDOR / kind / source.name
            if not target.is_file() or target.stat().st_size != source.stat().st_size:
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
                copied = True
    return copied


def make_offline(site: Path, since: float | None = None) -> list[Path]:
    """Bundle the assets into the site and rewrite its pages (those written at or after
    `since`, a time stamp; all when None) to use them. Return the pages rewritten."""
    if install_assets(site):
        since = None  # a site new to the assets: pages GX wrote before are rewritten too
    changed = []
    for page in sorted(site.rglob("*.html")):
        if since is not None and page.stat().st_mtime < since:
            continue
        to_root = os.path.relpath(site, page.parent).replace(os.sep, "/")
        html = page.read_text(encoding="utf-8")
        offline = offline_html(html, "" if to_root == "." else f"{to_root}/")
        if offline != html:
            with atomic_path(page) as tmp:
                tmp.write_text(offline, encoding="utf-8")
            changed.append(page)
    return changed
