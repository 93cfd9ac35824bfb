"""TLS, basic auth and API keys against a real endpoint: the test cluster behind a TLS gateway.

The test distribution of OpenSearch has no security plugin, so the gateway here does what a
TLS-terminating load balancer in front of a cluster does: it presents a certificate signed by a
CA made for the test, refuses requests without the right credentials (401, OpenSearch's
``security_exception``), and passes the rest to a node of the real cluster. Every request of
the build, the search and the web app goes through a real TLS handshake and carries the
credentials the way opensearch-py sends them.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from indexer.cli import main
from tests.opensearch_support import opensearch_url, unique_index  # noqa: F401 - fixture

pytestmark = pytest.mark.opensearch

PASSWORD = "Tls-pa55-never-printed"
API_KEY = "tls-api-key-that-stays-secret"
ACCEPTED = {"Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode(),
            "ApiKey " + API_KEY}
REPORT = "2021年乡村振兴报告\n\n全面推进乡村振兴，稳定粮食生产。\n\n加强农田水利建设。\n"


def _certificate(subject: str, key, issuer=None, issuer_key=None, ip: str | None = None,
                 ca: bool = False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(value) -> bytes:
    if isinstance(value, x509.Certificate):
        return value.public_bytes(serialization.Encoding.PEM)
    return value.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())


class _Gateway(http.server.BaseHTTPRequestHandler):
    upstream = ""
    seen: list = []

    def _forward(self) -> None:
        if self.headers.get("Authorization") not in ACCEPTED:
            self.seen.append(("refused", self.path))
            body = json.dumps({"error": {"type": "security_exception",
                                         "reason": "missing authentication credentials"},
                               "status": 401}).encode()
            self._answer(401, {"Content-Type": "application/json"}, body)
            return
        self.seen.append(("passed", self.path))
        length = int(self.headers.get("Content-Length") or 0)
        request = urllib.request.Request(
            self.upstream + self.path, data=self.rfile.read(length) if length else None,
            method=self.command,
            headers={k: v for k, v in self.headers.items()
                     if k.lower() in ("content-type", "accept", "accept-encoding")})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                self._answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            self._answer(error.code, dict(error.headers), error.read())

    def _answer(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() in ("content-type", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def gateway(opensearch_url, tmp_path_factory):  # noqa: F811
    """(https URL of a TLS gateway to the cluster, the CA file that signed its certificate)."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("policy-search test CA", ca_key, ca=True)
    server = _certificate("127.0.0.1", server_key, issuer=ca, issuer_key=ca_key, ip="127.0.0.1")
    (folder / "ca.pem").write_bytes(_pem(ca))
    (folder / "server.pem").write_bytes(_pem(server) + _pem(ca))
    (folder / "server.key").write_bytes(_pem(server_key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    handler = type("Gateway", (_Gateway,), {"upstream": opensearch_url.split(",")[0].rstrip("/"),
                                            "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", folder / "ca.pem", handler.seen
    httpd.shutdown()
    for prefix in ("tls-basic", "tls-key", "tls-ca"):
        urllib.request.urlopen(urllib.request.Request(
            f"{handler.upstream}/{prefix}-*", method="DELETE"), timeout=60).close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls-corpus")
    (folder / "2021_乡村振兴报告.txt").write_text(REPORT, encoding="utf-8")
    return folder


def _run(args: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(args) or 0
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_basic_auth_over_tls_builds_and_searches(gateway, corpus, capsys):
    url, ca_file, seen = gateway
    index = unique_index("tls-basic")
    cluster = ["--opensearch", url.replace("://", f"://reader:{PASSWORD}@"), "--os-index", index,
               "--os-ca-file", str(ca_file)]
    assert _run(["index", "--corpus", str(corpus), "-q", *cluster], capsys)[0] == 0
    code, out = _run(["search", "乡村振兴", "--json", *cluster], capsys)
    assert code == 0 and PASSWORD not in out
    found = json.loads(out[out.index("{"):])
    assert found["total"] == 2
    # the body paragraph (2), then the title line (1), which the heading prior ranks lower
    assert [hit["para"] for hit in found["hits"]] == [2, 1]
    assert any(path.startswith(f"/{index}") for kind, path in seen if kind == "passed")
    assert not any(kind == "refused" for kind, _ in seen)
    assert _run(["index", "--corpus", str(corpus), "-q", "--full", *cluster], capsys)[0] == 0


def test_an_api_key_over_tls_is_enough(gateway, corpus, capsys):
    url, ca_file, _ = gateway
    index = unique_index("tls-key")
    cluster = ["--opensearch", url, "--os-index", index, "--os-ca-file", str(ca_file),
               "--os-api-key", API_KEY]
    assert _run(["index", "--corpus", str(corpus), "-q", *cluster], capsys)[0] == 0
    code, out = _run(["stats", "--json", *cluster], capsys)
    assert code == 0 and API_KEY not in out
    assert json.loads(out[out.index("{"):])["paragraphs"] == 3


def test_a_wrong_password_is_one_clear_line_without_the_password(gateway, corpus, capsys):
    url, ca_file, _ = gateway
    wrong = url.replace("://", "://reader:not-the-password@")
    code, out = _run(["search", "乡村振兴", "--opensearch", wrong, "--os-index",
                      unique_index("tls-wrong"), "--os-ca-file", str(ca_file)], capsys)
    assert code == 1
    assert "Traceback" not in out and "not-the-password" not in out
    assert "401" in out and "security_exception" in out


def test_an_unknown_certificate_is_refused_unless_told_otherwise(gateway, corpus, capsys):
    url, _, _ = gateway
    index = unique_index("tls-ca")
    secured = url.replace("://", f"://reader:{PASSWORD}@")
    code, out = _run(["index", "--corpus", str(corpus), "-q", "--opensearch", secured,
                      "--os-index", index], capsys)
    assert code == 1
    assert "Traceback" not in out and PASSWORD not in out
    assert "cannot be reached" in out and "SSL" in out
    code, out = _run(["index", "--corpus", str(corpus), "-q", "--opensearch", secured,
                      "--os-index", index, "--os-insecure"], capsys)
    assert code == 0 and PASSWORD not in out
