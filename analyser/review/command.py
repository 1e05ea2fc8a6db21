"""``analyser review`` (serve the app) and ``analyser users`` (accounts): thin wrappers."""
from __future__ import annotations

import getpass
import logging
import sys

log = logging.getLogger(__name__)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def add_review_parsers(sub) -> None:
    rv = sub.add_parser("review", help="serve the review app: reviewers confirm or override draft scorecards")
    rv.add_argument("--db", required=True, metavar="URL", help="the store: a SQLite file path or a postgresql:// URL")
    rv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    rv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    rv.add_argument("--session-hours", type=float, default=8.0, help="a login lasts this long at most (default: 8)")
    rv.add_argument("--idle-minutes", type=float, default=30.0, help="a login ends after this long unused (default: 30)")
    rv.add_argument("--secure-cookies", action="store_true",
                    help="send cookies over HTTPS only (use behind a TLS proxy)")

    us = sub.add_parser("users", help="manage reviewer accounts")
    act = us.add_subparsers(dest="users_command", metavar="ACTION", required=True, parser_class=sub._parser_class)
    add = act.add_parser("add", help="add a user; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("reviewer", "admin"))
    add.add_argument("--db", required=True, metavar="URL")
    pw = act.add_parser("passwd", help="set a user's password (read from standard input); ends their sessions")
    pw.add_argument("name")
    pw.add_argument("--db", required=True, metavar="URL")
    dis = act.add_parser("disable", help="disable a user and end their sessions")
    dis.add_argument("name")
    dis.add_argument("--db", required=True, metavar="URL")
    ls = act.add_parser("list", help="list users")
    ls.add_argument("--db", required=True, metavar="URL")


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal (asked twice, not echoed) or one line of standard input."""
    from ..store.db import StoreError

    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise StoreError("USR003", "the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def cmd_users(args) -> int:
    from ..store import open_store
    from ..store import users as u

    with open_store(args.db) as store:
        if args.users_command == "list":
            for r in u.list_users(store.engine):
                state = "disabled" if r["disabled_at"] else "active"
                print(f"{r['name']:24} {r['role']:9} {state:9} created {r['created_at']:%Y-%m-%d %H:%M}")
            return 0
        if args.users_command == "disable":
            u.disable_user(store.engine, args.name)
            print(f"user {args.name} disabled")
            return 0
        if args.users_command == "add":
            u.validate_new_user(args.name, args.role, "x" * u.MIN_PASSWORD)  # refuse a bad name before asking
        password = read_password()
        if args.users_command == "passwd":
            u.set_password(store.engine, args.name, password)
            print(f"password of {args.name} changed; their sessions ended")
            return 0
        user = u.add_user(store.engine, args.name, args.role, password)
        print(f"user {user.name} added ({user.role})")
        return 0


def cmd_review(args) -> int:
    from werkzeug.serving import make_server

    from ..store.users import list_users
    from .app import create_app

    app = create_app(args.db, session_hours=args.session_hours, idle_minutes=args.idle_minutes,
                     secure_cookies=args.secure_cookies)
    store = app.config["STORE"]
    if not list_users(store.engine):
        print(f"note: no users yet; add one with: analyser users add NAME --role admin --db {args.db}", file=sys.stderr)
    if args.host not in LOCAL_HOSTS:
        print(f"note: listening on {args.host}, reachable from other machines; put it behind HTTPS "
              "and use --secure-cookies", file=sys.stderr)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as exc:
        from ..errors import AnalyserError

        raise AnalyserError("USE003", f"{args.host}:{args.port}: cannot listen ({exc.strerror or exc})") from None
    print(f"review app: http://{args.host if ':' not in args.host else f'[{args.host}]'}:{server.port}/ "
          f"(store {store.url}); Ctrl-C stops it", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0
