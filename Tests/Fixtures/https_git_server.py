#!/usr/bin/env python3
"""Loopback HTTPS server for the portability tests: git over smart HTTP, and a reverse proxy.

Prints "PORT <n>" once listening on 127.0.0.1 with --cert/--key (made by the test, signed by its own CA).
  /git/<repo>...   git's smart HTTP protocol (`git http-backend` as a CGI) for the bare repositories in
                   --git-root, behind HTTP Basic auth (--user/--password): 401 with a challenge without them
  anything else    forwarded as it is to --upstream (an http:// URL: the `clearml-glue-dev server` under test), so
                   a client reaches the plain-HTTP server through TLS
Each request is logged to stderr as "<method> <path> <status> <user>" (the user, never the password).
"""
import argparse, base64, http.client, os, shutil, ssl, subprocess, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    options = None

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        user = getattr(self, "user", "-")
        print(f"{self.command} {self.path} {status} {user}", file=sys.stderr, flush=True)

    def handle_any(self):
        body = self.read_body()
        if self.path == "/git" or self.path.startswith("/git/"):
            return self.git(body)
        return self.forward(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any

    def authorized(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except Exception:
            return False
        if (user, password) == (self.options.user, self.options.password):
            self.user = user
            return True
        return False

    def git(self, body):
        if not self.authorized():
            return self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Type", "text/plain")], b"authentication required\n")
        path, _, query = self.path[len("/git"):].partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.options.git_root, "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": self.command,
            "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_USER": self.user, "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        result = subprocess.run([self.options.git, "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        if result.returncode != 0 and not result.stdout:
            status, headers, payload = 500, [("Content-Type", "text/plain")], result.stderr
        self.reply(status, headers, payload)

    def forward(self, body):
        upstream = urlsplit(self.options.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_HEADERS}
        headers["Host"] = upstream.netloc
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            return self.reply(502, [("Content-Type", "text/plain")], f"upstream: {error}\n".encode())
        finally:
            connection.close()
        self.reply(response.status, [(n, v) for n, v in response.getheaders() if n.lower() not in HOP_HEADERS], payload)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--git-root", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--upstream", default="http://127.0.0.1:9")
    options = parser.parse_args()
    options.git = shutil.which("git") or "git"
    Handler.options = options
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.cert, options.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
