"""Done when: a head sets up a new school from an empty database through the pages alone,
prints its schedule, and reads last month's report.

The only step outside the pages is the very first user, made by `helpline admin
create-regional`. Everything else is a page: forms posted as a browser posts them (with the
CSRF token), calls made through the call simulator playing Twilio.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from core import ui_text as t
from core.extensions import db
from core.models import Organization, User
from helpline import public
from simulator import (
    CallSimulator,
    DialOutcome,
    DirectoryRecordingStore,
    Keys,
    Message,
    ScriptedCaller,
    flask_transport,
)
from tests.browser.support import csrf_token
from tests.conftest import AUTH_TOKEN, BASE_URL, make_wav

OMSK = ZoneInfo("Asia/Omsk")
SCHOOL = "+73817600077"
CONSULTANT = "+79990000771"
PARENTS = ["+79161110001", "+79161110002", "+79161110003", "+79161110004"]


def at(year, month, day, hour, minute=0):
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=OMSK),
                               tick=False)


class Browser:
    """A person at the pages: signs in, follows redirects, posts forms with the token."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = ""

    def sign_in(self, username, password):
        self.token = csrf_token(self.client.get("/login").get_data(as_text=True))
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": self.token})
        assert response.status_code == 302, response.get_data(as_text=True)
        page = self.client.get(response.location)
        self.token = csrf_token(page.get_data(as_text=True))
        return response.location, page.get_data(as_text=True)

    def get(self, path, status=200):
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    def post(self, path, data):
        response = self.client.post(path, data={"csrf_token": self.token, **data})
        assert response.status_code == 302, (path, response.get_data(as_text=True)[-3000:])
        return self.client.get(response.location).get_data(as_text=True)


def simulator(app):
    store = DirectoryRecordingStore(Path(app.config["DATA_DIR"]) / "simulator-recordings",
                                    BASE_URL + "/ivr/simulator/recordings")
    return CallSimulator(flask_transport(app.test_client(), BASE_URL), base_url=BASE_URL,
                         auth_token=AUTH_TOKEN, recordings=store)


def test_a_head_sets_up_a_school_prints_the_schedule_and_reads_last_months_report(app):
    # An empty database and one command: the regional admin.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization)) == 0
    result = app.test_cli_runner().invoke(args=[
        "admin", "create-regional", "region", "--name", "Региональный координатор",
        "--password", "region-secret-1"])
    assert result.exit_code == 0, result.output

    with at(2026, 10, 30, 10):  # a Friday before the month starts
        region = Browser(app)
        landing, page = region.sign_in("region", "region-secret-1")
        assert landing == "/admin/" and t.ADMIN_NO_ORGS in page
        page = region.post("/admin/organizations/new", {
            "name": "МБОУ «Лицей № 7» г. Омска", "short_name": "лицей номер 7",
            "slug": "licey7", "timezone": "Asia/Omsk", "numbers": "8 (3817) 60-00-77",
            "contact_phone": "+7 3817 60-00-77", "contact_email": "help@licey7.example.ru",
            "head_name": "А. В. Морозова"})
        assert t.ORG_CREATED.format(name="МБОУ «Лицей № 7» г. Омска") in page
        assert t.CHECKLIST["consultant"] in page
        # The head of the school, who will do the rest.
        region.post("/admin/users", {"name": "Анна Викторовна Морозова", "username": "morozova",
                                     "roles": ["admin"], "password": "head-secret-1",
                                     "email": "head@licey7.example.ru"})

        head = Browser(app)
        landing, page = head.sign_in("morozova", "head-secret-1")
        assert landing == "/admin/" and "МБОУ «Лицей № 7» г. Омска" in page
        head.post("/admin/users", {"name": "Олег Игоревич Белов", "username": "belov",
                                   "phone": CONSULTANT, "roles": ["consultant"],
                                   "password": "consultant-1"})
        head.post("/admin/users", {"name": "Светлана Юрьевна Ким", "username": "kim",
                                   "phone": "+79990000772", "roles": ["operator"],
                                   "password": "operator-1"})
        with app.app_context():
            ids = {u.username: u.id for u in db.session.scalars(select(User))}
        workdays = ["0", "1", "2", "3", "4"]
        head.post("/admin/schedule/slots", {"user_id": ids["belov"], "kind": "consultation",
                                            "weekdays": workdays, "start": "13:00",
                                            "end": "15:00"})
        page = head.post("/admin/schedule/slots", {"user_id": ids["kim"], "kind": "callbacks",
                                                   "weekdays": workdays, "start": "09:00",
                                                   "end": "17:00"})
        assert "Консультант принимает звонки по будням с 13:00 до 15:00." in page
        page = head.get("/admin/organization")
        form = {name: value for name, value in re.findall(
            r'<input id="f-[^"]+" name="([^"]+)" type="(?:text|tel|number)" value="([^"]*)"',
            page)}
        head.post("/admin/organization", {
            **form, "timezone": "Asia/Omsk", "numbers": "+7 3817 60-00-77",
            "journal_system": "Дневник.ру", "vendor_name": "служба поддержки «Дневник.ру»",
            "vendor_phones": "8 (812) 490-70-33", "vendor_phone_note": "звонок платный",
            "vendor_email": "team@company.dnevnik.ru", "vendor_timezone": "Europe/Moscow",
            "vendor_days_0": ["0", "1", "2", "3", "4", "5", "6"], "vendor_start_0": "09:00",
            "vendor_end_0": "21:00", "sla_working_days": "2", "training_deadline_days": "3",
            "callback_mode": "manual", "callback_capacity_per_hour": "6",
            "retention_days": "60"})
        assert t.CHECKLIST_DONE in head.get("/admin/")

        # Publish: the page, the embed code, the sheet for the notice board.
        page = head.get("/admin/publication")
        assert "https://help.example.test/s/licey7/embed" in page
        sheet = head.get("/s/licey7/print")
        assert "УТВЕРЖДАЮ" in sheet and "Руководитель МБОУ «Лицей № 7» г. Омска" in sheet
        assert "____________ А. В. Морозова" in sheet
        assert "<td>Пятница</td><td>13:00–15:00</td><td>Олег Игоревич Белов</td>" in sheet
        assert "ежедневно с 9:00 до 21:00 по московскому времени" in sheet
        if public.pdf_available():
            from pypdf import PdfReader

            pdf = head.client.get("/s/licey7/schedule.pdf")
            text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
            assert "УТВЕРЖДАЮ" in text and "13:00–15:00" in text

    # November: parents call.
    phone = simulator(app)
    script = {
        "live": [Keys("1"), Keys("2"), DialOutcome("completed")],
        "message": [Keys("1"), Keys("2"), Message(make_wav(4))],
        "training": [Keys("2"), Keys("8"), Message(make_wav(4))],
    }
    calls = [((2026, 11, 2, 13, 30), PARENTS[0], "live"),
             ((2026, 11, 2, 19, 0), PARENTS[1], "message"),
             ((2026, 11, 5, 14, 0), PARENTS[2], "live"),
             ((2026, 11, 7, 11, 0), PARENTS[3], "message"),  # a Saturday
             ((2026, 11, 9, 10, 0), "+79161110005", "training")]
    for moment, caller, kind in calls:
        with at(*moment):
            talk = phone.call(to=SCHOOL, from_=caller, caller=ScriptedCaller(script[kind]))
            assert not talk.errors, talk.render(verbose=True)

    # December: the head reads last month's report.
    with at(2026, 12, 2, 9):
        head = Browser(app)
        head.sign_in("morozova", "head-secret-1")
        report = head.get("/admin/reports")
        assert t.REPORT_PERIOD.format(start="01.11.2026", end="30.11.2026") in report
        assert '<span class="stat__value" id="stat-calls">5</span>' in report
        assert '<span class="stat__value" id="stat-live">2</span>' in report
        assert '<span class="stat__value" id="stat-voicemail">3</span>' in report
        assert "<td>обучение нового сотрудника</td><td>1</td>" in report
        assert 'id="table-training"' in report  # the training request and its deadline
        csv_text = head.client.get("/admin/reports/all.csv?from=2026-11-01&to=2026-11-30")
        assert "02.11.2026;2" in csv_text.data.decode("utf-8-sig")
        audit = head.get("/admin/audit")
        assert t.ADMIN_AUDIT_ACTION["slot.added"] in audit and "Анна Викторовна Морозова" in audit
