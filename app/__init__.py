"""Application factory: config, extensions, blueprints, CLI and error handlers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Config, config_from_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    """Build a Custos application from a settings object (the environment's by default)."""
    config = config or config_from_environment()
    config.validate()
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE_PATH),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    check_org_keys(app)
    register_blueprints(app)
    register_jobs(app)
    register_evidence_checks()
    register_credential_revokers(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_context(app)
    trust_reverse_proxies(app)
    return app


def serves_only(app: Flask) -> bool:
    """A gunicorn web worker or a job worker (app/worker_main.py): it neither migrates nor runs
    commands, so it loads neither Alembic nor the commands (about 10 MB of each process)."""
    return bool(app.config["WEB_WORKER"] or app.config.get("JOB_WORKER"))


def trust_reverse_proxies(app: Flask) -> None:
    """Behind N reverse proxies (CUSTOS_TRUSTED_PROXIES), take the client's address and scheme
    from the X-Forwarded-* headers they set, so rate limits count clients, not the proxy.
    With the default 0 those headers are ignored: a client could forge them."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_template_context(app: Flask) -> None:
    from flask_babel import get_locale

    from app.custody.alarms import custody_alarm_context
    from app.demo.banner import demo_banner_context
    from app.drafts.templating import kept_draft
    from app.i18n import RTL_LANGUAGES, register_locale_filters
    from app.vocabulary.labels import label_of

    register_locale_filters(app)
    # "custody_action"|vocabulary_label... : the code's label in the reader's language.
    app.jinja_env.globals["vocabulary_label"] = label_of
    app.jinja_env.globals["kept_draft"] = kept_draft  # templates/drafts/_macros.html
    app.context_processor(demo_banner_context)  # the demo-content banner (templates/base.html)
    app.context_processor(custody_alarm_context)  # the broken-ledger banner (same place)

    @app.context_processor
    def layout_context() -> dict:
        return {"get_locale": get_locale, "rtl_languages": RTL_LANGUAGES}


def register_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, init_migrations, limiter, login_manager
    from app.i18n import select_locale
    from app.security.field_setup import init_field_encryption_from_config

    db.init_app(app)
    if not serves_only(app):
        init_migrations(app, str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_field_encryption_from_config(app)

    import app.models  # noqa: F401  (every model registered on the metadata)


def check_org_keys(app: Flask) -> None:
    """An intake node whose public keys (the organisation's, the pinned form key) are missing,
    damaged or not the pinned ones, or that has no listed checkpoint key of its own, refuses
    to start."""
    from app.custody.signers import check_node_signer
    from app.openrosa.form_key import check_form_key_at_start
    from app.security.startup_keys import check_org_keys_at_start

    check_org_keys_at_start(app)
    check_form_key_at_start(app)
    if app.config["CUSTOS_INTAKE_ONLY"]:
        with app.app_context():
            check_node_signer()


def register_blueprints(app: Flask) -> None:
    from app.accesslog import bp as accesslog_bp
    from app.acquisition import bp as acquisition_bp
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp  # before auth's registration: it adds the token pages
    from app.auth import bp as auth_bp
    from app.casefiles import bp as casefiles_bp
    from app.consistency import bp as consistency_bp
    from app.custody.routes import bp as custody_bp
    from app.drafts import bp as drafts_bp
    from app.duplicates import bp as duplicates_bp
    from app.health import bp as health_bp
    from app.intake import bp as intake_bp
    from app.investigations import bp as investigations_bp
    from app.main import bp as main_bp
    from app.openrosa import bp as openrosa_bp
    from app.provenance import bp as provenance_bp
    from app.retention import bp as retention_bp
    from app.vault.routes import bp as vault_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(investigations_bp, url_prefix="/investigations")
    app.register_blueprint(custody_bp, url_prefix="/investigations")
    app.register_blueprint(accesslog_bp, url_prefix="/investigations")
    app.register_blueprint(retention_bp, url_prefix="/investigations")
    app.register_blueprint(intake_bp, url_prefix="/investigations/<reference>")
    app.register_blueprint(vault_bp)
    app.register_blueprint(casefiles_bp, url_prefix="/investigations/<reference>/cases")
    app.register_blueprint(api_bp)
    app.register_blueprint(drafts_bp)
    app.register_blueprint(duplicates_bp)
    app.register_blueprint(consistency_bp)
    app.register_blueprint(provenance_bp)
    app.register_blueprint(openrosa_bp)
    app.register_blueprint(acquisition_bp)


def register_jobs(app: Flask) -> None:
    """Each package registers the background work it owns; app/jobs only runs it.

    Web servers and `flask worker` both come through here, so a job queued by one is known
    to the other by the same kind.
    """
    from app.casefiles.jobs import register_casefile_jobs
    from app.custody.jobs import register_custody_jobs
    from app.drafts.jobs import register_draft_jobs
    from app.retention.jobs import register_retention_jobs
    from app.vault.jobs import register_vault_jobs

    register_vault_jobs(app)
    register_custody_jobs(app)
    register_casefile_jobs(app)
    register_draft_jobs(app)
    register_retention_jobs(app)


def register_evidence_checks() -> None:
    """What packages above the vault add to every item: duplicates, capture-proof checks,
    consistency checks, web-capture checks, the acquisition record. Processing runs the steps
    in this order: a proof is verified before the consistency check compares its claims."""
    from app.acquisition.setup import register_acquisition
    from app.consistency.setup import register_consistency
    from app.duplicates.setup import register_duplicates
    from app.provenance.setup import register_provenance
    from app.webcapture.setup import register_webcapture

    register_duplicates()
    register_provenance()
    register_consistency()
    register_webcapture()
    register_acquisition()


def register_credential_revokers(app: Flask) -> None:
    """What ends with an account's credentials (a password change, deactivation, sign-out
    everywhere) beyond its sessions: the API tokens."""
    from app.api.tokens.services import revoke_all_tokens
    from app.auth.credential_hooks import register_credential_revoker
    from app.openrosa.devices import revoke_all_devices

    register_credential_revoker(app, revoke_all_tokens)
    register_credential_revoker(app, revoke_all_devices)


def register_request_hooks(app: Flask) -> None:
    from app.api.auth import install_token_auth
    from app.auth.gate import install_gate
    from app.openrosa import bp as openrosa_bp
    from app.openrosa.auth import install_device_auth
    from app.request_logging import install_request_logging
    from app.security.headers import install_security_headers
    from app.security.intake_role import install_write_only_sessions

    install_request_logging(app)
    install_token_auth(app)  # before the gate: it decides who the user is under /api/
    install_device_auth(app, openrosa_bp)  # ... and under /openrosa/ (phone apps)
    install_gate(app)
    install_security_headers(app)
    install_write_only_sessions(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import install_error_handlers

    install_error_handlers(app)


def register_commands(app: Flask) -> None:
    """The `flask` commands; a gunicorn web worker runs none, so it skips importing them
    (backup, demo and the rest pull in boto3's botocore and more: tests/test_web_worker.py);
    nor does a job worker started by app/worker_main.py."""
    if serves_only(app):
        return
    from app.cli import register_cli

    register_cli(app)
