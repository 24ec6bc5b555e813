"""Fuzz every webhook and every page (issue 13, item 5): no input reaches a 500.

Hypothesis draws form fields and query strings from what attackers and odd phones send
(control characters, «²», numbers beyond int4/int64, dates of year 1 and 9999, format
specs, long text) and mixes in the values that make the flows go deep (the school's number,
a real role and topic, existing ids). Each route gets a fixed budget of examples and the
draw is derandomized, so CI sees the same requests on every run; set
HELPLINE_FUZZ_EXAMPLES for a longer run by hand.

- Webhooks are signed as Twilio signs them; the answer is valid TwiML (never the apology,
  which would mean an exception was caught) or a bare 2xx/4xx for the status callbacks.
- Pages are requested by a signed-in regional admin, with the CSRF token on POSTs; the
  answer is anything but a 5xx, and a 400 says what is wrong in Russian.
"""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from ivr import prompts
from tests.browser.support import SATURDAY_NIGHT, leave_message
from tests.conftest import PARENT_NUMBER, REPO, SCHOOL_NUMBER, TwilioCaller
from tests.flows.test_admin_settings import Admin

EXAMPLES = int(os.environ.get("HELPLINE_FUZZ_EXAMPLES", "12"))
PAGE_EXAMPLES = max(2, EXAMPLES // 4)
# No shrinking: a failure is reported as drawn, and the budget stays what it says.
FUZZ = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)

NASTY = [
    "", " ", "0", "1", "2", "3", "9", "#", "*", "-1", "²", "\u0661", "\x00", "1\x00", "\x7f",
    "99999999999999999999", "9223372036854775808", "2147483648", "1e309", "nan",
    "0001-01-01", "9999-12-31", "2026-11-30", "30.11.2026", "13:00", "25:99",
    "+79161234567", "anonymous", "parent", "staff", "login", "marks", "completed",
    "in-progress", "busy", "{school:>99999}", "{0}", "%s%s%s", "<Say>x</Say>", "../../etc",
    "RE" + "a" * 32, "https://evil.example/RE1", "родитель", "оценки", "а" * 600,
]
VALUE = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
NUMBERS = [SCHOOL_NUMBER, "+73817600002", PARENT_NUMBER, "anonymous", "", "+7\x00", "²"]


# --- webhooks ---------------------------------------------------------------------------------

TWILIO_FIELDS = ["Digits", "SpeechResult", "Confidence", "RecordingUrl", "RecordingSid",
                 "RecordingDuration", "RecordingStatus", "DialCallStatus", "DialCallSid",
                 "DialCallDuration", "CallDuration", "AnsweredBy", "CallStatus"]
QUERY_KEYS = ["attempt", "role", "then", "empty", "retry", "leg", "topic"]


def webhook_rules(app) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.endpoint.split(".")[0] in ("ivr", "callbacks") and "POST" in r.methods)


WEBHOOKS = ["/ivr/voice", "/ivr/menu", "/ivr/role", "/ivr/topic", "/ivr/dialed", "/ivr/recorded",
            "/ivr/after-message", "/ivr/number", "/ivr/number-confirm", "/ivr/vendor",
            "/ivr/recording-status", "/ivr/status", "/ivr/fallback-recorded", "/ivr/live-answered",
            "/callbacks/whisper", "/callbacks/choice", "/callbacks/dialed",
            "/callbacks/result", "/callbacks/status"]


def test_the_fuzz_covers_every_webhook(app):
    assert sorted(WEBHOOKS) == webhook_rules(app)


@pytest.fixture
def line(app, demo):
    """A school with a parent's call half-way through the menu (so the flows go deep)."""
    client = app.test_client()
    caller = TwilioCaller(client)
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller.post("/ivr/voice")
        caller.post("/ivr/role?attempt=1", Digits="1")
    return client, caller.call_sid


@FUZZ
@given(data=st.data())
def test_webhooks_answer_twiml_whatever_they_are_sent(line, data):
    from urllib.parse import urlencode

    client, call_sid = line
    for path in WEBHOOKS:  # every example visits every webhook
        fields = data.draw(st.dictionaries(st.sampled_from(TWILIO_FIELDS), VALUE, max_size=5))
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), VALUE, max_size=3))
        caller = TwilioCaller(
            client,
            call_sid=data.draw(st.sampled_from([call_sid, "CA" + "f" * 32, "CA\x00", "x" * 70])),
            from_=data.draw(st.sampled_from(NUMBERS)),
            to=data.draw(st.sampled_from(NUMBERS[:2] + NUMBERS[3:])),
        )
        target = path + ("?" + urlencode(query) if query else "")
        with time_machine.travel(SATURDAY_NIGHT, tick=False):
            response = caller.post(target, **fields)
        body = response.get_data().decode("utf-8", "replace")
        response.close()
        assert response.status_code < 500, (target, fields, body[:300])
        if response.status_code == 200 and response.mimetype == "text/xml":
            root = ElementTree.fromstring(response.get_data())
            assert root.tag == "Response"
            text = " ".join(el.text or "" for el in root.iter("Say"))
            assert prompts.APOLOGY not in text, (target, fields)  # the apology = a caught error
            assert len(response.get_data()) < 64_000
        else:
            assert response.status_code in (204, 400, 404, 413), (target, fields, body[:300])


# --- pages -------------------------------------------------------------------------------------

SKIP = {
    "auth.logout",  # would end the fuzzing admin's session
    "webphone.start_call", "webphone.send_input", "webphone.send_message",  # live calls
    "live.events",  # a 25-second event stream (tests/flows/test_live_updates.py)
    "public.pdf",  # WeasyPrint: seconds per page (its input is one slug, fuzzed elsewhere)
    "static",
}
_FIELD = re.compile(r"""(?:form|data|values)(?:\.get|\.getlist)?\(\s*["']([a-z_]+)["']"""
                    r"""|(?:form|data)\[["']([a-z_]+)["']\]""")


def form_field_names() -> list[str]:
    """Every form field name the code reads (so the fuzz reaches past «field missing»)."""
    names = set()
    for package in ("core", "helpline", "tickets", "callbacks"):
        for path in (REPO / package).rglob("*.py"):
            for match in _FIELD.finditer(path.read_text(encoding="utf-8")):
                names.add(match.group(1) or match.group(2))
    for path in (REPO / "helpline").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_]+)"', path.read_text(encoding="utf-8")))
    names.discard("csrf_token")
    return sorted(names)


FIELDS = form_field_names()


def page_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or rule.endpoint.split(".")[0] in ("ivr", "callbacks"):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            rules.append((method, rule))
    return sorted(rules, key=lambda mr: (mr[1].rule, mr[0]))


def _groups() -> dict[str, list[tuple[str, str]]]:
    from helpline.app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                      "DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "hl-fuzz"),
                      "SCHEDULER_ENABLED": False})
    groups: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for method, rule in page_rules(app):
        blueprint = rule.endpoint.split(".")[0]
        groups[blueprint if blueprint in ("admin", "tickets", "operator") else "other"].append(
            (method, rule.endpoint))
    return dict(groups)


GROUPS = _groups()


@pytest.fixture
def workspace(app, demo):
    """The regional admin signed in, with a ticket (voice message) and its callback."""
    ticket_id = leave_message(app, app.test_client())
    return Admin(app), ticket_id


def _argument(converter, draw, ticket_id: int):
    if isinstance(converter, IntegerConverter):
        return draw(st.sampled_from([1, 2, ticket_id, 0, 2**31 - 1, 2**31, 10**20]))
    return draw(st.one_of(st.sampled_from(["sosh19", "all", "days", "GREETING", "x", "%00",
                                           "phone", "class", "..", "²"]),
                          st.text(alphabet=st.characters(blacklist_characters="/?#%"),
                                  min_size=1, max_size=12)))


@pytest.mark.parametrize("group", sorted(GROUPS))
@settings(FUZZ, max_examples=PAGE_EXAMPLES)
@given(data=st.data())
def test_pages_never_answer_500(workspace, group, data):
    from urllib.parse import quote, urlencode

    admin, ticket_id = workspace
    rules = {r.endpoint: r for r in admin.app.url_map.iter_rules()}
    for method, endpoint in GROUPS[group]:  # every example visits every page of the group
        rule = rules[endpoint]
        path = rule.rule
        for name, converter in rule._converters.items():
            value = _argument(converter, data.draw, ticket_id)
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", quote(str(value), safe=""), path)
        keys = [*FIELDS, "tab", "page", "from", "to", "user", "action", "next"]
        query = data.draw(st.dictionaries(st.sampled_from(keys), VALUE, max_size=4))
        target = path + ("?" + urlencode(query) if query else "")
        if method == "GET":
            response = admin.get(target)
        else:
            form = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=8))
            response = admin.post(target, data=form)
        body = response.get_data().decode("utf-8", "replace")
        response.close()  # a recording is a file: close it
        assert response.status_code < 500, (method, target, body[:500])
        if response.status_code == 400 and response.mimetype == "text/html":
            assert re.search("[А-Яа-яЁё]{4,}", body), (method, target)


def test_the_fuzz_covers_every_page(app):
    covered = {endpoint for pages in GROUPS.values() for _, endpoint in pages}
    every = {r.endpoint for r in app.url_map.iter_rules()
             if r.endpoint.split(".")[0] not in ("ivr", "callbacks")}
    assert every - covered == SKIP & every
