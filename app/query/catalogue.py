"""What 综合查询 can filter on: the person's base fields and every field and completion date of every step,
each with the query modes that fit its type."""
import functools

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from app.people.fields import FieldDef, step_field_defs
from app.people.models import CATEGORIES
from forms import feeds
from forms.codes import ETHNICITY, SEX

MODES = {"fuzzy": "模糊", "exact": "精准", "prefix": "左匹配", "suffix": "右匹配", "multi": "多选",
         "range": "时间区间"}
KIND_MODES = {
    "text": ("fuzzy", "exact", "prefix", "suffix"),
    "joined": ("fuzzy",),
    "choice": ("exact", "multi"),
    "date": ("range", "exact"),
    "number": ("exact",),
}
BASE_GROUP = "基本信息"
# Base fields live as columns of the person row; their keys name the column.
BASE_FIELDS = (
    FieldDef("person.name", "姓名", BASE_GROUP, "text"),
    FieldDef("person.sex", "性别", BASE_GROUP, "choice", tuple(SEX)),
    FieldDef("person.ethnicity", "民族", BASE_GROUP, "choice", tuple(ETHNICITY)),
    FieldDef("person.id_number", "公民身份证号", BASE_GROUP, "text"),
    FieldDef("person.category", "人员类别", BASE_GROUP, "choice", tuple((c, c) for c in CATEGORIES)),
)
BASE_KEYS = ("person.name", "person.sex", "person.ethnicity", "person.id_number")


def modes_for(definition: FieldDef) -> tuple[str, ...]:
    """The query modes a field offers, by its type."""
    return KIND_MODES[definition.kind]


def configure() -> None:
    """Empty the catalogues kept per version id, as the step catalogues they are read from (a new app may be
    on another database: the tests)."""
    for cached in (_catalogue, _copies, _mirrors):
        cached.cache_clear()


@functools.lru_cache(maxsize=8)
def _catalogue(version_id: int) -> tuple[FieldDef, ...]:
    from app.workflow.services import step_catalogue
    fields = list(BASE_FIELDS)
    for step in step_catalogue(version_id):
        fields += step_field_defs(step.step, step.title, step.form_key, step.data_key,
                                  reviewed=bool(step.review_name))
    return tuple(fields)


@functools.lru_cache(maxsize=8)
def _copies(version_id: int) -> dict[str, str]:
    from app.workflow.services import step_catalogue
    feeders: dict[str, list[str]] = {}
    for step in step_catalogue(version_id):
        for field, column in feeds(step.form_key).items():
            feeders.setdefault(column, []).append(f"{step.data_key}.{field}")
    return {f.key: feeders[column][0] for f in BASE_FIELDS
            if len(feeders.get(column := f.key.removeprefix("person."), ())) == 1}


@functools.lru_cache(maxsize=8)
def _mirrors(version_id: int) -> dict[str, str]:
    from app.people.models import Person
    from app.workflow.services import step_catalogue
    feeders: dict[str, list[str]] = {}
    for step in step_catalogue(version_id):
        for field, column in feeds(step.form_key).items():
            feeders.setdefault(column, []).append(f"{step.data_key}.{field}")
    return {keys[0]: column for column, keys in feeders.items() if len(keys) == 1 and column in Person.__table__.c}


def mirrors() -> dict[str, str]:
    """Step field key → the person column holding the same value (the column is fed by that step alone): the
    reverse of ``copies``, for any column. A condition too broad to be read as ids is then a filter on the
    person row already being read, instead of a probe of person_field per person."""
    return _mirrors(_active_version_id())


def _active_version_id() -> int:
    import sqlalchemy as sa

    from app.extensions import db
    from app.workflow.models import ProcessVersion
    from app.workflow.versions import DEVELOPMENT
    version_id = db.session.scalar(sa.select(ProcessVersion.id).where(
        ProcessVersion.process_id == DEVELOPMENT, ProcessVersion.state == "active"))
    if version_id is None:
        raise LookupError("发展党员流程没有已启用的版本，请先运行 flask init-db")
    return version_id


def copies() -> dict[str, str]:
    """Base field key → the person_field key holding the same value. A person column fed by exactly one
    step of the active diagram (forms' ``feeds``) mirrors that step's field, so a condition on it can be an
    index-only scan of person_field like any step field."""
    return _copies(_active_version_id())


def catalogue() -> tuple[FieldDef, ...]:
    """Every queryable field, in procedure order, for the active diagram version (looked up once a request)."""
    from flask import g, has_app_context
    if has_app_context() and "query_catalogue" in g:
        return g.query_catalogue
    fields = _catalogue(_active_version_id())
    if has_app_context():
        g.query_catalogue = fields
    return fields


def by_key() -> dict[str, FieldDef]:
    """key → field definition (a shared cached dict: do not modify)."""
    return _by_key(catalogue())


@functools.lru_cache(maxsize=8)
def _by_key(fields: tuple[FieldDef, ...]) -> dict[str, FieldDef]:
    return {f.key: f for f in fields}


def as_json() -> Markup:
    """The catalogue for the page's script (JSON safe inside <script>): fields with group, kind, modes, choices."""
    return _as_json(catalogue())


@functools.lru_cache(maxsize=8)
def _as_json(fields: tuple[FieldDef, ...]) -> Markup:
    return htmlsafe_json_dumps([{"key": f.key, "label": f.label, "group": f.group, "kind": f.kind,
                                 "modes": list(modes_for(f)), "choices": [[str(v), str(label)] for v, label in f.choices]}
                                for f in fields])


def grouped() -> list[tuple[str, list[FieldDef]]]:
    """The catalogue as (group, fields) in procedure order, for the field selects' optgroups."""
    return _grouped(catalogue())


@functools.lru_cache(maxsize=8)
def _grouped(fields: tuple[FieldDef, ...]) -> list[tuple[str, list[FieldDef]]]:
    groups: dict[str, list[FieldDef]] = {}
    for f in fields:
        groups.setdefault(f.group, []).append(f)
    return list(groups.items())
