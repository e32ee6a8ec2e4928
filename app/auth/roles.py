"""The roles an account can hold, and which organisation levels each belongs to."""

ROLES = {
    "branch_admin": "党支部管理员",
    "committee_admin": "基层党委管理员",
    "county_admin": "县级组织部门管理员",
    "city_admin": "市级组织部门管理员",
    "province_admin": "省级组织部门管理员",
    "security_officer": "安全员",
    "designer": "流程设计员",
    "auditor": "审计员",
    # The member registry's system account (app/registry): an API token, no password, no pages.
    "registry_system": "党员信息系统",
}

# Admin roles that handle the development procedure, lowest first.
ADMIN_ROLES = ["branch_admin", "committee_admin", "county_admin", "city_admin", "province_admin"]
# County and above manage organisations and plans (manual §2.5).
UPPER_ADMIN_ROLES = ["county_admin", "city_admin", "province_admin"]

# The organisation level an admin role must be bound to.
ROLE_LEVEL = {
    "branch_admin": "branch",
    "committee_admin": "committee",
    "county_admin": "county",
    "city_admin": "city",
    "province_admin": "province",
}

# Lanes in BPMN diagrams are named after who does the work; each names a role.
LANE_ROLES = {
    "党支部": "branch_admin",
    "基层党委": "committee_admin",
    "县级组织部门": "county_admin",
}


def role_label(role: str) -> str:
    return ROLES.get(role, role)


def admin_rank(role: str) -> int:
    """Position in ADMIN_ROLES, or -1 for roles that do not handle the procedure."""
    return ADMIN_ROLES.index(role) if role in ADMIN_ROLES else -1
