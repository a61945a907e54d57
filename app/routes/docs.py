"""GET /docs: the OpenAPI UI from our own vendored Swagger UI (static/vendor/swagger-ui), so the
API reference works offline; FastAPI's default would load it from a CDN. Served with a CSP that
runs only that bundle and the page's one inline start-up script (allowed by its hash)."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
VENDOR = "/static/vendor/swagger-ui"

#: The page is the same on every request: built once, with its inline scripts hashed.
PAGE = get_swagger_ui_html(openapi_url="/openapi.json", title="chainrule API",
                           swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
                           swagger_css_url=f"{VENDOR}/swagger-ui.css",
                           swagger_favicon_url=f"{VENDOR}/favicon-32x32.png").body


def _script_hashes(html: bytes) -> str:
    inline = re.findall(rb"<script>(.*?)</script>", html, flags=re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in inline)


#: Swagger UI sets inline styles and draws icons from data: URLs; it fetches /openapi.json and
#: sends "Try it out" requests to this origin only.
DOCS_CSP = (f"default-src 'self'; script-src 'self' {_script_hashes(PAGE)}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP})
