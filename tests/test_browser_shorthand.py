"""The glossary card, the expansion group, why-this-hit and the export link in a real browser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from load.server import production_server
from test_browser import browser, watch_problems  # noqa: F401 - the shared Chromium fixture

from indexer import build_index

pytestmark = pytest.mark.browser

SEED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def server(shorthand_corpus, tmp_path_factory):
    """`policy-search serve` over the seed plus the shorthand corpus."""
    corpus = tmp_path_factory.mktemp("browser-shorthand-corpus")
    (corpus / "seed").symlink_to(SEED, target_is_directory=True)
    (corpus / "shorthand").symlink_to(shorthand_corpus, target_is_directory=True)
    index = tmp_path_factory.mktemp("browser-shorthand-index")
    build_index(corpus, index)
    with production_server(index, corpus, threads=4) as running:
        yield running.base


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_card_group_reasons_and_export(server, browser, width, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    problems = watch_problems(page)
    try:
        page.goto(server + "/")
        page.fill("#q", "双区")
        page.press("#q", "Enter")
        page.wait_for_url("**/search?q=*")
        card = page.locator(".glossary-card")
        assert card.locator(".term").inner_text() == "双区"
        assert card.locator(".meaning").inner_text() == "粤港澳大湾区和深圳中国特色社会主义先行示范合作区。"
        box = card.bounding_box()
        assert box is not None and box["width"] <= width and box["y"] < 400  # at the top
        card.locator(".source a").click()
        page.wait_for_url("**#p80")
        assert page.evaluate("document.querySelector(':target').id") == "p80"

        page.goto(server + "/search?q=双碳")
        assert page.locator(".results > ol.hits > .hit").count() == 2
        # the shorthand corpus's two, and the seed's paragraph 58 (推进碳达峰、碳中和工作)
        assert page.locator(".expansion-group .hit").count() == 3
        label = page.locator(".group-label").inner_text()
        assert "以下 3 个段落不含“双碳”原文" in label and "碳达峰 + 碳中和" in label
        assert page.locator(".expansion-group .why-expansion").first.inner_text() == \
            "“双碳”展开为 碳达峰 + 碳中和"
        page.screenshot(path=str(tmp_path / f"shuangtan-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        with page.expect_download() as download:
            page.locator("a.export").click()
        data = Path(download.value.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert [r["group"] for r in rows] == ["query"] * 2 + ["expansion"] * 3

        page.locator(".expand-off").click()
        page.wait_for_url("**expand=0*")
        assert page.locator(".hit").count() == 2
        assert page.locator(".expansion-group").count() == 0

        page.goto(server + "/search?q=科技企业")
        words_hit = page.locator(".hit", has=page.locator(".why-words")).first
        assert words_hit.locator(".why-words").inner_text() == "“科技企业”按分词匹配：科技 · 企业"
        words_hit.locator(".try-exact").click()
        page.wait_for_url("**mode=exact*")
        marks = page.locator(".snippet mark").all_inner_texts()
        assert set(marks) <= {"科技企业"} and page.locator(".why-words").count() == 0
        assert problems == []
    finally:
        context.close()
