"""Which right of the policy each route needs: one line per endpoint (per method where they differ).

The request hook denies any endpoint missing here (403), and tests/test_access_sweep.py fails when a route of
the app is not listed, so adding a route means adding its line. HEAD and OPTIONS need what GET needs.
"""
PUBLIC = ("public", "use")
SESSION = ("session", "use")
PEOPLE = ("people", "read")
ACT = ("process", "act")

ROUTES: dict[str, tuple[str, str] | dict[str, tuple[str, str]]] = {
    # sign-in and shared assets
    "static": PUBLIC,
    "reports.static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.captcha_image": PUBLIC,
    "auth.captcha_test_answer": PUBLIC,
    "auth.activate": PUBLIC,
    "auth.forgot": PUBLIC,
    "auth.logout": SESSION,
    "main.index": SESSION,
    "main.favicon": PUBLIC,
    # 待办事项, 发展流程, 人员信息
    "inbox.index": ("inbox", "read"),
    "people.stage_list": PEOPLE,
    "people.info_list": PEOPLE,
    "people.info": PEOPLE,
    "people.info_edit": {"GET": ACT, "POST": ACT},
    "workflow.new_applicant": {"GET": ACT, "POST": ACT},
    "workflow.person": PEOPLE,
    "workflow.step": {"GET": PEOPLE, "POST": ACT},   # 审核 is refused per task by allowed_actions
    "workflow.cancel": ("process", "cancel"),
    "workflow.restore": ("archive", "restore"),
    "workflow.move_back": ACT,
    "workflow.version_xml": ("diagram", "read"),
    "attachments.download": PEOPLE,
    "printing.template": ("printing", "blank"),
    "printing.template_pdf": ("printing", "blank"),
    "printing.person_sheet": PEOPLE,
    "printing.person_sheet_pdf": PEOPLE,
    # 历史库, 接续培养, 实名校验
    "archive.index": ("archive", "read"),
    "archive.restore": ("archive", "restore"),
    "archive.redevelop": ("archive", "restore"),
    "transfers.index": ("transfers", "act"),
    "transfers.create": ("transfers", "act"),
    "transfers.show": ("transfers", "act"),
    "transfers.review": ("transfers", "act"),
    "realname.index": ("realname", "act"),
    "realname.edit": ("realname", "act"),
    "realname.show": ("realname", "act"),
    "realname.report": ("realname", "act"),
    "realname.confirm": ("realname", "confirm"),
    "realname.reject": ("realname", "confirm"),
    # 综合查询, 数据统计, 逻辑校验, 计划分配
    "query.index": ("query", "read"),
    "query.export_xlsx": ("query", "read"),
    "query.evidence": ("query", "read"),
    "reports.index": ("stats", "read"),
    "reports.export": ("stats", "read"),
    "checks.index": ("checks", "read"),
    "checks.persons": ("checks", "read"),
    "plans.index": ("plans", "manage"),
    # 组织管理, 账号管理, 短信发件箱
    "orgs.tree": SESSION,   # the tree beside the lists; its answers are bounded by the user's scope
    "orgs.index": ("orgs", "read"),
    "orgs.show": ("orgs", "read"),
    "orgs.create": ("orgs", "manage"),
    "orgs.rename": ("orgs", "manage"),
    "orgs.move": ("orgs", "manage"),
    "auth.accounts": ("accounts", "administer"),
    "auth.account_new": ("accounts", "administer"),
    "auth.account_code": ("accounts", "administer"),
    "auth.account_disable": ("accounts", "administer"),
    "auth.account_enable": ("accounts", "administer"),
    "sms.outbox": ("sms", "read"),
    # 流程设计
    "designer.index": ("design", "manage"),
    "designer.upload": ("design", "manage"),
    "designer.version": ("design", "manage"),
    "designer.download": ("design", "manage"),
    "designer.edit": ("design", "manage"),
    "designer.save": ("design", "manage"),
    "designer.validate": ("design", "manage"),
    "designer.compare": ("design", "manage"),
    "designer.activate": ("design", "manage"),
    "designer.migrate": ("design", "manage"),
    # 审计, 操作日志
    "audit.index": ("audit", "read"),
    "audit.timeline": ("audit", "read"),
    "audit.replay": ("audit", "read"),
    "audit.diagram": ("audit", "read"),
    "audit.verify_person": ("audit", "read"),
    "audit.verify_scope": ("audit", "read"),
    "audit.export": ("audit", "read"),
    "audit.dossier": ("audit", "read"),
    "audit.dossier_pdf": ("audit", "read"),
    "audit.operations": ("oplog", "read"),
    # /api/v1
    "api.issue_token": PUBLIC,
    "api.openapi_document": PUBLIC,
    "api.revoke_token": SESSION,
    "api.me": SESSION,
    "api.list_tasks": ("inbox", "read"),
    "api.get_task": PEOPLE,
    "api.get_person": PEOPLE,
    "api.act_on_task": ACT,
    "api.create_applicant": ACT,
    "api.upload_attachment": ACT,
    "api.list_organisations": SESSION,    # like orgs.tree: answers bounded by the caller's scope
    "api.get_organisation": SESSION,
    "api.organisation_children": SESSION,
    "api.list_people": PEOPLE,
    "api.download_attachment": PEOPLE,
    "api.cancel_person": ("process", "cancel"),
    "api.move_back_person": ACT,
    "api.restore_person": ("archive", "restore"),
    "api.redevelop_person": ("archive", "restore"),
    "api.list_transfers": ("transfers", "act"),
    "api.request_transfer": ("transfers", "act"),
    "api.get_transfer": ("transfers", "act"),
    "api.decide_transfer": ("transfers", "act"),
    "api.list_realname": ("realname", "act"),
    "api.create_realname": ("realname", "act"),
    "api.realname_schema": ("realname", "act"),
    "api.get_realname": ("realname", "act"),
    "api.update_realname": ("realname", "act"),
    "api.report_realname": ("realname", "act"),
    "api.confirm_realname": ("realname", "confirm"),
    "api.reject_realname": ("realname", "confirm"),
    "api.current_plan": ("plans", "manage"),
    "api.get_plan": ("plans", "manage"),
    "api.set_plan": ("plans", "manage"),
    "api.query_fields": ("query", "read"),
    "api.run_query": ("query", "read"),
    "api.statistics": ("stats", "read"),
    "api.check_counts": ("checks", "read"),
    "api.check_persons": ("checks", "read"),
    "api.audit_timeline": ("audit", "read"),
    "api.audit_bundle": ("audit", "read"),
    "api.audit_verify_person": ("audit", "read"),
    "api.audit_verify_scope": ("audit", "read"),
    "api.designer_processes": ("design", "manage"),
    "api.designer_version": ("design", "manage"),
    "api.designer_version_bpmn": ("design", "manage"),
    "api.designer_upload": ("design", "manage"),
    "api.designer_validate": ("design", "manage"),
    "api.designer_activate": ("design", "manage"),
    "api.designer_migration_preview": ("design", "manage"),
    "api.designer_migrate": ("design", "manage"),
}


def needed(endpoint: str | None, method: str) -> tuple[str, str] | None:
    """The (area, action) a request to ``endpoint`` with ``method`` needs, or None if the table is silent."""
    entry = ROUTES.get(endpoint or "")
    if isinstance(entry, dict):
        return entry.get("GET" if method in ("HEAD", "OPTIONS") else method)
    return entry
