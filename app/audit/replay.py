"""Replay: rebuild an instance from its event log alone.

The instance's recorded process version is started afresh and fed the logged inputs in order through
the handlers the runner uses forward (``app.workflow.handlers``). Nothing here reads today's state, the person table or the
clock, so the result is what the log says happened. It works on plain event dicts and a diagram
loader, so the same code replays from the database and from an exported bundle.
"""
from app.workflow import engine
from app.workflow.handlers import HANDLERS, HandlerError, RuleRefused, State, VersionLoader, apply

__all__ = ["HANDLERS", "ReplayError", "Snapshot", "VersionLoader", "meaning", "replay"]


class ReplayError(Exception):
    """The log cannot be replayed at event ``seq`` (the message says why, in Chinese)."""

    def __init__(self, seq: int, message: str):
        super().__init__(f"事件 #{seq}: {message}")
        self.seq = seq
        self.message = message


# The replay's snapshot is the handlers' state: the same object the runner applies events to.
Snapshot = State


def replay(events: list[dict], load_version: VersionLoader, upto: int | None = None) -> Snapshot:
    """Feed ``events`` (dicts with seq, action, task_name, task_pass, data; oldest first) to a fresh
    engine, stopping after event ``upto`` if given. Raises ReplayError at the first event that fails."""
    snap = Snapshot(load_version=load_version)
    for event in events:
        if upto is not None and event["seq"] > upto:
            break
        if event["action"] not in HANDLERS:
            raise ReplayError(event["seq"], f"无法重放的操作“{event['action']}”")
        try:
            apply(snap, event)
        except RuleRefused as exc:
            # The original request was refused and rolled back, never logged: the log and the diagram disagree.
            raise ReplayError(event["seq"], f"重放时规则拒绝了记录的数据: {exc.fields}") from exc
        except HandlerError as exc:
            raise ReplayError(event["seq"], exc.message) from exc
        except engine.EngineError as exc:  # a diagram expression refused on replay
            raise ReplayError(event["seq"], f"引擎拒绝: {exc}") from exc
        snap.seq = event["seq"]
    return snap


def meaning(wf, status: str) -> dict:
    """The state by meaning, comparable between a replay and the stored JSON (whose UUIDs differ):
    status, and (task id, pass) → data of every completed and every ready user task."""
    from app.events.services import canonical
    return {
        "status": status,
        "completed": {(t.name, t.pass_no): canonical(t.data) for t in engine.completed_tasks(wf)},
        "ready": {(t.name, t.pass_no): canonical(t.data) for t in engine.ready_tasks(wf, with_data=True)},
    }
