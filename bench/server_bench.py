"""Load generator for `clearml-glue-dev server`: tasks.enqueue + queues.get_next_task round trips on loopback.

Each client owns one task and one queue and loops enqueue -> get_next_task over a keep-alive connection,
so every pair is a real queue push and pop. Prints pairs/s and p50/p99 latency of a pair, for each
concurrency, then the pop latency on a 10,000-entry backlog compared with a near-empty queue.
"""
import argparse
import base64
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlparse


class Client:
    def __init__(self, url, key, secret):
        parsed = urlparse(url)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}

    def call(self, endpoint, body):
        self.connection.request("POST", f"/v2.31/{endpoint}", body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        payload = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{endpoint}: {payload['meta']}")
        return payload["data"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_pairs(args, concurrency, tag):
    latencies = []
    lock = threading.Lock()
    setup = Client(args.url, args.key, args.secret)
    work = []
    for index in range(concurrency):
        queue = setup.call("queues.create", {"name": f"bench-{tag}-{concurrency}-{index}"})["id"]
        task = setup.call("tasks.create", {"name": f"bench-{tag}-{index}", "type": "training"})["id"]
        work.append((queue, task))

    def worker(queue, task):
        client = Client(args.url, args.key, args.secret)
        mine = []
        for _ in range(args.pairs):
            start = time.perf_counter()
            client.call("tasks.enqueue", {"task": task, "queue": queue})
            entry = client.call("queues.get_next_task", {"queue": queue})
            mine.append(time.perf_counter() - start)
            assert entry["entry"]["task"] == task
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=pair) for pair in work]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    print(f"clients={concurrency:<2} pairs={len(latencies):<6} pairs/s={len(latencies) / elapsed:8.1f} "
          f"p50={percentile(latencies, 0.50) * 1000:6.2f}ms p99={percentile(latencies, 0.99) * 1000:6.2f}ms")


def run_backlog(args):
    client = Client(args.url, args.key, args.secret)
    backlog = client.call("queues.create", {"name": "bench-backlog"})["id"]
    small = client.call("queues.create", {"name": "bench-small"})["id"]
    for index in range(args.backlog):
        client.call("queues.add_task", {"queue": backlog, "task": f"backlog-{index:06d}"})
    for index in range(args.pops):
        client.call("queues.add_task", {"queue": small, "task": f"small-{index:06d}"})

    def pops(queue):
        times = []
        for _ in range(args.pops):
            start = time.perf_counter()
            client.call("queues.get_next_task", {"queue": queue})
            times.append(time.perf_counter() - start)
        return times

    deep, shallow = pops(backlog), pops(small)
    print(f"get_next_task with {args.backlog} queued: p50={statistics.median(deep) * 1000:.2f}ms "
          f"p99={percentile(deep, 0.99) * 1000:.2f}ms; with <= {args.pops} queued: "
          f"p50={statistics.median(shallow) * 1000:.2f}ms p99={percentile(shallow, 0.99) * 1000:.2f}ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--pairs", type=int, default=1000, help="enqueue+pop pairs per client")
    parser.add_argument("--backlog", type=int, default=10000)
    parser.add_argument("--pops", type=int, default=1000)
    args = parser.parse_args()
    for concurrency in (1, 8):
        run_pairs(args, concurrency, "pairs")
    run_backlog(args)


if __name__ == "__main__":
    main()
