"""The relevance benchmark's metrics and its judged data (tests/bench/relevance)."""

from __future__ import annotations

import math

import pytest

from bench.relevance.judged import (
    GRADES, POOL, Judgments, paragraph_key, read_queries, read_tsv, score)


def test_paragraph_key_names_source_paragraph_and_text():
    assert paragraph_key("provincial-2026/2026_广东省_政府工作报告.txt", 63, "abc") == \
        "provincial-2026/2026_广东省_政府工作报告.txt#63#a9993e36"


def test_scores_of_a_ranking_with_an_unjudged_result():
    judgments = Judgments()
    for key, grade in (("s#1#aaaaaaaa", 2), ("s#2#bbbbbbbb", 1), ("s#3#cccccccc", 0)):
        judgments.add("乡村建设", key, grade)
    scores = score(judgments, "乡村建设", ["s#3#cccccccc", "s#1#aaaaaaaa", "s#4#dddddddd"])
    # DCG 2/log2(3); ideal DCG 2/log2(2) + 1/log2(3)
    assert scores.ndcg == pytest.approx((2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert round(scores.ndcg, 4) == 0.4796
    assert (scores.precision, scores.substantive, scores.unjudged) == (0.1, 0.1, ("s#4#dddddddd",))


def test_a_moved_paragraph_keeps_its_grade():
    judgments = Judgments()
    judgments.add("托育", "provincial-2026/x.txt#40#0123abcd", 2)
    assert judgments.grade("托育", "provincial-2026/x.txt#41#0123abcd") == 2
    assert judgments.grade("托育", "provincial-2026/x.txt#40#99999999") is None
    assert judgments.grade("养老服务", "provincial-2026/x.txt#40#0123abcd") is None


def test_judged_data_is_complete():
    queries = read_queries()
    judgments = Judgments.read()
    pool = read_tsv(POOL)
    assert len(queries) == len(set(queries)) == 32
    assert {q for q, _ in pool} == set(queries)
    assert all(judgments.grade(q, key) in GRADES for q, key in pool)
    assert len(judgments.grades) == len(pool)
