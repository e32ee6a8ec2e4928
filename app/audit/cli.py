"""``flask audit ...``: verification over a subtree (exit 1 on any finding), export, offline bundle check."""
import json
import sys

import click

from app.extensions import db


def register(bp) -> None:
    """Attach the audit commands to the blueprint's CLI group (``flask audit``)."""

    @bp.cli.command("verify")
    @click.option("--org", "org_id", type=int, default=None, help="只核验该组织及其下级的人员（默认全部）")
    @click.option("--operations/--no-operations", default=True, help="同时核验操作日志的哈希链")
    def verify_command(org_id, operations):
        """Replay every instance and compare with stored state; check hash chains and files."""
        from app.audit import services
        from app.orgs.models import Organisation
        org = db.session.get(Organisation, org_id) if org_id else None
        if org_id and org is None:
            raise click.ClickException("组织不存在")
        report = services.verify_subtree(org.path if org else None, operations=operations)
        db.session.commit()  # the verification is logged
        click.echo(f"核验范围：{org.name if org else '全部组织'}；实例 {report.instances} 个，事件 {report.events} 条，"
                   f"附件 {report.files} 个")
        for finding in report.findings:
            click.echo(finding.line())
        if report.clean:
            click.echo("未发现问题。")
        else:
            click.echo(f"发现问题 {len(report.findings)} 处。")
            sys.exit(1)

    @bp.cli.command("export")
    @click.argument("person_id", type=int)
    @click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
    def export_command(person_id, output):
        """Write one person's record bundle (JSON) to a file or stdout."""
        from app.audit import bundle
        from app.people.models import Person
        person = db.session.get(Person, person_id)
        if person is None or person.instance_id is None:
            raise click.ClickException("人员不存在")
        data = bundle.build(person, actor=None)
        db.session.commit()  # the export is logged
        json.dump(data, output, ensure_ascii=False, indent=1)

    @bp.cli.command("verify-bundle")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--files", "files_dir", type=click.Path(exists=True, file_okay=False), default=None,
                  help="附件文件所在目录（文件名为其sha256）")
    def verify_bundle_command(path, files_dir):
        """Check an exported bundle without the database: chain, diagram, replay, files."""
        from app.audit import bundle
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        problems = bundle.verify(data, files_dir)
        for seq, message in problems:
            click.echo(f"事件 #{seq}: {message}" if seq is not None else message)
        if problems:
            click.echo(f"发现问题 {len(problems)} 处。")
            sys.exit(1)
        click.echo(f"数据包完整：事件 {len(data['events'])} 条，末条哈希 {data['events'][-1]['hash']}")
