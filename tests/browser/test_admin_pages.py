"""The admin pages in headless Chromium: the schedule editor, the public page, its iframe,
the printable sheet and the reports, with screenshots under tests/artifacts/."""

from __future__ import annotations

import re

import pytest

from core import ui_text as t
from tests.browser.conftest import shoot
from tests.browser.support import PASSWORD

pytestmark = pytest.mark.browser


def sign_in_admin(page, app) -> None:
    page.goto(app.url + "/login")
    page.get_by_label(t.LOGIN_USERNAME).fill("admin")
    page.get_by_label(t.LOGIN_PASSWORD).fill(PASSWORD)
    page.get_by_role("button", name=t.LOGIN_SUBMIT).click()
    page.wait_for_load_state()


def add_slot(page, *, person: str, days: list[str], start: str, end: str) -> None:
    form = page.locator("#add-slot form")
    form.locator("#add-user").select_option(label=person)
    form.locator("#add-kind").select_option(label=t.DUTY_KIND["consultation"])
    for day in days:
        form.get_by_label(day, exact=True).check()
    form.locator("#add-start").fill(start)
    form.locator("#add-end").fill(end)
    form.get_by_role("button", name=t.ADD).click()
    page.wait_for_load_state()


def test_the_schedule_editor_and_the_public_page_follow_each_other(page, live_server):
    app = live_server
    sign_in_admin(page, app)
    assert page.url.endswith("/admin/")
    assert page.locator("#checklist").get_by_text(t.CHECKLIST["consultation"]).is_visible()
    shoot(page, "09-admin-home")

    page.get_by_role("link", name=t.ADMIN_SECTIONS["schedule"]).click()
    assert page.get_by_role("heading", name=t.SCHEDULE_TITLE).is_visible()
    assert page.get_by_text(t.WARN_NO_CONSULTATION).is_visible()

    consultant = "Елена Викторовна Кузнецова"
    add_slot(page, person=consultant, days=["Пн", "Вт", "Ср", "Чт", "Пт"], start="13:00",
             end="15:00")
    assert page.get_by_text(re.compile("Дежурство добавлено")).is_visible()
    assert page.locator("#schedule-summary").inner_text().startswith(
        t.SCHEDULE_SUMMARY.format(hours="по будням с 13:00 до 15:00"))
    assert page.locator(".slot-bar--consultation").count() == 5
    shoot(page, "10-admin-schedule")

    # The same person twice at once: refused, explained, nothing saved.
    add_slot(page, person=consultant, days=["Пн"], start="14:00", end="16:00")
    alert = page.locator("#add-slot").get_by_role("alert")
    assert "пересекаются: понедельник 14:00–16:00 и уже есть 13:00–15:00" in alert.inner_text()
    assert page.locator(".slot-bar--consultation").count() == 5
    shoot(page, "11-admin-schedule-overlap")

    # Move Monday to the late afternoon, remove Friday.
    monday = page.locator("form.slot-form--consultation").filter(
        has=page.locator("select[name=weekday] option[selected][value='0']")).first
    monday.locator("input[name=start]").fill("16:00")
    monday.locator("input[name=end]").fill("18:00")
    monday.get_by_role("button", name=t.SAVE).click()
    page.wait_for_load_state()
    assert page.get_by_text(re.compile("Дежурство сохранено: пн 16:00–18:00")).is_visible()
    friday = page.locator("form.slot-form--consultation").filter(
        has=page.locator("select[name=weekday] option[selected][value='4']")).first
    friday.get_by_role("button", name=t.DELETE).click()
    page.wait_for_load_state()
    assert page.get_by_text(re.compile("Дежурство удалено: пт 13:00–15:00")).is_visible()
    assert page.locator(".slot-bar--consultation").count() == 4

    # The public page, no sign-in needed, says the same.
    visitor = page.context.browser.new_context(locale="ru-RU", viewport={"width": 1000,
                                                                         "height": 900})
    public = visitor.new_page()
    public.goto(app.url + "/s/sosh19/")
    rows = public.locator("#public-table tbody tr")
    assert rows.nth(0).inner_text().split("\t")[:2] == ["Понедельник", "16:00–18:00"]
    assert rows.nth(4).inner_text().split("\t")[:2] == ["Пятница", "—"]
    assert "по понедельникам с 16:00 до 18:00" in public.locator("#public-hours").inner_text()
    shoot(public, "12-public-page")

    # The iframe page can be framed by another site; the page itself cannot.
    public.set_content(
        f'<h1>Сайт школы</h1><iframe id="ok" src="{app.url}/s/sosh19/embed" width="900" '
        f'height="500"></iframe><iframe id="no" src="{app.url}/s/sosh19/" width="900" '
        'height="100"></iframe>')
    public.wait_for_timeout(1500)
    embedded = public.frame_locator("#ok")
    assert "Понедельник" in embedded.locator("#public-table").inner_text()
    assert public.frame_locator("#no").locator("#public-table").count() == 0  # refused
    shoot(public, "13-public-embedded")

    # The sheet for the notice board, as printed.
    public.goto(app.url + "/s/sosh19/print")
    assert [line for line in public.locator("#approval").inner_text().splitlines() if line][:2] == [
        "УТВЕРЖДАЮ", "Руководитель МАОУ СОШ № 19 (демо)"]
    public.emulate_media(media="print")
    assert not public.get_by_role("button", name=t.PRINT_BUTTON).is_visible()
    shoot(public, "14-public-print")
    visitor.close()
    assert page.errors == []


def test_the_reports_page_draws_its_charts(page, live_server):
    from tests.unit.test_reports import seed_november

    app = live_server
    with app.app_context():
        seed_november()
    sign_in_admin(page, app)
    page.goto(app.url + "/admin/reports?from=2026-11-01&to=2026-11-30")
    assert page.locator("#stat-calls").inner_text() == "7"
    charts = page.locator("img.chart")
    assert charts.count() == 5
    for i in range(charts.count()):  # every SVG loaded and has a size
        assert page.evaluate("(img) => img.naturalWidth", charts.nth(i).element_handle()) > 100
    shoot(page, "15-admin-reports")
    page.goto(app.url + "/admin/audit")
    shoot(page, "16-admin-audit")
    assert page.errors == []
