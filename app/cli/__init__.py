"""Flask CLI command groups (users, investigations, ...), registered on the app."""

from flask import Flask


def register_cli(app: Flask) -> None:
    from app.cli.backup import backup_cli
    from app.cli.blobs import blobs_cli
    from app.cli.case import case_cli, taxonomy_load
    from app.cli.custody import custody_cli, fixity_cli
    from app.cli.demo import demo_cli
    from app.cli.evidence import evidence_cli
    from app.cli.intake_role import intake_role_command
    from app.cli.investigations import investigations_cli
    from app.cli.keys import keys_cli
    from app.cli.openrosa import openrosa_cli
    from app.cli.retention import retention_cli
    from app.cli.signers import init_node_signer_command, signers_cli
    from app.cli.taxonomy import taxonomy_cli
    from app.cli.users import users_cli
    from app.cli.worker import jobs_cli, worker_command

    app.cli.add_command(users_cli)
    app.cli.add_command(investigations_cli)
    app.cli.add_command(custody_cli)
    app.cli.add_command(fixity_cli)
    app.cli.add_command(taxonomy_cli)
    taxonomy_cli.add_command(taxonomy_load)
    app.cli.add_command(case_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(openrosa_cli)
    keys_cli.add_command(init_node_signer_command)
    custody_cli.add_command(signers_cli)
    app.cli.add_command(blobs_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(retention_cli)
    if not app.config["WEB_WORKER"]:
        # `flask db intake-role`, beside Flask-Migrate's commands; a web worker loads neither
        # (Alembic costs each worker about 10 MB: tests/test_web_worker.py).
        from flask_migrate.cli import db as migrate_db_group

        migrate_db_group.add_command(intake_role_command)
