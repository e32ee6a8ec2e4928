#!/usr/bin/env python
"""Benchmark: a worker's resident memory after many task completions.

    .venv/bin/python bench/memory.py [--completions 10000] [--persons 400]

What it does, in this one process (standing in for one gunicorn worker: the same app object serves
every request, so its caches — parsed diagrams, loaded workflows, compiled SQL, templates — live as long
as they would in a worker):
1. Seeds a fresh SQLite database as bench/run.py does (its seeding code is imported), with ``--persons``
   persons in branch1 standing at the step after 递交入党申请书.
2. Completes tasks through the Flask test client as the users do: the step page (GET), the form POSTed
   (edit steps with the sample data of their form, reviews approved by the committee admin, county
   steps by the county admin), then the page after the redirect — person after person, round robin, so
   every completion is on another instance than the one before (the workflow cache is exercised and
   must stay bounded), until ``--completions`` completions are done or every person has finished.
3. Prints the process's resident set size (VmRSS) before the completions, every 2,000 completions and
   at the end, and the peak (VmHWM). Target: < 250 MB after 10,000 completions.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run as seeding  # noqa: E402  (bench/run.py: the shared seeding code)

TARGET_MB = 250
_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory in MiB (``VmHWM``: the peak)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--completions", type=int, default=10000)
    parser.add_argument("--persons", type=int, default=400)
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-memory-")
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp) -> int:
    import sqlalchemy as sa
    from app import server_gc
    from app.extensions import db
    from app.inbox.models import HumanTask
    from app.seed import DEMO_PASSWORD
    from app.timeutil import utcnow
    from app.workflow import simulate
    from app.workflow.services import step_catalogue
    from app.workflow.versions import DEVELOPMENT, active_version
    from forms import get_form_class
    from forms.codec import to_formdata

    app = seeding.make_app(tmp)
    with app.app_context():
        orgs, users, branches = seeding.build_world()
        branch1 = next(b for b in branches if b.id == orgs["branch1"].id)
        usernames = {k: u.username for k, u in users.items()}
        order, snaps, sha = seeding.walk_template(users, orgs["branch1"])
        first = snaps[order[0]]["person"]
        tpl = {"name": seeding.TEMPLATE_NAME, "id_number": first["id_number"], "birth_date": first["birth_date"],
               "org_id": first["org_id"], "person_id": first["id"]}
        app_key = seeding.application_key(active_version(DEVELOPMENT).id)
        templates = {name: seeding.PositionTemplate(snaps[name], tpl, app_key) for name in order}
        seeding.grant_sample_file(sha, branches)
        ids = seeding.seed_persons(templates, order, branches, 0, args.persons, 1000, utcnow(),
                                   branch_override=branch1, only_position=order[2])
        catalogue = step_catalogue(active_version(DEVELOPMENT).id)
        form_keys = {s.step: s.form_key for s in catalogue}
        reviewed = {s.step for s in catalogue if s.review_name}
        db.session.remove()

    clients = {}
    for role, key in (("branch_admin", "branch1:branch_admin"), ("committee_admin", "committee1:committee_admin"),
                      ("county_admin", "county:county_admin")):
        clients[role] = app.test_client()
        seeding.login(clients[role], usernames[key], DEMO_PASSWORD)
    forms = {}

    def form_for(form_key):
        if form_key not in forms:
            forms[form_key] = to_formdata(get_form_class(form_key), simulate.sample(form_key, sha))
        return forms[form_key]

    def current(pid):
        with app.app_context():
            row = db.session.execute(sa.select(HumanTask.task_name, HumanTask.step, HumanTask.role, HumanTask.status)
                                     .where(HumanTask.person_id == pid)).first()
            db.session.remove()
        return row

    def complete(pid) -> bool:
        row = current(pid)
        if row is None:
            return False
        client = clients[row.role]
        url = f"/process/{pid}/steps/{row.step}"
        page = client.get(url)
        html = page.get_data(as_text=True)
        hidden = dict(_HIDDEN.findall(html))
        token = seeding.csrf_from(html)
        if row.status == "待审核":
            data = {"action": "approve", "opinion": "同意"}
        else:
            data = form_for(form_keys[row.step]).copy()
            data["action"] = "report" if row.step in reviewed else "submit"
        data.update({"csrf_token": token, **hidden})
        response = client.post(url, data=data)
        if response.status_code != 303:
            raise SystemExit(f"POST {url}: {response.status_code}")
        client.get(response.headers["Location"])
        return True

    server_gc.freeze_startup_objects(app.config["GC_FREEZE"])   # as wsgi.py does in a worker
    print(f"RSS before completions: {rss_mb():.0f} MiB (GC_FREEZE {int(app.config['GC_FREEZE'])})", flush=True)
    done, t0 = 0, time.perf_counter()
    active = list(ids)
    while done < args.completions and active:
        still = []
        for pid in active:
            if done >= args.completions:
                break
            if complete(pid):
                done += 1
                still.append(pid)
                if done % 2000 == 0:
                    print(f"{done} completions: RSS {rss_mb():.0f} MiB ({time.perf_counter() - t0:.0f}s)", flush=True)
        active = still
    after, peak = rss_mb(), rss_mb("VmHWM")
    print(f"after {done} completions: RSS {after:.0f} MiB, peak {peak:.0f} MiB; target < {TARGET_MB} MB; "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0 if after < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
