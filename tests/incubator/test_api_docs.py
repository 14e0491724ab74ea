"""The interactive API docs load nothing from outside: every asset is served by the app."""

import re

from fastapi.testclient import TestClient


def test_api_docs_page_and_its_assets_are_served_by_the_app(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"(src|href)=['\"]https?://", page.text), "the docs page must not load anything from outside"
    for asset in re.findall(r"(?:src|href)=['\"](/[^'\"]+)['\"]", page.text):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/docs/oauth2-redirect").status_code == 200
