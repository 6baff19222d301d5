"""Profile calls in-process with cProfile (where the time of a slow call goes).

    python -m bench.api.profile --url sqlite:////tmp/bench/s01.db --only GetClients -n 200
    python -m bench.api.profile --url ... --top 0 --repeat 5   # timings only, best of 5

Sends each chosen call ``-n`` times through the Flask test client and prints the functions
with the most cumulative time (``--sort tottime`` for self time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from bridge import create_app

from .calls import calls, unpaid_invoice
from .datagen import INSTALL_KEY
from .run import generated_clients


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--only", default="")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20, help="unprofiled calls first")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1,
                        help="unprofiled rounds of -n calls; the best round is printed (on a "
                             "shared machine the minimum is the least disturbed figure)")
    args = parser.parse_args(argv)
    clients = generated_clients(args.url)
    app = create_app({"database_url": args.url, "secret_key": INSTALL_KEY,
                      "log_level": "WARNING"})
    web = app.test_client()
    for call in calls(clients):
        if args.only.lower() not in call.name.lower():
            continue
        for k in range(args.warmup):  # mapper configuration and statement caches first
            path, body = call.render(f"w{k}", unpaid_invoice(k, clients))
            web.open(path, method=call.method, data=body or None, headers=call.headers)
        stamp = int(time.time())
        rounds = []
        for r in range(max(args.repeat, 1)):
            began = time.perf_counter()
            for k in range(args.n):  # unprofiled: the real in-process cost
                path, body = call.render(f"t{stamp}r{r}x{k}", unpaid_invoice(k, clients))
                web.open(path, method=call.method, data=body or None, headers=call.headers)
            rounds.append((time.perf_counter() - began) / args.n * 1000)
        print(f"== {call.name}: {min(rounds):.2f} ms per call in-process (unprofiled"
              f"{f', best of {len(rounds)}' if len(rounds) > 1 else ''})", flush=True)
        if not args.top:  # --top 0: timings only, no profiled pass
            continue
        profiler = cProfile.Profile()
        for k in range(args.n):
            path, body = call.render(f"p{stamp}x{k}", unpaid_invoice(k, clients))
            profiler.enable()
            web.open(path, method=call.method, data=body or None, headers=call.headers)
            profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
