"""SMS outreach on the phone (issue 14): the `sms:` link for Android and iOS; two numbers
texted offline, a reply and an opt-out recorded, everything arriving exactly once; and a text
the server refuses (a colleague texted the number first) kept and shown as refused."""

import random
import re
import string
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from outreach import phones
from outreach.auth.models import User
from outreach.db import db
from outreach.leads.models import Lead
from outreach.orgs.models import Organisation
from outreach.persons.models import Conversation
from outreach.sms.models import DoNotContact, SmsContact
from tests.field.conftest import NURSE

pytestmark = pytest.mark.browser

TEMPLATE = "Hi, this is {name} from the health team. Call us: {phone}"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15)"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def a_number() -> str:
    """A random valid Danish mobile number."""
    while True:
        number = f"+4520{random.randrange(10**6):06d}"
        try:
            return phones.normalise(number)
        except phones.InvalidPhone:
            continue


def letters_alias(name: str) -> str:
    """A new alias: matching compares letters only, so a suffix of digits ("Lin 1234") would
    be the demo's "Lin", and the phone would rightly ask "Met before?"."""
    return f"{name} {''.join(random.choices(string.ascii_lowercase, k=6))}"


def wait_numbers(device, numbers):
    """The pull's last step fetches the numbers to text: wait for it."""
    wanted = repr(list(numbers))
    device.wait_until(
        "db.js",
        f"(ps => {wanted}.every(n => ps.includes(n)))"
        "((await m.getAll('sms_numbers')).map(n => n.phone))",
    )


def leads_to_text(in_db, count: int) -> list[str]:
    """`count` leads of the demo organisation, each with a new number; templates set."""
    numbers = [a_number() for _ in range(count)]

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        org = db.session.get(Organisation, nurse.organisation_id)
        sms = dict((org.settings or {}).get("sms") or {})
        sms["templates"] = [
            {"id": "en-1", "language": "en", "body": TEMPLATE},
            {"id": "th-1", "language": "th", "body": "สวัสดี {name} {phone}"},
        ]
        sms["team_phone"] = "+4570101010"
        org.settings = {**(org.settings or {}), "sms": sms}
        now = datetime.now(UTC)
        for n, number in enumerate(numbers):
            db.session.add(
                Lead(
                    organisation_id=org.id,
                    site="Escortside",
                    phone=number,
                    alias=f"Ad {uuid.uuid4().hex[:4]}",
                    languages=["en"],
                    first_seen=now - timedelta(days=2),
                    last_seen=now - timedelta(minutes=n),
                )
            )

    in_db(create)
    return numbers


def text_number(page, number):
    card = page.locator("li.sms-number", has_text=number)
    card.wait_for()
    link = card.locator("a.sms-link")
    href = link.get_attribute("href")
    assert href.startswith(f"sms:{number}?body=Hi%2C%20this%20is%20")
    # A test browser has no messages app: the link is checked above, its tap without it.
    link.evaluate("a => a.addEventListener('click', (e) => e.preventDefault())")
    link.click()
    card.get_by_role("button", name="Yes, sent").click()
    page.locator("li.sms-contact", has_text=number).wait_for()


def record(page, number, outcome_label, confirm=None):
    page.locator("li.sms-contact", has_text=number).get_by_role(
        "button", name=outcome_label, exact=True
    ).click()
    if confirm:
        page.get_by_role("button", name=confirm).click()
    page.locator("li.sms-contact", has_text=number).locator(
        ".sms-outcome", has_text=outcome_label
    ).wait_for()


def test_the_sms_link_puts_the_body_after_question_mark_on_android_and_ampersand_on_ios(phone):
    device = phone()
    device.start_app(pin=None)
    body = "Hej & velkommen? 100% gratis"
    android = device.evaluate_module(
        "sms.js",
        f"m.smsLink('+45 20 12 34 56', {body!r}, m.platform('Mozilla/5.0 (Linux; Android 14)', 5))",
    )
    ios = device.evaluate_module(
        "sms.js", f"m.smsLink('+4520123456', {body!r}, m.platform({IPHONE!r}, 5))"
    )
    encoded = "Hej%20%26%20velkommen%3F%20100%25%20gratis"
    assert android == f"sms:+4520123456?body={encoded}"
    assert ios == f"sms:+4520123456&body={encoded}"
    ipad = device.evaluate_module("sms.js", f"m.platform({MAC!r}, 5)")
    desktop = device.evaluate_module("sms.js", f"m.platform({MAC!r}, 0)")
    assert (ipad, desktop) == ("ios", "android")


def test_two_numbers_texted_offline_with_a_reply_and_an_opt_out_arrive_exactly_once(
    phone, in_db, screenshot
):
    first, second = leads_to_text(in_db, 2)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    wait_numbers(device, [first, second])
    answered = []  # (status, url) of every PUT of an SMS contact the server answered
    page.on(
        "response",
        lambda r: (
            answered.append((r.status, r.url))
            if r.request.method == "PUT" and "/sms-contacts/" in r.url
            else None
        ),
    )

    device.go_offline()
    device.reload()
    page.goto(f"{device.server.url}/field/#/sms")
    page.locator("li.sms-number", has_text=first).wait_for()
    screenshot(page, "field-sms-numbers", full_page=True)
    text_number(page, first)
    text_number(page, second)
    assert page.locator("li.sms-number", has_text=first).count() == 0  # not offered twice
    record(page, first, "Reply")
    record(page, second, "Asked not to be contacted", confirm="Yes, never again")
    screenshot(page, "field-sms-texts", full_page=True)
    # The reply becomes a conversation with someone new.
    alias = letters_alias("Lin")
    replied = page.locator("li.sms-contact", has_text=first)
    replied.locator("input.sms-alias").fill(alias)
    replied.get_by_role("button", name="Start a conversation").click()
    replied.get_by_text("Became a conversation.").wait_for()
    # Two records; an outcome recorded while its text was on the wire waits as an edit behind it.
    entries = device.outbox()
    kinds = {e["kind"]: {x["id"] for x in entries if x["kind"] == e["kind"]} for e in entries}
    assert {k: len(ids) for k, ids in kinds.items()} == {
        "sms_contact": 2,
        "person": 1,
        "conversation": 1,
    }

    device.go_online()
    device.wait_all_sent()

    def read():
        rows = db.session.scalars(
            select(SmsContact).where(
                SmsContact.phone_lookup.in_([phones.lookup_hash(first), phones.lookup_hash(second)])
            )
        ).all()
        blocked = db.session.scalar(
            select(func.count())
            .select_from(DoNotContact)
            .where(DoNotContact.phone_lookup == phones.lookup_hash(second))
        )
        linked = [
            (c.channel, c.person_id)
            for r in rows
            if r.conversation_id
            for c in [db.session.get(Conversation, r.conversation_id)]
        ]
        return (
            sorted((r.phone, r.outcome, r.language, r.template_id) for r in rows),
            blocked,
            linked,
        )

    rows, blocked, linked = in_db(read)
    assert [channel for channel, _ in linked] == ["sms"]
    assert rows == sorted([(first, "reply", "en", "en-1"), (second, "opted_out", "en", "en-1")])
    assert blocked == 1
    # Each text was created once (201); an edit that waited behind it replaced it (200).
    created = [url for status, url in answered if status == 201]
    assert len(created) == len(set(created)) == 2  # the link to the conversation: a 200
    assert all(status in (200, 201) for status, _ in answered)
    for _, url in answered:
        assert first not in url and second not in url  # the number never in a URL

    # The next fetch leaves the opted-out number off the phone for good.
    device.wait_until("sms.js", "(await m.refresh()) === 'ok'")
    numbers = device.evaluate_module("db.js", "(await m.getAll('sms_numbers')).map(n => n.phone)")
    assert second not in numbers


def test_a_number_a_colleague_texted_first_is_refused_at_sync_kept_and_discarded_here(
    phone, in_db, screenshot
):
    number, other = leads_to_text(in_db, 2)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    wait_numbers(device, [number, other])
    device.go_offline()
    device.reload()
    page.goto(f"{device.server.url}/field/#/sms")
    text_number(page, number)
    text_number(page, other)

    def colleague_texts():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        for texted in (number, other):
            db.session.add(
                SmsContact(
                    organisation_id=nurse.organisation_id,
                    phone=texted,
                    sent_at=datetime.now(UTC) - timedelta(minutes=1),
                    outcome="sent",
                )
            )

    in_db(colleague_texts)
    device.go_online()
    refused = page.locator("li.sms-refused", has_text=number)
    refused.wait_for(timeout=30_000)
    page.locator("li.sms-refused", has_text=other).wait_for(timeout=30_000)
    assert "already texted by your organisation within 14 days" in refused.inner_text()
    screenshot(page, "field-sms-refused")
    entries = device.outbox()
    assert [(e["kind"], e["state"]) for e in entries] == [("sms_contact", "attention")] * 2
    assert {e["body"]["phone"] for e in entries} == {number, other}
    page.goto(f"{device.server.url}/field/#/outbox")
    assert page.locator("main").get_by_text(re.compile("14 days")).count() >= 1

    # Discarded from the SMS screen: a deliberate tap, confirmed; "Keep it" keeps it.
    page.goto(f"{device.server.url}/field/#/sms")
    refused.get_by_role("button", name="Discard…").click()
    page.locator("dialog").get_by_role("button", name="Keep it").click()
    assert len(device.outbox()) == 2
    refused.get_by_role("button", name="Discard…").click()
    dialog = page.locator("dialog")
    assert "Nothing else on this phone is deleted." in dialog.inner_text()
    screenshot(page, "field-sms-discard")
    dialog.get_by_role("button", name="Discard the text").click()
    refused.wait_for(state="detached")
    # Only that text went: the other refused one stays, here and in the outbox.
    entries = device.outbox()
    assert [(e["body"]["phone"], e["state"]) for e in entries] == [(other, "attention")]
    page.locator("li.sms-refused", has_text=other).wait_for()
    kept = device.evaluate_module("db.js", "(await m.getAll('sms_contacts')).map(c => c.phone)")
    assert number not in kept and other in kept
    expect(page.locator("li.sms-contact", has_text=number)).to_have_count(0)


def test_the_name_being_typed_for_a_reply_survives_the_outbox_sending(phone, in_db):
    (number,) = leads_to_text(in_db, 1)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    wait_numbers(device, [number])
    page.goto(f"{device.server.url}/field/#/sms")
    text_number(page, number)
    device.wait_all_sent()
    device.go_offline()
    record(page, number, "Reply")
    alias = page.locator("li.sms-contact", has_text=number).locator("input.sms-alias")
    alias.fill("Ana")
    # Online again, the outbox sends the reply and the screen redraws its line.
    device.go_online()
    device.wait_all_sent()
    page.locator("li.sms-contact", has_text=number).locator(".badge.pending").wait_for(
        state="detached"
    )
    assert alias.input_value() == "Ana"


def test_the_phone_offers_the_ads_languages_first_and_only_those_with_a_template(phone):
    device = phone()
    device.start_app(pin=None)
    templates = (
        "[{id: 'en-1', language: 'en'}, {id: 'th-1', language: 'th'}, {id: 'ro-1', language: 'ro'}]"
    )
    offered = device.evaluate_module(
        "sms.js", f"m.templatesFor({templates}, ['ro', 'pl', 'th']).map(t => t.id)"
    )
    assert offered == ["ro-1", "th-1", "en-1"]
    assert device.evaluate_module("sms.js", f"m.templatesFor({templates}, []).map(t => t.id)") == [
        "en-1",
        "th-1",
        "ro-1",
    ]


def test_the_numbers_to_text_are_fetched_again_only_when_they_changed(phone, in_db):
    (number,) = leads_to_text(in_db, 1)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    wait_numbers(device, [number])
    answers = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.request.headers.get("if-none-match")))
            if r.url.endswith("/api/v1/sms-contacts/to-text")
            else None
        ),
    )
    # Nothing changed: the phone sends the ETag back and gets a 304; the numbers stay.
    assert device.evaluate_module("sms.js", "await m.refresh()") == "ok"
    assert answers[-1][0] == 304 and answers[-1][1]
    wait_numbers(device, [number])
    # A new ad: the whole list travels again.
    (another,) = leads_to_text(in_db, 1)
    assert device.evaluate_module("sms.js", "await m.refresh()") == "ok"
    assert answers[-1][0] == 200
    wait_numbers(device, [number, another])
    # A wipe (a logout) forgets the ETag with the numbers: the next fetch is a whole one.
    device.evaluate_module("db.js", "await m.wipe()")
    assert device.evaluate_module("db.js", "await m.getMeta('sms')") is None
