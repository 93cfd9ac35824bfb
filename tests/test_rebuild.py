"""Rebuilding the index: incremental updates, full rebuilds, atomic swaps, crashes and locks.

Everything is real: Whoosh indexes in tmp_path, jieba, build processes started with the
``policy-search`` command and killed with signals (through the POLICY_SEARCH_TEST_PAUSE hook
that makes a build wait at a named stage).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer import BuildError, BuildLockedError, SearchEngine, build_index
from indexer.embedded import store
from indexer.cli import describe_build

POLICY_SEARCH = Path(sys.executable).with_name("policy-search")

DOCS = {
    "2021_甲市_政府工作报告.txt": "2021年甲市政府工作报告\n\n一、工作回顾\n\n"
                              "乡村振兴扎实推进，建成示范村12个。\n推动石墨烯新材料产业发展。\n\n"
                              "二、工作安排\n\n加强水利枢纽建设。\n",
    "2022_乙市_政府工作报告.txt": "2022年乙市政府工作报告\n\n一、工作回顾\n\n"
                              "乡村振兴取得新进展。\n营商环境持续优化。\n",
    "laws/其他/示范条例.txt": "示范条例\n\n第一条 为了推进乡村振兴，制定本条例。\n"
                          "第二条 本条例自公布之日起施行。\n",
}
ADDED = ("2023_丙市_政府工作报告.txt",
         "2023年丙市政府工作报告\n\n一、工作回顾\n\n乡村振兴全面推进。\n新建水利枢纽两座。\n")
# (documents, paragraphs, paragraphs with 乡村振兴, with 水利枢纽) before and after ADDED
BEFORE, AFTER = (3, 13, 3, 1), (4, 17, 4, 2)


def write(corpus: Path, name: str, text: str) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def corpus(tmp_path) -> Path:
    for name, text in DOCS.items():
        write(tmp_path / "corpus", name, text)
    return tmp_path / "corpus"


@pytest.fixture()
def index(tmp_path, corpus) -> Path:
    """A real index of ``corpus`` (built in this process)."""
    summary = build_index(corpus, tmp_path / "index")
    assert (summary.mode, summary.reason, summary.documents, summary.paragraphs) == (
        "full", "no index yet", 3, 13)
    return tmp_path / "index"


def state(engine: SearchEngine) -> tuple[int, int, int, int]:
    """(documents, paragraphs, hits for 乡村振兴, hits for 水利枢纽) of the live index."""
    stats = engine.stats()
    return (stats["documents"], stats["paragraphs"], engine.search("乡村振兴")["total"],
            engine.search("水利枢纽")["total"])


def counts(summary) -> tuple:
    return (summary.mode, summary.added, summary.changed, summary.removed, summary.unchanged)


def entries(index: Path) -> list[str]:
    return sorted(p.name for p in index.iterdir())


def generations(index: Path) -> list[str]:
    return [name for name in entries(index) if name.startswith("gen-")]


def leftovers(index: Path) -> list[str]:
    return [name for name in entries(index) if name.startswith(".tmp-")]


def run_cli(*args, env=None, prefix=(), timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, str(POLICY_SEARCH), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def _as_from_a_terminal() -> None:
    # A child inherits ignored signals. Under the full suite the build was sometimes started
    # with SIGINT ignored (/proc/PID/status SigIgn showed it; the test process ignores it only
    # at moments, not at rest), so Ctrl-C never reached it. A terminal starts it at default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_paused(corpus: Path, index: Path, stage: str, *args) -> subprocess.Popen:
    """Start ``policy-search index`` and return once it is paused at ``stage``."""
    process = subprocess.Popen(
        [str(POLICY_SEARCH), "index", "--corpus", str(corpus), "--index", str(index), "-q",
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, store.PAUSE_ENV: stage}, preexec_fn=_as_from_a_terminal)
    line = process.stderr.readline()
    assert line.startswith(f"paused at {stage.partition(':')[0]} "), (
        line + process.stderr.read())
    return process


def wait_for_lock_release(index: Path) -> None:
    deadline = time.monotonic() + 20
    while store.lock_holder(index) is not None:
        assert time.monotonic() < deadline, store.lock_holder(index)
        time.sleep(0.05)


# ---------------------------------------------------------------- incremental updates

def test_incremental_sees_exactly_what_was_added_changed_and_removed(corpus, index):
    engine = SearchEngine(index)
    assert state(engine) == BEFORE
    first = store.current_generation(index).name

    unchanged = build_index(corpus, index)
    assert counts(unchanged) == ("incremental", 0, 0, 0, 3)
    assert (unchanged.documents, unchanged.paragraphs, unchanged.reason) == (3, 13, "")
    assert unchanged.generation == first == store.current_generation(index).name  # nothing written

    touched = corpus / "2022_乙市_政府工作报告.txt"
    os.utime(touched, (time.time() + 3600, time.time() + 3600))
    assert counts(build_index(corpus, index)) == ("incremental", 0, 0, 0, 3)

    write(corpus, *ADDED)
    added = build_index(corpus, index)
    assert counts(added) == ("incremental", 1, 0, 0, 3)
    assert (added.documents, added.paragraphs) == (4, 17)
    assert added.generation == store.current_generation(index).name != first
    assert state(engine) == AFTER
    assert sorted(h["text"] for h in engine.search("水利枢纽")["hits"]) == [
        "加强水利枢纽建设。", "新建水利枢纽两座。"]

    write(corpus, "2021_甲市_政府工作报告.txt",
          DOCS["2021_甲市_政府工作报告.txt"].replace("加强水利枢纽建设。", "加强防洪工程建设。"))
    changed = build_index(corpus, index)
    assert counts(changed) == ("incremental", 0, 1, 0, 3)
    assert (changed.documents, changed.paragraphs) == (4, 17)
    assert [h["text"] for h in engine.search("水利枢纽")["hits"]] == ["新建水利枢纽两座。"]
    assert [h["text"] for h in engine.search("防洪工程")["hits"]] == ["加强防洪工程建设。"]

    (corpus / "laws/其他/示范条例.txt").unlink()
    removed = build_index(corpus, index)
    assert counts(removed) == ("incremental", 0, 0, 1, 3)
    assert (removed.documents, removed.paragraphs) == (3, 14)
    assert engine.search("条例")["total"] == 0
    assert engine.search("乡村振兴")["total"] == 3
    stats = engine.stats()
    assert (stats["documents"], stats["paragraphs"]) == (3, 14)
    assert {k: stats["last_build"][k] for k in ("mode", "added", "changed", "removed")} == {
        "mode": "incremental", "added": 0, "changed": 0, "removed": 1}
    # three builds wrote generations; the oldest ones are removed by later builds
    assert leftovers(index) == [] and len(generations(index)) == 3


def test_a_new_file_that_cannot_be_indexed_writes_nothing(corpus, index):
    live = store.current_generation(index).name
    write(corpus, "2024_空白.txt", "   \n")
    summary = build_index(corpus, index)
    assert counts(summary) == ("incremental", 0, 0, 0, 3)
    assert [s["source"] for s in summary.skipped] == ["2024_空白.txt"]
    assert store.current_generation(index).name == live


def test_the_full_flag_rebuilds_everything(corpus, index):
    summary = build_index(corpus, index, full=True)
    assert (summary.mode, summary.reason, summary.added, summary.documents) == (
        "full", "--full requested", 3, 3)
    assert state(SearchEngine(index)) == BEFORE


# ---------------------------------------------------------------- the user dictionary

def test_a_dictionary_change_forces_a_full_rebuild(corpus, index):
    engine = SearchEngine(index)
    assert engine.search("石墨烯新材料")["tokens"] == ["石墨", "烯", "新", "材料"]

    write(corpus, "userdict.txt", "石墨烯新材料 10 n\n")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.reason, summary.documents) == (
        "full", "the user dictionary changed", 3)  # userdict.txt itself is no document
    assert describe_build(summary).startswith(
        "full build (the user dictionary changed): 3 documents, 13 paragraphs in ")
    result = engine.search("石墨烯新材料")
    assert (result["tokens"], result["total"]) == (["石墨烯新材料"], 1)
    assert "userdict.txt" in engine.stats()["dictionary"]

    assert counts(build_index(corpus, index)) == ("incremental", 0, 0, 0, 3)

    write(corpus, "userdict.txt", "石墨烯新材料 10 n\n水利枢纽建设 10 n\n")
    edited = build_index(corpus, index)
    assert (edited.mode, edited.reason) == ("full", "the user dictionary changed")
    assert engine.search("水利枢纽建设")["tokens"] == ["水利枢纽建设"]
    assert engine.search("石墨烯新材料")["tokens"] == ["石墨烯新材料"]

    (corpus / "userdict.txt").unlink()
    dropped = build_index(corpus, index)
    assert (dropped.mode, dropped.reason) == ("full", "the user dictionary changed")
    assert engine.search("石墨烯新材料")["tokens"] == ["石墨", "烯", "新", "材料"]


@pytest.mark.parametrize("key, reason", [("analysis_version", "the tokenizer changed"),
                                         ("schema_version", "the index schema changed")])
def test_an_index_from_another_analysis_version_is_rebuilt_fully(corpus, index, key, reason):
    # Make the live index look as if an older version built it: rewrite its meta record.
    from whoosh import index as whoosh_index
    from indexer.embedded.build import read_meta
    from indexer.embedded.schema import KIND_META, META_KEY
    live = store.current_generation(index)
    meta = read_meta(live) | {key: "0"}
    writer = whoosh_index.open_dir(str(live)).writer()
    writer.update_document(key=META_KEY, kind=KIND_META, meta=meta)
    writer.commit()
    summary = build_index(corpus, index)
    assert (summary.mode, summary.reason, summary.documents) == ("full", reason, 3)
    assert state(SearchEngine(index)) == BEFORE


def test_an_unreadable_live_index_is_rebuilt_fully(corpus, index):
    for toc in store.current_generation(index).glob("*.toc"):
        toc.write_bytes(b"garbage, not a table of contents")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.documents) == ("full", 3)
    assert summary.reason.startswith("the live index cannot be read (")
    assert state(SearchEngine(index)) == BEFORE


# ---------------------------------------------------------------- readers during builds

def test_searching_threads_see_only_complete_indexes_while_builds_run(corpus, index):
    engine = SearchEngine(index)  # shared by every thread, as the server shares it
    stop = threading.Event()
    seen: set[tuple] = set()
    errors: list[str] = []
    searches = [0]

    def search_loop():
        while not stop.is_set():
            try:
                # one request: the statistics and a search, from one searcher (the pause
                # leaves room for a build to publish between them)
                pin = engine.pin()
                try:
                    with engine.reading(pin):
                        stats = engine.stats()
                        time.sleep(0.002)
                        result = engine.search("乡村振兴", per_page=100)
                finally:
                    pin.close()
                seen.add((stats["documents"], stats["paragraphs"], result["total"],
                          len(result["hits"])))
                searches[0] += 1
            except Exception as error:  # any failure is what this test looks for
                errors.append(f"{type(error).__name__}: {error}")
        engine.close()

    threads = [threading.Thread(target=search_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        steps = [
            (lambda: write(corpus, *ADDED), (), AFTER),
            (lambda: None, ("--full",), AFTER),
            (lambda: (corpus / ADDED[0]).unlink(), (), BEFORE),
            (lambda: write(corpus, "userdict.txt", "石墨烯新材料 10 n\n"), (), BEFORE),
            (lambda: write(corpus, *ADDED), (), AFTER),
        ]
        for change, args, expected in steps:
            change()
            done = run_cli("index", "--corpus", str(corpus), "--index", str(index), "-q", *args)
            assert done.returncode == 0, done.stderr
            assert state(engine) == expected  # the very next request sees the new index
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert searches[0] > 20
    assert seen == {(3, 13, 3, 3), (4, 17, 4, 4)}


# ---------------------------------------------------------------- killed and interrupted builds

@pytest.mark.parametrize("mode, stage", [
    ("full", "workers"), ("full", "before-commit"), ("full", "before-publish"),
    ("full", "during-swap"), ("incremental", "before-commit"),
    ("incremental", "before-publish"), ("incremental", "during-swap")])
def test_a_build_killed_at_any_stage_leaves_the_last_good_index(corpus, index, mode, stage):
    write(corpus, *ADDED)
    process = start_paused(corpus, index, stage, *(["--full"] if mode == "full" else []))
    process.kill()
    process.wait()
    process.stdout.close()
    process.stderr.close()
    wait_for_lock_release(index)  # the workers of a killed full build die with it

    assert state(SearchEngine(index)) == BEFORE
    assert leftovers(index) != []  # what the killed build left behind

    summary = build_index(corpus, index)
    assert counts(summary) == ("incremental", 1, 0, 0, 3)
    assert state(SearchEngine(index)) == AFTER
    assert leftovers(index) == []


def test_ctrl_c_stops_a_build_cleanly(corpus, index):
    write(corpus, *ADDED)
    process = start_paused(corpus, index, "before-commit")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, "", "interrupted: the live index is untouched\n")
    assert leftovers(index) == []
    assert state(SearchEngine(index)) == BEFORE


# ---------------------------------------------------------------- two builds at once

def test_a_second_build_stops_naming_the_first_or_waits_for_it(corpus, index):
    write(corpus, *ADDED)
    first = start_paused(corpus, index, "before-commit:8")

    second = run_cli("index", "--corpus", str(corpus), "--index", str(index), "-q")
    assert (second.returncode, second.stdout) == (1, "")
    assert re.fullmatch(
        rf"error: another build is running on {re.escape(str(index))} \(pid {first.pid}, "
        rf"`policy-search index --corpus {re.escape(str(corpus))} --index "
        rf"{re.escape(str(index))} -q`, started [0-9: -]+\); wait for it to finish or use --wait\n",
        second.stderr), second.stderr

    waiting = subprocess.Popen(
        [str(POLICY_SEARCH), "index", "--corpus", str(corpus), "--index", str(index), "-q",
         "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert waiting.poll() is None  # still waiting for the lock
    out, err = first.communicate(timeout=120)
    assert (first.returncode, out.splitlines()[1]) == (
        0, "  added 1, changed 0, removed 0, unchanged 3")
    out, err = waiting.communicate(timeout=120)
    assert (waiting.returncode, err, out.splitlines()[1]) == (
        0, "", "  added 0, changed 0, removed 0, unchanged 4")
    assert state(SearchEngine(index)) == AFTER
    assert leftovers(index) == []


def test_the_library_raises_build_locked_error(corpus, index):
    first = start_paused(corpus, index, "before-commit:60", "--full")
    try:
        with pytest.raises(BuildLockedError, match=rf"\(pid {first.pid}, `policy-search index "):
            build_index(corpus, index)
    finally:
        first.kill()
        first.communicate()


# ---------------------------------------------------------------- file system failures

def test_a_permission_error_is_a_clear_error_and_leaves_the_index_alone(corpus, index):
    # Root ignores file modes, so the build runs without the capabilities that let it.
    prefix = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop root's permission override")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    write(corpus, *ADDED)
    before = entries(index)
    index.chmod(0o555)
    try:
        done = run_cli("index", "--corpus", str(corpus), "--index", str(index), "-q",
                       prefix=prefix)
    finally:
        index.chmod(0o755)
    assert (done.returncode, done.stdout) == (1, "")
    assert re.fullmatch(rf"error: build failed, the live index is untouched: Permission denied "
                        rf"\({re.escape(str(index))}/\.tmp-gen-[^)]+\)\n", done.stderr), done.stderr
    assert entries(index) == before
    assert state(SearchEngine(index)) == BEFORE
    assert counts(build_index(corpus, index)) == ("incremental", 1, 0, 0, 3)


def test_a_full_disk_in_a_build_worker_is_a_clear_error(corpus, index):
    # A file size limit makes writes fail as on a full disk (EFBIG instead of ENOSPC), in
    # the worker processes that write the segments.
    for n in range(40):
        write(corpus, f"extra/{n:02d}.txt", f"第{n}号补充文件\n\n" + "\n".join(
            f"第{n}号文件第{k}段：推进{chr(0x4e00 + n * 97 + k)}项{chr(0x5000 + k * 13 + n)}改革。"
            for k in range(60)) + "\n")
    before = entries(index)

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))

    done = subprocess.run([str(POLICY_SEARCH), "index", "--corpus", str(corpus), "--index",
                           str(index), "-q", "--full"], capture_output=True, text=True,
                          preexec_fn=limit_file_size, timeout=180)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "error: build failed, the live index is untouched: "
               "OSError: [Errno 27] File too large\n")
    assert entries(index) == before
    assert state(SearchEngine(index)) == BEFORE


def test_a_missing_corpus_is_a_build_error(tmp_path, index):
    with pytest.raises(BuildError, match="corpus folder not found"):
        build_index(tmp_path / "nowhere", index)


# ---------------------------------------------------------------- the command line

def test_cli_prints_what_each_build_did(corpus, tmp_path):
    index = tmp_path / "cli-index"
    args = ("index", "--corpus", str(corpus), "--index", str(index), "-q")
    seconds = r" in \d+\.\d s"

    def lines(done):
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        return done.stdout.splitlines()

    first = lines(run_cli(*args))
    assert len(first) == 1 and re.fullmatch(
        rf"full build \(no index yet\): 3 documents, 13 paragraphs{seconds}", first[0])
    again = lines(run_cli(*args))
    assert re.fullmatch(rf"incremental build: 3 documents, 13 paragraphs{seconds}", again[0])
    assert again[1:] == ["  added 0, changed 0, removed 0, unchanged 3"]

    write(corpus, *ADDED)
    write(corpus, "2022_乙市_政府工作报告.txt", DOCS["2022_乙市_政府工作报告.txt"] + "新增一段。\n")
    (corpus / "laws/其他/示范条例.txt").unlink()
    mixed = lines(run_cli(*args))
    assert re.fullmatch(rf"incremental build: 3 documents, 15 paragraphs{seconds}", mixed[0])
    assert mixed[1:] == ["  added 1, changed 1, removed 1, unchanged 1"]

    full = lines(run_cli(*args, "--full"))
    assert len(full) == 1 and re.fullmatch(
        rf"full build \(--full requested\): 3 documents, 15 paragraphs{seconds}", full[0])

    missing = run_cli("index", "--corpus", str(tmp_path / "nowhere"), "--index", str(index))
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1, "", f"error: corpus folder not found: {tmp_path / 'nowhere'}\n")


# ---------------------------------------------------------------- a running server

def test_the_web_app_answers_from_the_new_index_without_restart(corpus, index):
    from webapp import create_app
    app = create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(corpus), "PAGE_SIZE": 10,
                      "TESTING": True})
    client = app.test_client()
    assert client.get("/api/search?q=水利枢纽").get_json()["total"] == 1
    write(corpus, *ADDED)
    done = run_cli("index", "--corpus", str(corpus), "--index", str(index), "-q")
    assert done.returncode == 0, done.stderr
    hits = client.get("/api/search?q=水利枢纽").get_json()["hits"]
    assert sorted(h["text"] for h in hits) == ["加强水利枢纽建设。", "新建水利枢纽两座。"]
    assert client.get("/api/stats").get_json()["documents"] == 4
