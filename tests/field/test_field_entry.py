"""How a nurse reaches the field app: logging in at the site's root takes her there, and the
back office links it for everyone."""

import pytest

from tests.conftest import PASSWORD, csrf_token_from, second_step


def log_in_at_the_root(client, email):
    """Opens the site's root without a session and logs in on the page it leads to."""
    to_login = client.get("/")
    assert to_login.status_code == 302
    login_url = to_login.headers["Location"]
    token = csrf_token_from(client.get(login_url).get_data(as_text=True))
    response = client.post(
        login_url, data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    response = second_step(client, response, email)  # coordinators and admins: the code
    assert response.status_code == 302
    return client.get(response.headers["Location"], follow_redirects=True)


def test_a_nurse_logging_in_at_the_root_lands_in_the_field_app(client, nurse):
    response = log_in_at_the_root(client, nurse.email)

    assert response.request.path == "/field/"


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_logging_in_at_the_root_land_in_the_back_office(
    client, factory, org, role
):
    user = factory.user(org, role=role)

    response = log_in_at_the_root(client, user.email)

    assert response.request.path != "/field/"
    assert response.status_code == 200


def test_a_login_asked_for_by_a_page_still_returns_a_nurse_to_that_page(client, nurse):
    token = csrf_token_from(client.get("/login?next=/account").get_data(as_text=True))
    response = client.post(
        "/login?next=/account",
        data={"csrf_token": token, "email": nurse.email, "password": PASSWORD},
    )

    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("actor", ["nurse_client", "coordinator_client", "admin_client"])
def test_the_back_office_navigation_links_the_field_app_for_everyone(request, actor):
    client = request.getfixturevalue(actor)

    html = client.get("/clinics/").get_data(as_text=True)

    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/field/"' in nav
