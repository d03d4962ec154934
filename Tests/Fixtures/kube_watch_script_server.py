#!/usr/bin/env python3
"""A scripted Kubernetes API for one resource, to test a watching client's bookkeeping exactly.

Usage: kube_watch_script_server.py --list-version 100 --watch 'BOOKMARK:250' --watch 'ADDED:p1:300' ...
Prints "PORT <n>". A GET without watch=true answers an empty list at --list-version. The Nth watch request
(N from 1) sends the events of the Nth --watch script (comma separated TYPE:NAME:VERSION, or BOOKMARK:VERSION)
as a chunked stream and ends it; watches past the last script stay open and silent until the client leaves.
GET /__requests answers every request seen so far: [{"path": ..., "query": {...}}, ...] (query values as lists).
"""
import argparse, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
seen = []
watches = [0]
args = None


def event(spec):
    parts = spec.split(":")
    if parts[0] == "BOOKMARK":
        return {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": parts[1]}}}
    kind, name, version = parts
    return {"type": kind, "object": {"kind": "Pod", "apiVersion": "v1",
                                     "metadata": {"name": name, "namespace": "default", "resourceVersion": version}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, value):
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/__requests":
            with lock:
                return self.send_json(list(seen))
        query = parse_qs(url.query)
        with lock:
            seen.append({"path": url.path, "query": query})
        if query.get("watch") != ["true"]:
            return self.send_json({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": args.list_version}, "items": []})
        with lock:
            watches[0] += 1
            n = watches[0]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if n <= len(args.watch):
                for spec in filter(None, args.watch[n - 1].split(",")):
                    self.chunk(json.dumps(event(spec)).encode() + b"\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            while True:  # open and silent until the client goes away
                time.sleep(0.2)
                self.chunk(b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--list-version", default="100")
    p.add_argument("--watch", action="append", default=[])
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
