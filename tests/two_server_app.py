"""The app as tests/test_two_servers.py serves it from gunicorn: settings from the environment (DATABASE_URL,
SECRET_KEY, UPLOAD_FOLDER, REDIS_URL, LOGIN_LIMIT_PER_ACCOUNT) plus the captcha test hook, which only a test
may switch on and no environment variable can."""
from app import create_app

app = create_app({"CAPTCHA_TEST_HOOK": True})
