"""Shared fixtures: a small known corpus, a real index built from it, and the web app over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import build_index

# The corpus cleaner strips tags but decodes entities, so entities are how a literal
# "<script>" gets into indexed text; the web layer must then escape it everywhere.
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
XSS_JS_URL = "javascript:alert(1)"


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


WEB_CORPUS = {
    "2021_乡村振兴工作报告.md": """# 2021年乡村振兴工作报告

## 一、总体情况

乡村振兴是新时代三农工作的总抓手，本年度全面推进乡村振兴。

农业生产稳定发展，粮食产量再创新高。

## 二、重点任务

推动乡村振兴与人才培养相结合，全年引进农业人才一千人。

加强高新技术企业认定工作，扶持科技型中小企业发展。
""",
    "2023_科技创新规划.md": """# 2023年科技创新规划

## 一、发展目标

培育高新技术企业五百家，科技创新能力显著增强。

以科技创新支撑乡村振兴，建设农业科技园区。

## 二、保障措施

完善财政投入机制，加大对基础研究的支持。
""",
    "2019_产业发展报告.md": "# 2019年产业发展报告\n\n## 一、产业概况\n\n" + "\n\n".join(
        f"第{n}项产业措施：推动制造业发展，提升产业链水平。" for n in range(1, 13)) + "\n",
    "2022_安全测试通知.md": _entities(f"""# 关于{XSS_SCRIPT}{XSS_IMG}{XSS_JS_URL}的通知

## 一、测试{XSS_SCRIPT}章节

本段包含注入样本{XSS_SCRIPT}以及{XSS_IMG}和{XSS_JS_URL}等内容。

另一段普通文字，用于检验注入样本不会执行。
"""),
}


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (name → text) into ``folder`` as UTF-8 and return it."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def app_over(index: Path, corpus: Path):
    """The Flask app over a real index (page size 10)."""
    from webapp import create_app
    return create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                       "PAGE_SIZE": 10, "TESTING": True})


@pytest.fixture(scope="session")
def web_corpus(tmp_path_factory) -> Path:
    """A folder with four small documents whose paragraphs the web tests know."""
    return write_corpus(tmp_path_factory.mktemp("web-corpus"), WEB_CORPUS)


@pytest.fixture(scope="session")
def web_index(web_corpus, tmp_path_factory) -> Path:
    """A real index built from ``web_corpus``."""
    index = tmp_path_factory.mktemp("web-index")
    # One build process: the tiny corpus gains nothing from more, and it keeps the fixture
    # independent of the parallel builder (being reworked at the time of writing).
    build_index(web_corpus, index)
    return index


@pytest.fixture(scope="session")
def web_app(web_corpus, web_index):
    """The Flask app over the real index (page size 10)."""
    return app_over(web_index, web_corpus)


@pytest.fixture()
def client(web_app):
    """A Flask test client for ``web_app``."""
    return web_app.test_client()


@pytest.fixture()
def no_index_client(tmp_path):
    """A client of an app whose index folder is empty (nothing built yet)."""
    from webapp import create_app
    empty = tmp_path / "empty-index"
    empty.mkdir()
    app = create_app({"INDEX_DIR": str(empty), "CORPUS_DIR": str(tmp_path / "corpus"),
                      "PAGE_SIZE": 10, "TESTING": True})
    return app.test_client()


# A corpus written for the glossary, abbreviation, why-this-hit and export tests
# (tests/test_glossary.py, test_expansion.py, test_export.py): every paragraph's part in
# those tests is known from the text below.
SHORTHAND_CORPUS = {
    "2023_绿色发展工作报告.md": """# 2023年绿色发展工作报告

## 一、工作回顾

全面推进双碳工作，落实碳达峰碳中和目标任务。

积极稳妥推进碳达峰碳中和，扎实开展碳达峰十大行动。

制定碳达峰行动方案，推动能源结构优化。

做好碳中和与碳达峰各项工作，完善能耗管理。

双碳目标引领绿色转型。

中国国际进口博览会（以下简称“进博会”）在上海成功举办。

本办法所称“小微企业”是指小型企业和微型企业。

培育科技型企业三百家。

## 名词解释

1.两新:大规模设备更新和消费品以旧换新。

2.“四上”企业：

规模以上工业、有资质的建筑业和限额以上批发零售业法人单位的统称。

3.三个一：一张蓝图、一套机制、一个平台。
""",
    "2024_工作要点.md": """# 2024年工作要点

## 一、重点任务

办好第七届中国国际进口博览会。

坚持一张蓝图绘到底，建立一套机制和一个平台。

支持四上企业扩大生产。
""",
}


@pytest.fixture(scope="session")
def shorthand_corpus(tmp_path_factory) -> Path:
    """A folder with the two documents of ``SHORTHAND_CORPUS``."""
    return write_corpus(tmp_path_factory.mktemp("shorthand-corpus"), SHORTHAND_CORPUS)


@pytest.fixture(scope="session")
def shorthand_index(shorthand_corpus, tmp_path_factory) -> Path:
    """A real index built from ``shorthand_corpus``."""
    index = tmp_path_factory.mktemp("shorthand-index")
    build_index(shorthand_corpus, index)
    return index


@pytest.fixture(scope="session")
def shorthand_app(shorthand_corpus, shorthand_index):
    """The Flask app over ``shorthand_index`` (page size 10)."""
    return app_over(shorthand_index, shorthand_corpus)
