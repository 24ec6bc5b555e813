"""The published schedule: public page, iframe page, HTML fragment, A4 sheet and PDF."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from core import ui_text as t
from core.extensions import db
from core.models import DutyException, ExceptionKind, Organization, User
from helpline import public


def html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def set_org(app, slug: str, **fields) -> None:
    with app.app_context():
        org = db.session.scalars(select(Organization).where(Organization.slug == slug)).one()
        for name, value in fields.items():
            setattr(org, name, value)
        db.session.commit()


def test_the_page_needs_no_sign_in_and_says_everything(client, demo):
    page = html(client, "/s/sosh19/")
    assert "МАОУ СОШ № 19 (демо)" in page
    assert t.PUBLIC_HOURS.format(hours="по будням с 13:00 до 15:00") in page
    for day in ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница"):
        assert f"<td>{day}</td><td>13:00–15:00</td><td>Елена Викторовна Кузнецова</td>" in page
    assert "Суббота" not in page  # no weekend duty, no weekend rows
    assert "+7 495 000-00-19" in page and "help@sosh19.example.ru" in page
    assert "рассматриваются в течение 2 рабочих дней." in page
    assert "Обратные звонки — по будням с 9:00 до 18:00." in page
    assert "в течение 5 рабочих дней с начала работы" in page
    assert "служба поддержки «Школьного портала»" in page and "8 804 333-84-85" in page
    assert "(звонок бесплатный)" in page and "support@school.mosreg.ru" in page
    # A Moscow school hears Moscow hours as they are; working days only.
    assert "Часы работы: по будням с 9:00 до 18:00, кроме выходных и праздничных дней" in page
    assert "по московскому времени" not in page


def test_a_school_in_another_zone_reads_the_vendors_moscow_hours(client, demo):
    page = html(client, "/s/tukalinsk/")
    assert "Часы работы: ежедневно с 9:00 до 21:00 по московскому времени" in page
    assert "в течение 3 рабочих дней с начала работы" in page
    assert "по будням с 14:00 до 16:00" in page


@pytest.mark.parametrize(("days", "phrase"), [
    (1, "в течение 1 рабочего дня"), (2, "в течение 2 рабочих дней"),
    (5, "в течение 5 рабочих дней"), (21, "в течение 21 рабочего дня"),
])
def test_the_deadline_agrees_with_its_number(app, client, demo, days, phrase):
    set_org(app, "sosh19", sla_working_days=days)
    assert f"рассматриваются {phrase}." in html(client, "/s/sosh19/")


def test_closed_days_and_extra_hours_are_published_but_leave_is_not(app, client, demo):
    from core import clock

    with app.app_context():
        org = db.session.scalars(select(Organization).where(Organization.slug == "sosh19")).one()
        today = clock.now().date()
        consultant = db.session.scalars(select(User).where(User.username == "consultant")).one()
        from datetime import time, timedelta

        org.exceptions.extend([
            DutyException(day=today + timedelta(days=3), kind=ExceptionKind.CLOSED),
            DutyException(day=today + timedelta(days=4), kind=ExceptionKind.EXTRA,
                          user_id=consultant.id, start=time(10), end=time(12)),
            DutyException(day=today + timedelta(days=5), kind=ExceptionKind.LEAVE,
                          user_id=consultant.id, note="больничный"),
        ])
        db.session.commit()
        closed = (today + timedelta(days=3)).strftime("%d.%m.%Y")
    page = html(client, "/s/sosh19/")
    assert f"{closed} — линия не работает" in page
    assert "дополнительные часы 10:00–12:00" in page
    assert "больничный" not in page


def test_the_public_page_may_not_be_framed(client, demo):
    response = client.get("/s/sosh19/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_embed_page_may_be_framed_by_any_site(client, demo):
    response = client.get("/s/sosh19/embed")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "public--embed" in page and "13:00–15:00" in page
    assert t.PUBLIC_PRINT_LINK not in page


def test_the_fragment_is_plain_html_anyone_may_fetch(client, demo):
    response = client.get("/s/sosh19/fragment")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="helpline-schedule"')
    assert "<html" not in body and "<script" not in body and "<link" not in body
    assert "13:00–15:00" in body and "+7 495 000-00-19" in body


def test_the_printable_sheet_has_the_approval_block_and_the_schedule(app, client, demo):
    sheet = html(client, "/s/sosh19/print")
    approval = sheet.split('id="approval"')[1].split("</div>")[0]
    assert [line.strip() for line in approval.split("<p>")[1:]] == [
        "УТВЕРЖДАЮ</p>", "Руководитель МАОУ СОШ № 19 (демо)</p>", "____________ ФИО</p>",
        "«__» ____________ 20__ г.</p>"]
    assert t.PRINT_TITLE in sheet
    assert "<td>Понедельник</td><td>13:00–15:00</td>" in sheet
    assert "print.css" in sheet and "data-print" in sheet
    set_org(app, "sosh19", head_name="И. П. Соколова")
    assert "____________ И. П. Соколова" in html(client, "/s/sosh19/print")


def test_the_pdf_has_one_a4_page_with_the_approval_block_and_the_schedule(app, client, demo):
    from tests.conftest import need

    need(public.pdf_available(), "WeasyPrint cannot run here (libpango-1.0-0 missing?)")
    from pypdf import PdfReader

    response = client.get("/s/sosh19/schedule.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4, points
    text = " ".join(reader.pages[0].extract_text().split())
    assert "УТВЕРЖДАЮ" in text and "Руководитель МАОУ СОШ № 19 (демо)" in text
    assert "«__» ____________ 20__ г." in text
    assert t.PRINT_TITLE in text and "13:00–15:00" in text and "Понедельник" in text
    assert "+7 495 000-00-19" in text


def test_without_weasyprint_the_pdf_says_so(client, demo, monkeypatch):
    monkeypatch.setattr(public, "pdf_available", lambda: False)
    response = client.get("/s/sosh19/schedule.pdf")
    assert response.status_code == 404 and t.PDF_UNAVAILABLE in response.get_data(as_text=True)
    assert "/schedule.pdf" not in html(client, "/s/sosh19/print")


@pytest.mark.parametrize("path", ["/s/nope/", "/s/nope/embed", "/s/nope/fragment",
                                  "/s/nope/print", "/s/nope/schedule.pdf"])
def test_an_unknown_school_is_a_404(client, demo, path):
    assert client.get(path).status_code == 404


def test_facts_for_a_school_without_anything_yet(app_ctx):
    org = Organization(name="Новая школа", short_name="школа", slug="new", vendor_phones=[],
                       vendor_hours=[], prompt_overrides={})
    db.session.add(org)
    db.session.commit()
    facts = public.facts(org, date(2026, 12, 1))
    assert facts.hours is None and facts.callback_hours is None and facts.vendor_hours is None
    assert [r.hours for r in facts.rows] == ["—"] * 5


def test_public_page_numbers_and_addresses_are_links(client, demo):
    page = client.get("/s/sosh19/").get_data(as_text=True)
    assert '<a href="tel:+74950000019">+7 495 000-00-19</a>' in page
    assert '<a href="tel:+78043338485">8 804 333-84-85</a>' in page  # «8 804», dialled as +7
    assert 'href="mailto:support@school.mosreg.ru"' in page
