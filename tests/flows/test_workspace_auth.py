"""Sign-in, cookies, CSRF, the login rate limit, roles and the organization scope."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import ui_text as t
from core.extensions import db
from core.models import AuditEvent, Organization, User
from helpline import auth
from tests.browser.support import PASSWORD, csrf_token, login

PAGES = ["/tickets/", "/operator/", "/phone/", "/workspace", "/operator/queue-fragment"]


def page(client, path):
    response = client.get(path)
    return response, response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_asks_to_sign_in_first(client, demo, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_the_front_page_leads_to_the_sign_in(client, demo):
    assert client.get("/").location == "/workspace"
    assert client.get("/workspace").location.startswith("/login")


def test_sign_in_page_is_russian_and_carries_a_csrf_token(client, demo):
    response, html = page(client, "/login")
    assert response.status_code == 200
    assert t.LOGIN_TITLE in html and 'lang="ru"' in html
    assert csrf_token(html)
    assert "Content-Security-Policy" in response.headers
    # Everything is served here (a school LAN has no internet): every script, style sheet,
    # image and link is a local path. (The page's random CSRF token may spell "cdn".)
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert addresses and all(a.startswith(("/", "#", "?")) for a in addresses), addresses
    assert "https://" not in html and "http://" not in html


def test_operator_lands_on_the_queue_consultant_on_the_inbox(app, demo):
    operator, consultant = app.test_client(), app.test_client()
    token = csrf_token(operator.get("/login").get_data(as_text=True))
    response = operator.post("/login", data={"username": "operator", "password": PASSWORD,
                                             "csrf_token": token})
    assert response.location == "/operator/"
    token = csrf_token(consultant.get("/login").get_data(as_text=True))
    response = consultant.post("/login", data={"username": "consultant",
                                               "password": PASSWORD, "csrf_token": token})
    assert response.location == "/tickets/"


def test_session_cookie_is_httponly_lax_and_secure_over_https(client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "consultant", "password": PASSWORD,
                                            "csrf_token": token})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_cookie_is_not_secure_on_a_plain_http_lan(app_config, tmp_path):
    from helpline.app import create_app

    app = create_app({**app_config, "PUBLIC_URL": "http://192.168.1.10:5000"})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_wrong_password_is_refused_politely_and_audited(app, client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "consultant", "password": "nope",
                                            "csrf_token": token})
    assert response.status_code == 400
    assert t.LOGIN_FAILED in response.get_data(as_text=True)
    assert client.get("/tickets/").status_code == 302  # still signed out
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "auth.login_failed")).one()
        assert event.actor == "consultant" and event.note == "127.0.0.1"


def test_unknown_user_and_empty_form(client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "nobody", "password": "x",
                                            "csrf_token": token})
    assert response.status_code == 400 and t.LOGIN_FAILED in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "", "password": "",
                                            "csrf_token": token})
    assert response.status_code == 400 and t.LOGIN_EMPTY in response.get_data(as_text=True)


def test_an_inactive_user_cannot_sign_in(app, client, demo):
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "consultant")).one().active = False
        db.session.commit()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "consultant", "password": PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 400


def _try(client, username, password, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
    return client.post("/login", headers=headers, data={
        "username": username, "password": password, "csrf_token": token})


def _proxied_app(app_config):
    from helpline.app import create_app
    from helpline.demo import load_demo

    app = create_app({**app_config, "PROXY_COUNT": 1})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_demo("demo-password")
    return app


def _drop(app):
    with app.app_context():
        db.session.remove()  # end the read's transaction: on PostgreSQL DROP TABLE waits for it
        db.drop_all()


def test_wrong_passwords_slow_the_name_down_exponentially(app, client, demo):
    import time_machine

    from core import clock

    with time_machine.travel(clock.now(), tick=False) as traveller:
        for _ in range(auth.FREE_PER_USER_AND_ADDRESS):
            assert _try(client, "consultant", "bad").status_code == 400
        # Even the right password waits now: that is what makes guessing slow.
        response = _try(client, "consultant", PASSWORD)
        assert response.status_code == 429
        assert t.LOGIN_SLOW_DOWN.format(seconds=1) in response.get_data(as_text=True)
        # Another user from the same address is not slowed down.
        assert _try(app.test_client(), "operator", PASSWORD).status_code == 302
        delays = []
        for wait in (1, 2, 4, 8):  # wait it out, fail again: the next wait doubles
            traveller.shift(wait + 0.1)
            assert _try(client, "consultant", "bad").status_code == 400
            waiting = _try(client, "consultant", PASSWORD)
            assert waiting.status_code == 429
            html = waiting.get_data(as_text=True)
            delays.append(next(s for s in (2, 4, 8, 16)
                               if t.LOGIN_SLOW_DOWN.format(seconds=s) in html))
        assert delays == [2, 4, 8, 16]
        traveller.shift(16.1)
        assert _try(client, "consultant", PASSWORD).status_code == 302


def test_the_back_off_lifts_after_the_window(app, client, demo):
    import time_machine

    from core import clock

    start = clock.now()
    with time_machine.travel(start, tick=False):
        for _ in range(auth.FREE_PER_USER_AND_ADDRESS + 3):
            _try(client, "consultant", "bad")
        assert _try(client, "consultant", PASSWORD).status_code == 429
    with time_machine.travel(start + auth.LOGIN_WINDOW + auth.LOGIN_WINDOW / 10, tick=False):
        assert _try(client, "consultant", PASSWORD).status_code == 302


def test_a_success_resets_the_count_for_that_user(app, client, demo):
    for _ in range(auth.FREE_PER_USER_AND_ADDRESS - 1):
        _try(client, "consultant", "bad")
    assert _try(client, "consultant", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(
        client.get("/tickets/").get_data(as_text=True))})
    assert _try(client, "consultant", "bad").status_code == 400
    assert _try(client, "consultant", PASSWORD).status_code == 302


def test_many_usernames_from_one_address_are_limited_too(app, client, demo):
    for i in range(auth.FAILURES_PER_ADDRESS):
        _try(client, f"guess{i}", "x")
    response = _try(client, "operator", PASSWORD)
    assert response.status_code == 429


def test_a_stranger_cannot_lock_a_user_out_of_their_usual_address(app_config):
    import time_machine

    from core import clock

    app = _proxied_app(app_config)
    client = app.test_client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        # The consultant works at 10.0.0.8 (signed in there before).
        assert _try(client, "consultant", PASSWORD, "10.0.0.8").status_code == 302
        client.post("/logout", headers={"X-Forwarded-For": "10.0.0.8"}, data={
            "csrf_token": csrf_token(client.get("/tickets/").get_data(as_text=True))})
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        # A stranger guesses their password from many addresses, until slowed down everywhere.
        stranger = app.test_client()
        for n in range(10):
            for _ in range(auth.FREE_PER_USER_AND_ADDRESS + 1):
                _try(stranger, "consultant", "guess", f"203.0.113.{n}")
        assert _try(stranger, "consultant", PASSWORD, "203.0.113.77").status_code == 429
        # The consultant at their own desk gets in with the right password at once.
        assert _try(client, "consultant", PASSWORD, "10.0.0.8").status_code == 302
    _drop(app)


def test_the_usual_address_still_backs_off_a_guesser_sitting_there(app_config):
    import time_machine

    from core import clock

    app = _proxied_app(app_config)
    client = app.test_client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        assert _try(client, "consultant", PASSWORD, "10.0.0.8").status_code == 302
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        other = app.test_client()
        for _ in range(auth.FREE_PER_USER_AND_ADDRESS):
            assert _try(other, "consultant", "guess", "10.0.0.8").status_code == 400
        assert _try(other, "consultant", "guess", "10.0.0.8").status_code == 429
    _drop(app)


def test_an_unknown_name_or_a_disabled_account_costs_a_real_hash_check(app, client, demo,
                                                                        monkeypatch):
    """Timing tells no names: the same hash method is checked whether the name exists."""
    checked = []
    real = auth.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash.split("$")[0])
        return real(pwhash, password)

    import core.models as models

    monkeypatch.setattr(auth, "check_password_hash", spy)
    monkeypatch.setattr(models, "check_password_hash", spy)
    method = app.config["PASSWORD_HASH_METHOD"]
    assert _try(client, "consultant", "wrong").status_code == 400
    assert _try(client, "nobody-here", "wrong").status_code == 400
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "operator")).one().active = False
        db.session.commit()
    assert _try(client, "operator", PASSWORD).status_code == 400
    assert checked == [method, method, method]


def test_a_post_without_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"username": "consultant", "password": PASSWORD})
    assert response.status_code == 400
    assert t.ERROR_CSRF in response.get_data(as_text=True)
    assert client.get("/tickets/").status_code == 302  # not signed in


def test_logout_needs_a_post_with_token(client, demo):
    login(client, "consultant")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert client.get("/tickets/").status_code == 200
    token = csrf_token(client.get("/tickets/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.location == "/login"
    assert client.get("/tickets/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_next_never_leaves_the_site(client, demo, target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "consultant", "password": PASSWORD,
                                            "csrf_token": token, "next": target})
    assert response.location == "/tickets/"


def test_next_returns_to_the_page_asked_for(client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=/tickets/%3Ftab%3Dclosed", data={
        "username": "consultant", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/tickets/?tab=closed"


def test_twilio_webhooks_need_no_csrf_token(caller):
    response = caller.post("/ivr/voice")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    response = caller.post("/callbacks/status", CallStatus="completed")
    assert response.status_code == 200 and response.mimetype == "text/xml"


def test_twilio_webhooks_still_need_the_signature(client, demo):
    assert client.post("/ivr/voice", data={"CallSid": "CA1"}).status_code == 403
    assert client.post("/callbacks/status", data={"CallSid": "CA1"}).status_code == 403


def test_roles_operator_cannot_act_as_consultant_and_back(client, demo):
    login(client, "consultant")
    assert client.get("/operator/").status_code == 403
    assert client.get("/operator/queue-fragment").status_code == 403
    assert t.ERROR_403 in client.get("/operator/").get_data(as_text=True)


def test_a_user_without_a_role_is_told_so(app, client, demo):
    with app.app_context():
        user = User(username="nobody", name="Без роли", roles=[], organization_id=1)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "nobody", "password": PASSWORD,
                                "csrf_token": token})
    response = client.get("/workspace")
    assert response.status_code == 403 and t.NO_ROLE_HOME in response.get_data(as_text=True)
    assert client.get("/tickets/").status_code == 403


def test_regional_admin_switches_organization(app, client, demo):
    token = login(client, "admin")
    with app.app_context():
        orgs = {o.slug: o.id for o in db.session.scalars(select(Organization))}
    html = client.get("/tickets/").get_data(as_text=True)
    assert "МАОУ СОШ № 19 (демо)" in html and 'id="org-select"' in html
    response = client.post("/organization", data={"organization_id": orgs["tukalinsk"],
                                                   "csrf_token": token, "next": "/tickets/"})
    assert response.location == "/tickets/"
    html = client.get("/tickets/").get_data(as_text=True)
    assert f'<option value="{orgs["tukalinsk"]}" selected>' in html


def test_switching_to_an_unknown_organization_is_a_clear_400(client, demo):
    token = login(client, "admin")
    for value in ("999", "abc", ""):
        response = client.post("/organization", data={"organization_id": value,
                                                       "csrf_token": token})
        assert response.status_code == 400
        assert t.ORGANIZATION_UNKNOWN in response.get_data(as_text=True)


def test_only_a_regional_admin_may_switch(client, demo):
    token = login(client, "consultant")
    response = client.post("/organization", data={"organization_id": "2", "csrf_token": token})
    assert response.status_code == 403


def test_failed_logins_leave_one_audit_row_each(app, client, demo):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for _ in range(3):
        client.post("/login", data={"username": "operator", "password": "x",
                                    "csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.login_failed")) == 3


def _fail_logins(client, times: int, forwarded_for: str | None = None) -> int:
    """Post `times` wrong passwords (as one address, if forwarded); the last status code."""
    status = 0
    for _ in range(times):
        status = _try(client, "consultant", "bad", forwarded_for).status_code
    return status


def test_behind_a_proxy_the_rate_limit_counts_each_users_address(app_config):
    app = _proxied_app(app_config)
    client = app.test_client()
    # One user at the school guesses until slowed down ...
    _fail_logins(client, auth.FREE_PER_USER_AND_ADDRESS, "10.0.0.7")
    assert _fail_logins(client, 1, "10.0.0.7") == 429
    # ... and the consultant signing in at another desk, through the same proxy, is not.
    response = _try(client, "consultant", "demo-password", "10.0.0.8")
    assert response.status_code == 302
    with app.app_context():
        notes = set(db.session.scalars(select(AuditEvent.note).where(
            AuditEvent.action.in_(["auth.login_failed", "auth.login"]))).all())
    _drop(app)
    assert notes == {"10.0.0.7", "10.0.0.8"}


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(app, client, demo):
    # Changing the header on every try must not dodge the limit.
    for n in range(auth.FREE_PER_USER_AND_ADDRESS):
        _fail_logins(client, 1, f"203.0.113.{n}")
    assert _fail_logins(client, 1, "198.51.100.1") == 429
    with app.app_context():
        notes = set(db.session.scalars(select(AuditEvent.note).where(
            AuditEvent.action == "auth.login_failed")).all())
    assert notes == {"127.0.0.1"}


@pytest.mark.parametrize("value", ["nginx", -1, 9])
def test_a_wrong_proxy_count_stops_start_up_with_a_clear_message(app_config, value):
    from helpline.app import ConfigError, create_app

    with pytest.raises(ConfigError, match="HELPLINE_PROXY_COUNT"):
        create_app({**app_config, "PROXY_COUNT": value})


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_dies_with_logout(app, demo):
    client = app.test_client()
    token = login(client, "consultant")
    stolen = _session_cookie(client)
    client.post("/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/tickets/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_new_password_ends_the_users_other_sessions(app, demo):
    from tests.flows.test_admin_settings import Admin

    consultant = app.test_client()
    login(consultant, "consultant")
    assert consultant.get("/tickets/").status_code == 200
    admin = Admin(app)
    with app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.username == "consultant")).one()
    response = admin.post(f"/admin/users/{user_id}/password", data={"password": "Новый-пароль-42"})
    assert response.status_code == 302
    assert consultant.get("/tickets/").status_code == 302  # signed out
    assert admin.get("/admin/").status_code == 200  # the admin's own session goes on


def test_an_admin_changing_their_own_password_stays_signed_in_here_only(app, demo):
    from tests.flows.test_admin_settings import Admin, make_user

    user_id = make_user(app, "head19", "sosh19", ["admin"], name="Ирина Павловна Соколова")
    here, elsewhere = Admin(app, "head19"), Admin(app, "head19")
    response = here.post(f"/admin/users/{user_id}/password", data={"password": "Новый-пароль-42"})
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302


@pytest.mark.parametrize("forged", ["1", "1:", "1:999", "99999999999999999999:0", "x:0"])
def test_a_forged_user_id_in_the_session_signs_nobody_in(app, demo, forged):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = forged
        session["_fresh"] = True
    assert client.get("/tickets/").status_code == 302
