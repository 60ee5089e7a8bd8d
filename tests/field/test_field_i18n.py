"""The phone speaks Danish or English: the choice is a UI preference kept on the phone, and
strings and names come from the server's catalogues (cached for offline use)."""

import pytest

from outreach.field.strings import MESSAGES

pytestmark = pytest.mark.browser


def test_the_language_switch_changes_the_catalogue_and_is_remembered(phone, live_server):
    device = phone()
    page = device.start_app()
    assert page.evaluate("document.documentElement.lang") == "en"  # the phone's language
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_selector("html[data-ready=true][lang=da]")
    assert page.evaluate("localStorage.getItem('outreach.field.lang')") == "da"
    danish = device.evaluate_module("i18n.js", "[m.countryName('DE'), m.languageName('th')]")
    assert danish == ["Tyskland", "thai"]
    catalogue = page.evaluate("fetch('/field/i18n/da.json').then((r) => r.json())")
    assert set(catalogue) == set(MESSAGES)
    assert device.evaluate_module("i18n.js", "m.t('Log in')") == catalogue["Log in"]

    device.wait_controlled()
    device.go_offline()  # the catalogue is cached: still Danish without a server
    page.reload()
    page.wait_for_selector("html[data-ready=true][lang=da]")
    assert device.evaluate_module("i18n.js", "m.countryName('DE')") == "Tyskland"
    device.go_online()
