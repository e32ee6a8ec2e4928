"""What the public 党务公开 board shows: current notices of an organisation's subtree, and their files."""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.attachments.models import Attachment
from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.publicity.models import PublicityNotice
from app.scope import path_prefix
from app.vocab.statuses import PersonStatus

# A county index lists at most this many notices (newest first); the public page stays one cheap query.
BOARD_LIMIT = 500
INDEX_LEVELS = ("province", "city", "county")
# How the public gives feedback on a notice (the board and e支部 show the same words).
FEEDBACK_TEXT = ("对公示对象有意见的，可在公示期内以来电、来信、来访等方式向其所在党支部或上级党组织反映。"
                 "反映情况须实事求是，以个人名义反映的请提供真实姓名和联系方式。")


@dataclass(frozen=True)
class BoardFile:
    mime: str
    size: int

    @property
    def kind(self) -> str:
        return "图片" if self.mime.startswith("image/") else "PDF 文件"


def current_notices(org: Organisation, today: date) -> list[PublicityNotice]:
    """Notices of ``org`` and its subtree whose period includes ``today``, for persons still in the pipeline."""
    stmt = (sa.select(PublicityNotice)
            .join(Person, Person.id == PublicityNotice.person_id)
            .where(path_prefix(PublicityNotice.org_path, org.path),
                   PublicityNotice.start_date <= today, PublicityNotice.end_date >= today,
                   Person.status == PersonStatus.ACTIVE.value)
            .order_by(PublicityNotice.start_date.desc(), PublicityNotice.id.desc())
            .limit(BOARD_LIMIT))
    return list(db.session.scalars(stmt))


def organisations_named(notices: list[PublicityNotice]) -> dict[int, Organisation]:
    """The organisations the notices belong to and their parents (where to give feedback), by id (one query)."""
    ids = {n.org_id for n in notices} | {int(p) for n in notices for p in n.org_path.strip("/").split("/")[-2:]}
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))}


def board_files(notices: list[PublicityNotice]) -> dict[str, BoardFile]:
    """Type and size of each notice's material, by digest: the board shows no file names (a name may carry
    personal data the notice itself does not)."""
    digests = {h for n in notices for h in (n.files or [])}
    if not digests:
        return {}
    rows = db.session.execute(sa.select(Attachment.sha256, Attachment.mime, Attachment.size)
                              .where(Attachment.sha256.in_(digests))).all()
    found = {sha: (mime, size) for sha, mime, size in rows}
    return {sha: BoardFile(*found[sha]) for sha in digests if sha in found}


def listed_file(notice_id: int, number: int, today: date) -> tuple[str, str] | None:
    """(digest, mime) of the ``number``-th (1-based) file of a notice currently on the board, else None."""
    notice = db.session.get(PublicityNotice, notice_id)
    if notice is None or not (notice.start_date <= today <= notice.end_date):
        return None
    person_status = db.session.scalar(sa.select(Person.status).where(Person.id == notice.person_id))
    files = notice.files or []
    if person_status != PersonStatus.ACTIVE.value or not 1 <= number <= len(files):
        return None
    mime = db.session.scalar(sa.select(Attachment.mime).where(Attachment.sha256 == files[number - 1]).limit(1))
    return (files[number - 1], mime) if mime else None


def boards_index() -> list[Organisation]:
    """The organisations with a board index of their own (县(区)委 and above), in tree order."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.level.in_(INDEX_LEVELS))
                                   .order_by(Organisation.path)))
