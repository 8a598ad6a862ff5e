"""The portal's application factory: patrons' catalogue, libraries, JSON API.

No application object exists at import time (Flask tutorial style), so tests, the CLI, a WSGI server
(`gunicorn 'portal.app:create_app()'`) and the demo can each build one with their own settings. Every
area is a blueprint that wires itself; the stores and the search backend are opened lazily on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from core import settings as settings_mod
from portal.json_provider import OrjsonProvider
from transform import setting_values


def load_settings() -> settings_mod.Settings:
    """Settings from $GRENSELOS_CONFIG or ./grenselos.toml; an installation without a file gets the defaults,
    but a file named in $GRENSELOS_CONFIG must exist (a typo there would otherwise serve an empty catalogue)."""
    named = os.environ.get("GRENSELOS_CONFIG")
    path = Path(named or "grenselos.toml")
    if path.is_file() or named:
        return setting_values.load(path)
    return settings_mod.from_dict({})


class Portal(Flask):
    json_provider_class = OrjsonProvider


def create_app(settings: settings_mod.Settings | None = None, test_config: dict | None = None) -> Flask:
    from portal import errors, i18n, log_escape, render, secret, security, services, template_helpers, urls
    from portal.views import about, api, desk, languages, libraries, lists, patron, record, saved, search, staff
    from portal.views import staff_admin, staff_lists
    from portal.views import ncip
    from portal.views import changes, health, oai, resources, sparql, vocabulary, void
    from portal.views import staff_catalogue, staff_deposits, staff_enrich, staff_holds, staff_notices, staff_sources, staff_statistics
    from portal.views import staff_rules

    app = Portal(__name__, static_folder="static", template_folder="templates")
    app.config["GRENSELOS_SETTINGS"] = settings or load_settings()
    app.config.update(
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        TEMPLATES_AUTO_RELOAD=False,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret.secret_key(app.config["GRENSELOS_SETTINGS"].data_dir)
    app.json.ensure_ascii = False
    app.json.sort_keys = False   # the standard encoder's settings, for callers that ask for it

    log_escape.install()
    urls.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    render.init_app(app)
    services.init_app(app)
    errors.init_app(app)
    template_helpers.init_app(app)
    for module in (search, record, libraries, languages, api, staff, staff_admin, staff_lists, lists, saved, resources,
                   sparql, void, oai, changes, vocabulary, health, about, staff_sources, patron, desk,
                   staff_catalogue, staff_enrich):
        app.register_blueprint(module.bp)
    app.register_blueprint(staff_statistics.bp)
    app.register_blueprint(staff_notices.bp)
    app.register_blueprint(ncip.bp)
    app.register_blueprint(staff_deposits.bp)
    app.register_blueprint(staff_holds.bp)
    app.register_blueprint(staff_rules.bp)
    return app
