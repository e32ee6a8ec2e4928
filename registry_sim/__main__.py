"""``python -m registry_sim serve|events|reduce|transfer`` (see README → 党员信息同步)."""
import argparse
import json
import sys
import urllib.request

from registry_sim import client


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="registry_sim", description="党员信息管理系统模拟器")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="接收并核验本系统发出的事件")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--secret", required=True, help="与本系统 REGISTRY_SECRET 相同")
    serve.add_argument("--estation-secret", default=None, help="与本系统 ESTATION_SECRET 相同（默认同 --secret）")
    serve.add_argument("--db", default="registry_sim.sqlite3")
    events = sub.add_parser("events", help="列出模拟器收到的事件")
    events.add_argument("--sim", default="http://127.0.0.1:8765")
    events.add_argument("--notices", action="store_true", help="列出收到的 e 支部公示（/estation/notices）")
    for name, help_text in (("reduce", "发送“减少”"), ("transfer", "发送“组织关系转接”")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--app", required=True, help="本系统地址，如 http://127.0.0.1:5000")
        cmd.add_argument("--token", required=True, help="系统账号的访问令牌（flask registry create-account）")
        cmd.add_argument("--id-number", required=True)
        cmd.add_argument("--key", default=None, help="幂等键（默认随机）；重复发送时使用同一键")
        if name == "reduce":
            cmd.add_argument("--reason", required=True)
        else:
            cmd.add_argument("--to-org", type=int, required=True, help="接收党支部的组织编号")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from registry_sim.server import create_app
        create_app(args.secret, args.db, args.estation_secret).run(host=args.host, port=args.port, threaded=True)
        return 0
    if args.command == "events":
        path = "/estation/notices" if args.notices else "/events"
        with urllib.request.urlopen(args.sim.rstrip("/") + path) as response:
            print(json.dumps(json.loads(response.read()), ensure_ascii=False, indent=2))
        return 0
    if args.command == "reduce":
        status, answer = client.send_reduction(args.app, args.token, args.id_number, args.reason, args.key)
    else:
        status, answer = client.send_transfer(args.app, args.token, args.id_number, args.to_org, args.key)
    print(status, json.dumps(answer, ensure_ascii=False))
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
