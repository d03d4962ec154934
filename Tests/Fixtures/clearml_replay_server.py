#!/usr/bin/env python3
"""Answers ClearML API calls with the responses the real server gave in recorded traces.

Usage: clearml_replay_server.py --trace Tests/Fixtures/traces/05-....jsonl [--trace ...] [--token-ttl SECONDS]
Prints "PORT <n>". Each endpoint replays its recorded (status, meta, data) answers in order, repeating the last.
auth.login checks Basic credentials against --access-key/--secret-key and mints a JWT-shaped token (unsigned,
with iat/exp/api_version claims) so expiry can be tested; other calls need a Bearer token it minted, or Basic.
Test controls (no auth):
  POST /__fault   {"endpoint": E, "status": 503, "times": 2, "retry_after": "0.2", "raw": "<html>"}  queue faults
  GET  /__requests   every request seen: method, path, headers, body
  GET  /__stats      {"logins": n}
"""
import argparse, base64, json, re, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
answers, cursor, faults, seen = {}, {}, {}, []
stats = {"logins": 0}
tokens = set()
args = None

def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

def mint_token():
    now = int(time.time())
    claims = {"iat": now, "exp": now + args.token_ttl, "api_version": "2.31", "server_version": "2.0.0",
              "feature_set": "basic", "identity": {"user": "replay", "company": "replay"}}
    token = ".".join([b64url(b'{"alg":"none","typ":"JWT"}'), b64url(json.dumps(claims).encode()), b64url(b"sig")])
    tokens.add(token)
    return token

def envelope(name, code, subcode, msg, data):
    meta = {"id": "replay", "trx": "replay", "endpoint": {"name": name, "requested_version": "2.31", "actual_version": "1.0"},
            "result_code": code, "result_subcode": subcode, "result_msg": msg, "error_stack": "", "error_data": {}}
    return json.dumps({"meta": meta, "data": data}).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def reply(self, status, body, ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/__fault":
            f = json.loads(body)
            with lock:
                faults.setdefault(f["endpoint"], []).extend([f] * int(f.get("times", 1)))
            return self.reply(200, b"{}")
        if self.path == "/__requests":
            with lock:
                return self.reply(200, json.dumps(seen).encode())
        if self.path == "/__stats":
            with lock:
                return self.reply(200, json.dumps(stats).encode())
        m = re.match(r"^/?(v(\d+\.?\d+)/)?([a-zA-Z_]\w+\.[a-zA-Z_]\w+)/?$", self.path.split("?")[0])
        name = m.group(3) if m else self.path
        with lock:
            seen.append({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body.decode("utf-8", "replace")})
            fault = faults.get(name, []).pop(0) if faults.get(name) else None
        if fault:
            extra = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else {}
            if "raw" in fault:
                return self.reply(fault["status"], fault["raw"].encode(), "text/html", extra)
            return self.reply(fault["status"], envelope(name, fault["status"], fault.get("subcode", 0), fault.get("msg", "injected"), {}), extra=extra)
        auth = self.headers.get("Authorization", "")
        if name == "auth.login":
            expected = "Basic " + base64.b64encode(("%s:%s" % (args.access_key, args.secret_key)).encode()).decode()
            if auth != expected:
                return self.reply(401, envelope(name, 401, 22, "Invalid user id or password", {}))
            with lock:
                stats["logins"] += 1
                token = mint_token()
            return self.reply(200, envelope(name, 200, 0, "OK", {"token": token}))
        bearer_ok = auth.startswith("Bearer ") and (auth[7:] in tokens or auth[7:] == args.accept_token)
        if not bearer_ok and not auth.startswith("Basic "):
            return self.reply(401, envelope(name, 401, 30 if auth else 20, "Invalid token" if auth else "Missing authentication", {}))
        with lock:
            recorded = answers.get(name)
            if not recorded:
                return self.reply(404, envelope(name, 404, 0, "Unable to find endpoint for name %s and version 2.31" % name, {}))
            i = cursor.get(name, 0)
            cursor[name] = i + 1
            status, meta, data = recorded[min(i, len(recorded) - 1)]
        return self.reply(status, envelope(name, meta["result_code"], meta["result_subcode"], meta["result_msg"], data or {}))

    do_GET = do_POST = do_PUT = handle_any

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--trace", action="append", default=[])
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--access-key", default="AK")
    p.add_argument("--secret-key", default="SK")
    p.add_argument("--accept-token", default="")
    args = p.parse_args()
    for path in args.trace:
        for line in open(path):
            r = json.loads(line)
            m = re.match(r"^/?(v(\d+\.?\d+)/)?([a-zA-Z_]\w+\.[a-zA-Z_]\w+)", r["path"])
            if m and m.group(3) != "auth.login" and r.get("resp_meta"):
                answers.setdefault(m.group(3), []).append((r["status"], r["resp_meta"], r.get("resp_data")))
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()

if __name__ == "__main__":
    main()
