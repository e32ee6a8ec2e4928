"""Operator commands (``flask ...``) for set-up, seeding and recovery."""
import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.file_modes import secure_upload_tree

DEMO_PASSWORD = "Demo12345"


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Apply migrations and deploy the bundled BPMN diagrams as version 1."""
        upgrade()
        from app.workflow.backfill import backfill_membership_dates
        from app.workflow.versions import load_bundled_diagrams
        created = load_bundled_diagrams()
        db.session.commit()
        # Data the schema migrations cannot compute (it needs each record's process): R31's dates.
        dated = backfill_membership_dates()
        fixed = secure_upload_tree(app.config["UPLOAD_FOLDER"])
        click.echo(f"数据库已就绪；新部署流程 {len(created)} 个；补记入党日期 {dated} 人；修正附件权限 {fixed} 个")

    @app.cli.command("backfill-membership-dates")
    def backfill_membership_dates_command():
        """Fill in 入党日期 / 预备期满 / 转为正式党员日期 (R31) of records not acted on since the upgrade."""
        from app.workflow.backfill import backfill_membership_dates
        click.echo(f"已补记 {backfill_membership_dates()} 人的入党日期、预备期满和转为正式党员日期")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Create the demo organisation tree and one account of every role (idempotent)."""
        from app.seed import seed_demo as run
        accounts = run()
        db.session.commit()
        if not accounts:
            click.echo("演示数据已存在。")
        else:
            click.echo("演示账号（用户名 / 密码 / 角色 / 组织）：")
            for user in accounts:
                click.echo(f"  {user.username} / {DEMO_PASSWORD} / {user.role_label} / {user.org.name}")

    @app.cli.command("remind-deadlines")
    def remind_deadlines():
        """Send today's deadline reminders now (the worker does it every day at 08:00)."""
        from app.deadlines.reminders import send_due
        from app.timeutil import local_today
        sent = send_due(local_today())
        db.session.commit()
        click.echo(f"已发送期限提醒 {sent} 条")

    @app.cli.command("create-org")
    @click.option("--name", required=True)
    @click.option("--level", required=True,
                  type=click.Choice(["province", "city", "county", "committee", "branch", "group"]))
    @click.option("--parent", "parent_id", type=int, default=None, help="上级组织 id（省委可省略）")
    def create_org(name, level, parent_id):
        """Create an organisation under a parent."""
        from app.orgs.models import Organisation
        from app.orgs.services import OrgError, create_org as create
        parent = db.session.get(Organisation, parent_id) if parent_id else None
        if parent_id and parent is None:
            raise click.ClickException("上级组织不存在")
        try:
            org = create(name, level, parent)
        except OrgError as exc:
            raise click.ClickException(str(exc))
        db.session.commit()
        click.echo(f"已创建组织 {org.id} {org.name} ({org.path})")

    @app.cli.command("create-user")
    @click.option("--username", required=True, help="身份证号")
    @click.option("--name", required=True)
    @click.option("--role", required=True)
    @click.option("--org", "org_id", type=int, required=True)
    @click.option("--password", required=True)
    @click.option("--phone", default="")
    def create_user(username, name, role, org_id, password, phone):
        """Create an active account with a role, organisation and password."""
        from app.auth.roles import ROLES
        from app.auth.services import AccountError, create_user as create
        from app.orgs.models import Organisation
        if role not in ROLES:
            raise click.ClickException("角色须为: " + ", ".join(ROLES))
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise click.ClickException("组织不存在")
        try:
            user = create(username=username, name=name, role=role, org=org, phone=phone, password=password)
        except AccountError as exc:
            raise click.ClickException(str(exc))
        db.session.commit()
        click.echo(f"已创建账号 {user.username}（{user.role_label}，{org.name}）")

    @app.cli.command("reset-password")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    def reset_password(username, password):
        """Set a new password and unlock the account."""
        from app.auth.services import AccountError, set_password, find_user
        user = find_user(username)
        if user is None:
            raise click.ClickException("账号不存在")
        try:
            set_password(user, password)
        except AccountError as exc:
            raise click.ClickException(str(exc))
        db.session.commit()
        click.echo(f"已重置 {user.username} 的密码")

    @app.cli.command("reproject-people")
    def reproject_people():
        """Rebuild the person_field projection (综合查询) of every person from the process data."""
        from app.people.models import Person
        from app.workflow import services
        done = 0
        for person_id in db.session.scalars(sa.select(Person.id).where(Person.instance_id.isnot(None))):
            services.reproject_fields(services.load(db.session.get(Person, person_id)))
            done += 1
            if done % 500 == 0:
                db.session.commit()
                db.session.expunge_all()
        db.session.commit()
        click.echo(f"已重建 {done} 人的查询字段")

    @app.cli.command("list-users")
    def list_users():
        """List accounts with role and organisation."""
        from app.auth.models import User
        for user in db.session.scalars(sa.select(User).order_by(User.id)):
            state = "已激活" if user.activated else "未激活"
            click.echo(f"{user.id}\t{user.username}\t{user.name}\t{user.role_label}\t{user.org.name}\t{state}")
