"""Error pages for browsers and JSON errors for the API, both in Chinese."""
from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from app.designer.services import refused_expression, report_refused_expression
from app.extensions import db
from app.transaction import conflict_response, keep_on_error
from app.workflow.engine import EngineError
from app.workflow.expressions import ExpressionLimitError

MESSAGES = {
    400: "请求有误", 401: "请先登录", 403: "没有权限执行此操作", 404: "页面或数据不存在",
    405: "不支持的请求方式", 409: "数据已被他人处理，请刷新后重试", 413: "上传的文件过大",
    422: "提交的数据有误", 429: "操作过于频繁，请稍后再试", 500: "服务器内部错误",
}
EXPRESSION_REFUSED_MESSAGE = "流程图中的条件或脚本无法完成计算（{reason}），本次操作未执行，已通知流程设计员"


def wants_json() -> bool:
    """API calls (and clients asking only for JSON) get JSON errors."""
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            db.session.rollback()
        message = MESSAGES.get(exc.code, exc.name)
        if isinstance(exc.description, str) and exc.description and exc.code in (400, 403, 409, 422):
            message = exc.description if not exc.description.startswith(("The ", "You ")) else message
        if wants_json():
            if _is_json_body_error(exc):
                # Flask answers a malformed body with a bare 400 and another content type with 415,
                # both with English text; API clients get one Chinese message and 400 for both.
                return jsonify(error="请求体须为JSON"), 400
            return jsonify(error=message), exc.code
        return render_template("error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def lost_race(exc: Exception):
        # A unique key (R18's index) or the version lock refusing a flush inside the request: someone else
        # wrote first, exactly as when the commit itself loses (app.transaction).
        db.session.rollback()
        return conflict_response()

    @app.errorhandler(EngineError)
    def engine_refused(exc: EngineError):
        # A diagram expression that failed or broke its limits at run time is the diagram's fault, not the
        # user's and not a crash: refuse the action (nothing of it is kept), tell the designers.
        db.session.rollback()
        cause = refused_expression(exc)
        if cause is None:
            return server_error(exc)
        actor = current_user._get_current_object() if current_user.is_authenticated else None
        report_refused_expression(actor, exc)
        keep_on_error()
        reason = "超出计算限制" if isinstance(cause, ExpressionLimitError) else "计算出错"
        message = EXPRESSION_REFUSED_MESSAGE.format(reason=reason)
        if wants_json():
            return jsonify(error=message), 422
        return render_template("error.html", code=422, message=message), 422

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        if wants_json():
            return jsonify(error=MESSAGES[500]), 500
        return render_template("error.html", code=500, message=MESSAGES[500]), 500


def _is_json_body_error(exc: HTTPException) -> bool:
    """True if ``exc`` comes from ``request.get_json()`` failing on the request body."""
    if isinstance(exc, UnsupportedMediaType):
        return "JSON" in str(exc.description)
    # Werkzeug raises "Failed to decode JSON object: ..."; Flask (outside debug) re-raises it as a bare
    # 400 "from" that one. Only this exact origin counts, so an abort(400) of a view is left alone.
    for candidate in (exc, exc.__cause__):
        if isinstance(candidate, HTTPException) and candidate.code == 400 and \
                str(candidate.description).startswith("Failed to decode JSON"):
            return True
    return False
