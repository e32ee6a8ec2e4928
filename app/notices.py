"""The message a page shows after a completed action, named in the redirect's query (``?done=submit``).

Flashing it would put it in the session cookie: the POST's answer re-signs the cookie to add it and the page
after the redirect re-signs it again to take it out, on every completion. A name in the URL costs neither.
Only the names below mean anything, each to a fixed text, so a forged or stale ``done`` can at most show
one of these messages; refusals and conflicts are still flashed (they are rare and their text varies)."""
from flask import get_flashed_messages, redirect, request, url_for

DONE_ARG = "done"
DONE = {"save": "已保存", "submit": "已提交，进入下一步骤", "report": "已上报，等待基层党委审核",
        "approve": "审核通过", "reject": "已退回，等待重新编辑上报"}


def redirect_done(action: str, endpoint: str, **values):
    """A 303 to ``endpoint`` whose page will say that ``action`` (a key of ``DONE``) was done."""
    if action not in DONE:
        raise KeyError(action)
    return redirect(url_for(endpoint, **values, **{DONE_ARG: action})), 303


def page_messages() -> list[tuple[str, str]]:
    """(category, text) of the messages this page shows: the flashed ones, then the one its URL names."""
    messages = get_flashed_messages(with_categories=True)
    done = DONE.get(request.args.get(DONE_ARG, ""))
    return [*messages, ("message", done)] if done else messages
