"""/api/v1/registry/…: what the member registry calls (its system account's token, right
``registry.inbound``), and the schemas of the events it and e支部 receive from us (components ``RegistryEvent``,
``EstationNotice``)."""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body
from app.api.openapi import json_request, ref, register_path, register_schema, responses
from app.publicity.estation import NOTICE_SCHEMA
from app.registry import inbound
from app.registry.events import EVENT_SCHEMA
from app.transaction import CONFLICT_MESSAGE
from app.workflow.errors import Conflict, WorkflowError

register_schema("RegistryEvent", {
    **EVENT_SCHEMA,
    "description": "本系统发往党员信息管理系统的事件（POST 到 REGISTRY_URL）。请求头：Idempotency-Key（=event_id，"
                   "重复送达时据此去重）、X-Registry-Event（=type）、X-Registry-Signature（sha256=<请求体原始字节以 "
                   "REGISTRY_SECRET 计算的 HMAC-SHA256 十六进制>）。接收方以 2xx 表示已接收，否则本系统按指数退避重试。",
})
register_schema("EstationNotice", {
    **NOTICE_SCHEMA,
    "description": "本系统发往 e 支部党务公开栏目的公示（POST 到 ESTATION_URL），内容与公开的党务公开栏目一致，不含身份证号、"
                   "电话等个人信息。请求头与 RegistryEvent 相同，签名密钥为 ESTATION_SECRET。e 支部按 notice.id "
                   "发布或覆盖（notice.published）、撤下（notice.withdrawn）；公示期满（period.end 之后）自行下线。",
})
register_schema("RegistryReduction", {
    "type": "object", "required": ["id_number", "reason"],
    "properties": {"id_number": {"type": "string", "description": "公民身份证号"},
                   "reason": {"type": "string", "description": "减少原因（进入历史库“停止发展”）"}},
})
register_schema("RegistryTransfer", {
    "type": "object", "required": ["id_number", "to_org_id"],
    "properties": {"id_number": {"type": "string"},
                   "to_org_id": {"type": "integer", "description": "接收党支部的组织编号"}},
})
register_schema("RegistryAnswer", {
    "type": "object", "required": ["person_id", "replayed"],
    "properties": {"person_id": {"type": "integer"}, "status": {"type": "string"},
                   "status_label": {"type": "string"},
                   "organisation": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                     "name": {"type": "string"}}},
                   "replayed": {"type": "boolean", "description": "true：同一幂等键的重复请求，返回首次的结果，未再次执行"}},
})
_KEY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": True,
               "description": "每个请求唯一（1–100 个字符）；重复发送同一请求时使用同一键", "schema": {"type": "string"}}


def _answer(kind: str):
    user = api_user()
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        api_error(400, "请求头须包含 Idempotency-Key（1–100 个字符）")
    body = json_body()
    try:
        answer, status = inbound.handle(user, kind, key, body)
    except inbound.Refused as exc:
        api_error(exc.status, exc.message, exc.fields)
    except Conflict:
        api_error(409, CONFLICT_MESSAGE)
    except WorkflowError as exc:
        api_error(exc.status, exc.message, exc.fields or None)
    return jsonify(answer), status


@bp.post("/registry/reductions")
def registry_reduction():
    """减少: the person goes to the 历史库."""
    return _answer(inbound.REDUCTION)


@bp.post("/registry/transfers")
def registry_transfer():
    """组织关系转接: the record follows to the receiving branch."""
    return _answer(inbound.TRANSFER)


for _path, _schema, _summary in (("/registry/reductions", "RegistryReduction", "党员信息系统：减少（人员进入历史库）"),
                                 ("/registry/transfers", "RegistryTransfer", "党员信息系统：组织关系转接")):
    register_path(_path, "post", {
        "summary": _summary, "tags": ["党员信息同步"], "parameters": [_KEY_HEADER],
        "description": "仅党员信息系统的系统账号（角色“党员信息系统”）可调用，范围为该账号所属组织及其下级。"
                       "同一幂等键重复请求返回首次结果且不重复执行；同一键用于不同请求体返回 422。"
                       "本系统发出的事件格式见组件 RegistryEvent。",
        "requestBody": json_request(ref(_schema)),
        "responses": responses(200, ref("RegistryAnswer"), errors=(403, 404, 409, 422)),
    })
