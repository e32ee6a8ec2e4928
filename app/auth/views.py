"""Login, logout, the captcha image, account activation, password reset and the 安全员's account management."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from wtforms import SelectChoice

from app.auth import services
from app.auth.captcha import check_captcha, new_captcha, test_answer
from app.auth.forms import AccountForm, ActivationForm, ForgotPasswordForm, LoginForm
from app.auth.limits import captcha_limit, code_limits, login_limits
from app.auth.models import User
from app.auth.session_account import session_account
from app.auth.roles import ROLE_LEVEL, ROLES
from app.extensions import login_manager
from app.scope import get_in_scope
from app.sms.services import CODE_MINUTES, SmsCodeError, resend_wait
from app.timeutil import utcnow
from app.transaction import keep_on_error

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

@login_manager.user_loader
def load_session_user(session_id: str):
    """The account of a login session, checked on every request: it must still be active and the session's
    epoch must be the account's (logout, a new password, disabling or a new role raise it)."""
    user_id, _, epoch = (session_id or "").partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = session_account(int(user_id))
    if user is None or not user.is_active or int(epoch) != (user.session_epoch or 0):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if not check_captcha(form.captcha.data):
            form.captcha.errors.append("验证码错误")
        else:
            user, message = services.authenticate(form.username.data, form.password.data)
            if user:
                _renew_session()
                login_user(user)
                # Flask-Login's hash of address and browser, read only by its session protection (off, see
                # create_app): not carried in every cookie.
                session.pop("_id", None)
                return redirect(_safe_next(request.args.get("next")))
            keep_on_error()  # the failure count and the log row outlive the refusal
            form.password.errors.append(message)
    form.captcha.data = ""
    return render_template("auth/login.html", form=form)


def _renew_session() -> None:
    # A session (and its CSRF token) from before the login is never the logged-in one: no fixation.
    session.clear()
    g.pop("csrf_token", None)


@bp.post("/logout")
def logout():
    services.end_sessions(current_user.record)
    logout_user()
    _renew_session()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.get("/captcha.png")
@captcha_limit
def captcha_image():
    response = make_response(new_captcha())
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/captcha/test-answer")
def captcha_test_answer():
    # Exists only so browser tests can answer the real captcha; 404 unless the test hook is on.
    answer = test_answer()
    if answer is None:
        abort(404)
    return {"answer": answer}


# --- activation and password reset -------------------------------------------------------------

@bp.route("/activate", methods=["GET", "POST"])
@code_limits
def activate():
    form = ActivationForm()
    if form.check_code_request():
        _request_code(form, lambda: services.request_activation_code(form.phone.data),
                      "如该手机号码有待激活的账号，短信验证码已发送")
    elif form.check_final_submit():
        try:
            services.activate_account(phone=form.phone.data, sms_code=form.sms_code.data,
                                      auth_code=form.auth_code.data, password=form.password.data,
                                      name=form.name.data, id_number=form.id_number.data)
        except services.AccountError as exc:
            keep_on_error()  # failure counts must survive the refusal
            _show_error(form, exc)
        else:
            flash("账号激活成功，请使用身份证号和新设置的密码登录")
            return redirect(url_for("auth.login"))
    return _code_page("auth/activate.html", form, "activate")


@bp.route("/forgot", methods=["GET", "POST"])
@code_limits
def forgot():
    form = ForgotPasswordForm()
    if form.check_code_request():
        _request_code(form, lambda: services.request_reset_code(form.username.data, form.phone.data),
                      "如用户名与手机号码相符，短信验证码已发送至该手机")
    elif form.check_final_submit():
        try:
            services.reset_password(username=form.username.data, phone=form.phone.data,
                                    sms_code=form.sms_code.data, password=form.password.data)
        except services.AccountError as exc:
            keep_on_error()  # wrong-code counts must survive the refusal
            _show_error(form, exc)
        else:
            flash("密码已重置，请使用新密码登录")
            return redirect(url_for("auth.login"))
    return _code_page("auth/forgot.html", form, "reset")


def _request_code(form, request_code, sent_message: str) -> None:
    # The same words whether or not a message went out, so the page cannot be used to probe phones.
    try:
        request_code()
    except SmsCodeError as exc:
        _add_error(form.sms_code, str(exc))
    else:
        flash(f"{sent_message}，{CODE_MINUTES}分钟内有效")


def _code_page(template: str, form, purpose: str):
    form.captcha.data = ""
    wait = resend_wait(form.phone.data, purpose) if form.phone.data and not form.phone.errors else 0
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template(template, form=form, resend_wait=wait), status


# --- account management (安全员) ------------------------------------------------------------------

@bp.get("/accounts")
def accounts():
    query = request.args.get("q", "")
    page = services.accounts_page(current_user, request.args.get("page", 1, type=int), query)
    return render_template("auth/accounts.html", page=page, q=query, now=utcnow(), active_menu="accounts")


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    orgs = {org.id: org for org in services.account_orgs(current_user)}
    form = AccountForm()
    _fill_account_choices(form, orgs.values())
    if form.validate_on_submit():
        try:
            user = services.create_account(current_user, name=form.name.data, id_number=form.id_number.data,
                                           phone=form.phone.data, org=orgs[form.org_id.data],
                                           role=form.role.data)
        except services.AccountError as exc:
            _show_error(form, exc)
        else:
            flash(f"已开通账号：{user.name}（{user.role_label}），授权码已通过短信发送至 {user.phone}")
            return redirect(url_for("auth.accounts"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/account_new.html", form=form, active_menu="accounts"), status


@bp.post("/accounts/<int:user_id>/code")
def account_code(user_id: int):
    user = get_in_scope(User, user_id, current_user)
    try:
        services.issue_auth_code(user, current_user)
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已向 {user.name} 的手机 {user.phone} 重新发送授权码，原授权码作废")
    return redirect(url_for("auth.accounts", **_list_args()))


@bp.post("/accounts/<int:user_id>/disable")
def account_disable(user_id: int):
    return _set_disabled(user_id, True, "已停用账号")


@bp.post("/accounts/<int:user_id>/enable")
def account_enable(user_id: int):
    return _set_disabled(user_id, False, "已启用账号")


def _set_disabled(user_id: int, disabled: bool, done: str):
    user = get_in_scope(User, user_id, current_user)
    try:
        services.set_disabled(user, disabled, current_user)
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{done}：{user.name}")
    return redirect(url_for("auth.accounts", **_list_args()))


def _list_args() -> dict:
    # Back to the same page and search of the list the button was pressed on.
    return {key: request.args[key] for key in ("page", "q") if request.args.get(key)}


def _fill_account_choices(form: AccountForm, orgs) -> None:
    orgs = list(orgs)
    top = min((org.depth for org in orgs), default=0)
    form.org_id.choices = [SelectChoice(0, "请选择所属组织")] + [
        SelectChoice(org.id, "\u3000" * (org.depth - top) + org.name, {"data-level": org.level}) for org in orgs]
    # data-level lets the page offer only the roles that fit the chosen organisation; the service decides.
    form.role.choices = [SelectChoice("", "请选择角色")] + [
        SelectChoice(role, label, {"data-level": ROLE_LEVEL.get(role, "")}) for role, label in ROLES.items()]


def _add_error(field, message: str) -> None:
    # A field that was not validated holds its errors in a tuple.
    field.errors = list(field.errors) + [message]


def _show_error(form, exc: services.AccountError) -> None:
    field = getattr(exc, "field", None)
    if field and field in form._fields:
        _add_error(form[field], str(exc))
    else:
        flash(str(exc), "error")


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths, so the login page cannot be used as an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")
