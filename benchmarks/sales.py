"""Measure desk sales under concurrency: many sales at once over several web processes, then check the books.

Not a test: a measuring tool (issue 12's benchmark). `make bench` runs it against the production
topology (benchmarks/run_all.py: two web processes). By hand, against servers started as in
benchmarks/api_list.py's docstring, in the same environment (the token is minted with their keys):

    .venv/bin/python benchmarks/sales.py --url http://127.0.0.1:8000 --url http://127.0.0.1:8001

`--sales` (1,000) POST /api/clients/{id}/sales/ (one month, cash) for `--clients` (100) clients,
`--concurrency` (32) at a time, spread round-robin over the URLs, as an ADMIN. Then, from the
database: every receipt number of the year is unique and the year's numbers are 1..N with no gap
(N = the year's counter), every sale answered 201 has its own number, and each client's ledger is
consistent (its newest event's expiration_after == its expiration_date, and it gained one SALE
event per sale). The rate printed is answered sales per second, wall time.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def admin_token() -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User

    admin = User.objects.filter(role=Role.ADMIN, deleted_at__isnull=True).order_by("pk").first()
    if admin is None:
        admin = User.objects.create_user("bench-admin", "bench-admin@bench.invalid", role=Role.ADMIN)
    return str(AccessToken.for_user(admin))


def pick_clients(n: int) -> list[int]:
    from club.models import Client

    ids = list(Client.objects.order_by("pk").values_list("pk", flat=True)[:n])
    if len(ids) < n:
        raise SystemExit(f"the database has {len(ids)} clients, {n} needed: run seed_demo first")
    return ids


def sale_events(client_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    from club.models import MembershipEvent, MembershipEventKind

    counted = (
        MembershipEvent.objects.filter(client_id__in=client_ids, kind=MembershipEventKind.SALE)
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    )
    return dict.fromkeys(client_ids, 0) | dict(counted)


def post(base: str, path: str, body: dict, token: str) -> tuple[int, dict, float]:
    """One sale on a connection of its own: a kept-alive socket left idle while its thread waited on
    the other process could be closed by the server under it, and a POST is not retried blindly."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "localhost"}
    started = time.perf_counter()
    try:
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException) as error:
        return 0, {"error": repr(error)}, time.perf_counter() - started
    finally:
        connection.close()
    latency = time.perf_counter() - started
    try:
        return response.status, json.loads(data), latency
    except ValueError:
        return response.status, {"raw": data[:200].decode(errors="replace")}, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="a web process (repeatable)")
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    setup_django()
    from django.db.models import Max
    from django.utils import timezone

    from club.models import Client, Membership, MembershipEvent, Payment, ReceiptSequence

    token = admin_token()
    client_ids = pick_clients(args.clients)
    membership_id = Membership.objects.order_by("pk").values_list("pk", flat=True).first()
    before = sale_events(client_ids)
    year = timezone.localdate().year
    jobs = [
        (args.url[i % len(args.url)], f"/api/clients/{client_ids[i % len(client_ids)]}/sales/")
        for i in range(args.sales)
    ]
    body = {"membership_id": membership_id, "months": 1, "method": "CASH"}

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        answers = list(pool.map(lambda job: post(job[0], job[1], body, token), jobs))
    elapsed = time.perf_counter() - started

    statuses: dict[int, int] = {}
    for code, _, _ in answers:
        statuses[code] = statuses.get(code, 0) + 1
    numbers = [data["payment"]["receipt_number"] for code, data, _ in answers if code == 201]
    latencies = sorted(latency for code, _, latency in answers if code == 201)
    sold = len(numbers)

    year_numbers = sorted(
        int(number.split("-")[1])
        for number in Payment.objects.filter(receipt_number__startswith=f"{year}-").values_list(
            "receipt_number", flat=True
        )
    )
    counter = ReceiptSequence.objects.filter(year=year).values_list("last_number", flat=True).first() or 0
    gap_free = year_numbers == list(range(1, counter + 1))
    unique = len(set(numbers)) == sold
    after = sale_events(client_ids)
    expected_new = dict.fromkeys(client_ids, 0)
    for i, (code, _, _) in enumerate(answers):
        if code == 201:
            expected_new[client_ids[i % len(client_ids)]] += 1
    events_ok = all(after[pk] - before[pk] == expected_new[pk] for pk in client_ids)
    newest = dict(
        MembershipEvent.objects.filter(client_id__in=client_ids)
        .order_by("client_id", "-created_at", "-id")
        .distinct("client_id")
        .values_list("client_id", "expiration_after")
    )
    dates = dict(Client.objects.filter(pk__in=client_ids).values_list("pk", "expiration_date"))
    inconsistent = [pk for pk in client_ids if newest.get(pk) != dates[pk]]
    last = Payment.objects.aggregate(last=Max("receipt_number"))["last"]

    print(f"{args.sales} sales for {len(client_ids)} clients over {len(args.url)} web processes, "
          f"{args.concurrency} at a time")  # fmt: skip
    answered = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(statuses.items()))
    print(f"  answers: {answered}")
    for detail in sorted({str(data)[:160] for code, data, _ in answers if code != 201})[:5]:
        print(f"    e.g. {detail}")
    print(f"  rate: {sold / elapsed:.0f} sales/s ({sold} in {elapsed:.1f} s); latency p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms"
          if latencies else "  rate: no sale answered 201")  # fmt: skip
    print(f"  receipt numbers of these sales unique: {'yes' if unique else 'NO'} ({len(set(numbers))} distinct)")
    print(f"  {year}'s receipt numbers gap-free 1..{counter}: {'yes' if gap_free else 'NO'} "
          f"({len(year_numbers)} receipts, last {last})")  # fmt: skip
    print(f"  one SALE event per sale for every client: {'yes' if events_ok else 'NO'}")
    print(f"  ledgers consistent (newest event's expiration_after == expiration_date): "
          f"{len(client_ids) - len(inconsistent)}/{len(client_ids)}")  # fmt: skip
    if not (sold == args.sales and unique and gap_free and events_ok and not inconsistent):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
