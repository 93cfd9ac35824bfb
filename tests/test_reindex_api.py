"""POST /api/reindex: absent without a token, guarded by it, one build at a time, visible in
/api/stats. Real index, real Flask app, real build child processes."""

from __future__ import annotations

import time

import pytest

from indexer.embedded import store
from test_rebuild import ADDED, corpus, index, start_paused, write  # noqa: F401 - fixtures
from webapp import create_app
from webapp.reindex import TOKEN_ENV

TOKEN = "test-token-7f3a9c1e5b2d4f60"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_for(corpus, index, token=None):
    config = {"INDEX_DIR": str(index), "CORPUS_DIR": str(corpus), "PAGE_SIZE": 10,
              "TESTING": True}
    if token is not None:
        config["REINDEX_TOKEN"] = token
    return create_app(config)


@pytest.fixture()
def client(corpus, index, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    return app_for(corpus, index, TOKEN).test_client()


def wait_until_idle(client, timeout=180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        reindex = client.get("/api/stats").get_json()["reindex"]
        if not reindex["running"]:
            return reindex
        assert time.monotonic() < deadline, reindex
        time.sleep(0.1)


def test_without_a_token_the_endpoint_does_not_exist(corpus, index, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    client = app_for(corpus, index).test_client()
    response = client.post("/api/reindex", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "The requested URL was not found on the server. "
                                            "If you entered the URL manually please check your "
                                            "spelling and try again."}
    assert "reindex" not in client.get("/api/stats").get_json()
    assert app_for(corpus, index, "   ").test_client().post(
        "/api/reindex", headers={"Authorization": "Bearer    "}).status_code == 404


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": TOKEN},
    {"Authorization": f"Bearer {TOKEN}x"}])
def test_a_missing_or_wrong_token_is_refused(client, headers):
    response = client.post("/api/reindex", headers=headers)
    assert (response.status_code, response.get_json(), response.headers["WWW-Authenticate"]) == (
        401, {"error": "a valid 'Authorization: Bearer <token>' header is required"},
        'Bearer realm="policy-search reindex"')
    assert client.get("/api/stats").get_json()["reindex"] == {
        "running": False, "current": None, "last": None}


def test_the_token_can_come_from_the_environment(corpus, index, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    client = app_for(corpus, index).test_client()
    assert client.post("/api/reindex").status_code == 401
    assert client.get("/api/reindex").status_code == 405


def test_a_rebuild_runs_in_the_background_and_reports_in_stats(client, corpus, monkeypatch):
    write(corpus, *ADDED)
    monkeypatch.setenv(store.PAUSE_ENV, "before-commit:3")  # slow enough to be seen running
    started = client.post("/api/reindex", headers=AUTH)
    assert started.status_code == 202
    body = started.get_json()
    assert (body["status"], body["full"], body["stats"], body["reindex"]["running"]) == (
        "started", False, "/api/stats", True)

    again = client.post("/api/reindex", headers=AUTH)
    assert (again.status_code, again.get_json()["error"]) == (409, "a rebuild is already running")

    deadline = time.monotonic() + 120
    while True:  # the child reports every file it compared before it pauses
        current = client.get("/api/stats").get_json()["reindex"]["current"]
        if current and current["progress"] and current["progress"]["done"] == 4:
            break
        assert time.monotonic() < deadline, current
        time.sleep(0.05)
    assert current["progress"] == {"done": 4, "total": 4, "source": "laws/其他/示范条例.txt"}
    assert client.get("/api/search?q=水利枢纽").get_json()["total"] == 1  # still the old index

    last = wait_until_idle(client)["last"]
    assert (last["status"], last["error"], last["full"]) == ("finished", None, False)
    summary = last["summary"]
    assert {k: summary[k] for k in ("mode", "added", "changed", "removed", "unchanged")} == {
        "mode": "incremental", "added": 1, "changed": 0, "removed": 0, "unchanged": 3}
    assert client.get("/api/search?q=水利枢纽").get_json()["total"] == 2  # no restart needed
    stats = client.get("/api/stats").get_json()
    assert (stats["documents"], stats["last_build"]["added"]) == (4, 1)


def test_a_full_rebuild_can_be_asked_for(client):
    assert client.post("/api/reindex?full=1", headers=AUTH).status_code == 202
    last = wait_until_idle(client)["last"]
    assert (last["status"], last["full"], last["summary"]["mode"],
            last["summary"]["reason"]) == ("finished", True, "full", "--full requested")


def test_a_build_from_the_command_line_makes_it_409(client, corpus, index):
    other = start_paused(corpus, index, "before-commit:60", "--full")
    try:
        response = client.post("/api/reindex", headers=AUTH)
        assert response.status_code == 409
        assert response.get_json()["error"].startswith(
            f"another build is running (pid {other.pid}, `policy-search index --corpus ")
    finally:
        other.kill()
        other.communicate()


def test_a_failed_build_is_reported(corpus, index, monkeypatch, tmp_path):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    client = app_for(tmp_path / "nowhere", index, TOKEN).test_client()
    assert client.post("/api/reindex", headers=AUTH).status_code == 202
    last = wait_until_idle(client)["last"]
    assert (last["status"], last["summary"], last["error"]) == (
        "failed", None, f"corpus folder not found: {tmp_path / 'nowhere'}")
    assert client.get("/api/stats").get_json()["documents"] == 3  # the index still serves


def test_the_first_index_can_be_built_over_http(corpus, tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    client = app_for(corpus, tmp_path / "new-index", TOKEN).test_client()
    before = client.get("/api/stats")
    assert (before.status_code, before.get_json()["reindex"]) == (
        503, {"running": False, "current": None, "last": None})
    assert client.post("/api/reindex", headers=AUTH).status_code == 202
    deadline = time.monotonic() + 180
    while client.get("/api/stats").status_code == 503:  # stats show progress meanwhile
        assert time.monotonic() < deadline
        time.sleep(0.1)
    last = wait_until_idle(client)["last"]
    assert (last["status"], last["summary"]["mode"], last["summary"]["reason"]) == (
        "finished", "full", "no index yet")
    assert client.get("/api/search?q=水利枢纽").get_json()["total"] == 1


def test_the_token_from_the_environment_starts_a_rebuild(corpus, index, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    client = app_for(corpus, index).test_client()  # no REINDEX_TOKEN in the app's config
    assert client.post("/api/reindex", headers={"Authorization": "Bearer wrong"}).status_code \
        == 401
    response = client.post("/api/reindex", headers=AUTH)
    assert response.status_code == 202
    assert response.get_json()["status"] == "started"
    last = wait_until_idle(client)["last"]
    assert (last["status"], last["error"]) == ("finished", None)


def test_the_token_is_compared_with_hmac_compare_digest(client, monkeypatch):
    # compare_digest takes as long whatever the first differing byte: no timing oracle.
    # The spy records every comparison the endpoint makes and still compares for real.
    import hmac
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert client.post("/api/reindex", headers={"Authorization": "Bearer guess"}).status_code \
        == 401
    assert calls == [(b"guess", TOKEN.encode())]
