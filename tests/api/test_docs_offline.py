"""/docs is served from vendored Swagger UI: no asset comes from another host."""

import re

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_docs_load_only_local_assets():
    with TestClient(create_app(Settings(layout_warm_up=False, symbolic_warm_up=False))) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(urls) == 3 and all(u.startswith("/static/vendor/swagger-ui/") for u in urls)
        for u in urls:
            asset = c.get(u)
            assert asset.status_code == 200 and len(asset.content) > 500
        assert "http://" not in page.text.replace('"http://www.w3.org', "") and "https://" not in page.text
