"""THE access policy: which roles may take which action in which area, as one readable table.

Each row is a right (area × action) and the roles that hold it. Routes name the right they need in
``app/access/routes.py``; the request hook (``app/access/guard.py``), the menu and the buttons of pages all
ask this table, so a role cannot see a page it could not use, nor use one it cannot see. Which *objects*
a role reaches is not decided here but by ``app/scope.py`` (its subtree; 404 outside).

Two promises are kept by the table's shape and checked at import:
- 流程设计员 and 安全员 hold no right marked ``personal`` (no applicant's personal data anywhere);
- 审计员 holds no right marked ``writes`` (the auditor reads and never changes a record).
"""
from dataclasses import dataclass

from app.auth.roles import ADMIN_ROLES, ROLES, UPPER_ADMIN_ROLES

# Anonymous visitors hold this right's routes too (login, captcha, static files, the API document).
PUBLIC = "public"

ADMINS = tuple(ADMIN_ROLES)                               # 党支部 … 省级 admins: the procedure's users
REVIEWERS = tuple(r for r in ADMIN_ROLES if r != "branch_admin")  # 基层党委 and above review 上报
UPPER = tuple(UPPER_ADMIN_ROLES)                          # 县级 and above (manual §2.5, §2.11)
READERS = ADMINS + ("auditor",)
EVERYONE = tuple(ROLES)
NO_PERSONAL_DATA = ("designer", "security_officer")
READ_ONLY = ("auditor",)


@dataclass(frozen=True)
class Right:
    """One row of the policy: ``roles`` may do ``action`` in ``area``."""
    area: str
    action: str
    label: str
    roles: tuple[str, ...]
    personal: bool = False   # shows or changes an applicant's personal data
    writes: bool = False     # changes a record
    public: bool = False     # anonymous visitors too

    @property
    def key(self) -> tuple[str, str]:
        return self.area, self.action


def _public(area: str, action: str, label: str) -> Right:
    return Right(area, action, label, EVERYONE, public=True)


POLICY: tuple[Right, ...] = (
    _public("public", "use", "登录、验证码、激活账号、忘记密码、获取访问令牌、接口文档、静态文件、党务公开栏目（公示中的姓名、公示事项、公示期、公示材料）"),
    Right("session", "use", "首页、本人账号、退出登录、撤销本人令牌", EVERYONE),
    Right("diagram", "read", "查看已启用的流程图", EVERYONE),
    Right("printing", "blank", "空白采集表（打印、PDF）", EVERYONE),
    Right("inbox", "read", "待办事项", ADMINS, personal=True),
    Right("people", "read", "人员个人信息：发展流程、人员信息、附件、采集表打印、接口读取", READERS, personal=True),
    Right("process", "act", "添加、保存、提交、上报、调整阶段、修改人员信息、上传附件", ADMINS,
          personal=True, writes=True),
    Right("process", "review", "审核通过、审核不通过（不能审核本人上报的）", REVIEWERS, personal=True, writes=True),
    Right("process", "cancel", "取消发展", ADMINS, personal=True, writes=True),
    Right("archive", "read", "历史库", READERS, personal=True),
    Right("roster", "read", "党员名册（本组织及下级）", READERS, personal=True),
    Right("roster", "import", "导入党员名册、下载导入模板", ADMINS, personal=True, writes=True),
    Right("onboarding", "import", "数据导入：下载模板、校验并导入在途发展人员（管理范围内的党支部）", UPPER,
          personal=True, writes=True),
    Right("archive", "restore", "恢复发展、重新发展", UPPER, personal=True, writes=True),
    Right("suspensions", "act", "暂停发展-出国(境)、归国恢复申请", ADMINS, personal=True, writes=True),
    Right("suspensions", "review", "归国恢复审核（基层党委、县级）", REVIEWERS, personal=True, writes=True),
    Right("movebacks", "decide", "调整申请审核（调整回已封存阶段，县级）", UPPER, personal=True, writes=True),
    Right("transfers", "act", "接续培养（申请、审核、撤回）", ADMINS, personal=True, writes=True),
    Right("realname", "act", "实名校验（录入、上报）", ADMINS, personal=True, writes=True),
    Right("realname", "confirm", "实名校验（备案认证、不通过）", UPPER, personal=True, writes=True),
    Right("query", "read", "综合查询、导出、下载证明材料", READERS, personal=True),
    Right("stats", "read", "数据统计、导出", READERS),
    Right("checks", "read", "逻辑校验", READERS, personal=True),
    Right("plans", "manage", "计划分配", UPPER, writes=True),
    Right("orgs", "read", "查看组织", UPPER + ("security_officer",)),
    Right("orgs", "manage", "新建、重命名、移动组织", UPPER, writes=True),
    Right("accounts", "administer", "账号管理（开通、授权码、停用、启用）", ("security_officer",), writes=True),
    Right("sms", "read", "短信发件箱", ("security_officer",)),
    Right("design", "manage", "流程设计（上传、编辑、校验、启用、迁移）", ("designer",), writes=True),
    Right("audit", "read", "审计：时间线、回放、校验、导出、案卷", ("auditor",) + UPPER, personal=True),
    Right("oplog", "read", "操作日志", ("security_officer", "auditor")),
    Right("jobs", "read", "本人发起的后台任务：进度、结果、文件", READERS, personal=True),
    Right("registry", "read", "党员信息同步：发送记录（待发送、已送达、发送失败）", UPPER, personal=True),
    Right("registry", "retry", "党员信息同步：重试发送", UPPER, personal=True, writes=True),
    Right("registry", "inbound", "党员信息系统来件：减少、组织关系转接（系统账号，接口）", ("registry_system",),
          personal=True, writes=True),
)

RIGHTS: dict[tuple[str, str], Right] = {right.key: right for right in POLICY}


def right(area: str, action: str) -> Right:
    """The policy row for ``area``/``action`` (KeyError for a right the table does not name)."""
    return RIGHTS[(area, action)]


def role_may(role: str | None, area: str, action: str) -> bool:
    """True if ``role`` holds the right; False for a right the table does not name (deny by default)."""
    row = RIGHTS.get((area, action))
    return row is not None and (row.public or role in row.roles)


def allows(user, area: str, action: str) -> bool:
    """True if the signed-in ``user`` may do ``action`` in ``area`` (anonymous: public rights only)."""
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    return role_may(role, area, action)


# Operations-log rows whose details name applicants or what was searched about them (names, ID numbers):
# their details are shown only to roles that may read personal data; the row itself stays visible.
PERSONAL_OPERATIONS = ("realname.", "transfer.", "suspension.", "query_export", "evidence_download")


def may_read_detail(user, operation: str) -> bool:
    """True if ``user`` may read the details of an operations-log row of ``operation``."""
    return allows(user, "people", "read") or not operation.startswith(PERSONAL_OPERATIONS)


def _check_promises() -> None:
    for row in POLICY:
        unknown = set(row.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"policy row {row.key} names unknown roles {sorted(unknown)}")
        if row.personal and set(row.roles) & set(NO_PERSONAL_DATA):
            raise ValueError(f"policy row {row.key} would show personal data to {NO_PERSONAL_DATA}")
        if row.writes and set(row.roles) & set(READ_ONLY):
            raise ValueError(f"policy row {row.key} would let {READ_ONLY} write")
    if len(RIGHTS) != len(POLICY):
        raise ValueError("a right appears twice in the policy")


_check_promises()


def as_markdown() -> str:
    """The policy as a Markdown table (README's Security section is this text; a test keeps them equal)."""
    roles = list(ROLES)
    head = ["right", "what it covers", *(ROLES[r] for r in roles), "personal data", "writes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in POLICY:
        marks = ["✓" if row.public or r in row.roles else "" for r in roles]
        who = f"{row.label}（含未登录）" if row.public else row.label
        lines.append("| " + " | ".join([f"`{row.area}.{row.action}`", who, *marks,
                                          "✓" if row.personal else "", "✓" if row.writes else ""]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
