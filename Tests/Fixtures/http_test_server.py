#!/usr/bin/env python3
"""Loopback HTTP(S) server for the HTTPClient tests.

Prints "PORT <n>" once listening. Routes:
  /echo                 JSON with method, path, headers, body and the client's port (connection reuse)
  /status/<code>        that status with a short body
  /stream/gated?id=X    chunked: "first\n", then waits for /release?id=X, then "second\n" and "third"
  /release?id=X         opens the gate of stream X
  /heartbeat?id=X       chunked "beat\n" every 50 ms until the client goes away, then marks X disconnected
  /disconnected?id=X    "yes" once stream X saw its client go away, else "no"
  /stall                headers and one line, then silence
  /slow?ms=N            waits N ms before answering
  /big?bytes=N          chunked body of N bytes (repeating a-z)
  /tunnels              JSON list of the CONNECT targets tunnelled so far
A request whose target is an absolute URL is answered as a forward proxy would be: "proxied <url>";
CONNECT host:port opens a real tunnel to that address, as an HTTPS proxy does.
--silent-tcp accepts connections and never speaks (TLS handshakes hang on it).
"""
import argparse, json, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

gates = {}
disconnected = set()
tunnels = []
lock = threading.Lock()

def gate(key):
    with lock:
        return gates.setdefault(key, threading.Event())

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, code, body, ctype="text/plain"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        data = data.encode() if isinstance(data, str) else data
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("http://") or self.path.startswith("https://"):
            return self.send_body(200, "proxied " + self.path)
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/echo":
            payload = {
                "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"), "client_port": self.client_address[1],
            }
            return self.send_body(200, json.dumps(payload), "application/json")
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self.send_body(code, "status %d" % code)
        if path == "/release":
            gate(q["id"]).set()
            return self.send_body(200, "released")
        if path == "/stream/gated":
            self.start_chunked()
            self.chunk("first\n")
            gate(q["id"]).wait(30)
            self.chunk("second\nthi")
            self.chunk("rd")
            return self.end_chunked()
        if path == "/heartbeat":
            self.start_chunked()
            try:
                for _ in range(600):
                    self.chunk("beat\n")
                    time.sleep(0.05)
                self.end_chunked()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                with lock:
                    disconnected.add(q["id"])
            return
        if path == "/tunnels":
            with lock:
                return self.send_body(200, json.dumps(tunnels), "application/json")
        if path == "/disconnected":
            with lock:
                return self.send_body(200, "yes" if q["id"] in disconnected else "no")
        if path == "/stall":
            self.start_chunked()
            self.chunk("x\n")
            time.sleep(30)
            return
        if path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            return self.send_body(200, "slow")
        if path == "/big":
            total = int(q["bytes"])
            self.start_chunked()
            block = (b"abcdefghijklmnopqrstuvwxyz" * 2521)[:65536]
            sent = 0
            while sent < total:
                n = min(len(block), total - sent)
                self.chunk(block[:n])
                sent += n
            return self.end_chunked()
        return self.send_body(404, "no route " + path)

    def do_CONNECT(self):
        """Forward-proxy tunnel (HTTPS through a proxy): pipe bytes both ways; /tunnels counts them."""
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        with lock:
            tunnels.append(self.path)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                try: dst.shutdown(socket.SHUT_WR)
                except OSError: pass
        t = threading.Thread(target=pump, args=(upstream, self.connection), daemon=True)
        t.start()
        pump(self.connection, upstream)
        t.join(5)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

def silent_tcp(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("PORT %d" % s.getsockname()[1], flush=True)
    held = []
    while True:
        conn, _ = s.accept()
        held.append(conn)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--client-ca")
    p.add_argument("--silent-tcp", action="store_true")
    a = p.parse_args()
    if a.silent_tcp:
        return silent_tcp(a.port)
    server = Server(("127.0.0.1", a.port), Handler)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()

if __name__ == "__main__":
    main()
