"""Demo data for a fresh installation: 省委 → 市委 → 县委 → 2 基层党委 → 4 党支部 with 党小组."""
import sqlalchemy as sa

from app.auth.models import User
from app.auth.services import create_user
from app.extensions import db
from app.orgs.models import Organisation
from app.orgs.services import create_org

DEMO_PASSWORD = "Demo12345"

# (username, name, role, org key); usernames are valid ID numbers (GB 11643 checksum).
DEMO_ACCOUNTS = [
    ("110101199003070011", "张省", "province_admin", "province"),
    ("110101199003070038", "李市", "city_admin", "city"),
    ("110101199003070054", "王县", "county_admin", "county"),
    ("110101199003070070", "赵党委", "committee_admin", "committee1"),
    ("110101199003070097", "钱党委", "committee_admin", "committee2"),
    ("110101199003070118", "孙支部", "branch_admin", "branch1"),
    ("110101199003070134", "周支部", "branch_admin", "branch2"),
    ("110101199003070150", "吴支部", "branch_admin", "branch3"),
    ("110101199003070177", "郑支部", "branch_admin", "branch4"),
    ("110101199003070193", "冯安全", "security_officer", "county"),
    ("110101199003070214", "陈设计", "designer", "province"),
    ("110101199003070230", "褚审计", "auditor", "county"),
    # The member registry's system account (in production: `flask registry create-account`, token only).
    ("110101199003070513", "党员信息系统", "registry_system", "province"),
]


def build_tree() -> dict[str, Organisation]:
    """Create the demo organisation tree and return it by key."""
    orgs = {}
    orgs["province"] = create_org("中共山东省委员会", "province", None)
    orgs["city"] = create_org("中共泰安市委员会", "city", orgs["province"])
    orgs["county"] = create_org("中共宁阳县委员会", "county", orgs["city"])
    orgs["committee1"] = create_org("中共宁阳县东疏镇委员会", "committee", orgs["county"])
    orgs["committee2"] = create_org("中共宁阳县伏山镇委员会", "committee", orgs["county"])
    orgs["branch1"] = create_org("中共宁阳县东疏镇前村支部委员会", "branch", orgs["committee1"])
    orgs["branch2"] = create_org("中共宁阳县东疏镇后村支部委员会", "branch", orgs["committee1"])
    orgs["branch3"] = create_org("中共宁阳县伏山镇南村支部委员会", "branch", orgs["committee2"])
    orgs["branch4"] = create_org("中共宁阳县伏山镇北村支部委员会", "branch", orgs["committee2"])
    for i in range(1, 5):
        create_org("第一党小组", "group", orgs[f"branch{i}"])
        create_org("第二党小组", "group", orgs[f"branch{i}"])
    return orgs


# Demo applicants: (name, branch key, the step whose edit task is left open for the user).
DEMO_PEOPLE = [
    ("潘永平", "branch1", 2), ("高广芝", "branch1", 4), ("李宁", "branch1", 7), ("焦中旺", "branch1", 12),
    ("何强", "branch2", 3), ("王刚", "branch2", 19), ("刘敏", "branch3", 6), ("赵国雄", "branch4", 25),
]


def create_demo_accounts(orgs: dict[str, Organisation]) -> list[User]:
    """One account of every role in the demo tree ``orgs`` (from ``build_tree``), in DEMO_ACCOUNTS' order."""
    return [create_user(username=u, name=n, role=r, org=orgs[k], password=DEMO_PASSWORD, phone=f"1380000{i:04d}")
            for i, (u, n, r, k) in enumerate(DEMO_ACCOUNTS)]


def seed_demo() -> list[User]:
    """Create the demo tree, accounts and a few applicants at various steps unless they exist;
    returns the accounts created."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)):
        return []
    orgs = build_tree()
    accounts = create_demo_accounts(orgs)
    db.session.flush()
    _seed_people(orgs, accounts)
    return accounts


def _seed_people(orgs, accounts) -> None:
    # Through the real services, so the demo shows genuine instances, inbox rows and events.
    from app.workflow import simulate
    by_org_role = {(u.org_id, u.role): u for u in accounts}
    for seq, (name, key, step) in enumerate(DEMO_PEOPLE, start=1):
        branch = orgs[key]
        actors = {"branch_admin": by_org_role[(branch.id, "branch_admin")],
                  "committee_admin": by_org_role[(branch.parent_id, "committee_admin")]}
        person = simulate.add_applicant(actors["branch_admin"], branch, seq, name=name)
        simulate.advance(person, actors, until_step=step)
