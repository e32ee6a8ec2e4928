"""The engine's own task-tree walk (engine._walk) finds the same tasks in the same order as SpiffWorkflow's."""
from app.onboarding import checker, samples
from app.workflow import engine
from app.workflow.handlers import State, apply
from app.workflow.simulate import make_id_number
from app.workflow.versions import DEVELOPMENT, active_version

STATES = ("READY", "WAITING", "COMPLETED", "FUTURE", "LIKELY", "MAYBE", "NOT_FINISHED_MASK", "DEFINITE_MASK",
          "PREDICTED_MASK", "FINISHED_MASK", "ANY_MASK")


def _shape(wf) -> list:
    return [(t.task_spec.name, t.state, sorted(t.data)) for t in wf.tasks.values()]


def test_the_walk_matches_the_library_and_the_import_ends_in_the_same_state(app, demo, monkeypatch):
    version = active_version(DEVELOPMENT)
    rows = [samples.sample_values(version.id, step, demo.orgs["branch1"].name, id_number=make_id_number(500 + step),
                                  name=f"走{step}") for step in (2, 9, 16, 25)]
    report = checker.check(demo.users["county_admin"], samples.filled_workbook(version.id, rows), for_import=True)
    assert report.ok, report.problems

    def load(_):
        return version.bpmn_xml, version.process_id

    def walked(fast: bool):
        if not fast:
            monkeypatch.setattr(engine, "_fast", lambda wf: wf)
        results = []
        for planned in report.planned:
            state = State(load_version=load)
            apply(state, planned.prepared.event)
            results.append(state.wf)
        monkeypatch.undo()
        return results

    fast, library = walked(True), walked(False)
    for one, other in zip(fast, library):
        assert _shape(one) == _shape(other)
        assert engine.trail(one) == engine.trail(other)
        assert engine.dumps(one).count('"state"') == engine.dumps(other).count('"state"')
        for name in STATES:
            state = engine.TaskState.get_value(name)
            walk = [t.id for t in one.get_tasks(state=state)]
            assert walk == [t.id for t in type(one).get_tasks_iterator(one, state=state)], name
            assert [t.id for t in one.get_tasks(state=state, manual=True)] == \
                   [t.id for t in type(one).get_tasks_iterator(one, state=state, manual=True)]
        assert [t.name for t in engine.ready_tasks(one)] == [t.name for t in engine.ready_tasks(other)]
