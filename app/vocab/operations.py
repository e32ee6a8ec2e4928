"""The operations log's names (``operation_log.action``) with their labels, and its details made readable."""
import json

from app.auth.roles import role_label
from app.orgs.models import LEVELS
from app.vocab.labelled import LabelledEnum


class Operation(LabelledEnum):
    """An operation outside the process instances: logins, accounts, diagrams, plans, exports, audits."""
    LOGIN = ("login", "登录")
    LOGIN_FAILED = ("login.failed", "登录失败")
    LOGIN_LOCKED = ("login.locked", "账号锁定")
    ACCOUNT_CREATE = ("account.create", "创建账号")
    ACCOUNT_CODE_ISSUED = ("account.code_issued", "发放授权码")
    ACCOUNT_DISABLE = ("account.disable", "停用账号")
    ACCOUNT_ENABLE = ("account.enable", "启用账号")
    ACCOUNT_ACTIVATE = ("account.activate", "激活账号")
    ACCOUNT_PASSWORD_RESET = ("account.password_reset", "重置密码")
    ACTIVATION_FAILED = ("activation.failed", "激活失败")
    ACTIVATION_CODE_VOIDED = ("activation.code_voided", "授权码作废")
    SMS_CODE_REQUESTED = ("sms.code_requested", "请求短信验证码")
    API_TOKEN_ISSUE = ("api.token.issue", "签发接口令牌")
    API_TOKEN_REVOKE = ("api.token.revoke", "撤销接口令牌")
    API_TOKEN_REVOKE_ALL = ("api.token.revoke_all", "撤销全部接口令牌")
    ORG_CREATE = ("org.create", "新建组织")
    ORG_RENAME = ("org.rename", "组织更名")
    ORG_MOVE = ("org.move", "调整上级组织")
    PROCESS_DEPLOY = ("process.deploy", "部署流程版本")
    PROCESS_ACTIVATE = ("process.activate", "启用流程版本")
    PROCESS_MIGRATE = ("process.migrate", "迁移流程版本")
    PROCESS_EXPRESSION_REFUSED = ("process.expression_refused", "流程表达式运行时被拒绝")
    PLAN_UPDATE = ("plan.update", "调整发展计划")
    QUERY_EXPORT = ("query_export", "导出查询结果")
    EVIDENCE_DOWNLOAD = ("evidence_download", "下载证明材料")
    TRANSFER_REQUEST = ("transfer.request", "申请接续培养")
    TRANSFER_APPROVE = ("transfer.approve", "接续培养审核通过")
    TRANSFER_REJECT = ("transfer.reject", "接续培养审核不通过")
    TRANSFER_WITHDRAW = ("transfer.withdraw", "撤回接续培养申请")
    SUSPENSION_SUSPEND = ("suspension.suspend", "暂停发展（出国（境））")
    SUSPENSION_RESUME_APPLY = ("suspension.resume_apply", "归国恢复申请")
    SUSPENSION_COMMITTEE_APPROVE = ("suspension.committee_approve", "归国恢复基层党委审核通过")
    SUSPENSION_COMMITTEE_REJECT = ("suspension.committee_reject", "归国恢复基层党委审核不通过")
    SUSPENSION_COUNTY_APPROVE = ("suspension.county_approve", "归国恢复县级审核通过")
    SUSPENSION_COUNTY_REJECT = ("suspension.county_reject", "归国恢复县级审核不通过")
    MOVE_BACK_REQUEST = ("move_back.request", "调整申请（回到已封存阶段）")
    MOVE_BACK_APPROVE = ("move_back.approve", "调整申请县级审核通过")
    MOVE_BACK_REJECT = ("move_back.reject", "调整申请县级审核不通过")
    MOVE_BACK_LAPSE = ("move_back.lapse", "调整申请自动失效")
    REALNAME_SAVE = ("realname.save", "保存实名认证申请")
    REALNAME_REPORT = ("realname.report", "上报实名认证申请")
    REALNAME_CONFIRM = ("realname.confirm", "实名认证备案认证")
    REALNAME_REJECT = ("realname.reject", "实名认证不通过")
    AUDIT_EXPORT = ("audit.export", "导出纪实数据包")
    AUDIT_VERIFY = ("audit.verify", "核验纪实记录")
    AUDIT_DOSSIER = ("audit.dossier", "打印入党材料")
    REGISTRY_RETRY = ("registry.retry", "重新发送党员信息同步事件")
    REGISTRY_INBOUND = ("registry.inbound", "党员信息系统来件")
    ROSTER_IMPORT = ("roster.import", "导入党员名册")
    ONBOARDING_IMPORT = ("onboarding.import", "导入在途发展人员")


# The keys services put in ``detail``; a key missing here is shown as logged.
DETAIL_LABELS = {
    "id": "编号", "name": "姓名", "role": "角色", "org_id": "组织编号", "level": "组织层级", "parent_id": "上级组织编号",
    "old": "原名称", "from": "原值", "to": "新值", "year": "年度", "reason": "原因", "field": "出错项",
    "purpose": "用途", "account": "账号", "expires": "有效期至", "expires_at": "有效期至", "token_id": "令牌编号",
    "count": "数量", "version_id": "版本编号", "checksum": "校验和", "base_version_id": "基于版本编号",
    "comment": "说明", "previous_version_ids": "原启用版本编号", "from_version": "原版本编号",
    "to_version": "目标版本编号", "person_ids": "已迁移人员编号", "refused": "未迁移人员及原因",
    "person_id": "人员编号", "from_org_id": "转出组织编号", "to_org_id": "转入组织编号", "rows": "导出行数",
    "conditions": "查询条件", "files": "文件数", "instance_id": "流程实例编号", "events": "事件数",
    "instances": "实例数", "findings": "发现问题数", "format": "格式",
    "element": "流程元素", "error": "错误", "suspension_id": "暂停发展编号", "request_id": "恢复申请编号",
    "opinion": "意见",
    "element": "流程元素", "error": "错误", "event_id": "同步事件编号", "kind": "类别", "key": "幂等键",
    "file_sha256": "文件校验和", "file_name": "文件名", "stages": "阶段",
}

# Coded values of some keys, in words.
_VALUE_LABELS = {
    "reason": {"unknown": "账号不存在", "locked": "账号已锁定", "password": "密码错误"},
    "purpose": {"activate": "账号激活", "reset": "找回密码"},
    "field": {"name": "姓名", "auth_code": "授权码", "sms_code": "短信验证码", "id_number": "身份证号",
              "phone": "手机号码", "password": "密码"},
    "level": LEVELS,
}


def detail_rows(detail: dict | None) -> list[tuple[str, str]]:
    """An operations-log row's detail as (中文名, 文字) pairs, in the order it was logged."""
    return [(DETAIL_LABELS.get(key, key), _text(key, value)) for key, value in (detail or {}).items()]


def _text(key: str, value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if key == "role":
        return role_label(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return _VALUE_LABELS.get(key, {}).get(value, value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text('', v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_text("", item) if not isinstance(item, list) else " ".join(map(_plain, item))
                        for item in value)
    return str(value)


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
