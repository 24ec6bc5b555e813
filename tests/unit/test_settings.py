"""The typed settings: built once by create_app, documented, the same as app.config."""

from datetime import time

import pytest

from core import settings
from core.settings import CallbackSettings, Settings
from helpline.app import ConfigError, create_app


def test_defaults_without_configuration():
    s = Settings.from_config({})
    assert s == Settings()
    assert s.dial_timeout == 20
    assert s.callbacks.max_attempts == 3
    assert s.smtp.port == 25
    assert s.callbacks.caller_window() == (time(9), time(21))


def test_values_are_typed_by_their_field():
    s = Settings.from_config({
        "DIAL_TIMEOUT": "25", "CALLBACK_RETRY_MINUTES": 7, "CALLBACK_SMS_ENABLED": "true",
        "SCHEDULER_ENABLED": "false", "MEDIA_HOSTS": ["a.example", "b.example"],
        "SECRET_KEY": 1234, "ASR_VAD_FILTER": 0,
    })
    assert s.dial_timeout == 25
    assert s.callbacks.retry_minutes == 7.0 and isinstance(s.callbacks.retry_minutes, float)
    assert s.callbacks.sms_enabled is True
    assert s.scheduler_enabled is False
    assert s.media_hosts == "a.example,b.example"
    assert s.secret_key == "1234"
    assert s.speech.vad_filter is False


@pytest.mark.parametrize(("key", "value"), [
    ("DIAL_TIMEOUT", "soon"), ("CALLBACK_MAX_ATTEMPTS", 2.5), ("CALLBACK_SMS_ENABLED", "maybe"),
])
def test_a_wrong_type_names_the_variable(key, value):
    with pytest.raises(ValueError, match=f"HELPLINE_{key}"):
        Settings.from_config({key: value})


def test_a_wrong_type_stops_startup(tmp_path):
    with pytest.raises(ConfigError, match="HELPLINE_DIAL_TIMEOUT"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
                    "DATA_DIR": str(tmp_path), "DIAL_TIMEOUT": "soon"})


def test_create_app_keeps_the_settings_and_app_config_agrees(app):
    s = settings.of(app)
    assert isinstance(s, Settings)
    assert s.secret_key == app.config["SECRET_KEY"]
    assert s.data_dir == app.config["DATA_DIR"]
    assert s.webhook_auth_token == app.config["WEBHOOK_AUTH_TOKEN"] != ""
    for key, value in s.as_config().items():
        assert app.config[key] == value, key
    with app.app_context():
        assert settings.current() is s


def test_env_is_read_into_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPLINE_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("HELPLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'e.db'}")
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HELPLINE_CALLBACK_CALLER_HOURS", "10:00-20:30")
    monkeypatch.setenv("HELPLINE_SMTP_PORT", "2525")
    s = settings.of(create_app())
    assert s.callbacks.caller_window() == (time(10), time(20, 30))
    assert s.smtp.port == 2525


def test_configure_changes_both_and_refuses_unknown_keys(app):
    before = settings.of(app)
    after = settings.configure(app, CALLBACK_SMS_ENABLED=True, DIAL_TIMEOUT="30")
    assert before.callbacks.sms_enabled is False  # frozen: the old object is unchanged
    assert settings.of(app) is after
    assert after.callbacks.sms_enabled is True and app.config["CALLBACK_SMS_ENABLED"] is True
    assert after.dial_timeout == 30 == app.config["DIAL_TIMEOUT"]
    with pytest.raises(KeyError, match="NO_SUCH"):
        settings.configure(app, NO_SUCH=1)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        CallbackSettings().max_attempts = 5  # type: ignore[misc]
