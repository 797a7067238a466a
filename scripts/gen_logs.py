#!/usr/bin/env python3
"""Generates a large, realistic database log for benchmarking `querysight logs`.

    python3 scripts/gen_logs.py OUT [--size 1G] [--format postgres|mysql-slow] [--seed 1]

postgres: a PostgreSQL stderr log with log_line_prefix '%m [%p] %q%u@%d ' (Debian's default)
and log_min_duration_statement = 0 (`duration: X ms  statement: ...`), from 16 interleaved
connections serving requests of a small shop app: each request is a page of books followed by
one author query per book (an N+1) or a joined query, a few lookups, an insert, in a
transaction, with sqlcommenter tags. mysql-slow: the same traffic as a MySQL slow query log
(long_query_time = 0). Deterministic for a given seed. Sizes accept K, M, G suffixes.
"""

import argparse
import random
import sys

PREFIX = "%s UTC [%d] app@shop "


def size_arg(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    return int(float(text[:-1]) * mult[text[-1]]) if text[-1] in mult else int(text)


def requests(rng):
    """Yields lists of (sql, duration_ms) per request, forever."""
    routes = [("book_list", "books/"), ("author_detail", "authors/<int:pk>/"), ("cart", "cart/")]
    n = 0
    while True:
        n += 1
        controller, route = routes[rng.randrange(len(routes))]
        trace = "%032x" % rng.getrandbits(128)
        tag = "/*controller='%s',framework='django%%3A5.2',route='%s',traceparent='00-%s-%016x-01'*/" % (
            controller, route.replace("/", "%2F"), trace, rng.getrandbits(64))
        out = [("BEGIN", 0.01)]
        page = rng.randrange(20, 60)
        out.append(('SELECT "shop_book"."id", "shop_book"."title", "shop_book"."author_id" FROM "shop_book" '
                    'ORDER BY "shop_book"."title" LIMIT %d OFFSET %d %s' % (page, rng.randrange(0, 5000), tag),
                    rng.uniform(0.2, 4.0)))
        if n % 3:
            for _ in range(page // 2):
                out.append(('SELECT "shop_author"."id", "shop_author"."name" FROM "shop_author" '
                            'WHERE "shop_author"."id" = %d LIMIT 21 %s' % (rng.randrange(1, 100000), tag),
                            rng.uniform(0.02, 0.3)))
        else:
            out.append(('SELECT "shop_review"."id", "shop_review"."book_id", "shop_review"."text" FROM "shop_review" '
                        'WHERE "shop_review"."book_id" IN (%s) %s' % (", ".join(str(rng.randrange(1, 10**6)) for _ in range(page)), tag),
                        rng.uniform(0.5, 9.0)))
        out.append(('SELECT "auth_user"."id", "auth_user"."username", "auth_user"."email" FROM "auth_user" '
                    'WHERE "auth_user"."id" = %d LIMIT 21 %s' % (rng.randrange(1, 5000), tag), rng.uniform(0.05, 0.4)))
        if n % 5 == 0:
            out.append(('INSERT INTO "shop_order" ("user_id", "created", "total") VALUES (%d, \'2026-11-21 10:00:00+00\', %d.%02d) '
                        'RETURNING "shop_order"."id" %s' % (rng.randrange(1, 5000), rng.randrange(5, 500), rng.randrange(100), tag),
                        rng.uniform(0.3, 2.5)))
        out.append(("COMMIT", rng.uniform(0.01, 1.5)))
        yield out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--size", type=size_arg, default=size_arg("1G"))
    ap.add_argument("--format", choices=["postgres", "mysql-slow"], default="postgres")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    conns = [iter(requests(random.Random(rng.getrandbits(32)))) for _ in range(16)]
    pending = [[] for _ in conns]
    written = 0
    t = 1795298600.0
    buf = []
    with open(args.out, "w", encoding="utf-8") as f:
        while written < args.size:
            c = rng.randrange(len(conns))
            if not pending[c]:
                pending[c] = list(next(conns[c]))
                pending[c].reverse()
            sql, ms = pending[c].pop()
            t += rng.uniform(0.00001, 0.0005)
            secs = int(t)
            if args.format == "postgres":
                stamp = "2026-11-21 %02d:%02d:%02d.%03d" % ((secs // 3600) % 24, (secs // 60) % 60, secs % 60, int((t % 1) * 1000))
                line = (PREFIX % (stamp, 20000 + c)) + "LOG:  duration: %.3f ms  statement: %s\n" % (ms, sql)
            else:
                line = ("# User@Host: app[app] @ localhost []  Id: %d\n# Query_time: %.6f  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 1\n"
                        "SET timestamp=%d;\n%s;\n" % (100 + c, ms / 1000, secs, sql))
            buf.append(line)
            written += len(line)
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    print("wrote %s: %d bytes (%s)" % (args.out, written, args.format), file=sys.stderr)


if __name__ == "__main__":
    main()
