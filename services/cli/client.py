"""The ``tunebridge`` client commands: the HTTP API from a terminal, and nothing else.

``--url`` (or ``TUNEBRIDGE_URL``) says where the gateway is, ``--token`` (or
``TUNEBRIDGE_TOKEN``, which ``tunebridge login`` prints) who is asking. Every command prints what a
person wants to read; ``--json`` prints the API's answer instead, for scripts. An error
answer is printed as the API's problem detail, with exit status 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"
ENDED = ("planned", "completed", "partial", "failed", "cancelled")
BAR_WIDTH = 30


class ApiError(Exception):
    """The API said no; the message is its problem detail."""


class Api:
    """A thin client of the gateway's HTTP API, carrying an API token when given one."""

    def __init__(self, url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, timeout=60, headers=headers)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, path, **kwargs)
        if answer.status_code >= 400:
            try:
                problem = answer.json()
                errors = "; ".join(
                    f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or []
                )
                detail = problem.get("detail") or problem.get("title") or answer.text
            except ValueError:
                detail, errors = answer.text, ""
            raise ApiError(f"{answer.status_code}: {detail}" + (f" ({errors})" if errors else ""))
        return answer.json() if answer.content else None

    def events(self, path: str) -> Iterator[tuple[str, Any]]:
        """Server-Sent Events of ``path``: (event, data) until the stream ends."""
        with self.http.stream("GET", path, timeout=None) as stream:
            if stream.status_code >= 400:
                stream.read()
                raise ApiError(f"{stream.status_code}: {stream.text}")
            event = "message"
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    yield event, json.loads(line.split(":", 1)[1])


def _bar(done: int, total: int) -> str:
    filled = round(BAR_WIDTH * done / total) if total else 0
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


def _progress_line(run: dict[str, Any]) -> str:
    progress = run.get("progress") or {}
    total, done = progress.get("writes_total", 0), progress.get("writes_done", 0)
    if run.get("status") in ENDED:
        return f"{_bar(1, 1)} {run['status']} ({done}/{total} writes)"
    if run.get("phase") == "applying" and total:
        return f"{_bar(done, total)} applying {done}/{total} writes"
    waiting = progress.get("outstanding", 0)
    return f"{_bar(0, 0)} {run.get('phase', run.get('status'))}" + (
        f" ({waiting} waiting)" if waiting else ""
    )


def _report(run: dict[str, Any], out: Callable[[str], None]) -> None:
    counts = run.get("counts") or {}
    out(f"run {run['run_id']}: {run['status']}" + (" (dry run)" if run.get("dry_run") else ""))
    for pair in run.get("pairs") or []:
        out(
            f"  {pair['name']}: +{pair['add_to_a']} -{pair['remove_from_a']} on A, "
            f"+{pair['add_to_b']} -{pair['remove_from_b']} on B"
        )
    if counts.get("not_synced"):
        out(f"  not synced: {counts['not_synced']}")
        for line in run.get("not_synced") or []:
            artists = ", ".join(line.get("artists") or [])
            who = f"{artists} - " if artists else ""
            out(f"    {who}{line['title']}: {line['reason']}")
    for note in run.get("notes") or []:
        out(f"  note: {note}")
    if run.get("error"):
        out(f"  error: {run['error']}")


def _password(options: argparse.Namespace) -> str:
    if options.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(f"password for {options.username}: ")


def command_setup(api: Api, options: argparse.Namespace) -> Any:
    return api.call(
        "POST",
        "/api/v1/setup",
        json={"username": options.username, "password": _password(options)},
    )


def command_login(api: Api, options: argparse.Namespace) -> Any:
    """Log in, and trade the session for an API token for this terminal."""
    logged = api.call(
        "POST",
        "/api/v1/login",
        json={"username": options.username, "password": _password(options)},
    )
    made = api.call(
        "POST",
        "/api/v1/tokens",
        json={"name": options.token_name, "scopes": options.scope or ["read", "write"]},
        headers={"X-CSRF-Token": logged["csrf_token"]},
    )
    api.call("POST", "/api/v1/logout", headers={"X-CSRF-Token": logged["csrf_token"]})
    return made


def command_connect(api: Api, options: argparse.Namespace) -> Any:
    body = {
        "provider": options.provider,
        "access_token": options.access_token,
        "refresh_token": options.refresh_token,
        "expires_in_s": options.expires_in,
        "client_id": options.client_id,
        "server_url": options.server_url,
    }
    return api.call("POST", "/api/v1/connections", json={k: v for k, v in body.items() if v})


def command_providers(api: Api, options: argparse.Namespace) -> Any:
    return api.call("GET", "/api/v1/providers")


def command_connections(api: Api, options: argparse.Namespace) -> Any:
    return api.call("GET", "/api/v1/connections")


def command_jobs(api: Api, options: argparse.Namespace) -> Any:
    return api.call("GET", "/api/v1/sync/jobs")


def command_job_create(api: Api, options: argparse.Namespace) -> Any:
    pairs = []
    for given in options.playlist:
        a, _, b = given.partition(":")
        pairs.append({"a_playlist_id": a or None, "b_playlist_id": b or None})
    return api.call(
        "POST",
        "/api/v1/sync/jobs",
        json={
            "name": options.name,
            "a_connection_id": options.a,
            "b_connection_id": options.b,
            "direction": options.direction,
            "all_playlists": options.all_playlists,
            "playlists": pairs,
            "liked": options.liked,
            "recently_played": options.recent,
        },
    )


def command_run(api: Api, options: argparse.Namespace) -> Any:
    accepted = api.call(
        "POST", f"/api/v1/sync/jobs/{options.job_id}/runs", json={"dry_run": options.dry_run}
    )
    if options.no_watch:
        return accepted
    final: dict[str, Any] = {}
    for _, run in api.events(f"{accepted['url']}/events"):
        final = run
        if not options.json:
            print(f"\r{_progress_line(run):<70}", end="", file=sys.stderr, flush=True)
    if not options.json:
        print(file=sys.stderr)
    return final


def command_reviews(api: Api, options: argparse.Namespace) -> Any:
    return api.call("GET", "/api/v1/reviews", params={"status": options.status})


def command_review(api: Api, options: argparse.Namespace) -> Any:
    body: dict[str, Any] = {"decision": options.decision.replace("-", "_")}
    if options.candidate:
        body = {"decision": "choose", "candidate_id": options.candidate}
    return api.call("POST", f"/api/v1/reviews/{options.review_id}/decision", json=body)


def command_download(api: Api, options: argparse.Namespace) -> Any:
    track: dict[str, Any] = {"title": options.title}
    if options.by:
        track["artists"] = options.by
    queued = api.call(
        "POST",
        "/api/v1/downloads",
        json={"track": track, "artist": options.artist, "audio_format": options.format},
    )
    if options.no_watch:
        return queued
    final: dict[str, Any] = {}
    for _, download in api.events(f"/api/v1/downloads/{queued['download_id']}/events"):
        final = download
        if not options.json:
            percent = download.get("percent") or 0
            line = f"{_bar(round(percent), 100)} {download['status']} {percent:.0f}%"
            print(f"\r{line:<60}", end="", file=sys.stderr, flush=True)
    if not options.json:
        print(file=sys.stderr)
    return final


def _show(command: str, answer: Any, out: Callable[[str], None]) -> None:
    """What a person reads for each command's answer."""
    if command == "setup":
        out(f"made the admin {answer['username']}: now 'tunebridge login'")
    elif command == "login":
        out(f"export TUNEBRIDGE_TOKEN={answer['token']}")
    elif command == "connections":
        for c in answer:
            name = c.get("display_name") or c.get("account_id") or ""
            out(f"{c['connection_id']}  {c['provider']:<8} {c['status']:<22} {name}")
    elif command == "connect":
        out(f"connected {answer['provider']} as {answer['connection_id']}")
    elif command == "jobs":
        for j in answer:
            sides = f"{j['a_provider']} {j['direction']} {j['b_provider']}"
            out(f"{j['job_id']}  {j['name']}  ({sides})")
    elif command == "job":
        out(f"created job {answer['job_id']}")
    elif command == "run":
        if "status" in answer and "pairs" in answer:
            _report(answer, out)
        else:  # not watched: just accepted
            out(f"run {answer['run_id']} started: follow it at {answer['url']}")
    elif command == "reviews":
        for r in answer:
            source = r["source"]
            best = r["candidates"][0] if r["candidates"] else None
            guess = f" -> {best['track']['title']} ({best['confidence']:.0%})" if best else ""
            out(f"{r['review_id']}  {r['kind']:<8} {source['title']}{guess}")
    elif command == "review":
        out(f"{answer['review_id']}: {answer['status']} ({answer['decision']})")
    elif command == "download":
        where = answer.get("path") or answer.get("target_path") or ""
        out(f"{answer.get('status', 'queued')}: {answer.get('title', '')} {where}".rstrip())


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The client subcommands of ``tunebridge``."""

    def command(
        name: str, help_text: str, handler: Callable[[Api, argparse.Namespace], Any]
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
        parser.add_argument(
            "--url", default=os.environ.get("TUNEBRIDGE_URL", DEFAULT_URL), help="the gateway"
        )
        parser.add_argument(
            "--token",
            default=os.environ.get("TUNEBRIDGE_TOKEN"),
            help="an API token (default: $TUNEBRIDGE_TOKEN; 'tunebridge login' makes one)",
        )
        parser.add_argument("--json", action="store_true", help="print the API's answer")
        parser.set_defaults(client=handler)
        return parser

    for name, help_text, handler in (
        ("setup", "first run: make the admin", command_setup),
        ("login", "log in and print an API token for this terminal", command_login),
    ):
        signing = command(name, help_text, handler)
        signing.add_argument("--username", required=True)
        signing.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        if name == "login":
            signing.add_argument("--token-name", default=f"cli@{socket.gethostname()}")
            signing.add_argument(
                "--scope", action="append", choices=["read", "write", "admin"], default=None
            )

    connect = command("connect", "connect an account from tokens you have", command_connect)
    # The connectors' registry decides which providers take accounts: `providers` lists
    # them with how each connects, and a name they do not know is refused with the list.
    connect.add_argument("provider", help="a provider's name, as `tunebridge providers` lists")
    connect.add_argument("--access-token", required=True)
    connect.add_argument("--refresh-token")
    connect.add_argument("--expires-in", type=float, default=0, help="seconds (0: never)")
    connect.add_argument("--client-id", help="your Spotify app's client id")
    connect.add_argument("--server-url", help="a Plex server's address")
    command("providers", "the providers, what each can do and how it connects", command_providers)
    command("connections", "your connections and their state", command_connections)
    command("jobs", "your sync jobs", command_jobs)
    job = command("job", "create a sync job", command_job_create)
    job.add_argument("--name", required=True)
    job.add_argument("--a", required=True, help="side A's connection id")
    job.add_argument("--b", required=True, help="side B's connection id")
    job.add_argument("--direction", choices=["a_to_b", "b_to_a", "both"], default="a_to_b")
    job.add_argument(
        "--playlist", action="append", default=[], help="A_ID[:B_ID] (repeat for more)"
    )
    job.add_argument("--all-playlists", action="store_true")
    job.add_argument("--liked", action="store_true")
    job.add_argument("--recent", action="store_true", help="keep the listening history")
    run = command("run", "run a job and watch it to the end", command_run)
    run.add_argument("job_id")
    run.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    run.add_argument("--no-watch", action="store_true")
    reviews = command("reviews", "the review queue", command_reviews)
    reviews.add_argument(
        "--status", default="pending", choices=["pending", "decided", "skipped", "all"]
    )
    review = command("review", "decide a review item", command_review)
    review.add_argument("review_id")
    review.add_argument(
        "decision", choices=["accept", "skip", "not-on-service", "keep", "remove", "choose"]
    )
    review.add_argument("--candidate", help="with 'choose': the id on the target service")
    download = command("download", "download a track and watch it", command_download)
    download.add_argument("title")
    download.add_argument("--by", action="append", help="the artist as the upload names it")
    download.add_argument("--artist", help="the matched artist (a matched download)")
    download.add_argument("--format", choices=["mp3", "ogg", "flac", "opus", "m4a"])
    download.add_argument("--no-watch", action="store_true")


def run_client(options: argparse.Namespace, api: Api | None = None) -> int:
    """Run one client command; 0 on success, 1 when the API refused."""
    api = api or Api(options.url, options.token)
    try:
        answer = options.client(api, options)
    except ApiError as error:
        print(f"tunebridge: {error}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"tunebridge: cannot reach {options.url}: {error}", file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        _show(options.command, answer, print)
    failed = isinstance(answer, dict) and answer.get("status") in ("failed",)
    return 1 if failed else 0
