"""Browser fixtures: the real portal on a loopback port, Debian Chromium driven by Playwright, axe-core.

Chromium comes from Debian (`/usr/bin/chromium`, installed by scripts/setup.sh with
GRENSELOS_WITH_BROWSER=1) and axe-core from npm (tests/browser/node). Missing either skips locally and
fails in CI.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require
from tests.portal import sample

CHROMIUM = Path(os.environ.get("GRENSELOS_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory):
    from core.settings import from_dict
    from harvest.store import IncomingRecord, RecordStore
    from portal.app import create_app
    from portal.serve import PortalServer
    data = tmp_path_factory.mktemp("portal-data")
    settings = from_dict({"data_dir": str(data), "sources": sample.SOURCES})
    sample.build_index(settings)            # data_dir/index, as `grenselos index` writes it
    store = RecordStore(settings.database_url)
    store.upsert("tromso", [IncomingRecord(identifier=f"oai:t:{n}", marcxml="<record/>") for n in range(3)])
    store.close()
    app = create_app(settings, {"SECRET_KEY": "browser-test-key-" + "b" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    require(AXE.exists(), f"axe-core not installed at {AXE} (npm install --prefix tests/browser/node)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: page.csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    yield page
    context.close()


def run_axe(page, axe_source: str) -> list[dict]:
    """Inject axe-core (through the DevTools protocol, so the page's CSP stays on) and run WCAG 2.1 AA."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""", WCAG_TAGS)
    return result


def assert_no_axe_violations(page, axe_source: str, what: str) -> None:
    """axe finds no WCAG 2.1 AA violation on the page as it is; `what` names the page in the failure."""
    violations = run_axe(page, axe_source)
    assert violations == [], f"{what}: " + "; ".join(f"{v['id']}: {v['help']} at {v['nodes']}" for v in violations)


def county_settings(tmp_path_factory, name: str, **extra):
    """The county of the circulation tests (tests/circulation/conftest.py CONFIG, with `extra` settings) in a
    fresh folder named after `name`, its SQLite database migrated: (settings, engine)."""
    from core import settings as core_settings
    from core.db import engine_for, migrate
    from tests.circulation.conftest import CONFIG
    settings = core_settings.from_dict({**CONFIG, "data_dir": str(tmp_path_factory.mktemp(name)), **extra})
    engine = engine_for(settings.database_url)
    migrate(engine)
    return settings, engine


@contextmanager
def serving(settings, secret_key: str):
    """The real portal for `settings` on a loopback port while the block runs; yields its base URL."""
    from portal.app import create_app
    from portal.serve import PortalServer
    with PortalServer(create_app(settings, {"SECRET_KEY": secret_key}), "127.0.0.1", 0) as server:
        yield server.url


STAFF_ADMIN = "kautokeino-admin"


@pytest.fixture(scope="session")
def demo_portal_url(tmp_path_factory):
    """The demo built by the real pipeline (loopback OAI-PMH → transform → tantivy), served on loopback."""
    from grenselos.demo import build
    from portal.app import create_app
    from portal.serve import PortalServer
    settings, store = build(tmp_path_factory.mktemp("demo-browser"), "http://127.0.0.1:5000", say=lambda *_: None)
    store.close()
    from tests import staff_signin
    staff_signin.add(settings.database_url)                      # staff_signin.USER, a librarian of Kautokeino
    staff_signin.add(settings.database_url, STAFF_ADMIN, role="library-admin")
    app = create_app(settings, {"SECRET_KEY": "browser-demo-key-" + "c" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url


def follow(page, selector: str, url_glob: str) -> None:
    """Click a link or button and wait until the browser is at the page it leads to."""
    page.click(selector)
    page.wait_for_url(url_glob)
