"""The `dips` command line: the parser and the entry point; each command group is a module."""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib import metadata
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.cli.admin import cmd_db_upgrade, cmd_privacy_purge, cmd_roles
from bot.cli.broadcasts import cmd_broadcast
from bot.cli.challenges import (
    cmd_challenges_import,
    cmd_challenges_list,
    cmd_challenges_seed_samples,
    cmd_challenges_status,
    cmd_match,
)
from bot.cli.common import Command
from bot.cli.eois import cmd_eoi_export, cmd_eoi_list, cmd_eoi_show
from bot.cli.faq import cmd_ask
from bot.cli.faq_review import DRAFTS, cmd_faq_suggestions_or_review
from bot.cli.faq_translations import cmd_faq_translations
from bot.cli.impact import cmd_impact
from bot.cli.links import cmd_challenges_link
from bot.cli.schedule import cmd_challenges_schedule, cmd_schedule_list
from bot.cli.serve import cmd_chat, cmd_run, cmd_worker
from bot.settings import SettingsError, load_settings


def _version() -> str:
    try:
        return metadata.version("dips-assistant")
    except metadata.PackageNotFoundError:  # run from a checkout that isn't installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dips", description="DIPS Assistant")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "start every configured adapter (the console when none is)")
    chat = add("chat", cmd_chat, "talk to the assistant in the terminal")
    chat.add_argument("--as", dest="role", choices=("sme", "officer", "admin"), default="sme",
                      help="whom to talk as (default sme; officer and admin see their commands)")

    db = sub.add_parser("db", help="the store").add_subparsers(dest="db", required=True)
    add("upgrade", cmd_db_upgrade, "apply database migrations", db)

    ch = sub.add_parser("challenges", help="the challenge catalogue").add_subparsers(
        dest="sub", required=True)
    imp = add("import", cmd_challenges_import, "import (upsert) a catalogue YAML file", ch)
    imp.add_argument("file", help="the catalogue YAML file (docs/challenge-format.md)")
    imp.add_argument("--statuses", action="store_true",
                     help="take every status from the file, even for challenges already "
                          "published or closed (by default they keep theirs)")
    imp.add_argument("--close-samples", action="store_true",
                     help="close the sample challenges that are still open")
    add("seed-samples", cmd_challenges_seed_samples,
        "add the sample challenges (a demonstration store gets them by itself)", ch)
    ls = add("list", cmd_challenges_list, "list open challenges", ch)
    ls.add_argument("--all", action="store_true", help="include draft, closed and expired ones")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    link = add("link", cmd_challenges_link, "print a challenge's Telegram deep link "
               "(t.me/<bot>?start=REF) and write its QR code image for posters", ch)
    link.add_argument("ref", help="the challenge's reference, e.g. food-hubs")
    link.add_argument("--qr", metavar="FILE", help="where the QR code PNG goes "
                      "(default dips-REF-qr.png here)")
    for status, verb in (("open", "publish"), ("closed", "close")):
        st = add(verb, cmd_challenges_status, f"{verb} a challenge (status {status})", ch)
        st.add_argument("ref", help="the challenge's reference, e.g. food-hubs")
        st.set_defaults(status=status)

    sch = add("schedule", cmd_challenges_schedule,
              "publish a draft by itself on its opens date", ch)
    sch.add_argument("ref", help="the challenge's reference, e.g. food-hubs")
    sch.add_argument("--announce", choices=("none", "matching", "all"), default="none",
                     help="announce it to subscribers when it opens (default: don't)")

    eoi = sub.add_parser("eoi", help="expressions of interest").add_subparsers(
        dest="sub", required=True)
    el = add("list", cmd_eoi_list, "list expressions of interest", eoi)
    el.add_argument("--challenge", metavar="REF", help="only this challenge's EOIs")
    el.add_argument("--json", action="store_true", help="one JSON object per line")
    es = add("show", cmd_eoi_show, "one expression of interest: its submitted details, its "
             "versions and its full history (stage moves, edits, who and when)", eoi)
    es.add_argument("id", metavar="ID", help="12 or EOI-000012")
    es.add_argument("--json", action="store_true", help="one JSON document")
    ex = add("export", cmd_eoi_export, "export expressions of interest as CSV (to standard "
             "output, or to a file with --csv)", eoi)
    ex.add_argument("--csv", metavar="FILE",
                    help="write to this file instead (UTF-8 with a byte-order mark, for Excel)")
    ex.add_argument("--challenge", metavar="REF", help="only this challenge's EOIs")

    roles = sub.add_parser("roles", help="grant or revoke officer and admin roles")
    rsub = roles.add_subparsers(dest="action", required=True)
    grant = add("grant", cmd_roles, "grant a role", rsub)
    grant.add_argument("who", help="platform:user, e.g. slack:U123ABC")
    grant.add_argument("role", choices=("officer", "admin"), help="the role to grant")
    grant.add_argument("--department", action="append", default=[], metavar="NAME",
                       help="a department the officer belongs to (repeat for several); an "
                            "officer sees and moves only their departments' EOIs and questions")
    revoke = add("revoke", cmd_roles, "revoke a role (back to sme)", rsub)
    revoke.add_argument("who", help="platform:user, e.g. slack:U123ABC")
    revoke.set_defaults(role="sme")

    sched = sub.add_parser("schedule", help="the programme's calendar").add_subparsers(
        dest="sub", required=True)
    listing = add("list", cmd_schedule_list, "what the scheduler will do, when, for how many", sched)
    listing.add_argument("--limit", type=int, default=100,
                         help="at most this many jobs (default 100)")

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
    imp.add_argument("--chart", metavar="FILE",
                     help="also write the charts (funnel, engagement over time) as a PNG image")
    imp.add_argument("--pdf", metavar="FILE",
                     help="also write a one-page PDF report (figures, the three measures, charts)")

    ask = add("ask", cmd_ask, "answer a question from the FAQ ('-' reads one per line)")
    ask.add_argument("text", nargs="+", help="the question, or - to read one per line")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    match = add("match", cmd_match, "match a business description to open challenges")
    match.add_argument("text", nargs="+", help="what the business does, or - to read one per line")
    match.add_argument("--json", action="store_true", help="one JSON object per description")
    match.add_argument("--limit", type=int, default=5, help="at most this many challenges (default 5)")
    add("worker", cmd_worker, "run the Telegram delivery worker (broadcasts and notices)")
    bc = add("broadcast", cmd_broadcast,
             "announce a challenge to subscribers (preview, then confirm), or "
             "`broadcast status ID` for a broadcast's progress")
    bc.add_argument("target", nargs="+", metavar="REF | status ID",
                    help="the challenge to announce, or `status ID` for a broadcast's progress")
    bc.add_argument("--follow", action="store_true",
                    help="with status: show progress live until the broadcast has finished")
    bc.add_argument("--all", action="store_true", help="every subscriber, not only matching ones")
    bc.add_argument("--yes", action="store_true", help="send without asking to confirm")
    faq = sub.add_parser("faq", help="the FAQ knowledge base").add_subparsers(
        dest="sub", required=True)
    fs = add("suggestions", cmd_faq_suggestions_or_review, "FAQ entries officers suggested "
             "from answered questions, for review; `accept ID` writes a draft knowledge-base "
             "file (never the live FAQ), `reject ID`", faq)
    fs.add_argument("decision", nargs="?", choices=("accept", "reject"),
                    help="accept or reject one suggestion (omit to list them)")
    fs.add_argument("id", nargs="?", type=int, metavar="ID", help="the suggestion's number")
    fs.add_argument("--status", choices=("pending", "accepted", "rejected"),
                    help="list only suggestions in this state")
    fs.add_argument("--json", action="store_true", help="one JSON object per line")
    fs.add_argument("--drafts", default=str(DRAFTS), metavar="DIR",
                    help=f"where an accepted suggestion's draft file goes (default {DRAFTS})")
    ft = add("translations", cmd_faq_translations, "translated FAQ answers and whether an "
             "officer has reviewed each; `--review ID LANG --by NAME` marks one reviewed", faq)
    ft.add_argument("--review", nargs=2, metavar=("ID", "LANG"),
                    help="mark the translation of FAQ entry ID into LANG (sv, et, hu, it, pl, ur) reviewed")
    ft.add_argument("--by", metavar="NAME", help="with --review: the officer who reviewed it")
    ft.add_argument("--all", action="store_true", help="list missing translations too")
    ft.add_argument("--json", action="store_true", help="one JSON object per line")
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
    except OSError as exc:
        if exc.filename:  # a file named on the command line, not the store
            print(f"dips: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        else:
            print(f"dips: cannot reach the database ({exc.__class__.__name__}: {exc}); "
                  "check DIPS_DATABASE_URL", file=sys.stderr)
        return 1
    except DBAPIError as exc:  # the server answered with an error: no such database, no access...
        reason = str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__
        print(f"dips: database error: {reason}; check DIPS_DATABASE_URL",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
