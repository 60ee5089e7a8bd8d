"""Issue 14's "Done means", walked through in real browsers: a coordinator screens three ads
(a new clinic, a known clinic, an escort number that also appears in another ad), links and
flags them, and sees the flagged clinic rise in tomorrow's route candidates; a nurse texts the
escort number from her phone (390×844) in the ad's language, records the reply, which becomes
a conversation, and syncs; the year's screening figures (the report page and the annual
report's JSON) show the lead, the clinic found, the text, the reply and the conversation.

The coordinator's pages are looked at 1280 px wide and again at 390 px (nothing wider than the
screen; the screenshots are for looking at)."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from outreach import demo, phones
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.leads.models import Lead
from outreach.orgs.models import Organisation
from outreach.persons.models import Conversation
from outreach.reports.exports import SCREENING_LABELS
from outreach.routing.planner import LOCAL_TZ
from outreach.sms.models import SmsContact
from tests.browsing import SCREENSHOTS, TIMEOUT_MS
from tests.field.conftest import NURSE
from tests.field.test_field_sms import a_number, letters_alias, wait_numbers

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
# Næstved: a town of the demo's region Zealand, where the test's own known clinic is.
NAESTVED = {"postcode": "4700", "city": "Næstved", "lat": 55.2299, "lon": 11.7609}
ROMANIAN = "Bună, mă numesc"  # the start of the demo's Romanian template


def look(page, name: str) -> None:
    """A screenshot at the page's width (full page) and at 390 px, nothing sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert page.evaluate(OVERFLOW) <= 0, name
    page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{name}-1280.png"), full_page=True)
    page.set_viewport_size(NARROW)
    assert page.evaluate(OVERFLOW) <= 0, name
    page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{name}-390.png"), full_page=True)
    page.set_viewport_size(WIDE)


def screening_figures(page, year: int) -> dict:
    answer = page.request.get(f"/api/v1/reports/annual?year={year}")
    assert answer.status == 200, answer.text()
    figures = answer.json()["screening"]
    return {key: value for key, value in figures.items() if key != "by_month"}


def record_ad(page, *, site, url, phone, alias, kind, languages, flags, place):
    page.goto("/leads/new")
    page.get_by_label("Site", exact=True).select_option(site)
    page.get_by_label("Address of the ad (URL)").fill(url)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Name in the ad").fill(alias)
    page.get_by_label("Kind", exact=True).select_option(kind)
    page.get_by_label("Languages").fill(languages)
    for flag in flags:
        page.locator("fieldset").get_by_label(flag, exact=True).check()
    page.get_by_label("Postcode").fill(place["postcode"])
    page.get_by_label("Town").fill(place["city"])
    page.locator("form.lead-form button[type=submit].primary").click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]{36}$"))
    expect(page.locator(".flash")).to_contain_text("Lead saved.")
    return page.url.rsplit("/", 1)[1]


def plan_tomorrow(page, region: str) -> dict:
    """Tomorrow's plan for one region from the nearest office; {clinic name: (score,
    reasons, included)} of its candidates."""
    tomorrow = (datetime.now(LOCAL_TZ) + timedelta(days=1)).date()
    page.goto("/routes/")
    page.get_by_label("Date", exact=True).fill(tomorrow.isoformat())
    page.locator(f"input[name=regions][value={region}]").check()
    page.get_by_label("Base", exact=True).select_option(label="Roskilde")
    page.get_by_role("button", name="Find candidates").click()
    page.wait_for_url(re.compile(r"/routes/[0-9a-f-]{36}"))
    page.goto(page.url.split("#")[0].split("?")[0] + "?candidates=1#candidates")
    rows = {}
    for item in page.locator("li.candidate").all():
        name = item.locator(".candidate-name").text_content()
        score = int(item.locator(".score").text_content())
        reasons = [" ".join(r.split()) for r in item.locator("ul.reasons li").all_text_contents()]
        removable = item.get_by_role("button", name=re.compile("^Remove")).count() > 0
        rows[name] = (score, reasons, removable)
    return rows


def test_screening_three_ads_to_a_text_and_the_years_figures(
    browser, live_server, log_in, in_db, phone
):
    token = uuid.uuid4().hex[:6]
    known_name = f"Klinik Torvet {token}"
    escort_number = a_number()
    new_number, known_number = a_number(), a_number()
    year = datetime.now(LOCAL_TZ).year

    def before():
        """The known clinic, and an ad seen last week on another site with the escort
        number; the demo's templates with a Romanian one."""
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        org = db.session.get(Organisation, nurse.organisation_id)
        clinic = Clinic(
            organisation_id=org.id,
            kind="apartment",
            name=known_name,
            address="Torvet 3",
            region_slug="sjaelland",
            region_source="postcode",
            status="active",
            source="registry",
            geocode_status="manual",
            opening_hours={
                d: [["10:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            **NAESTVED,
        )
        db.session.add(clinic)
        now = datetime.now(UTC)
        db.session.add(
            Lead(
                organisation_id=org.id,
                site="Rødlygten",
                phone=escort_number,
                alias=f"Maria {token}",
                languages=["ro"],
                first_seen=now - timedelta(days=8),
                last_seen=now - timedelta(days=7),
            )
        )
        # The demo's templates (another test may have replaced them).
        sms = dict((org.settings or {}).get("sms") or {})
        sms["templates"] = [
            {"id": f"{language}-1", "language": language, "body": text}
            for language, text in demo.SMS_TEMPLATES.items()
        ]
        org.settings = {**(org.settings or {}), "sms": sms}

    in_db(before)

    context = browser.new_context(viewport=WIDE, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).+"), lambda route: route.abort())
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        log_in(page, COORDINATOR)
        figures_before = screening_figures(page, year)
        candidates_before = plan_tomorrow(page, "sjaelland")

        # 1. A new clinic: the ad is recorded, then becomes a clinic to verify.
        new_lead = record_ad(
            page,
            site="Annoncesiden",
            url=f"https://annoncesiden.example/ad/{token}-1",
            phone=new_number,
            alias=f"Lotus Massage {token}",
            kind="massage_clinic",
            languages="th",
            flags=["new in the area"],
            place={"postcode": "4300", "city": "Holbæk"},
        )
        look(page, "new-lead")
        page.get_by_label("Name").fill(f"Lotus Massage {token}")
        page.get_by_role("button", name="Create a clinic to verify").click()
        page.wait_for_url(re.compile(r"/clinics/[0-9a-f-]{36}$"))
        expect(page.locator(".flash")).to_contain_text("A clinic to verify was made")
        new_clinic_id = page.url.rsplit("/", 1)[1]

        # 2. A known clinic: the ad is near it; it is linked from the suggestions.
        known_lead = record_ad(
            page,
            site="Escortguiden",
            url=f"https://escortguiden.example/{token}",
            phone=known_number,
            alias=f"Torvet {token}",
            kind="apartment",
            languages="th, en",
            flags=["appears very young"],
            place=NAESTVED,
        )
        suggestion = page.locator("ul.suggestions li", has_text=known_name)
        expect(suggestion).to_be_visible()
        look(page, "known-lead")
        suggestion.get_by_role("button", name="Link to this clinic").click()
        expect(page.locator(".flash")).to_contain_text("The lead is linked to the clinic.")
        expect(page.locator("h1 .badge-lead-linked")).to_be_visible()

        # 3. An escort number, written the Danish way, that another site's ad carries too.
        local = escort_number.removeprefix("+45")
        escort_lead = record_ad(
            page,
            site="Annoncesiden",
            url=f"https://annoncesiden.example/escort/{token}",
            phone=f"{local[:2]} {local[2:4]} {local[4:6]} {local[6:]}",
            alias=f"Maria {token}",
            kind="apartment",
            languages="ro",
            flags=["appears very young", "a controller answers the phone"],
            place={"postcode": "4000", "city": "Roskilde"},
        )
        expect(page.locator(".group-sentence")).to_contain_text(
            "This number appears in 2 ads on 2 sites."
        )
        expect(page.locator(".group-members li")).to_have_count(2)
        # The other ad has no place: no empty "· ·" where it would be.
        other_ad = page.locator(".group-members li", has_text="Rødlygten")
        assert "· ·" not in " ".join(other_ad.inner_text().split())
        look(page, "escort-lead")
        # The groups page, newest first, has it at the top.
        page.goto("/leads/groups?order=newest")
        group = page.locator(".phone-group").first
        expect(group.locator("h2")).to_have_text(phones.display(escort_number))
        expect(group).to_contain_text("This number appears in 2 ads on 2 sites.")
        look(page, "groups")

        # The flagged clinic rises in tomorrow's candidates, saying why.
        candidates_after = plan_tomorrow(page, "sjaelland")
        score_before, reasons_before, _ = candidates_before[known_name]
        score_after, reasons_after, included = candidates_after[known_name]
        assert not any(r.startswith("+") and "Screening" in r for r in reasons_before)
        # (1 day before the plan's day: the nurses go tomorrow.)
        assert "+25 Screening: appears very young, 1 day ago." in reasons_after
        # The new clinic to verify is a candidate too, with its flag.
        assert "Screening: new in the area, 1 day ago." in " ".join(
            candidates_after[f"Lotus Massage {token}"][1]
        )
        assert score_after > score_before
        rank_before = sorted(candidates_before.values(), key=lambda r: -r[0]).index(
            candidates_before[known_name]
        )
        rank_after = sorted(candidates_after.values(), key=lambda r: -r[0]).index(
            candidates_after[known_name]
        )
        assert rank_after < rank_before
        assert included
        look(page, "route-candidates")

        # The nurse texts the escort number from her phone, in the ad's language.
        nurse = phone()
        mobile = nurse.start_app()
        nurse.log_in()
        nurse.wait_synced()
        wait_numbers(nurse, [escort_number])
        mobile.goto(f"{live_server.url}/field/#/sms")
        # The newest ad first (not the phone store's order, by id), in 2 ads.
        card = mobile.locator("li.sms-number").first
        expect(card).to_contain_text(escort_number)
        expect(card).to_contain_text("in 2 ads")
        # A search narrows the (long) list: by the end of the number, or the name in the ad.
        # Six digits: four matched another of the database's random numbers now and then.
        search = mobile.get_by_label("Find a number, a name or a site")
        listed = mobile.locator("li.sms-number")
        for wanted in (f"{local[2:5]} {local[5:]}", f"maria {token}"):
            search.fill("")
            expect(listed.nth(1)).to_be_attached()  # the whole list again
            search.fill(wanted)
            expect(listed).to_have_count(1)
            expect(listed).to_contain_text(escort_number)
        search.fill("")
        expect(listed.nth(1)).to_be_attached()
        card = mobile.locator("li.sms-number").first
        picker = card.get_by_label("Language of the text")
        # Only languages with a template, the ad's first and chosen.
        assert picker.locator("option:checked").inner_text() == "Romanian"
        offered = picker.locator("option").all_inner_texts()
        assert offered[0] == "Romanian"
        assert sorted(offered) == ["Danish", "English", "Romanian", "Spanish", "Thai"]
        link = card.locator("a.sms-link")
        href = link.get_attribute("href")
        assert href.startswith(f"sms:{escort_number}?body=")
        assert unquote(href.split("body=", 1)[1]).startswith(ROMANIAN)
        mobile.screenshot(path=str(SCREENSHOTS / "walkthrough-phone-sms-390.png"))
        # A test browser has no messages app: the link is checked above, its tap without it.
        link.evaluate("a => a.addEventListener('click', (e) => e.preventDefault())")
        link.click()
        card.get_by_role("button", name="Yes, sent").click()
        text = mobile.locator("li.sms-contact", has_text=escort_number)
        expect(text.locator(".sms-outcome")).to_have_text("Sent, no answer yet")
        # Later: she answered. The reply becomes a conversation with someone new.
        text.get_by_role("button", name="Reply", exact=True).click()
        expect(text.locator(".sms-outcome")).to_have_text("Reply")
        text.locator("input.sms-alias").fill(letters_alias("Maria"))
        text.get_by_role("button", name="Start a conversation").click()
        text.get_by_text("Became a conversation.").wait_for()
        nurse.wait_all_sent()
        expect(text.locator(".badge.pending")).to_have_count(0)
        text.scroll_into_view_if_needed()
        mobile.screenshot(path=str(SCREENSHOTS / "walkthrough-phone-texted-390.png"))

        def texts():
            rows = db.session.scalars(
                select(SmsContact).where(
                    SmsContact.phone_lookup == phones.lookup_hash(escort_number)
                )
            ).all()
            return [
                (r.language, r.template_id, r.outcome, r.lead_id is not None, channel)
                for r in rows
                for channel in [db.session.get(Conversation, r.conversation_id).channel]
            ]

        assert in_db(texts) == [("ro", "ro-1", "reply", True, "sms")]

        # The year's screening figures: the page and the annual report's JSON.
        figures_after = screening_figures(page, year)
        grown = {key: figures_after[key] - figures_before[key] for key in figures_after}
        assert grown == {
            "leads_recorded": 3,
            "new_clinics": 1,
            "new_clinics_visited": 0,
            "numbers_texted": 1,
            "texts_sent": 1,
            "replies": 1,
            "opt_outs": 0,
            "sms_conversations": 1,
        }
        page.goto(f"/reports/?year={year}")
        section = page.locator("section#screening")
        expect(section).to_be_visible()
        whole = section.locator("tr", has_text="Whole period")
        cells = whole.locator("td").all_inner_texts()[-len(SCREENING_LABELS) :]
        shown = [int(re.sub(r"\D", "", cell)) for cell in cells]
        assert shown == [figures_after[key] for key in SCREENING_LABELS]
        look(page, "report")
        page.set_viewport_size(NARROW)
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "walkthrough-report-screening-390.png"))
    finally:
        context.close()
    assert not problems, problems

    def leads():
        def lead(lead_id):
            return db.session.get(Lead, uuid.UUID(lead_id))

        made = db.session.get(Clinic, uuid.UUID(new_clinic_id))
        known = db.session.scalar(select(Clinic).where(Clinic.name == known_name))
        return (
            (lead(new_lead).status, lead(new_lead).clinic_id == made.id, made.status, made.source),
            (lead(known_lead).status, lead(known_lead).clinic_id == known.id),
            (lead(escort_lead).status, lead(escort_lead).phone, lead(escort_lead).flags),
        )

    assert in_db(leads) == (
        ("linked", True, "unknown", "screening"),
        ("linked", True),
        ("new", escort_number, ["appears_very_young", "controller_answers"]),
    )
