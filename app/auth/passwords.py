"""Password policy and hashing (manual §2.1: 8–18 characters mixing upper case, lower case, digits)."""
import re

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

POLICY_MESSAGE = "密码长度8~18位，须由大写字母、小写字母和数字混合组成"
_POLICY = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[\x21-\x7e]{8,18}$")


def password_problem(password: str) -> str | None:
    """The policy message if the password breaks the policy, else None."""
    return None if _POLICY.match(password or "") else POLICY_MESSAGE


def hash_password(password: str) -> str:
    """A slow salted hash (scrypt; the test suite configures a cheaper method to stay fast)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches the stored hash."""
    return bool(password_hash) and check_password_hash(password_hash, password or "")
