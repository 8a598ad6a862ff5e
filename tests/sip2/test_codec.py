"""The SIP2 frame codec and the server's framing over loopback, checked with PyPI's `pysip2` codec and
the `Sip2` client: error detection, 96/97, malformed frames, character sets, blank dates. No transaction
reaches the circulation service here (login, status and refusals need none)."""

from __future__ import annotations

from datetime import datetime

import pysip2
import pytest

from circulation.sip2 import codec
from circulation.sip2.server import Sip2Server
from circulation.sip2.session import Account
from tests.sip2.kiosk import Kiosk

ACCOUNTS = [Account("kiosk", "secret", "tromso"), Account("utf", "secret", "tromso", "utf-8")]


@pytest.fixture
def server():
    srv = Sip2Server(None, ACCOUNTS, port=0).start()
    yield srv
    srv.stop()


@pytest.fixture
def kiosk(server):
    k = Kiosk(server.port)
    yield k
    k.close()


def test_checksum_matches_pysip2():
    body = b"9300CNkiosk|COsecret|AY1AZ"
    assert codec.checksum(body) == pysip2.calculate_checksum(body)
    frame = pysip2.encode_message(pysip2.LoginRequest(uid_algorithm="0", pwd_algorithm="0", login_user_id="k",
                                                      login_password="p"), sequence_number=3, checksum=True)
    message = codec.parse(frame)
    assert (message.command, message.sequence, message.checksummed) == ("93", 3, True)
    assert message.get("CN") == "k" and message.get("CO") == "p"


def test_bad_checksum_and_garbage_are_refused():
    frame = pysip2.encode_message(pysip2.SCStatusRequest(status_code="0", max_print_width="080",
                                                         protocol_version="2.00"), sequence_number=1, checksum=True)
    with pytest.raises(codec.BadChecksum):
        codec.parse(frame[:-2] + (b"0" if frame[-2:-1] != b"0" else b"1") + b"\r")
    with pytest.raises(codec.Malformed):
        codec.parse(b"XX garbage\r")
    with pytest.raises(codec.Malformed):
        codec.parse(b"11YN2026\r")                      # fixed fields cut short


def test_blank_and_real_dates():
    assert codec.parse_date(" " * 18) is None
    assert codec.parse_date("20261207    134501") == datetime(2026, 12, 7, 13, 45, 1)
    assert codec.format_date(datetime(2026, 12, 7, 13, 45, 1)) == "20261207    134501"
    with pytest.raises(codec.Malformed):
        codec.parse_date("2026-12-07 13:45:01")


def test_cp850_and_utf8_are_told_apart():
    name = "Ánde Sámi Æsøy"
    for encoding in ("cp850", "utf-8"):
        frame = f"2300020261207    120000AOlib|AA{name}|AC|AD|".encode(encoding) + b"\r"
        message = codec.parse(frame)
        assert message.get("AA") == name and message.encoding == encoding
    built = codec.build("24", [" " * 14, "012", "20261207    120000"], [("AO", "lib"), ("AA", "1"), ("AE", name)],
                        sequence=2, with_checksum=True, encoding="cp850")
    decoded = pysip2.decode_message(built, encoding="cp850")
    assert decoded.message.personal_name == name and decoded.sequence_number == 2


def test_login_status_and_checksum_echo(kiosk):
    assert kiosk.login(password="wrong").ok == "0"
    refused = kiosk.item("123")                           # not signed in: refused, connection lives on
    assert refused.circulation_status == "01" and refused.screen_message
    assert kiosk.login().ok == "1"
    status = kiosk.status()
    assert status.online_status == "Y" and status.protocol_version == "2.00"
    assert status.institution_id == "tromso"
    assert status.supported_messages == "YYYNYYYYYNYNNNYN"     # 23 11 09 99 97 93 63 35 17 29; not 01 37 19 25 15 65


def test_plain_client_gets_plain_replies(kiosk):
    reply = kiosk.raw(b"9300CNkiosk|COsecret|\r")
    assert reply == b"941\r"


def test_bad_checksum_gets_96_then_97_gets_last_response(kiosk):
    kiosk.login()
    last = kiosk.raw(pysip2.encode_message(pysip2.SCStatusRequest(status_code="0", max_print_width="080",
                                                                  protocol_version="2.00"),
                                           sequence_number=4, checksum=True))
    assert last.startswith(b"98") and b"AY4AZ" in last
    broken = b"9900802.00AY5AZ0000\r"
    assert kiosk.raw(broken).startswith(b"96")
    assert kiosk.raw(b"97AZFEF5\r") == last
    assert kiosk.status().online_status == "Y"            # the line still works


def test_malformed_frames_are_refused_and_the_line_lives(kiosk):
    kiosk.login()
    for junk in (b"hello\r", b"11Y\r", b"42unknown|\r", b"\n\r", b"x" * 9000 + b"\r"):
        reply = kiosk.raw(junk) if junk.strip() else None
        assert reply is None or reply.startswith(b"96")
    assert kiosk.status().online_status == "Y"


def test_missing_field_gets_the_commands_refusal(kiosk):
    kiosk.login()
    reply = kiosk.raw(b"11YN20261207    120000" + b" " * 18 + b"AOlib|AApatron|AC|\r")   # no AB
    decoded = pysip2.decode_message(reply.replace(b"AB|", b"ABx|") if b"AB|" in reply else reply)
    assert reply.startswith(b"120") and decoded.message.ok == "0"


def test_sip2_client_package_logs_in_and_checks_status(server, tmp_path):
    from Sip2.sip2 import Sip2
    client = Sip2()
    client.logfile_path = str(tmp_path)                 # it writes sip2.log, by default into the cwd
    client.hostName, client.hostPort, client.hostEncoding = "127.0.0.1", server.port, "cp850"
    client.withCrc = client.withSeq = True
    client.tlsEnable = False
    client.connect()
    try:
        login = client.sip_login_response(client.get_response(client.sip_login_request("kiosk", "secret")))
        assert login["fixed"]["Ok"] == "1"
        status = client.sip_sc_status_response(client.get_response(client.sip_sc_status_request()))
        assert status["fixed"]["OnlineStatus"] == "Y" and status["variable"]["AO"] == ["tromso"]
    finally:
        client.disconnect()


def test_tls(tmp_path):
    import socket
    import ssl
    import subprocess
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    srv = Sip2Server(None, ACCOUNTS, port=0, tls_cert=str(cert), tls_key=str(key)).start()
    try:
        context = ssl.create_default_context(cafile=str(cert))
        sock = context.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10),
                                   server_hostname="localhost")
        kiosk = Kiosk(srv.port, sock=sock)
        assert sock.version().startswith("TLS")
        assert kiosk.login().ok == "1"
        assert kiosk.status().online_status == "Y"
        kiosk.close()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as plain:   # no plain text
            plain.sendall(b"9300CNkiosk|COsecret|\r")
            try:
                answer = plain.recv(100)
            except ConnectionResetError:
                answer = b""
            assert not answer.startswith(b"94")
    finally:
        srv.stop()


def test_kiosk_password_guessing_is_refused_across_connections(server):
    for _ in range(10):
        k = Kiosk(server.port)
        assert k.login(password="guess").ok == "0"
        k.close()
    k = Kiosk(server.port)
    assert k.login().ok == "0"                          # the right password, from an address that guessed
    k.close()


def test_unpadded_checksum_as_the_sip2_client_sends_it():
    body = b"9300CNkiosk|COsecret|AY0AZ"
    value = (-sum(body)) & 0xFFFF
    frame = body + f"{value:X}".encode() + b"\r"              # no leading zeros, as Sip2 1.1 writes it
    padded = body + f"{value:04X}".encode() + b"\r"
    assert codec.parse(frame).checksummed and codec.parse(padded).checksummed
    short = body + b"F\r"
    if f"{value:X}" != "F":
        with pytest.raises(codec.BadChecksum):
            codec.parse(short)
