"""The `dips` command line."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.settings import Settings, SettingsError, load_settings
from content.challenges import CatalogueError
from handlers.kernel.core import CoreConfig
from storage.store import Store, open_store

log = logging.getLogger("dips")
Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(council_contact_url=settings.council_contact_url,
                      team_contact=settings.team_contact)


async def _store(settings: Settings) -> Store:
    return await open_store(settings.database_url)


# ---- serving ----

async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import build_core, seed_catalogue

    store = await _store(settings)
    await seed_catalogue(store)
    core = build_core(store, core_config(settings))
    tasks: list[Awaitable[Any]] = []
    if settings.telegram_enabled:
        from bot.telegram.adapter import serve_telegram

        tasks.append(serve_telegram(core, settings))
        # ---- the Telegram delivery worker (broadcasts, notices), one per `dips run` ----
        from bot.telegram.worker import run_worker

        tasks.append(run_worker(store, settings))
    if settings.slack_enabled:
        from bot.slack.adapter import serve_slack

        tasks.append(serve_slack(core, settings))
    try:
        if not tasks:
            print("No chat platform is configured, so DIPS Assistant starts in the terminal.\n"
                  "Set DIPS_TELEGRAM_TOKEN to serve SMEs on Telegram, and DIPS_SLACK_BOT_TOKEN "
                  "with DIPS_SLACK_SIGNING_SECRET (or DIPS_SLACK_APP_TOKEN) to serve officers "
                  "on Slack.\n", file=sys.stderr)
            from bot.console import chat

            await chat(core, "sme")
        else:
            # SIGTERM (a service manager stopping us) shuts down as cleanly as Ctrl-C does.
            main = asyncio.current_task()
            assert main is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
            try:
                await asyncio.gather(*tasks)
            except asyncio.CancelledError:
                log.info("stopped by SIGTERM")
    finally:
        await store.close()
    return 0


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import chat
    from handlers.app import build_core, seed_catalogue

    store = await _store(settings)
    try:
        await seed_catalogue(store)
        await chat(build_core(store, core_config(settings)), args.role)
    finally:
        await store.close()
    return 0


# ---- store and catalogue ----

async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision

    store = await _store(settings)
    print(f"database is at revision {await current_revision(store.engine)}")
    await store.close()
    return 0


async def cmd_challenges_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import import_catalogue

    store = await _store(settings)
    try:
        created, updated, unchanged = await import_catalogue(store, Path(args.file), "cli")
    except CatalogueError as exc:
        print(f"{args.file}: {len(exc.problems)} problem(s), nothing was imported:",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"imported {args.file}: {created} new, {updated} updated, {unchanged} unchanged")
    return 0


async def cmd_challenges_list(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from handlers.app import seed_catalogue
    from storage import challenges

    store = await _store(settings)
    await seed_catalogue(store)
    async with store.session() as session:
        rows = await challenges.list_challenges(
            session, open_on=None if args.all else date.today()
        )
        counts = await challenges.eoi_counts_by_stage(session)
    await store.close()
    if args.json:
        for c in rows:
            print(json.dumps({"ref": c.ref, "title": c.title, "department": c.department,
                              "status": c.status, "closes": c.closes and c.closes.isoformat(),
                              "tags": c.tags, "eois": sum(counts.get(c.id, {}).values())}))
        return 0
    if not rows:
        print("no challenges" + ("" if args.all else " are open (use --all to see every one)"))
    for c in rows:
        closes = c.closes.isoformat() if c.closes else "no closing date"
        print(f"{c.ref:32} {c.status:7} {closes:15} {c.title}")
    return 0


async def cmd_challenges_status(args: argparse.Namespace, settings: Settings) -> int:
    from storage import challenges
    from storage.audit import audit

    store = await _store(settings)
    async with store.session() as session:
        challenge = await challenges.set_status(session, args.ref, args.status)
        if challenge is not None:
            await audit(session, "cli", f"challenge_{args.status}", args.ref)
    await store.close()
    if challenge is None:
        print(f"no challenge {args.ref!r}", file=sys.stderr)
        return 1
    print(f"{args.ref} is now {args.status}")
    return 0


# ---- officers ----

EOI_FIELDS = ("reference", "challenge", "organisation", "size_band", "country", "city", "website",
              "contact_name", "contact_email", "stage", "summary", "created_at", "updated_at")


async def _eoi_rows(settings: Settings, challenge: str | None) -> list[dict[str, Any]]:
    from storage import eois

    store = await _store(settings)
    async with store.session() as session:
        rows = await eois.list_eois(session, challenge_ref=challenge)
    await store.close()
    return [{"reference": e.reference, "challenge": e.challenge.ref,
             "organisation": e.organisation.name, "size_band": e.organisation.size_band,
             "country": e.organisation.country, "city": e.organisation.city,
             "website": e.organisation.website,
             "contact_name": e.contact.name if e.contact else None,
             "contact_email": e.contact.email if e.contact else None,
             "stage": e.stage, "summary": e.summary,
             "created_at": e.created_at.isoformat(), "updated_at": e.updated_at.isoformat()}
            for e in rows]


async def cmd_eoi_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = await _eoi_rows(settings, args.challenge)
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['reference']}  {row['stage']:22} {row['challenge']:28} {row['organisation']}")
    if not rows and not args.json:
        print("no expressions of interest yet")
    return 0


def _csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from SME-typed text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def cmd_eoi_export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.audit import audit

    rows = await _eoi_rows(settings, args.challenge)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EOI_FIELDS)
    writer.writeheader()
    writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
    Path(args.csv).write_text(buffer.getvalue(), encoding="utf-8")
    store = await _store(settings)
    async with store.session() as session:
        await audit(session, "cli", "export", args.challenge, rows=len(rows))
    await store.close()
    print(f"wrote {len(rows)} expressions of interest to {args.csv}")
    return 0


async def cmd_roles(args: argparse.Namespace, settings: Settings) -> int:
    from storage import people
    from storage.audit import audit

    platform, _, user = args.who.partition(":")
    if platform not in ("telegram", "slack", "console") or not user:
        print("who must look like slack:U123ABC or telegram:123456", file=sys.stderr)
        return 2
    role = args.role if args.action == "grant" else "sme"
    store = await _store(settings)
    async with store.session() as session:
        await people.set_role(session, platform, user, role)
        await audit(session, "cli", f"role_{args.action}", args.who, role=args.role)
    await store.close()
    print(f"{args.who} is now {role}")
    return 0


async def cmd_privacy_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Erase SMEs with no activity for longer than the retention period."""
    from datetime import timedelta

    from storage import privacy
    from storage.audit import audit
    from storage.models import utcnow

    days = args.older_than if args.older_than is not None else settings.retention_days
    if days < 1:
        print("--older-than must be at least 1 day", file=sys.stderr)
        return 2
    store = await _store(settings)
    async with store.session() as session:
        stale = await privacy.stale_identities(session, utcnow() - timedelta(days=days))
    if stale and not args.yes:
        print(f"{len(stale)} SME(s) have had no activity for {days} days.")
        if input("Erase their personal data? This can't be undone. [y/N] ").strip().lower() != "y":
            await store.close()
            print("nothing was erased")
            return 1
    async with store.session() as session:
        for identity in stale:
            await privacy.erase(session, await session.merge(identity), erased_by="retention")
        await audit(session, "cli", "privacy_purge", None, days=days, erased=len(stale))
    await store.close()
    print(f"erased the personal data of {len(stale)} SME(s) inactive for {days} days")
    return 0


async def cmd_impact(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from handlers.domain.impact import build_report, chart_png

    try:
        since = date.fromisoformat(args.since) if args.since else None
        until = date.fromisoformat(args.until) if args.until else None
    except ValueError as exc:
        print(f"dips impact: dates look like 2025-01-31 ({exc})", file=sys.stderr)
        return 2
    store = await _store(settings)
    try:
        async with store.session() as session:
            report = await build_report(session, since, until)
    finally:
        await store.close()
    if args.csv:
        Path(args.csv).write_bytes(report.to_csv())
    if args.chart:
        Path(args.chart).write_bytes(chart_png(report))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(f"Impact report, {report.period_text()}\n\n{report.to_text()}")
    return 0


# ---- FAQ and matching ----

def _lines(args: argparse.Namespace) -> list[str]:
    if args.text == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin]
    return [" ".join(args.text)]


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.engines.faq import format_answer, load_answerer, result_json

    answerer = load_answerer()
    for question in _lines(args):
        result = answerer.answer(question)
        if args.json:
            print(json.dumps(result_json(question, result), ensure_ascii=False), flush=False)
        elif result.kind == "answer" and result.entry is not None:
            print(f"{result.entry.title}\n\n{format_answer(result.entry)}")
        elif result.alternatives:
            print("Not sure; closest questions: " + ", ".join(e.id for e in result.alternatives))
        else:
            print(f"No FAQ answer ({result.kind}): an officer would be asked.")
    return 0


async def cmd_match(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import seed_catalogue
    from handlers.engines.matching import CatalogueIndex, match_json

    store = await _store(settings)
    await seed_catalogue(store)
    async with store.session() as session:
        matcher = await CatalogueIndex().matcher(session)
    await store.close()
    for query in _lines(args):
        found = matcher.match(query, limit=args.limit)
        if args.json:
            print(json.dumps(match_json(query, found), ensure_ascii=False))
        elif not found:
            print("No open challenge fits that well; see `dips challenges list`.")
        else:
            for m in found:
                print(f"{m.score:.2f}  {m.ref:28} {m.title}  (matched on: {', '.join(m.matched)})")
    return 0


# ---- delivery worker and broadcasts ----

async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from bot.telegram.worker import run_worker

    if not settings.telegram_enabled:
        print("dips worker sends Telegram messages: set DIPS_TELEGRAM_TOKEN", file=sys.stderr)
        return 2
    store = await _store(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly: record sends, hand back the rest
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_worker(store, settings, stop)
    finally:
        await store.close()
    return 0


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import render
    from handlers.domain import broadcasts as bc

    target = args.target
    store = await _store(settings)
    try:
        if target[0] == "status":
            if len(target) != 2 or not target[1].isdigit():
                print("usage: dips broadcast status ID", file=sys.stderr)
                return 2
            async with store.session() as session:
                text = await bc.status_text(session, int(target[1]))
            print(text or f"no broadcast {target[1]}")
            return 0 if text else 1
        ref = target[0].lower()
        async with store.session() as session:  # read only: nothing changes before the answer
            found = await bc.plan(session, ref)
        if found is None:
            print(f"no challenge {ref!r}", file=sys.stderr)
            return 1
        if found.challenge.status == "closed":
            print(f"{ref} is closed; reopen it before announcing it", file=sys.stderr)
            return 1
        audience = bc.ALL if args.all else bc.MATCHING
        n = len(found.recipients(audience))
        print("The announcement as a recipient sees it:\n")
        print(render([found.sample()])[0])
        print(f"Audience: {len(found.matching)} matching subscribers, {len(found.everyone)} "
              f"subscribers in all (anyone already sent it left out).")
        if not n:
            print(f"Nobody to send to ({audience}); nothing was changed.")
            return 1
        opening = f"open {ref} and " if found.challenge.status == "draft" else ""
        if not args.yes:
            try:
                answer = await asyncio.to_thread(
                    input, f"{opening}send it to {n} {audience} subscribers? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("Cancelled: nothing was sent or changed.")
                return 1
        async with store.session() as session:
            sent, _ = await bc.confirm(session, ref, audience, "cli")
        if sent is None:
            print("Nobody is left to send it to; nothing was queued.")
            return 1
        print(f"broadcast {sent.id} queued for {sent.total} recipients; "
              f"progress: dips broadcast status {sent.id}")
        return 0
    finally:
        await store.close()


async def cmd_faq_suggestions(args: argparse.Namespace, settings: Settings) -> int:
    from storage.cases import suggestions

    store = await _store(settings)
    try:
        async with store.session() as session:
            rows = await suggestions(session, args.status)
    finally:
        await store.close()
    for row in rows:
        if args.json:
            print(json.dumps({"id": row.id, "status": row.status, "case": row.case_id,
                              "by": row.suggested_by, "at": row.at.isoformat(),
                              "question": row.question, "answer": row.answer}, ensure_ascii=False))
        else:
            print(f"#{row.id} [{row.status}] case {row.case_id or '-'}, by {row.suggested_by}, "
                  f"{row.at:%Y-%m-%d}\n  Q: {row.question}\n  A: {row.answer}")
    if not rows and not args.json:
        print("No FAQ suggestions" + (f" with status {args.status}." if args.status else " yet."))
    return 0


# ---- parser ----

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dips", description="DIPS Assistant")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "start every configured adapter (the console when none is)")
    chat = add("chat", cmd_chat, "talk to the assistant in the terminal")
    chat.add_argument("--as", dest="role", choices=("sme", "officer", "admin"), default="sme")

    db = sub.add_parser("db", help="the store").add_subparsers(dest="db", required=True)
    add("upgrade", cmd_db_upgrade, "apply database migrations", db)

    ch = sub.add_parser("challenges", help="the challenge catalogue").add_subparsers(
        dest="sub", required=True)
    imp = add("import", cmd_challenges_import, "import (upsert) a catalogue YAML file", ch)
    imp.add_argument("file")
    ls = add("list", cmd_challenges_list, "list open challenges", ch)
    ls.add_argument("--all", action="store_true", help="include draft, closed and expired ones")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    for status, verb in (("open", "publish"), ("closed", "close")):
        st = add(verb, cmd_challenges_status, f"{verb} a challenge (status {status})", ch)
        st.add_argument("ref")
        st.set_defaults(status=status)

    eoi = sub.add_parser("eoi", help="expressions of interest").add_subparsers(
        dest="sub", required=True)
    el = add("list", cmd_eoi_list, "list expressions of interest", eoi)
    el.add_argument("--challenge", metavar="REF")
    el.add_argument("--json", action="store_true")
    ex = add("export", cmd_eoi_export, "export expressions of interest as CSV", eoi)
    ex.add_argument("--csv", required=True, metavar="FILE")
    ex.add_argument("--challenge", metavar="REF")

    roles = sub.add_parser("roles", help="grant or revoke officer and admin roles")
    rsub = roles.add_subparsers(dest="action", required=True)
    grant = add("grant", cmd_roles, "grant a role", rsub)
    grant.add_argument("who", help="platform:user, e.g. slack:U123ABC")
    grant.add_argument("role", choices=("officer", "admin"))
    revoke = add("revoke", cmd_roles, "revoke a role (back to sme)", rsub)
    revoke.add_argument("who")
    revoke.set_defaults(role="sme")

    priv = sub.add_parser("privacy", help="personal data").add_subparsers(dest="sub", required=True)
    purge = add("purge", cmd_privacy_purge, "erase SMEs inactive beyond the retention period", priv)
    purge.add_argument("--older-than", type=int, metavar="DAYS",
                       help="days without activity (default DIPS_RETENTION_DAYS)")
    purge.add_argument("--yes", action="store_true", help="don't ask for confirmation")

    imp = add("impact", cmd_impact, "the programme's impact figures over a period [since, until)")
    imp.add_argument("--since", metavar="DATE", help="YYYY-MM-DD, included")
    imp.add_argument("--until", metavar="DATE", help="YYYY-MM-DD, excluded")
    imp.add_argument("--json", action="store_true", help="one JSON object")
    imp.add_argument("--csv", metavar="FILE", help="also write the figures as CSV")
    imp.add_argument("--chart", metavar="FILE", help="also write the PNG chart")

    ask = add("ask", cmd_ask, "answer a question from the FAQ ('-' reads one per line)")
    ask.add_argument("text", nargs="+")
    ask.add_argument("--json", action="store_true")
    match = add("match", cmd_match, "match a business description to open challenges")
    match.add_argument("text", nargs="+")
    match.add_argument("--json", action="store_true")
    match.add_argument("--limit", type=int, default=5)
    add("worker", cmd_worker, "run the Telegram delivery worker (broadcasts and notices)")
    bc = add("broadcast", cmd_broadcast,
             "announce a challenge to subscribers (preview, then confirm), or "
             "`broadcast status ID` for a broadcast's progress")
    bc.add_argument("target", nargs="+", metavar="REF | status ID")
    bc.add_argument("--all", action="store_true", help="every subscriber, not only matching ones")
    bc.add_argument("--yes", action="store_true", help="send without asking to confirm")
    faq = sub.add_parser("faq", help="the FAQ knowledge base").add_subparsers(
        dest="sub", required=True)
    fs = add("suggestions", cmd_faq_suggestions, "FAQ entries officers suggested from answered "
             "questions, for review", faq)
    fs.add_argument("--status", choices=("pending", "accepted", "rejected"))
    fs.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"dips: configuration error: {exc}", file=sys.stderr)
        return 2
    from bot.logs import configure

    configure(settings)
    try:
        return asyncio.run(args.func(args, settings))
    except KeyboardInterrupt:
        return 130
    except (OSError, ConnectionError) as exc:
        print(f"dips: cannot reach the database ({exc.__class__.__name__}: {exc}); "
              "check DIPS_DATABASE_URL", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
