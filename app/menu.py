"""The main menu (manual's left-hand menu). Who sees an entry is not listed here: an entry is shown exactly
when the access policy lets the user open its page (``app/access``)."""
from dataclasses import dataclass

from flask import request, url_for
from markupsafe import Markup, escape

from app.access.guard import may_visit


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    endpoint: str


MENU = [
    MenuItem("inbox", "待办事项", "inbox.index"),
    MenuItem("process", "发展流程", "people.stage_list"),
    MenuItem("people", "人员信息", "people.info_list"),
    MenuItem("roster", "党员名册", "roster.index"),
    MenuItem("plans", "计划分配", "plans.index"),
    MenuItem("transfers", "接续培养", "transfers.index"),
    MenuItem("query", "综合查询", "query.index"),
    MenuItem("stats", "数据统计", "reports.index"),
    MenuItem("checks", "逻辑校验", "checks.index"),
    MenuItem("realname", "实名校验", "realname.index"),
    MenuItem("history", "历史库", "archive.index"),
    MenuItem("registry", "党员信息同步", "registry.deliveries"),
    MenuItem("orgs", "组织管理", "orgs.index"),
    MenuItem("onboarding", "数据导入", "onboarding.index"),
    MenuItem("accounts", "账号管理", "auth.accounts"),
    MenuItem("sms", "短信发件箱", "sms.outbox"),
    MenuItem("designer", "流程设计", "designer.index"),
    MenuItem("audit", "审计", "audit.index"),
    MenuItem("oplog", "操作日志", "audit.operations"),
]


def menu_for(user) -> list[MenuItem]:
    """The menu entries whose page the user may open."""
    return [item for item in MENU if may_visit(user, item.endpoint)]


# (role, script root) → [(item, url)]: what every page's menu shows depends on nothing else, so each worker
# asks the policy and builds the URLs once per role rather than on every page.
_LINKS: dict[tuple, list[tuple[MenuItem, str]]] = {}


def menu_links(user) -> list[tuple[MenuItem, str]]:
    """``menu_for(user)`` with each entry's URL, for the page's menu."""
    key = (getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None, request.script_root)
    links = _LINKS.get(key)
    if links is None:
        links = _LINKS[key] = [(item, url_for(item.endpoint)) for item in menu_for(user)]
    return links


# (role, script root, active entry) → the menu's markup: the same on every page a role opens from one entry.
_HTML: dict[tuple, Markup] = {}


def menu_html(user, active_menu) -> Markup:
    """The menu's ``<li>`` entries for ``user``, the ``active_menu`` entry marked (built once per key)."""
    active = active_menu if isinstance(active_menu, str) else None  # undefined on pages outside the menu
    key = (getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None, request.script_root,
           active)
    html = _HTML.get(key)
    if html is None:
        html = _HTML[key] = Markup("".join(
            '<li><a href="{}" data-menu="{}"{}>{}</a></li>\n'.format(
                escape(url), escape(item.key), ' class="active"' if item.key == active else "", escape(item.label))
            for item, url in menu_links(user)))
    return html
