"""Verification of the record: hash chains, replay against stored state, attachment bytes.

Every finding names the instance and the event it concerns, so an auditor can open the replay at
that event. The checks read rows as they are in the database (no ORM caching of altered rows).

A large scope is verified by forked worker processes, each on slices of the instance ids: a child leaves
the parent's pooled connections alone (``dispose(close=False)``), reads through a session and connections
of its own (it writes nothing), and the parent merges the slices' findings in id order, so the report is
the one a single process would make.
"""
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.audit import records
from app.audit.replay import ReplayError, meaning, replay
from app.events.models import OperationLog
from app.events.services import compute_hash, operation_payload
from app.extensions import db
from app.workflow import engine

KIND_LABELS = {"chain": "哈希链", "version": "流程版本", "replay": "重放", "state": "存储状态",
               "file": "附件", "operations": "操作日志"}


@dataclass
class Finding:
    """One discrepancy: which instance (and person), which event, what is wrong."""
    kind: str
    message: str
    instance_id: int | None = None
    seq: int | None = None
    person_id: int | None = None
    person_name: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def line(self) -> str:
        """One line of text for the CLI and logs."""
        where = f"实例 {self.instance_id}" if self.instance_id is not None else "操作日志"
        if self.person_name:
            where += f"（{self.person_name}）"
        if self.seq is not None:
            where += f" 事件 #{self.seq}"
        return f"[{self.kind_label}] {where}: {self.message}"


@dataclass
class Report:
    """The outcome of a verification run."""
    instances: int
    events: int
    files: int
    findings: list[Finding]

    @property
    def clean(self) -> bool:
        return not self.findings


def check_chain(events: list[dict]) -> list[tuple[int, str]]:
    """(seq, message) for every break in one instance's hash chain: gaps, wrong links, altered rows."""
    problems = []
    prev_hash, expected_seq = "", 1
    for event in events:
        if event["seq"] != expected_seq:
            problems.append((event["seq"], f"序号不连续，缺少事件 #{expected_seq}"))
        if event["prev_hash"] != prev_hash:
            problems.append((event["seq"], "前序哈希与上一事件不符（事件被删除、插入或改动）"))
        if compute_hash(records.event_payload_of(event), event["prev_hash"]) != event["hash"]:
            problems.append((event["seq"], "事件内容与其哈希不符（事件被改动）"))
        prev_hash, expected_seq = event["hash"], event["seq"] + 1
    return problems


def check_chain_end(events: list[dict], last_seq: int, last_hash: str) -> list[tuple[int, str]]:
    """(seq, message) if the chain's end the instance row holds is not the log's last event: the runner
    appends after that end, so a difference means events were removed, added or altered outside it."""
    seq, digest = (events[-1]["seq"], events[-1]["hash"]) if events else (0, "")
    if (seq, digest) == (last_seq, last_hash):
        return []
    return [(seq or None, f"实例记录的事件链末端（#{last_seq}）与事件日志的最后一个事件不符（事件被删除、添加或改动）")]


def check_files(events: list[dict], path_of, seen: dict | None = None) -> list[tuple[int, str]]:
    """(seq, message) for every cited attachment whose stored bytes are missing or differ from its hash.

    ``seen`` (sha → problem) carries what was found over a whole run: a scan cited by thousands of
    records is read once."""
    problems = []
    seen = {} if seen is None else seen
    for event in events:
        for sha in event["attachments"] or []:
            if sha not in seen:
                seen[sha] = _file_problem(sha, path_of(sha))
            if seen[sha]:
                problems.append((event["seq"], f"附件 {sha[:12]}…: {seen[sha]}"))
    return problems


def _file_problem(sha: str, path: str) -> str:
    if not os.path.exists(path):
        return "文件不存在"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return "" if digest.hexdigest() == sha else "文件内容与哈希不符（文件被改动）"


def compare_state(events: list[dict], snap, stored_state: str, stored_status: str,
                  stored_version_id: int) -> list[tuple[int, str]]:
    """(seq, message) for every difference by meaning between a replay and the stored state."""
    last = events[-1]["seq"] if events else 0
    try:
        stored = meaning(engine.loads(stored_state), stored_status)
    except Exception as exc:  # an altered state may fail to load in many ways
        return [(last, f"存储状态无法读取: {exc.__class__.__name__}")]
    replayed = meaning(snap.wf, snap.status)
    problems = []
    if stored_status != snap.status:
        problems.append((last, f"存储的状态为“{stored_status}”，重放结果为“{snap.status}”"))
    if stored_version_id != snap.version_id:
        problems.append((last, f"存储的流程版本为 {stored_version_id}，重放结果为 {snap.version_id}"))
    for part, label in (("completed", "已完成"), ("ready", "待处理")):
        for key in sorted(set(stored[part]) | set(replayed[part])):
            name, pass_no = key
            seq = _event_for_task(events, name, pass_no) or last
            if key not in stored[part]:
                problems.append((seq, f"{label}任务 {name}（第{pass_no}次）在存储状态中缺失"))
            elif key not in replayed[part]:
                problems.append((seq, f"存储状态中多出{label}任务 {name}（第{pass_no}次）"))
            elif stored[part][key] != replayed[part][key]:
                problems.append((seq, f"{label}任务 {name}（第{pass_no}次）的数据与重放结果不一致"))
    return problems


def _event_for_task(events: list[dict], name: str, pass_no: int) -> int | None:
    """The last event that acted on this pass of this task (where a difference in it came from)."""
    seqs = [e["seq"] for e in events if e["task_name"] == name and e["task_pass"] == pass_no]
    return seqs[-1] if seqs else None


def verify_instance(instance_id: int, version_cache: dict | None = None,
                    file_cache: dict | None = None) -> tuple[list[Finding], int, int]:
    """All checks on one instance; returns (findings, events checked, files checked)."""
    info = records.instance_row(instance_id)
    events = records.event_dicts(instance_id)
    versions = version_cache if version_cache is not None else {}
    found: list[tuple[str, int | None, str]] = []
    found += [("chain", seq, msg) for seq, msg in check_chain(events)]
    found += [("chain", seq, msg) for seq, msg in check_chain_end(events, info.last_seq, info.last_hash)]
    found += [("file", seq, msg) for seq, msg in check_files(events, records.file_path, file_cache)]
    start_seq = events[0]["seq"] if events else None
    if info.version_problem(versions):
        found.append(("version", start_seq, info.version_problem(versions)))
    try:
        snap = replay(events, lambda vid: records.version_source(vid, versions))
    except ReplayError as exc:
        found.append(("replay", exc.seq, exc.message))
    else:
        found += [("state", seq, msg) for seq, msg in
                  compare_state(events, snap, info.state, info.status, info.process_version_id)]
    findings = [Finding(kind=kind, message=msg, instance_id=instance_id, seq=seq, person_id=info.person_id,
                        person_name=info.person_name) for kind, seq, msg in found]
    files = len({sha for e in events for sha in e["attachments"] or []})
    return findings, len(events), files


# Below this many instances one process verifies them all (forking costs more than it saves).
POOL_MIN_INSTANCES = 200
# At most this many instances per slice, so a job's progress moves every few seconds.
SLICE_MAX = 250

# In a forked worker only: the run's instance ids, and its parsed versions and checked files over all its
# slices. Handed over by the initializer (inherited at the fork, not pickled), never set in the parent, so
# two jobs verifying at once in one worker process's threads do not see each other's ids.
_IDS: list[int] = []
_CACHES: tuple[dict, dict] = ({}, {})


def verify_instances(instance_ids: list[int], on_done=None, processes: int = 1) -> Report:
    """Verify many instances; one parsed diagram per version and one check of each file's bytes are
    shared between them. Rows are read with Core selects, so the session's identity map does not grow
    over a whole county. ``on_done(n)`` is called as instances are done (a job's progress). With
    ``processes`` > 1 a scope of ``POOL_MIN_INSTANCES`` or more is verified by that many forked workers;
    the report is the same."""
    ids = list(instance_ids)
    slices = _slices(len(ids), processes)
    findings, events, files = [], 0, 0
    if len(slices) == 1:
        results = (_verify_ids(ids, {}, {}, on_done),)
    else:
        with ProcessPoolExecutor(min(processes, len(slices)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(current_app._get_current_object(), ids)) as pool:
            results = []
            for (start, stop), result in zip(slices, pool.map(_verify_slice, slices)):
                results.append(result)
                if on_done is not None:
                    on_done(stop - start)
    for f, e, n in results:
        findings += f
        events += e
        files += n
    return Report(instances=len(ids), events=events, files=files, findings=findings)


def _verify_ids(ids: list[int], cache: dict, file_cache: dict, on_done=None) -> tuple[list[Finding], int, int]:
    findings, events, files = [], 0, 0
    for instance_id in ids:
        f, e, n = verify_instance(instance_id, cache, file_cache)
        findings += f
        events += e
        files += n
        if on_done is not None:
            on_done(1)
    return findings, events, files


def _slices(count: int, processes: int) -> list[tuple[int, int]]:
    if processes <= 1 or count < POOL_MIN_INSTANCES:
        return [(0, count)]
    size = min(-(-count // (processes * 4)), SLICE_MAX)  # several per worker: a slow slice is not the tail
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _start_worker(app, ids: list[int]) -> None:
    """In a forked worker: the inherited pool's connections are the parent's (closing or using them would
    break its transaction), so the engine gets a fresh pool, and a new app context gives this process a
    session of its own on it. The inherited session is kept referenced and never used."""
    global _IDS, _CACHES
    db.engine.dispose(close=False)
    app.app_context().push()
    _IDS, _CACHES = ids, ({}, {})


def _verify_slice(bounds: tuple[int, int]) -> tuple[list[Finding], int, int]:
    return _verify_ids(_IDS[bounds[0]:bounds[1]], *_CACHES)


def verify_operations_log() -> list[Finding]:
    """Recompute the operations log's chain (one chain over all rows, in id order)."""
    findings, prev_hash = [], ""
    stmt = sa.select(OperationLog).order_by(OperationLog.id).execution_options(yield_per=500)
    for row in db.session.scalars(stmt):
        if row.prev_hash != prev_hash:
            findings.append(Finding("operations", f"操作日志 #{row.id} 的前序哈希与上一条不符（记录被删除或插入）"))
        if compute_hash(operation_payload(row), row.prev_hash) != row.hash:
            findings.append(Finding("operations", f"操作日志 #{row.id} 的内容与其哈希不符（记录被改动）"))
        prev_hash = row.hash
    return findings
