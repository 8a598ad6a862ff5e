"""`circulation.titles.index_titles`, the one title reader of the SIP2 server and `grenselos notices`: the
title the search index holds, by the record's public id; empty, never an error, when there is no index."""

from __future__ import annotations

from circulation.sip2 import run as sip2_run
from circulation.titles import index_titles
from core import settings as core_settings
from grenselos import notices_cli
from index.backends import open_backend
from index.document import Document
from tests.circulation.conftest import CONFIG


def test_titles_come_from_the_index_by_public_id(tmp_path):
    settings = core_settings.from_dict({**CONFIG, "data_dir": str(tmp_path / "data")})
    backend = open_backend(settings, create=True)
    backend.add([Document(id="tromso-r1", work_id="w1", source="tromso", title="Čáppa girji")])
    backend.commit()
    backend.close()
    titles = index_titles(settings)
    assert titles("tromso-r1") == "Čáppa girji"
    assert titles("tromso-missing") == ""


def test_without_an_index_every_title_is_empty(tmp_path):
    settings = core_settings.from_dict({**CONFIG, "data_dir": str(tmp_path / "data")})
    titles = index_titles(settings)
    assert titles("tromso-r1") == "" and not (tmp_path / "data" / "index").exists()


def test_the_sip2_server_and_the_notices_run_share_it():
    assert sip2_run.index_titles is index_titles and notices_cli.index_titles is index_titles
