#!/usr/bin/env python3
"""Check an exported record bundle offline, with nothing but Python's standard library.

    python3 scripts/verify_bundle.py record-12-12.json [--files DIR]

1. Every event's hash is sha256( prev_hash + "\\n" + canonical(payload) ), where payload is the event
   without "prev_hash" and "hash", and canonical = JSON with sorted keys, separators (",", ":"),
   non-ASCII kept. Each event's prev_hash is the previous event's hash ("" for the first); seq runs 1, 2, …
2. Every process version's sha256(base64-decoded bpmn_xml) equals its checksum.
3. With --files DIR: every attachment DIR/<sha256> exists and its sha256 is its name.
Exit status 0 when all hold, 1 otherwise. ``flask audit verify-bundle`` does the same and also replays
the events on the recorded diagram.
"""
import base64
import hashlib
import json
import os
import sys

PAYLOAD_FIELDS = ("instance_id", "seq", "actor_id", "actor_name", "role", "org_id", "action", "task_name",
                  "task_pass", "data", "attachments", "created_at")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def problems(bundle: dict, files_dir: str | None) -> list[str]:
    found, prev_hash = [], ""
    for expected, event in enumerate(bundle["events"], start=1):
        seq = event["seq"]
        if seq != expected:
            found.append(f"event #{seq}: sequence gap, #{expected} missing")
        if event["prev_hash"] != prev_hash:
            found.append(f"event #{seq}: prev_hash does not match the previous event")
        payload = {name: event[name] for name in PAYLOAD_FIELDS}
        digest = hashlib.sha256((event["prev_hash"] + "\n" + canonical(payload)).encode()).hexdigest()
        if digest != event["hash"]:
            found.append(f"event #{seq}: content does not match its hash")
        prev_hash = event["hash"]
    if bundle["events"] and bundle.get("last_hash") != prev_hash:
        found.append("last_hash does not match the last event")
    for version in bundle["process_versions"]:
        xml = base64.b64decode(version["bpmn_xml_base64"])
        if hashlib.sha256(xml).hexdigest() != version["checksum"]:
            found.append(f"process version {version['id']}: diagram does not match its checksum")
    if files_dir:
        for item in bundle["attachments"]:
            path = os.path.join(files_dir, item["sha256"])
            if not os.path.exists(path):
                found.append(f"attachment {item['sha256']}: missing")
                continue
            with open(path, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != item["sha256"]:
                    found.append(f"attachment {item['sha256']}: content does not match its hash")
    return found


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    files_dir = argv[argv.index("--files") + 1] if "--files" in argv else None
    with open(argv[0], encoding="utf-8") as fh:
        bundle = json.load(fh)
    found = problems(bundle, files_dir)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} problem(s)")
        return 1
    print(f"OK: {len(bundle['events'])} events, last hash {bundle.get('last_hash', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
