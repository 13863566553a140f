"""``ogi-workflow serve``, ``token``, ``webhook`` and ``deliver``: the HTTP service, who may
call it, and where its events go (docs/service.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from ogi_workflow.cli._base import (
    EXIT_ENVIRONMENT,
    Actor,
    AgencyCode,
    Db,
    JsonFlag,
    app,
    emit_json,
    fail,
    guarded,
    open_workflow,
)

token_app = typer.Typer(help="API tokens of the HTTP service (an administrator's job).")
app.add_typer(token_app, name="token")
webhook_app = typer.Typer(help="Webhooks: where the agency's events are sent, signed.")
app.add_typer(webhook_app, name="webhook")


def _service_installed() -> None:
    try:
        import fastapi  # noqa: F401, PLC0415
        import httpx  # noqa: F401, PLC0415
        import uvicorn  # noqa: F401, PLC0415
    except ImportError as exc:
        fail(
            f"the HTTP service needs {exc.name}: pip install 'ogi-workflow[service]'",
            EXIT_ENVIRONMENT,
        )


@app.command()
@guarded
def serve(
    db: Db,
    host: Annotated[str, typer.Option(help="Address to listen on (TLS: a reverse proxy).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    deliver_every: Annotated[
        float,
        typer.Option(
            min=0,
            help="Deliver webhooks every N seconds inside the server (0: never; use "
            "`ogi-workflow deliver` from cron instead).",
        ),
    ] = 2.0,
    templates: Annotated[
        str | None,
        typer.Option(help="Folder of per-agency letter templates: <folder>/<agency code>/*.j2."),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log each HTTP call to stdout (the reverse proxy usually logs them already).",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) over the database."""
    _service_installed()
    import os  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from ogi_workflow.storage.engine import make_engine  # noqa: PLC0415
    from ogi_workflow.storage.migrate import check_schema  # noqa: PLC0415

    engine = make_engine(db)  # a clear error now, not in each worker
    try:
        check_schema(engine, db, read_only=False)
    finally:
        engine.dispose()
    os.environ["OGI_SERVE_DB"] = db
    os.environ["OGI_SERVE_DELIVER_EVERY"] = str(deliver_every)
    os.environ["OGI_SERVE_TEMPLATES"] = templates or ""
    typer.echo(f"ogi-workflow: serving {db} on http://{host}:{port}", err=True)
    from ogi_workflow.service.app import HTTP_PARSER  # noqa: PLC0415

    uvicorn.run(
        "ogi_workflow.service.app:app_from_environment",
        factory=True,
        http=HTTP_PARSER,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )


@app.command()
@guarded
def deliver(
    db: Db,
    rounds: Annotated[
        int, typer.Option(min=1, help="Rounds to run (each: up to 50 deliveries).")
    ] = 20,
    json_out: JsonFlag = False,
) -> None:
    """Send the webhook deliveries that are due (for cron; safe on many nodes at once)."""
    _service_installed()
    import httpx  # noqa: PLC0415

    from ogi_workflow.service.delivery import Round, deliver_once  # noqa: PLC0415
    from ogi_workflow.storage.engine import make_engine  # noqa: PLC0415
    from ogi_workflow.storage.migrate import check_schema  # noqa: PLC0415

    engine = make_engine(db)
    total = Round()
    try:
        check_schema(engine, db, read_only=False)
        with httpx.Client(timeout=10.0) as client:
            for _ in range(rounds):
                done = deliver_once(engine, client)
                total.dispatched += done.dispatched
                total.delivered += done.delivered
                total.retried += done.retried
                total.dead += done.dead
                total.errors += done.errors
                if not done.more:
                    break
    finally:
        engine.dispose()
    summary = {k: v for k, v in vars(total).items() if k not in ("errors", "more")}
    if json_out:
        emit_json({**summary, "errors": total.errors[:20]})
    else:
        typer.echo(", ".join(f"{k} {v}" for k, v in summary.items()))


@token_app.command("create")
@guarded
def token_create(
    db: Db,
    person: Annotated[str, typer.Argument(help="Login of the person the token speaks for.")],
    actor: Actor,
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    agency_code: AgencyCode = None,
) -> None:
    """Create an API token for a person; it is printed once (only its hash is stored)."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        view, token = wf.create_token(person, actor=actor, label=label)
    typer.echo(token)
    typer.echo(f"token {view.id} for {view.login} ({wf.agency.code}); keep it secret", err=True)


@token_app.command("list")
@guarded
def token_list(db: Db, agency_code: AgencyCode = None, json_out: JsonFlag = False) -> None:
    """The agency's tokens (never the tokens themselves)."""
    with open_workflow(db, agency_code, read_only=True) as wf:
        found = wf.tokens()
    if json_out:
        emit_json({"tokens": [t.model_dump(mode="json") for t in found]})
        return
    for t in found:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
        typer.echo(f"{t.id}\t{t.prefix}…\t{t.login}\t{state}\t{t.label or ''}")


@token_app.command("revoke")
@guarded
def token_revoke(
    db: Db,
    token_id: Annotated[int, typer.Argument(help="The token's id (token list).")],
    actor: Actor,
    agency_code: AgencyCode = None,
) -> None:
    """Revoke a token: the next call with it is refused."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        wf.revoke_token(token_id, actor=actor)
    typer.echo(f"token {token_id} revoked")


@webhook_app.command("add")
@guarded
def webhook_add(
    db: Db,
    url: Annotated[str, typer.Argument(help="Where events are POSTed (http or https).")],
    secret: Annotated[
        str, typer.Option(envvar="OGI_WEBHOOK_SECRET", help="Signing secret, 16+ characters.")
    ],
    actor: Actor,
    agency_code: AgencyCode = None,
) -> None:
    """Send the agency's events from now on to URL, each signed with the secret."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        hook = wf.add_webhook(url, secret, actor=actor)
    typer.echo(f"webhook {hook.id}: {hook.url}")


@webhook_app.command("list")
@guarded
def webhook_list(db: Db, agency_code: AgencyCode = None, json_out: JsonFlag = False) -> None:
    """The agency's webhooks and how their deliveries stand."""
    with open_workflow(db, agency_code, read_only=True) as wf:
        hooks = wf.webhooks()
        log = wf.deliveries(limit=10_000)
    if json_out:
        emit_json({"webhooks": [h.model_dump(mode="json") for h in hooks]})
        return
    for h in hooks:
        counts = {s: sum(1 for d in log if d.webhook_id == h.id and d.status == s) for s in
                  ("pending", "delivered", "dead")}  # fmt: skip
        state = "active" if h.active else "removed"
        typer.echo(f"{h.id}\t{h.url}\t{state}\t" + " ".join(f"{k} {v}" for k, v in counts.items()))


@webhook_app.command("remove")
@guarded
def webhook_remove(
    db: Db,
    webhook_id: Annotated[int, typer.Argument(help="The webhook's id (webhook list).")],
    actor: Actor,
    agency_code: AgencyCode = None,
) -> None:
    """Stop sending events to a webhook (its delivery log stays)."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        wf.remove_webhook(webhook_id, actor=actor)
    typer.echo(f"webhook {webhook_id} removed")


@webhook_app.command("retry")
@guarded
def webhook_retry(db: Db, actor: Actor, agency_code: AgencyCode = None) -> None:
    """Queue the dead deliveries again, after the receiver is fixed."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        count = wf.retry_dead_deliveries(actor=actor)
    typer.echo(f"{count} delivery(ies) queued again")
