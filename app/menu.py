"""The main menu (manual's left-hand menu), each entry shown only to the roles that may use it."""
from dataclasses import dataclass

from app.auth.roles import ADMIN_ROLES, UPPER_ADMIN_ROLES


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    endpoint: str
    roles: tuple[str, ...]


_ADMINS = tuple(ADMIN_ROLES)
_READERS = _ADMINS + ("auditor",)

MENU = [
    MenuItem("inbox", "待办事项", "inbox.index", _ADMINS),
    MenuItem("process", "发展流程", "people.stage_list", _READERS),
    MenuItem("people", "人员信息", "people.info_list", _READERS),
    MenuItem("plans", "计划分配", "plans.index", tuple(UPPER_ADMIN_ROLES)),
    MenuItem("transfers", "接续培养", "transfers.index", _ADMINS),
    MenuItem("query", "综合查询", "query.index", _READERS),
    MenuItem("stats", "数据统计", "reports.index", _READERS),
    MenuItem("checks", "逻辑校验", "checks.index", _READERS),
    MenuItem("realname", "实名校验", "realname.index", _ADMINS),
    MenuItem("history", "历史库", "archive.index", _READERS),
    MenuItem("orgs", "组织管理", "orgs.index", tuple(UPPER_ADMIN_ROLES) + ("security_officer",)),
    MenuItem("accounts", "账号管理", "auth.accounts", ("security_officer",)),
    MenuItem("sms", "短信发件箱", "sms.outbox", ("security_officer",)),
    MenuItem("designer", "流程设计", "designer.index", ("designer",)),
    MenuItem("audit", "审计", "audit.index", ("auditor",) + tuple(UPPER_ADMIN_ROLES)),
    MenuItem("oplog", "操作日志", "audit.operations", ("security_officer", "auditor")),
]


def menu_for(user) -> list[MenuItem]:
    """The menu entries the user's role may see."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in MENU if user.role in item.roles]


def may_use(user, key: str) -> bool:
    """True if the menu entry ``key`` is open to the user's role."""
    return any(item.key == key for item in menu_for(user))
