"""The trend chart and the comparison page in headless Chromium, on a desktop and a phone."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from load.server import production_server

from test_browser import browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(series_corpus, series_index):
    """`policy-search serve` over the two-year series corpus."""
    with production_server(series_index, series_corpus, threads=4) as running:
        yield running.base


def open_page(browser, viewport, javascript=True):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS[viewport], java_script_enabled=javascript)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_trend_chart_shows_and_a_year_opens_its_search(server, browser, viewport):  # noqa: F811
    context, page, problems = open_page(browser, viewport, javascript=False)
    try:
        page.goto(f"{server}/search?q={quote('乡村振兴')}")
        page.locator("a.trend-link").click()
        page.wait_for_url("**/trends?q=*")
        chart = page.locator(".trend-chart svg.chart:visible")
        assert chart.count() == 1  # one rendering per screen size
        box = chart.bounding_box()
        assert box["width"] >= VIEWPORTS[viewport]["width"] * 0.75
        assert box["height"] >= 200
        assert chart.locator("polyline").count() == 1
        assert chart.locator("circle").count() == 2  # 2022 and 2023 both have occurrences
        assert page.locator(".trend-table tbody tr").count() == 2
        page.screenshot(path=str(_shot(f"trends-{viewport}.png")))
        chart.locator("a.hit-area").nth(1).click()  # 2023
        page.wait_for_url("**/search?*")
        assert "year_from=2023" in page.url and "year_to=2023" in page.url
        assert page.locator(".hit").count() == 3
        assert problems == []  # no CSP violation from the inline SVG
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_comparison_page_from_the_document_page(server, browser, viewport):  # noqa: F811
    context, page, problems = open_page(browser, viewport)
    try:
        page.goto(f"{server}/search?q={quote('低空经济起步良好')}&mode=exact")
        page.locator(".hit-title a").first.click()
        page.wait_for_url("**/doc/**")
        page.locator("a.compare-link").click()
        page.wait_for_url("**/compare?a=*")
        assert page.locator(".compare-row").count() == 9
        changed = page.locator(".compare-row.status-changed", has_text="低空经济起步良好")
        assert changed.locator("ins").inner_text() == "低空经济起步良好"
        assert changed.locator("del").inner_text() == "工业增加值增长百分之八"
        assert changed.evaluate("e => getComputedStyle(e.querySelector('ins')).backgroundColor") \
            == "rgb(220, 252, 231)"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"]  # nothing sticks out on a phone
        page.screenshot(path=str(_shot(f"compare-{viewport}.png")), full_page=True)
        page.locator(".compare-row.status-new a.para-b").first.click()
        page.wait_for_url("**/doc/**#p5")
        assert problems == []
    finally:
        context.close()


def _shot(name: str):
    from pathlib import Path
    import tempfile
    folder = Path(tempfile.gettempdir()) / "policy-search-screens"
    folder.mkdir(exist_ok=True)
    return folder / name
