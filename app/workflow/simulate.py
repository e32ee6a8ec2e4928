"""Drive persons through the procedure with valid sample data: demo seeding, tests and benchmarks.

It goes through the same services as the pages and the API (no shortcuts into the engine), so what
it produces is what real use would produce.
"""
import copy

from forms import APPLICATION_FORM
from forms.samples import FAKE_HASH, sample_data

from app.attachments import services as attachments
from app.extensions import db
from app.workflow import services

# A 1x1 PNG: the smallest real file that passes the upload checks.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id_number(seq: int, birth: str = "19910101", region: str = "360426", male: bool = True) -> str:
    """A valid GB 11643 ID number, unique per ``seq`` (up to 500 per birth date and region)."""
    order = (seq % 500) * 2 + (1 if male else 0)
    body = f"{region}{birth}{order:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]


def _with_file(data, sha: str):
    if isinstance(data, dict):
        return {k: _with_file(v, sha) for k, v in data.items()}
    if isinstance(data, list):
        return [sha if v == FAKE_HASH else _with_file(v, sha) for v in data]
    return data


def sample(form_key: str, sha: str, **overrides) -> dict:
    """Valid data for a form, citing the stored file ``sha`` wherever a scan is asked for."""
    data = _with_file(copy.deepcopy(sample_data(form_key)), sha)
    data.update(overrides)
    return data


def stored_sample_file(actor) -> str:
    """Store the tiny PNG as the actor's upload and return its hash."""
    return attachments.store(actor, "扫描件.png", TINY_PNG).sha256


def add_applicant(actor, branch, seq: int, name: str = "张三", **overrides):
    """添加 one applicant in ``branch`` with a unique valid ID number; the application submitted."""
    sha = stored_sample_file(actor)
    data = sample(APPLICATION_FORM, sha, org_id=branch.id, name=name, id_number=make_id_number(seq),
                  **overrides)
    person = services.start_application(actor, data, "submit")
    db.session.commit()
    return person


def advance(person, actors: dict, until_step: int | None = None, until_task: str | None = None,
            max_actions: int = 200) -> None:
    """Complete ready tasks with sample data until the edit task of ``until_step`` (or the task named
    ``until_task``) is ready, or the process ends. ``actors`` maps role → user. Commits each action."""
    for _ in range(max_actions):
        ctx = services.load(person)
        ready = ctx.ready
        if ctx.instance.status != "running" or not ready:
            return
        task = min(ready, key=lambda t: (t.step, t.is_review))
        if until_task and task.name == until_task:
            return
        if until_step is not None and task.step >= until_step and not task.is_review:
            return
        actor = actors[services.task_role(task)]
        if task.is_review:
            services.act(actor, ctx, task.id, "approve", opinion="同意")
        else:
            sha = stored_sample_file(actor)
            action = "report" if task.name in services.reviewed_steps(ctx) else "submit"
            services.act(actor, ctx, task.id, action, sample(task.form_key, sha))
        db.session.commit()
