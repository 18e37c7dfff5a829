"""Flask CLI commands: `flask seed-demo` (and packages' own groups)."""

from __future__ import annotations

import time

import click
from flask import Flask

from app.extensions import db


def register_cli(app: Flask) -> None:
    from app.integrations.cli import email_cli, webhooks_cli

    app.cli.add_command(webhooks_cli)
    app.cli.add_command(email_cli)
    from app.inventory.cli import inventory_cli

    app.cli.add_command(inventory_cli)
    from app.notifications.cli import notifications_cli

    app.cli.add_command(notifications_cli)
    from app.workorders.cli import sla_cli

    app.cli.add_command(sla_cli)
    from app.ops_cli import register_ops_cli

    register_ops_cli(app)
    from app.maintenance.cli import maintenance_cli

    app.cli.add_command(maintenance_cli)

    @app.cli.command("seed-demo")
    @click.option("--seed", default=7, show_default=True,
                  help="Random seed (same seed, same data).")
    @click.option("--size", type=click.Choice(["small", "city", "country"]), default="small",
                  show_default=True, help="small: a browsable demo; city: performance work; "
                  "country: 10x the city's assets and work orders, its workforce and live "
                  "work the same (scale runs).")
    @click.option("--force", is_flag=True, help="Seed even when the database already has users.")
    def seed_demo_command(seed: int, size: str, force: bool) -> None:
        """Load a deterministic, realistic demo data set (Munich metropolitan area) once."""
        from app.demo import DEMO_PASSWORD, seed_demo

        def progress(step: str, seconds: float) -> None:
            click.echo(f"  {step:<24} {seconds:6.1f} s", err=True)

        summary = seed_demo(db.session, seed=seed, size=size, force=force,
                            password_method=app.config["PASSWORD_HASH_METHOD"],
                            progress=progress)
        if summary is None:
            click.echo("Demo data already present; nothing loaded (use --force to add more).")
        else:
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                # Planner statistics for the tables just filled: until autovacuum gets to
                # them (a minute, or never where it is off) PostgreSQL plans on guesses.
                started = time.perf_counter()
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
                progress("analyze", time.perf_counter() - started)
            for table, count in summary.counts.items():
                click.echo(f"  {table:<24} {count:>7}")
        click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
        from app.demo import demo_logins

        for role, email in demo_logins(db.session):
            click.echo(f"  {role:<11} {email}")
