"""The demo: the whole chain on one machine, with nothing but loopback.

Three county libraries, a slice of the national bibliography and a shared e-book collection are served as
real OAI-PMH providers
on 127.0.0.1; Grenseløs harvests them through the same code path as production, converts, clusters,
indexes into the embedded engine and serves the portal. Re-running it is safe: the data directory is
kept and every stage only does what changed.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from core import settings as settings_mod
from grenselos.demo import samples
from transform import setting_values

DATESTAMP = "2026-11-01T08:00:00Z"


def source_tables(oai_url) -> list[dict]:
    """The demo's sources as [[sources]] tables (`oai_url(library)` gives each its provider's URL): what the
    demo runs with, and the examples `grenselos init` writes into a starter file."""
    tables = []
    for library in (*samples.LIBRARIES, samples.NATIONAL):
        national = library is samples.NATIONAL
        tables.append({"id": library.id, "name": library.name, "isil": library.isil, "kind": library.kind,
                       "municipality": library.municipality, "oai_url": oai_url(library),
                       "metadata_prefix": "marcxchange" if national else "marc21",
                       "holdings": "marcxchange-holdings" if national else library.holdings})
    # The county's shared e-books and e-audiobooks: every county library's patrons have access (no
    # `access` list), and the platform's records are the vendor's, for the libraries' own use.
    digital = samples.DIGITAL
    tables.append({"id": digital.id, "name": digital.name, "kind": digital.kind, "oai_url": oai_url(digital),
                   "licence": "vendor-local-use"})
    return tables


@dataclass
class Demo:
    data_dir: Path
    providers: dict = field(default_factory=dict)
    config_path: Path | None = None

    def start_providers(self) -> None:
        """One loopback OAI-PMH provider per sample library, as their library systems would run."""
        from harvest.loopback import LoopbackRecord, serve
        for library in samples.LIBRARIES:
            records = [LoopbackRecord(f"oai:{library.id}.demo:{library.isil}:{local_id}", DATESTAMP, xml)
                       for local_id, xml in samples.catalogue(library)]
            self.providers[library.id] = serve(records, repository_name=library.name)
        national = [LoopbackRecord(f"oai:nb.demo:{samples.NATIONAL.isil}:{local_id}", DATESTAMP,
                                   xml.replace(samples.marcxml.MARCXCHANGE, samples.SLIM))
                    for local_id, _type, xml in samples.national_bibliography()]
        self.providers[samples.NATIONAL.id] = serve(national, repository_name=samples.NATIONAL.name)
        digital = [LoopbackRecord(f"oai:ebok.demo:{local_id}", DATESTAMP, xml)
                   for local_id, xml in samples.digital_records()]
        self.providers[samples.DIGITAL.id] = serve(digital, repository_name=samples.DIGITAL.name)

    def write_config(self, base_uri: str) -> Path:
        """A grenselos.toml pointing at the running providers (ports change between runs)."""
        lines = [f'data_dir = "{self.data_dir}"', f'base_uri = "{base_uri}"', ""]
        for table in source_tables(lambda library: self.providers[library.id].url):
            lines += ["[[sources]]", *(f"{key} = {json.dumps(value, ensure_ascii=False)}"
                                       for key, value in table.items()), ""]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.data_dir / "grenselos-demo.toml"
        self.config_path.write_text("\n".join(lines), encoding="utf-8")
        return self.config_path

    def stop(self) -> None:
        for provider in self.providers.values():
            provider.stop()
        self.providers.clear()


def build(data_dir: Path, base_uri: str, say=print) -> tuple[settings_mod.Settings, object]:
    """Serve, harvest, transform and index; returns the settings and record store for serving."""
    from harvest.oai import harvest_sources
    from harvest.store import RecordStore
    from index.pipeline import index_changes
    from transform.pipeline import run_transform

    demo = Demo(Path(data_dir).resolve())
    started = time.monotonic()
    demo.start_providers()
    try:
        settings = setting_values.load(demo.write_config(base_uri))
        store = RecordStore.from_settings(settings)
        say(f"demo: {len(demo.providers)} OAI-PMH providers on loopback; harvesting")
        summaries = harvest_sources(settings, store, None, progress=False)
        failed = [s.source for s in summaries if s.failed]
        if failed:
            raise RuntimeError(f"demo harvest failed for {', '.join(failed)}")
    finally:
        demo.stop()
    say("demo: converting to BIBFRAME and clustering works")
    for summary in run_transform(settings, store, progress=False):
        say(f"  {summary.line()}")
    say("demo: indexing")
    say(f"  {index_changes(settings, store, progress=False).line()}")
    say(f"demo: ready in {time.monotonic() - started:.1f} s")
    say("demo: for your own libraries, `grenselos init` writes a starter grenselos.toml with these sources "
        "as examples")
    return settings, store


DEMO_STAFF_USER = "demo-librarian"
DEMO_STAFF_LIBRARY = "kautokeino"


def staff_user(settings, say=print) -> tuple[str, str]:
    """A librarian of Kautokeino with a fresh random password (a new one on every run: it is printed,
    never stored in plain), so the staff pages can be tried; returns (username, password)."""
    from accounts.store import Accounts
    password = secrets.token_urlsafe(12)
    accounts = Accounts.open(settings.database_url, settings.staff)
    try:
        if accounts.get(DEMO_STAFF_USER) is None:
            accounts.add(DEMO_STAFF_USER, DEMO_STAFF_LIBRARY, "librarian", password)
        else:
            accounts.set_password(DEMO_STAFF_USER, password)
            accounts.set_disabled(DEMO_STAFF_USER, False)
    finally:
        accounts.engine.dispose()
    say(f"demo: staff sign-in at /staff/login as {DEMO_STAFF_USER}, password {password}")
    return DEMO_STAFF_USER, password


def run(data_dir: Path, host: str = "127.0.0.1", port: int = 5000, serve_portal: bool = True) -> int:
    base_uri = f"http://{host}:{port}"
    settings, _store = build(data_dir, base_uri)
    staff_user(settings)
    if not serve_portal:
        return 0
    from portal.serve import serve
    serve(settings, host, port)
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-data")))
