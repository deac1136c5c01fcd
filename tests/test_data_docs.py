"""GX Data Docs offline: every CDN tag of GX's page templates has a bundled file (a GX upgrade
that adds one fails here), and the rewrite points pages at the site's copies."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from tuneloop.data_docs import (
    ASSETS,
    CDN,
    DROPPED,
    LOGO,
    LOGO_HOST,
    VENDOR,
    make_offline,
    offline_html,
)

_TAG_URL = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"')


def _gx_templates() -> Path:
    # Found without importing GX (seconds).
    spec = importlib.util.find_spec("great_expectations")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "render" / "view" / "templates"


def test_every_cdn_url_of_gx_templates_is_bundled_or_dropped() -> None:
    urls = {url for path in _gx_templates().glob("*.j2")
            for url in _TAG_URL.findall(path.read_text(encoding="utf-8"))}
    assert urls, "no CDN tag found: GX's templates moved"
    assert urls <= CDN.keys() | DROPPED, sorted(urls - CDN.keys() - DROPPED)
    for local in CDN.values():
        assert (ASSETS / local).is_file(), local


BOOTSTRAP_CSS = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
BOOTSTRAP_JS = "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"
PAGE = f"""<head>
<link rel="stylesheet" href="{BOOTSTRAP_CSS}"/>
<style>.navbar-brand a {{ background: url('{LOGO_HOST}full_logo_dark.png') 0 0; }}</style>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="{BOOTSTRAP_JS}" integrity="sha384-x" crossorigin="anonymous"></script>
<script src="https://example.org/unknown.js"></script>
<link rel="shortcut icon" href="../../../static/images/favicon.ico" type="image/x-icon"/>
</head><body><img src="{LOGO_HOST}logo-long.png?d=1&dataContextId=2"/>
<a href="https://greatexpectations.io">Great Expectations</a></body>"""


def test_offline_html_points_tags_into_the_site() -> None:
    html = offline_html(PAGE, "../../")
    assert f'href="../../{VENDOR}/css/bootstrap.min.css"' in html
    # Subresource Integrity on a file:// script is a CORS request the browser refuses.
    assert f'<script src="../../{VENDOR}/js/bootstrap.min.js"></script>' in html
    assert "vega" not in html
    assert html.count(f"../../{LOGO}") == 2 and "amazonaws" not in html
    assert "https://example.org/unknown.js" in html  # unknown: left as GX wrote it
    assert 'href="../../static/images/favicon.ico"' in html  # GX's climbs one folder too few
    assert '<a href="https://greatexpectations.io">' in html  # a link, not a resource
    assert offline_html(html, "../../") == html


def test_make_offline_copies_assets_and_rewrites_nested_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    page = site / "validations" / "s" / "run" / "t" / "b.html"
    page.parent.mkdir(parents=True)
    page.write_text(PAGE)
    (site / "index.html").write_text(PAGE)
    assert make_offline(site) == [site / "index.html", page]
    assert f'src="../../../../{VENDOR}/js/bootstrap.min.js"' in page.read_text()
    assert (page.parent / f"../../../../{VENDOR}/js/bootstrap.min.js").is_file()
    assert f'href="{VENDOR}/css/bootstrap.min.css"' in (site / "index.html").read_text()
    assert (site / VENDOR / "webfonts" / "fa-solid-900.woff2").is_file()  # fontawesome's CSS
    assert make_offline(site) == []  # nothing left to rewrite
