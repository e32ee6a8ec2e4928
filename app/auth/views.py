"""Login, logout and the captcha image."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import services
from app.auth.captcha import check_captcha, new_captcha, test_answer
from app.auth.forms import LoginForm
from app.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str):
    from app.auth.models import User
    return db.session.get(User, int(user_id))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if not check_captcha(form.captcha.data):
            form.captcha.errors.append("验证码错误")
        else:
            user, message = services.authenticate(form.username.data, form.password.data)
            db.session.commit()
            if user:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            form.password.errors.append(message)
    form.captcha.data = ""
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.get("/captcha.png")
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


@bp.get("/accounts")
@login_required
def accounts():
    return render_template("pending.html", item=type("I", (), {"key": "accounts", "label": "账号管理"}),
                           planned="账号管理")


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths, so the login page cannot be used as an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")
