"""The application factory: configuration, health check, privacy of logs."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine
from click.testing import CliRunner

from core.privacy import MaskPhonesFilter
from helpline.app import ConfigError, create_app


def production(tmp_path, **overrides):
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "s" * 32,
    }
    config.update(overrides)
    return config


def test_missing_secret_stops_startup_outside_debug(tmp_path):
    with pytest.raises(ConfigError, match="HELPLINE_SECRET_KEY"):
        create_app(production(tmp_path, SECRET_KEY=""))


def test_twilio_without_credentials_stops_startup(tmp_path):
    with pytest.raises(ConfigError) as info:
        create_app(production(tmp_path, TELEPHONY="twilio", PUBLIC_URL="https://h.example"))
    assert "HELPLINE_TWILIO_ACCOUNT_SID" in str(info.value)
    assert "HELPLINE_TWILIO_AUTH_TOKEN" in str(info.value)


def test_signature_check_cannot_be_switched_off_with_twilio(tmp_path):
    with pytest.raises(ConfigError, match="SIGNATURE_CHECK"):
        create_app(production(
            tmp_path, TELEPHONY="twilio", TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t",
            PUBLIC_URL="https://h.example", TWILIO_SIGNATURE_CHECK=False,
        ))


def test_unknown_telephony_is_named(tmp_path):
    with pytest.raises(ConfigError, match="'sip'"):
        create_app(production(tmp_path, TELEPHONY="sip"))


def test_testing_generates_a_secret(tmp_path):
    app = create_app(production(tmp_path, SECRET_KEY="", TESTING=True))
    assert len(app.config["SECRET_KEY"]) == 64


def test_env_values_are_read_with_the_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPLINE_SECRET_KEY", "1234e5")  # JSON would make it a float
    monkeypatch.setenv("HELPLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'e.db'}")
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HELPLINE_DIAL_TIMEOUT", "25")
    app = create_app()
    assert app.config["SECRET_KEY"] == "1234e5"
    assert app.config["DIAL_TIMEOUT"] == 25
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("e.db")


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app(production(tmp_path, DATABASE_URL="postgresql://u@db.example/helpline"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/helpline"


def test_default_database_is_sqlite_in_instance_folder(tmp_path):
    app = create_app(production(tmp_path, DATABASE_URL=""))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("helpline.db")


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(tmp_path):
    app = create_app(production(
        tmp_path, TESTING=True, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"
    ))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_cli_prints_config_error_without_traceback(tmp_path, monkeypatch):
    from helpline.cli import cli

    monkeypatch.delenv("HELPLINE_SECRET_KEY", raising=False)
    monkeypatch.setenv("HELPLINE_SECRET_KEY", "")
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HELPLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    result = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "HELPLINE_SECRET_KEY is not set" in result.output
    assert "Traceback" not in result.output


def test_phone_numbers_are_masked_in_logs():
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "call from %s to %s", ("+79161234567", "8 (495) 000-00-19"), None)
    MaskPhonesFilter().filter(record)
    message = record.getMessage()
    assert "9161234567" not in message and "4950000019" not in message
    assert "+7********67" in message


def test_app_logger_masks_numbers(app, caplog):
    with caplog.at_level(logging.INFO):
        app.logger.info("callback to +79161234567 planned")
    assert "+79161234567" not in caplog.text
    assert "+7********67" in caplog.text


def test_startup_warns_when_the_library_lacks_next_years_calendar(tmp_path, monkeypatch, caplog):
    from holidays.countries.russia import RussiaStaticHolidays

    from core import worktime

    table = {y: v for y, v in RussiaStaticHolidays.special_public_holidays.items() if y != 2027}
    monkeypatch.setattr(RussiaStaticHolidays, "special_public_holidays", table)
    worktime._decree_years.cache_clear()
    try:
        with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
            with caplog.at_level(logging.WARNING, logger="helpline.app"):
                create_app(production(tmp_path, SCHEDULER_ENABLED=False))
    finally:
        worktime._decree_years.cache_clear()
    warnings = [r.getMessage() for r in caplog.records if "transfer data" in r.getMessage()]
    assert len(warnings) == 1
    assert "2027" in warnings[0]
    assert "2026" not in warnings[0]
