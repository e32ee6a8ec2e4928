"""Bearer tokens for the API tests: ``tokens(client, demo)["county_admin"]`` → headers, issued once per account."""
from tests.conftest import DEMO_PASSWORD


class Tokens(dict):
    """Headers per demo account key ("branch1:branch_admin", "county_admin", "designer", …), issued on first use."""

    def __init__(self, client, demo):
        super().__init__()
        self.client, self.demo = client, demo

    def __missing__(self, key):
        user = self.demo.users[key]
        response = self.client.post("/api/v1/auth/token", json={"username": user.username,
                                                                "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.get_json()
        self[key] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return self[key]


def other_county_admin(demo):
    """A county admin of a second county under the same city: holds every county right, sees none of the demo's
    persons (for scope 404 where the demo's county admin would see everything)."""
    from app.auth.services import create_user
    from app.extensions import db
    from app.orgs.services import create_org
    county = create_org("中共东平县委员会", "county", demo.orgs["city"])
    user = create_user(username="110101199003070256", name="外县管理员", role="county_admin", org=county,
                       password=DEMO_PASSWORD)
    db.session.commit()
    demo.users["county2:county_admin"] = user
    return user
