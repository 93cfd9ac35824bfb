"""Shared fixtures: a small known corpus, a real index built from it, and the web app over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import build_index
from tests.cluster.fixture import opensearch_cluster  # noqa: F401  (the session's OpenSearch cluster)

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


def written_corpus(tmp_path_factory, name: str, files: dict[str, str]) -> Path:
    """A new temporary folder holding ``files`` (name → UTF-8 text)."""
    corpus = tmp_path_factory.mktemp(name)
    for file_name, text in files.items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    return corpus


def app_over(index: Path, corpus: Path):
    """The Flask app over a real index (page size 10)."""
    from webapp import create_app
    return create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                       "PAGE_SIZE": 10, "TESTING": True})


@pytest.fixture(scope="session")
def web_corpus(tmp_path_factory) -> Path:
    """A folder with four small documents whose paragraphs the web tests know."""
    return written_corpus(tmp_path_factory, "web-corpus", WEB_CORPUS)


@pytest.fixture(scope="session")
def web_index(web_corpus, tmp_path_factory) -> Path:
    """A real index built from ``web_corpus``."""
    return built_index(tmp_path_factory, "web-index", web_corpus)


def built_index(tmp_path_factory, name: str, corpus: Path) -> Path:
    """A new temporary folder holding a real index of ``corpus``."""
    index = tmp_path_factory.mktemp(name)
    build_index(corpus, index)
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


SERIES_CORPUS = {
    # Two years of one city's work report (a series) and a regulation (another kind).
    "2022_江门市_政府工作报告.md": """# 2022年江门市政府工作报告

## 一、2021年工作回顾

乡村振兴取得新进展，全年新建高标准农田十万亩。

制造业稳步发展，工业增加值增长百分之八。

## 二、2022年主要任务

全面推进乡村振兴，巩固拓展脱贫攻坚成果，乡村振兴示范村达到三十个。

加快建设营商环境一流城市。
""",
    "2023_江门市_政府工作报告.md": """# 2023年江门市政府工作报告

## 一、2022年工作回顾

乡村振兴取得新进展，全年新建高标准农田十二万亩。

制造业稳步发展，低空经济起步良好。

## 二、发展新质生产力

培育新质生产力，推动低空经济和乡村振兴融合发展。

加快建设营商环境一流城市。
""",
    "2023_江门市_河道管理条例.md": """# 江门市河道管理条例

第一条 为了加强河道管理，制定本条例。

第二条 本市实行河长制，乡村振兴与河道治理统筹推进。
""",
}


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
def series_corpus(tmp_path_factory) -> Path:
    """Two yearly reports of one series and a regulation: trends, 新提法 and comparison."""
    return written_corpus(tmp_path_factory, "series-corpus", SERIES_CORPUS)


@pytest.fixture(scope="session")
def series_index(series_corpus, tmp_path_factory) -> Path:
    """A real index built from ``series_corpus``."""
    return built_index(tmp_path_factory, "series-index", series_corpus)


@pytest.fixture(scope="session")
def shorthand_corpus(tmp_path_factory) -> Path:
    """A folder with the two documents of ``SHORTHAND_CORPUS``."""
    return written_corpus(tmp_path_factory, "shorthand-corpus", SHORTHAND_CORPUS)


@pytest.fixture(scope="session")
def shorthand_index(shorthand_corpus, tmp_path_factory) -> Path:
    """A real index built from ``shorthand_corpus``."""
    return built_index(tmp_path_factory, "shorthand-index", shorthand_corpus)


@pytest.fixture(scope="session")
def shorthand_app(shorthand_corpus, shorthand_index):
    """The Flask app over ``shorthand_index`` (page size 10)."""
    return app_over(shorthand_index, shorthand_corpus)
