"""The real server (waitress via `policy-search serve`) driven by headless Chromium."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest
from load.server import production_server

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("POLICY_SEARCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def running(web_corpus, web_index):
    """`policy-search serve` over the test index on a free port."""
    with production_server(web_index, web_corpus, threads=4) as server:
        yield server


@pytest.fixture(scope="module")
def server(running):
    """The base URL of ``running``."""
    return running.base


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt install chromium, or set POLICY_SEARCH_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def watch_problems(page) -> list[str]:
    """The console errors and warnings and script errors of ``page``, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_the_url_the_server_prints_is_where_it_answers(running):
    printed = re.search(r"serving .* on (http://\S+/) \(4 threads", running.log())
    assert printed, running.log()
    with urllib.request.urlopen(printed.group(1), timeout=10) as answer:
        assert answer.status == 200
        assert "<form" in answer.read().decode("utf-8")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_search_click_and_land_on_the_marked_paragraph(server, browser, javascript):
    context = browser.new_context(viewport={"width": 390, "height": 640},
                                  java_script_enabled=javascript)
    page = context.new_page()
    problems = watch_problems(page)
    try:
        page.goto(server + "/")
        assert page.evaluate("document.activeElement.id") == "q"  # autofocus
        page.fill("#q", "乡村振兴")
        page.press("#q", "Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator(".hit").count() == 4
        assert page.locator(".snippet mark").count() == 5
        assert page.locator(".snippet mark").first.inner_text() == "乡村振兴"
        assert page.locator(".total").inner_text() == "4"

        # An exact search for a paragraph near the end of a 14-paragraph document.
        page.goto(server + "/")
        page.check("input[name=mode][value=exact]")
        page.fill("#q", "第12项")
        page.click("button[type=submit]")
        page.wait_for_url("**/search?q=*mode=exact*")
        assert page.locator(".hit").count() == 1
        assert page.locator(".snippet mark").inner_text() == "第12项"
        page.locator(".hit-title a").click()
        page.wait_for_url("**/doc/**#p14")
        page.wait_for_load_state("load")

        target = page.locator("#p14")
        box = target.bounding_box()
        viewport = page.viewport_size
        assert box is not None
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], box
        assert page.evaluate("window.scrollY") > 0
        assert page.evaluate("document.querySelector(':target').id") == "p14"
        assert target.locator("mark").inner_text() == "第12项"
        assert "matched" in target.get_attribute("class")
        if javascript:
            assert "is-target" in target.get_attribute("class")
        # :target styling is visible either way (a tinted background).
        assert target.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 248, 225)"
        assert problems == []  # no CSP violations, no script errors
    finally:
        context.close()


def test_match_navigation_moves_between_matched_paragraphs(server, browser, web_app):
    with web_app.test_client() as client:
        docs = {d["year"]: d["doc_id"] for d in client.get("/api/stats").get_json()["docs"]}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/doc/{docs[2021]}?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4#p3")
        page.locator("#p3 .match-next").click()
        page.wait_for_url("**#p6")
        assert page.evaluate("document.querySelector(':target').id") == "p6"
        assert page.locator(".para.is-target").get_attribute("id") == "p6"
        page.keyboard.press("p")  # app.js: previous match
        page.wait_for_url("**#p3")
        assert page.locator(".para.is-target").get_attribute("id") == "p3"
    finally:
        context.close()
