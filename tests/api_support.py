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
