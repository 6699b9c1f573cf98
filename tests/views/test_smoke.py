"""The app boots, admin sees the settings pages, a role without rights gets 403."""


def test_login_page(client):
    resp = client.get("/login/")
    assert resp.status_code == 200


def test_admin_sees_company(login_as):
    c = login_as("Admin")
    assert c.get("/companyview/list/").status_code == 200
    assert c.get("/auditlogview/list/").status_code == 200


def test_sales_cannot_edit_company(login_as):
    c = login_as("Sales")
    assert c.get("/companyview/list/").status_code == 403
    assert c.get("/currencyview/list/").status_code == 200
    assert c.get("/currencyview/add").status_code == 403
