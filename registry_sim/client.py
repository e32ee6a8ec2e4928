"""The registry's calls to this system: 减少 and 组织关系转接 (POST /api/v1/registry/…, token + idempotency key)."""
import json
import urllib.error
import urllib.request
import uuid


def call(app_url: str, token: str, path: str, body: dict, key: str | None = None) -> tuple[int, dict]:
    """POST ``body`` to ``app_url``/api/v1/registry/``path``; returns (status, JSON answer)."""
    request = urllib.request.Request(
        f"{app_url.rstrip('/')}/api/v1/registry/{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                 "Idempotency-Key": key or str(uuid.uuid4())})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def send_reduction(app_url: str, token: str, id_number: str, reason: str, key: str | None = None):
    """减少: the person leaves for the 历史库."""
    return call(app_url, token, "reductions", {"id_number": id_number, "reason": reason}, key)


def send_transfer(app_url: str, token: str, id_number: str, to_org_id: int, key: str | None = None):
    """组织关系转接: the record follows to the branch ``to_org_id``."""
    return call(app_url, token, "transfers", {"id_number": id_number, "to_org_id": to_org_id}, key)
