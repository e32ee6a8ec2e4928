"""``flask registry ...``: the registry's system account and its token, and delivering due events now."""
import secrets
from datetime import timedelta

import click

from app.extensions import db

SYSTEM_ROLE = "registry_system"


def register(bp) -> None:
    """Attach the registry commands to the blueprint's CLI group (``flask registry``)."""

    @bp.cli.command("create-account")
    @click.option("--org", "org_id", type=int, required=True, help="系统账号的管理范围（组织编号，通常为省委或县委）")
    @click.option("--username", default="registry", show_default=True)
    @click.option("--days", type=int, default=365, show_default=True, help="令牌有效天数")
    def create_account(org_id, username, days):
        """Create the member registry's system account (token only, no password) and print its token."""
        from app.api.models import ApiToken
        from app.api.services import hash_token
        from app.auth.services import AccountError, create_user
        from app.orgs.models import Organisation
        from app.timeutil import utcnow
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise click.ClickException("组织不存在")
        try:
            user = create_user(username=username, name="党员信息管理系统", role=SYSTEM_ROLE, org=org)
        except AccountError as exc:
            raise click.ClickException(str(exc))
        token = secrets.token_urlsafe(32)
        db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token),
                                expires_at=utcnow() + timedelta(days=days)))
        db.session.commit()
        click.echo(f"系统账号 {user.username}（{org.name}）的访问令牌（只显示这一次）：\n{token}")

    @bp.cli.command("deliver")
    def deliver():
        """Attempt every due event now (what the worker does every minute)."""
        from app.registry import delivery
        delivered = delivery.deliver_due()
        db.session.commit()
        click.echo(f"已送达 {delivered} 条")
