"""The harvest health settings are checked when the file is read, all problems at once."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from transform import setting_values


def test_contact_mail_and_scheduler_values_are_checked_at_load():
    with pytest.raises(ConfigError) as raised:
        setting_values.from_dict({
            "mail": {"security": "tls", "from": "nobody"}, "scheduler": {"poll_seconds": 0},
            "sources": [{"id": "a", "name": "A", "contact_email": "not-an-address", "contact_language": "sv",
                         "schedule_minutes": -5}]})
    text = str(raised.value)
    for key in ("security", "from", "poll_seconds", "contact_email", "contact_language", "schedule_minutes"):
        assert key in text, key
    assert "nb, nn, se, en" in text or "'nb'" in text


def test_the_defaults_load_and_a_mail_sender_is_named_from():
    settings = setting_values.from_dict({"mail": {"host": "smtp.example.no", "from": "katalog@example.no",
                                                  "security": "starttls", "port": 587},
                                         "sources": [{"id": "a", "name": "A", "contact_language": "se"}]})
    assert settings.mail.sender == "katalog@example.no" and settings.mail.security == "starttls"
    assert settings.source("a").schedule_minutes == 30 and settings.source("a").contact_email == ""
    assert settings.scheduler.jitter_seconds == 120 and settings.harvest.alert_quarantined == 10
