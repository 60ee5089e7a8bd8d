"""The app starts, answers its health check and sends its security headers."""


def test_health_check_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_pages_need_a_login(client):
    response = client.get("/clinics/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_coordinator_sees_the_clinic_list(coordinator_client, factory, org):
    factory.clinic(org, name="Lotus Massage")
    response = coordinator_client.get("/clinics/")
    assert response.status_code == 200
    assert "Lotus Massage" in response.get_data(as_text=True)
