"""Harvest health: every attempt recorded with its outcome, shown by `grenselos status`, and mailed once per
streak to the library's contact over real SMTP (aiosmtpd on loopback), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from grenselos.cli import cli
from harvest import alerts, attempts
from harvest.loopback import LoopbackRecord, serve
from harvest.oai import harvest_source
from harvest.store import RecordStore
from tests.peers.mail_server import SmtpPeer
from tests.peers.oai_servers import marc_records

pytestmark = pytest.mark.peer

DOWN = "http://127.0.0.1:9/oai"           # the discard port: nothing listens, the connection is refused


@pytest.fixture(scope="module")
def records(shared_data):
    xml = marc_records(shared_data / "vufindharvest" / "marc.xml", limit=6)
    return [LoopbackRecord(f"oai:h:{n}", "2024-03-01T10:00:00Z", x) for n, x in enumerate(xml)]


def config(tmp_path, db_url, url, smtp_port=None, **source):
    lines = [f'data_dir = "{tmp_path / "data"}"', f'database_url = "{db_url}"',
             "[harvest]", "timeout = 1", "max_retries = 0", "backoff = 0.01", "alert_quarantined = 0"]
    if smtp_port:
        lines += ["[mail]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'from = "harvest@grenselos.test"']
    lines += ["[[sources]]", 'id = "kautokeino"', 'name = "Guovdageainnu girjerádju"', f'oai_url = "{url}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in source.items()]
    path = tmp_path / "grenselos.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from core.settings import load
    return path, load(path)


def status(path, *args):
    result = CliRunner().invoke(cli, ["--config", str(path), "status", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_failed_harvest_shows_in_status_until_one_works(tmp_path, db_url, records):
    path, down = config(tmp_path, db_url, DOWN)
    store = RecordStore(db_url)
    for _ in range(2):
        assert harvest_source(down, store, down.sources[0]).failed
    data = json.loads(status(path, "--json"))["kautokeino"]
    assert data["harvest_status"] == "failed" and data["failures"] == 2 and data["last_success"] is None
    assert data["last_attempt"]["outcome"] == "failed" and "connection failed" in data["last_attempt"]["error"]
    text = status(path)
    assert "last attempt" in text and "FAILED, 2 failures in a row" in text and "connection failed" in text
    with serve(records, page_size=4) as provider:
        _, up = config(tmp_path, db_url, provider.url)
        assert not harvest_source(up, store, up.sources[0]).failed
    data = json.loads(status(path, "--json"))["kautokeino"]
    assert data["harvest_status"] == "ok" and data["failures"] == 0
    assert data["last_success"] == data["last_attempt"]["finished"]
    assert data["last_attempt"]["records"] == 6 and data["last_attempt"]["quarantined"] == 0
    assert "FAILED" not in status(path)
    store.close()


def test_an_interrupted_attempt_is_marked_failed_by_the_next(tmp_path, db_url):
    store = RecordStore(db_url)
    killed = attempts.begin(store.engine, "s")
    assert attempts.summarise(attempts.recent(store.engine, "s"))["harvest_status"] == "running"
    attempts.begin(store.engine, "s")
    old = next(a for a in attempts.recent(store.engine, "s") if a["id"] == killed)
    assert old["outcome"] == "failed" and old["error"] == attempts.INTERRUPTED
    store.close()


def test_an_import_of_nothing_but_garbage_is_a_failed_attempt(tmp_path, db_url):
    from harvest.files import import_files
    garbage = tmp_path / "garbage.mrc"
    garbage.write_bytes(b"this is not MARC at all\x1d")
    store = RecordStore(db_url)
    import_files(store, "s", [garbage])
    health = store.health(["s"])["s"]
    assert health["harvest_status"] == "failed" and health["last_attempt"]["kind"] == "import"
    assert health["last_attempt"]["error"] == "no readable record in the file(s)"
    store.close()


def test_mail_once_per_failure_streak_and_once_on_recovery(tmp_path, db_url, records):
    with SmtpPeer() as smtp:
        path, down = config(tmp_path, db_url, DOWN, smtp.port, contact_email="bibliotek@guovdageaidnu.test",
                            contact_language="se")
        store = RecordStore(db_url)
        summaries = [harvest_source(down, store, down.sources[0]) for _ in range(3)]
        assert [s.alert for s in summaries] == ["failed", None, None]
        mails = smtp.inbox.wait_for(1)
        assert len(mails) == 1
        mail = mails[0]
        assert mail["To"] == "bibliotek@guovdageaidnu.test" and mail["From"] == "harvest@grenselos.test"
        assert mail["Content-Language"] == "se" and mail["Auto-Submitted"] == "auto-generated"
        assert mail["Subject"] == "kautokeino čoaggin ii lihkostuvvan"
        body = mail.get_content()
        assert "connection failed" in body and "/staff/sources/kautokeino" in body
        with serve(records, page_size=4) as provider:
            _, up = config(tmp_path, db_url, provider.url, smtp.port, contact_email="bibliotek@guovdageaidnu.test",
                           contact_language="en")
            assert harvest_source(up, store, up.sources[0]).alert == "recovered"
            assert harvest_source(up, store, up.sources[0]).alert is None
        mails = smtp.inbox.wait_for(2)
        assert len(mails) == 2 and mails[1]["Subject"] == "Harvest of kautokeino works again"
        # a new failure is a new streak: mailed again
        assert harvest_source(down, store, down.sources[0]).alert == "failed"
        assert len(smtp.inbox.wait_for(3)) == 3
        store.close()


def test_quarantining_more_than_the_limit_is_mailed(tmp_path, records):
    def break_it(handler, params):
        if params.get("verb") != "ListRecords":
            return False
        body = handler.server.provider.respond(params).replace(b"<leader>", b"<leader>&", 1)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True
    db_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with SmtpPeer() as smtp, serve(records, page_size=10, hook=break_it) as provider:
        _, settings = config(tmp_path, db_url, provider.url, smtp.port, contact_email="x@bibliotek.test",
                             contact_language="nb")
        store = RecordStore(db_url)
        summary = harvest_source(settings, store, settings.sources[0])
        assert not summary.failed and summary.quarantined >= 1 and summary.alert == "failed"
        mail = smtp.inbox.wait_for(1)[0]
        assert mail["Subject"].startswith("Høsting fra kautokeino satte") and "karantene" in mail["Subject"]
        assert store.health(["kautokeino"])["kautokeino"]["harvest_status"] == "partial"
        store.close()


def test_no_mail_server_means_no_mail_and_no_error(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _, settings = config(tmp_path, db_url, DOWN, contact_email="x@bibliotek.test")
    store = RecordStore(db_url)
    summary = harvest_source(settings, store, settings.sources[0])
    assert summary.failed and summary.alert is None
    store.close()


def test_an_smtp_server_that_is_down_leaves_the_streak_unmailed(tmp_path):
    from tests.peers.mail_server import free_port
    db_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    port = free_port()
    _, settings = config(tmp_path, db_url, DOWN, port, contact_email="x@bibliotek.test")
    store = RecordStore(db_url)
    assert harvest_source(settings, store, settings.sources[0]).alert is None
    with SmtpPeer() as smtp:
        path, settings = config(tmp_path, db_url, DOWN, smtp.port, contact_email="x@bibliotek.test")
        assert harvest_source(settings, store, settings.sources[0]).alert == "failed"
        assert len(smtp.inbox.wait_for(1)) == 1
    store.close()


@pytest.mark.parametrize("history, expected", [
    ([], None),
    ([("ok", 0, False)], None),
    ([("failed", 0, False)], "failed"),
    ([("failed", 0, False), ("failed", 0, True)], None),
    ([("partial", 3, False)], None),                     # within the limit of 5
    ([("partial", 6, False)], "failed"),
    ([("ok", 0, False), ("failed", 0, True)], "recovered"),
    ([("ok", 0, False), ("failed", 0, False)], None),     # the failure was never mailed
    ([("ok", 0, False), ("ok", 0, True), ("failed", 0, True)], None),
])
def test_the_streak_rule(history, expected):
    rows = [{"outcome": o, "quarantined": q, "alerted": a} for o, q, a in history]
    assert alerts.decide(rows, 5, True) == expected
    if expected == "recovered":
        assert alerts.decide(rows, 5, False) is None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_smtp_login_comes_from_the_environment(tmp_path, monkeypatch):
    from core import mail
    from core.settings import MailSettings
    monkeypatch.setenv("TEST_SMTP_USER", "grenselos")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret-from-env")
    with SmtpPeer(login=("grenselos", "s3cret-from-env")) as smtp:
        settings = MailSettings(host="127.0.0.1", port=smtp.port, user_env="TEST_SMTP_USER",
                                password_env="TEST_SMTP_PASSWORD", timeout=3)
        mail.send(settings, "https://katalog.example.no", "x@bibliotek.test", "Prøve", "Hei")
        [message] = smtp.inbox.wait_for(1)
        assert smtp.logins == ["grenselos"] and message["From"] == "grenselos@katalog.example.no"
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        with pytest.raises(mail.MailError, match="mail to x@bibliotek.test via 127.0.0.1"):
            mail.send(settings, "https://katalog.example.no", "x@bibliotek.test", "Prøve", "Hei")
        assert len(smtp.inbox.messages) == 1 and smtp.logins[1] == "grenselos"     # refused, not delivered


def test_a_harvest_whose_source_is_locked_elsewhere_is_refused_and_not_recorded(tmp_path, db_url):
    """The harvest lock is `core.locks.named_lock`: on PostgreSQL an advisory lock, so a harvest by hand on
    one machine and the scheduler on another never share a checkpoint."""
    import threading
    from core.locks import named_lock
    _, settings = config(tmp_path, db_url, DOWN)
    store = RecordStore(db_url)
    holding, release = threading.Event(), threading.Event()

    def elsewhere():                        # another connection (PostgreSQL) or file descriptor (SQLite)
        with named_lock(store.engine, settings.data_dir, "harvest-kautokeino") as got:
            assert got
            holding.set()
            release.wait(30)
    thread = threading.Thread(target=elsewhere)
    thread.start()
    try:
        assert holding.wait(30)
        summary = harvest_source(settings, store, settings.sources[0])
        assert summary.failed and "another harvest of this source is running" in summary.error
        assert attempts.recent(store.engine, "kautokeino") == []
    finally:
        release.set()
        thread.join()
    assert "connection failed" in harvest_source(settings, store, settings.sources[0]).error
    store.close()
