"""Tests for indexer.ingest.documents: real files written to tmp_path, no mocks."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.ingest.documents import (
    Document,
    DocumentError,
    Skipped,
    decode_bytes,
    iter_corpus_files,
    make_doc_id,
    read_corpus,
    read_document,
)

SEED_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEED_FILE = SEED_CORPUS / "2022_江门市江海区_政府工作报告.txt"
SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

REPORT = (
    "2023年示范市政府工作报告\n"
    "\n"
    "各位代表：\n"
    "现在，我代表市人民政府向大会报告工作，请予审议。\n"
    "一、2022年工作回顾\n"
    "过去一年，全市经济运行稳中向好。\n"
)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def texts(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def by_text(document: Document, text: str):
    return next(p for p in document.paragraphs if p.text == text)


# ---------------------------------------------------------------- the seed document


@pytest.fixture(scope="module")
def seed() -> Document:
    return read_document(SEED_FILE, SEED_CORPUS)


def test_seed_metadata(seed):
    assert seed.title == "2022年江门市江海区人民政府工作报告"
    assert seed.year == 2022
    assert seed.date == "2022-01-26"
    assert seed.region == "江门市江海区"
    assert seed.source == "2022_江门市江海区_政府工作报告.txt"
    assert seed.content_hash == hashlib.sha256(SEED_FILE.read_bytes()).hexdigest()
    assert seed.doc_id == make_doc_id("2022_江门市江海区_政府工作报告.txt")


def test_seed_furniture_is_gone(seed):
    for furniture in ("浏览数", "字体大小", "打印本页", "保护视力色", "文章来源", "视频解读", "图片解读"):
        assert not any(furniture in text for text in texts(seed)), furniture
    assert "6" not in texts(seed)  # trailing page number


def test_seed_first_paragraphs(seed):
    assert texts(seed)[:8] == [
        "2022年江门市江海区人民政府工作报告",
        "江海区十一届人大二次会议文件之一",
        "政府工作报告",
        "——2022120日在江门市江海区第十一届人民代表大会第二次会议上",
        "江海区区长 郑丹辉",
        "各位代表:",
        "我代表江海区人民政府向大会作工作报告,请予审议,并请政协委员和列席人员提出意见。",
        "2021年工作回顾",
    ]
    assert [p.para for p in seed.paragraphs] == list(range(1, len(seed.paragraphs) + 1))


def test_seed_headings_and_sections(seed):
    title = seed.paragraphs[0]
    assert (title.heading, title.level, title.section) == (True, 1, "")
    review = by_text(seed, "2021年工作回顾")
    assert (review.heading, review.level, review.section) == (True, 2, "")
    economy = by_text(seed, "一、经济发展稳中向好")
    assert (economy.heading, economy.level, economy.section) == (True, 3, "2021年工作回顾")
    body = seed.paragraphs[economy.para]  # the paragraph right after the heading
    assert body.text.startswith("综合实力再上台阶。")
    assert (body.heading, body.level, body.section) == (False, 0, "2021年工作回顾 › 一、经济发展稳中向好")
    plan = by_text(seed, "2022年目标任务和工作安排")
    assert (plan.level, plan.section) == (2, "")
    first_task = by_text(seed, "一、坚持创新引领扩容提质,开创高新区争先进位新局面")
    assert (first_task.heading, first_task.level, first_task.section) == (True, 3, "2022年目标任务和工作安排")
    glossary = by_text(seed, "名词解释")
    assert (glossary.heading, glossary.level, glossary.section) == (True, 2, "")
    entry = by_text(seed, "1.双区:粤港澳大湾区和深圳中国特色社会主义先行示范合作区。")
    assert (entry.heading, entry.level, entry.section) == (False, 0, "名词解释")


def test_seed_keeps_body_lines_without_final_punctuation(seed):
    assert any(t.startswith("产业发展量质齐升。") for t in texts(seed))
    assert any(t.endswith("三次产业比例预计调整为2.1:55.5:42.4") for t in texts(seed))


def test_seed_paragraphs_are_stable(seed):
    again = read_document(SEED_FILE, SEED_CORPUS)
    assert again == seed


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("gbk"),
        lambda s: s.encode("gb18030"),
        lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
        lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.replace("\n", "\r\n").encode("utf-8"),
        lambda s: s.replace("\n", "\r").encode("gbk"),
    ],
    ids=["gbk", "gb18030", "utf16-le-bom", "utf16-be-bom", "utf8-bom", "crlf", "cr-gbk"],
)
def test_encodings_give_identical_paragraphs(tmp_path, encode):
    path = write(tmp_path / "2023_示范市_政府工作报告.txt", encode(REPORT))
    document = read_document(path, tmp_path)
    assert texts(document) == [
        "2023年示范市政府工作报告",
        "各位代表：",
        "现在，我代表市人民政府向大会报告工作，请予审议。",
        "一、2022年工作回顾",
        "过去一年，全市经济运行稳中向好。",
    ]
    assert document.region == "示范市"
    assert document.year == 2023


def test_gb18030_only_characters(tmp_path):
    text = "𠮷野家条例\n第一条 本条例适用于𠮷野家。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert decode_bytes(text.encode("gb18030")) == text


def test_decode_bytes_rejections():
    with pytest.raises(DocumentError) as empty:
        decode_bytes(b"")
    assert empty.value.reason == "empty file"
    with pytest.raises(DocumentError) as blank:
        decode_bytes(b" \r\n\t\r\n")
    assert blank.value.reason == "empty file (whitespace only)"
    with pytest.raises(DocumentError) as binary:
        decode_bytes(b"PK\x03\x04\x00\x00binary")
    assert binary.value.reason == "binary file (NUL bytes)"
    with pytest.raises(DocumentError) as undecodable:
        decode_bytes(b"\xff\xff\xff\xfe\xfd")
    assert undecodable.value.reason == "cannot decode as UTF-8, UTF-16 or GB18030"


def test_bad_files_are_skipped_and_the_rest_is_read(tmp_path):
    write(tmp_path / "a_good.txt", REPORT)
    write(tmp_path / "b_undecodable.txt", b"\xff\xff\xff\xfe\xfd")
    write(tmp_path / "c_empty.txt", b"")
    write(tmp_path / "d_binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path / "e_good.md", "# 示范条例\n\n第一条 为了示范，制定本条例。\n")
    results = list(read_corpus(tmp_path))
    assert [(type(r).__name__, r.source) for r in results] == [
        ("Document", "a_good.txt"),
        ("Skipped", "b_undecodable.txt"),
        ("Skipped", "c_empty.txt"),
        ("Skipped", "d_binary.txt"),
        ("Document", "e_good.md"),
    ]
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "cannot decode as UTF-8, UTF-16 or GB18030",
        "empty file",
        "binary file (NUL bytes)",
    ]


READ_CORPUS = ("import sys; from indexer.ingest.documents import read_corpus; "
               "print([(type(r).__name__, r.source, getattr(r, 'reason', '')) "
               "for r in read_corpus(sys.argv[1])])")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_unreadable_file_is_skipped(tmp_path):
    # Root ignores file modes, so the reading process runs without the capabilities that let it.
    prefix = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop root's permission override")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    locked = write(tmp_path / "locked.txt", REPORT)
    write(tmp_path / "open.txt", REPORT)
    locked.chmod(0)
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", READ_CORPUS, str(tmp_path)],
                              capture_output=True, text=True, check=False)
    finally:
        locked.chmod(0o644)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ("[('Skipped', 'locked.txt', 'unreadable: Permission denied'), "
                           "('Document', 'open.txt', '')]\n")


def test_dangling_symlink_is_skipped_not_raised(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    write(tmp_path / "ok.txt", REPORT)
    results = list(read_corpus(tmp_path))
    assert results[0] == Skipped("gone.txt", "unreadable: No such file or directory")
    assert isinstance(results[1], Document)


def test_only_furniture_is_skipped(tmp_path):
    write(tmp_path / "toolbar.txt", "下载\n打印\n全屏\n收藏\n【字号：\n加大\n还原\n减小\n】\n")
    assert list(read_corpus(tmp_path)) == [Skipped("toolbar.txt", "no text left after removing page furniture")]


# ---------------------------------------------------------------- walking the corpus


def test_iter_corpus_files_order_and_filters(tmp_path):
    for name in ("b/二.txt", "a.txt", "a/z.md", "userdict.txt", "sub/userdict.txt", ".hidden.txt",
                 ".git/x.txt", "notes.xls", "C.TXT"):
        write(tmp_path / name, REPORT)
    relative = [p.relative_to(tmp_path).as_posix() for p in iter_corpus_files(tmp_path)]
    # Every file is considered (a format no reader takes is a Skipped with its reason).
    assert relative == ["C.TXT", "a.txt", "a/z.md", "b/二.txt", "notes.xls", "sub/userdict.txt"]


def test_symlink_loop_terminates(tmp_path):
    write(tmp_path / "docs/report.txt", REPORT)
    (tmp_path / "docs/loop").symlink_to(tmp_path / "docs", target_is_directory=True)
    (tmp_path / "docs/up").symlink_to(tmp_path, target_is_directory=True)
    relative = [p.relative_to(tmp_path).as_posix() for p in iter_corpus_files(tmp_path)]
    assert relative == ["docs/report.txt"]
    assert [r.source for r in read_corpus(tmp_path)] == ["docs/report.txt"]


def test_symlinked_folder_is_followed(tmp_path):
    shared = tmp_path / "elsewhere"
    write(shared / "law.txt", REPORT)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "linked").symlink_to(shared, target_is_directory=True)
    assert [r.source for r in read_corpus(corpus)] == ["linked/law.txt"]


def test_names_with_spaces_and_chinese(tmp_path):
    path = write(tmp_path / "省 级/2026 年 北京市 政府工作报告.txt", REPORT)
    document = read_document(path, tmp_path)
    assert document.source == "省 级/2026 年 北京市 政府工作报告.txt"
    assert document.doc_id == "2026-" + hashlib.sha1(document.source.encode()).hexdigest()[:10]


# ---------------------------------------------------------------- doc ids


def test_doc_id_is_stable_url_safe_and_unique():
    paths = [
        "2022_江门市江海区_政府工作报告.txt",
        "laws/宪法/宪法.txt",
        "laws/宪法相关法/宪法.txt",
        "a b/Report (final) v2.md",
        "gbk-scraped/1989.txt",
        "national-reports/1954_1954年中华人民共和国国务院政府工作报告.txt",
    ]
    ids = [make_doc_id(p) for p in paths]
    assert ids == [make_doc_id(p) for p in paths]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    assert ids[0] == "2022-" + hashlib.sha1(paths[0].encode("utf-8")).hexdigest()[:10]
    assert ids[1] == hashlib.sha1(b"laws/\xe5\xae\xaa\xe6\xb3\x95/\xe5\xae\xaa\xe6\xb3\x95.txt").hexdigest()[:10]
    assert ids[3] == "report-final-v2-" + hashlib.sha1(paths[3].encode("utf-8")).hexdigest()[:10]


# ---------------------------------------------------------------- cleanup rules


def test_scraped_page_furniture(tmp_path):
    page = "\n".join([
        "您的位置:", "首页", ">", "要闻", ">", "本地要闻", "本地要闻",
        "下载", "打印", "全屏", "收藏", "【字号：", "加大", "还原", "减小", "】",
        "2026年示范省政府工作报告",
        "——2026年1月25日在示范省第十六届人民代表大会第四次会议上",
        "来源：示范日报",
        "发表时间：", "2026-02-02 09:20:00",
        "示范省省长 张三",
        "张三同志作政府工作报告。本报记者 李四摄",
        "各位代表：",
        "一、2025年工作回顾",
        "2025年是收官之年。全省经济稳中向好。",
        "（一）产业升级",
        "新兴产业快速增长，发展后劲增强。",
        "各位代表！让我们团结奋斗！",
        "分享到：", "微信 微博", "扫一扫在手机打开当前页", "【", "打印本页", "】", "【", "关闭窗口", "】",
        "（责任编辑：王五）",
        "相关报道：", "示范省召开人代会", "代表热议政府工作报告",
        "版权所有：示范省人民政府 主办单位：示范省政府办公厅 ICP备12345678号",
    ])
    document = read_document(write(tmp_path / "page.txt", page), tmp_path)
    assert texts(document) == [
        "2026年示范省政府工作报告",
        "——2026年1月25日在示范省第十六届人民代表大会第四次会议上",
        "示范省省长 张三",
        "各位代表：",
        "一、2025年工作回顾",
        "2025年是收官之年。全省经济稳中向好。",
        "（一）产业升级",
        "新兴产业快速增长，发展后劲增强。",
        "各位代表！让我们团结奋斗！",
    ]
    assert (document.title, document.year, document.date, document.region) == (
        "2026年示范省政府工作报告", 2026, "2026-01-25", None)
    industry = by_text(document, "新兴产业快速增长，发展后劲增强。")
    assert industry.section == "一、2025年工作回顾 › （一）产业升级"
    assert by_text(document, "（一）产业升级").level == 3


def test_metadata_date_when_no_delivery_line(tmp_path):
    page = "北京市示范条例实施细则\n来源：北京日报\n时间：2026-02-02\n第一条内容如下，现予公布。\n"
    document = read_document(write(tmp_path / "p.txt", page), tmp_path)
    assert document.date == "2026-02-02"
    assert document.region == "北京市"
    assert document.title == "北京市示范条例实施细则"
    assert texts(document) == ["北京市示范条例实施细则", "第一条内容如下，现予公布。"]


def test_html_leftovers(tmp_path):
    page = (
        "<!--\n  nav\n-->\n<U+00A0>\n<div class=\"x\">示范报告</div>\n"
        "\u3000\u3000各位代表：<!-- inline -->\n"
        "\u00a0\u00a0经济&nbsp;发展&amp;改革<U+00A0>取得成效。<br/>\n"
        "<U+00A0><U+00A0><U+00A0>\n"
    )
    document = read_document(write(tmp_path / "h.txt", page.encode("gb18030")), tmp_path)
    assert texts(document) == ["示范报告", "各位代表：", "经济 发展&改革 取得成效。"]


def test_duplicate_blocks_are_dropped(tmp_path):
    block = [
        "一、2013年工作回顾",
        "过去一年是本届政府依法履职的第一年，任务艰巨而繁重。",
        "经济运行稳中向好，国内生产总值比上年增长百分之七点七。",
    ]
    text = "\n".join(["示范报告"] + block + ["好。"] + block + ["最后一段有二十多个字，并且只出现了一次。"])
    document = read_document(write(tmp_path / "dup.txt", text), tmp_path)
    assert texts(document) == ["示范报告"] + block + ["好。", "最后一段有二十多个字，并且只出现了一次。"]
    assert [p.para for p in document.paragraphs] == [1, 2, 3, 4, 5, 6]


def test_long_line_is_split_at_markers_and_sentences(tmp_path):
    sentence = "经济运行稳中向好，各项工作取得新进展，人民生活持续改善。"  # 28 characters
    line = (
        "各位代表：现在，我代表国务院向大会报告工作。"
        + "一、2013年工作回顾" + sentence * 60
        + "——经济运行稳中向好。" + sentence * 3
        + "（一）扩大内需" + "没有标点" * 700
    )
    document = read_document(write(tmp_path / "one-line.txt", line), tmp_path)
    lengths = [len(t) for t in texts(document)]
    assert "".join(texts(document)) == line
    assert max(lengths) <= 2000
    assert all(n <= 1000 for t, n in zip(texts(document), lengths) if "没有标点" not in t)
    assert texts(document)[0] == "各位代表：现在，我代表国务院向大会报告工作。"
    assert texts(document)[1].startswith("一、2013年工作回顾")
    assert all(t.endswith("。") for t in texts(document)[:-2])
    assert texts(document)[-3] == "——经济运行稳中向好。" + sentence * 3
    assert lengths[-2:] == [2000, 807]


def test_wiki_link_fragments_are_rejoined(tmp_path):
    text = (
        "本届会议听取了国务院总理所作的\n政府工作报告\n。会议决定批准这个报告。\n"
        "会议号召，全国各族人民团结在以\n\u200b\n习近平同志为核心的党中央周围。\n"
        "稳健的货币政策要松紧适度。广义货币M\n2\n增长百分之十二左右。\n"
    )
    document = read_document(write(tmp_path / "决议.txt", text), tmp_path)
    assert texts(document) == [
        "本届会议听取了国务院总理所作的政府工作报告。会议决定批准这个报告。",
        "会议号召，全国各族人民团结在以习近平同志为核心的党中央周围。",
        "稳健的货币政策要松紧适度。广义货币M2增长百分之十二左右。",
    ]
    assert document.title == "决议"


# ---------------------------------------------------------------- laws


LAW = """# 中华人民共和国示范法

2020年5月1日 第十三届全国人民代表大会常务委员会第一次会议通过

2023年12月29日 第十四届全国人民代表大会常务委员会第七次会议修正

<!-- INFO END -->

## 第一编 总则

### 第一章 一般规定

第一条 为了示范，制定本法。

第二条 本法适用于下列情形：

（一）示范一；

（二）示范二。

### 第二章 附则

第三条 本法自公布之日起施行。

<!-- TABLE -->
| 条文 |罪名 |
|-----|-----|
| 第一条 |示范罪 |
<!-- TABLE END -->
"""


def test_law_markdown(tmp_path):
    document = read_document(write(tmp_path / "宪法相关法/示范法(2023-12-29).txt", LAW), tmp_path)
    assert (document.title, document.year, document.date, document.region) == (
        "中华人民共和国示范法", 2023, "2023-12-29", "全国")
    rows = [(p.text, p.heading, p.level, p.section) for p in document.paragraphs]
    assert rows == [
        ("中华人民共和国示范法", True, 1, ""),
        ("2020年5月1日 第十三届全国人民代表大会常务委员会第一次会议通过", False, 0, ""),
        ("2023年12月29日 第十四届全国人民代表大会常务委员会第七次会议修正", False, 0, ""),
        ("第一编 总则", True, 2, ""),
        ("第一章 一般规定", True, 3, "第一编 总则"),
        ("第一条 为了示范，制定本法。", False, 0, "第一编 总则 › 第一章 一般规定"),
        ("第二条 本法适用于下列情形：", False, 0, "第一编 总则 › 第一章 一般规定"),
        ("（一）示范一；", False, 0, "第一编 总则 › 第一章 一般规定 › 第二条"),
        ("（二）示范二。", False, 0, "第一编 总则 › 第一章 一般规定 › 第二条"),
        ("第二章 附则", True, 3, "第一编 总则"),
        ("第三条 本法自公布之日起施行。", False, 0, "第一编 总则 › 第二章 附则"),
        ("条文 | 罪名", False, 0, "第一编 总则 › 第二章 附则 › 第三条"),
        ("第一条 | 示范罪", False, 0, "第一编 总则 › 第二章 附则 › 第三条"),
    ]


def test_plain_text_law_headings(tmp_path):
    text = "广东省示范条例\n\n第一章 总则\n第一条 为了示范，制定本条例。\n第二章 附则\n第二条 本条例自公布之日起施行。\n"
    document = read_document(write(tmp_path / "广东省示范条例.txt", text), tmp_path)
    assert document.region == "广东省"
    assert [(p.heading, p.level, p.section) for p in document.paragraphs] == [
        (True, 1, ""), (True, 2, ""), (False, 0, "第一章 总则"), (True, 2, ""), (False, 0, "第二章 附则"),
    ]


def test_title_falls_back_to_file_stem(tmp_path):
    body = "各位代表：\n现在，我代表国务院向大会作政府工作报告。\n"
    national = read_document(write(tmp_path / "1954_1954年中华人民共和国国务院政府工作报告.txt", body), tmp_path)
    assert (national.title, national.year, national.region, national.date) == (
        "1954年中华人民共和国国务院政府工作报告", 1954, "全国", None)
    generic = read_document(write(tmp_path / "2026_广东省_政府工作报告.txt", "政府工作报告\n" + body), tmp_path)
    assert (generic.title, generic.year, generic.region) == ("2026年广东省政府工作报告", 2026, "广东省")
    assert generic.paragraphs[0].text == "政府工作报告"


def test_long_numbered_lead_is_body_not_heading(tmp_path):
    lead = "一、坚持稳中求进。" + "全面落实各项政策措施，推动经济持续回升向好。" * 12
    text = "示范报告\n" + lead + "\n（一）短标题\n正文。\n"
    document = read_document(write(tmp_path / "x.txt", text), tmp_path)
    assert [(p.heading, p.level, p.section) for p in document.paragraphs] == [
        (True, 1, ""), (False, 0, ""), (True, 2, ""), (False, 0, "（一）短标题"),
    ]


# ---------------------------------------------------------------- shared corpus (integration)

shared = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason=f"shared corpus not found at {SHARED_CORPUS}")


@pytest.mark.shared
@shared
@pytest.mark.parametrize(
    "name, title, date, region",
    [
        ("2026_北京市_政府工作报告.txt", "2026年北京市政府工作报告", "2026-01-25", "北京市"),
        ("2026_云南省_政府工作报告.txt", "2026年云南省政府工作报告", "2026-01-28", "云南省"),
        ("2026_广东省_政府工作报告.txt", "2026年广东省政府工作报告", "2026-01-26", "广东省"),
        ("2026_宁夏回族自治区_政府工作报告.txt", "2026年宁夏回族自治区政府工作报告", "2026-02-03", "宁夏回族自治区"),
        ("2026_甘肃省_政府工作报告.txt", "2026年甘肃省政府工作报告", "2026-01-27", "甘肃省"),
        ("2026_陕西省_政府工作报告.txt", "陕西省2026年政府工作报告", "2026-01-27", "陕西省"),
    ],
)
def test_shared_provincial(name, title, date, region):
    root = SHARED_CORPUS / "provincial-2026"
    document = read_document(root / name, root)
    assert (document.title, document.year, document.date, document.region) == (title, 2026, date, region)
    paragraphs = texts(document)
    for furniture in ("下载", "打印", "全屏", "收藏", "加大", "还原", "减小", "】", "首页", ">", "相关报道：", "分享:"):
        assert furniture not in paragraphs, furniture
    for start in ("来源", "时间：", "发表时间", "【字号", "【字体", "分享", "扫一扫", "当前位置", "您的位置"):
        assert not any(t.startswith(start) for t in paragraphs), start
    assert not any("记者" in t and len(t) < 80 for t in paragraphs)  # photo captions
    assert "各位代表：" in paragraphs


@pytest.mark.shared
@shared
def test_shared_beijing_structure():
    root = SHARED_CORPUS / "provincial-2026"
    document = read_document(root / "2026_北京市_政府工作报告.txt", root)
    assert texts(document)[:5] == [
        "2026年北京市政府工作报告",
        "——2026年1月25日在北京市第十六届人民代表大会第四次会议上",
        "北京市市长 殷勇",
        "各位代表：",
        "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。",
    ]
    safety = by_text(document, "（十）全面推进韧性城市建设，筑牢首都安全防线")
    assert (safety.heading, safety.level, safety.section) == (True, 3, "三、2026年重点工作")


@pytest.mark.shared
@shared
def test_shared_gbk_scraped():
    root = SHARED_CORPUS / "gbk-scraped"
    results = list(read_corpus(root))
    assert [r.source for r in results] == [
        "1989.txt", "1990.txt", "1991.txt", "1996.txt", "2014.txt", "2015.txt", "2016.txt", "2017.txt", "2018.txt"]
    assert all(isinstance(r, Document) for r in results)
    for document in results:
        joined = "\n".join(texts(document))
        for leftover in ("<U+00A0>", "<!--", "-->", "&nbsp;", "\u00a0", "\u3000", "【字体", "责任编辑"):
            assert leftover not in joined, (document.source, leftover)
        assert max(len(t) for t in texts(document)) <= 1000
        assert len(set(t for t in texts(document) if len(t) >= 20)) == len([t for t in texts(document) if len(t) >= 20])
    first = results[0]
    assert (first.title, first.year, first.date, first.region) == ("1989年国务院政府工作报告", 1989, "1989-03-20", "全国")
    assert by_text(first, "一、一心一意进行治理整顿").level == 2


@pytest.mark.shared
@shared
def test_shared_national_reports():
    root = SHARED_CORPUS / "national-reports"
    documents = [r for r in read_corpus(root)]
    assert len(documents) == 52 and all(isinstance(d, Document) for d in documents)
    for document in documents:
        year = int(document.source[:4])
        assert document.year == year
        assert document.title.startswith(f"{year}年中华人民共和国国务院政府工作报告")
        assert document.region == "全国"
        joined = "\n".join(texts(document))
        assert "Public domain" not in joined and "本作品" not in joined and "维基文库" not in joined
    latest = documents[-1]
    assert latest.title == "2025年中华人民共和国国务院政府工作报告"
    report_2024 = next(d for d in documents if d.year == 2024)
    assert report_2024.date == "2024-03-05"


@pytest.mark.shared
@shared
def test_shared_law():
    root = SHARED_CORPUS / "laws"
    document = read_document(root / "刑法" / "刑法.txt", root)
    assert (document.title, document.region) == ("中华人民共和国刑法", "全国")
    article = next(p for p in document.paragraphs if p.text.startswith("第十三条 "))
    assert article.section == "第一编 总则 › 第二章 犯罪 › 第一节 犯罪和刑事责任"


def test_bytes_behind_a_utf16_bom_that_decode_to_control_characters_are_binary():
    blob = codecs.BOM_UTF16_LE + b"\x07\x00\x1b\x00\x08\x00A\x00" * 500
    with pytest.raises(DocumentError) as error:
        decode_bytes(blob)
    assert error.value.reason == \
        "binary file (decodes to control, private-use or unassigned characters)"
