"""A hostile mirror for the client tests: plain HTTP on 127.0.0.1.

FakeMirror answers each path with what a test put in its routes, and
records every request (path and headers), so a test can serve a
tampered body, cut a transfer short, stream zeros forever, drip one byte
a second, redirect elsewhere, and then check what the client asked for:

    with FakeMirror() as m:
        m.routes["/v1/org/cacert.pem.minisig"] = static(sig_bytes)
        m.routes["/v1/org/3/cacert.pem"] = truncated(body, len(body))
        ... run cabundle install --from m.url ...
        assert m.hits("/v1/org/3/cacert.pem") == 1

A route is a responder (a function of the request handler that writes
the whole response), or a list of responders used one per request (the
last one repeats).  Unknown paths answer 404.  Every response closes the
connection.
"""
import gzip
import http.server
import socket
import threading
import time


def _head(h, status, headers):
    h.send_response_only(status)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Connection", "close")
    h.end_headers()


def static(body, status=200, headers=(), length=True):
    """body as the answer; length=False: no Content-Length, the end of
    the body is the end of the connection (nothing announced)."""
    def respond(h):
        hs = list(headers)
        if length:
            hs.append(("Content-Length", str(len(body))))
        _head(h, status, hs)
        h.wfile.write(body)
    return respond


def truncated(body, announce):
    """Announce Content-Length: announce, send body, close."""
    def respond(h):
        _head(h, 200, [("Content-Length", str(announce))])
        h.wfile.write(body)
    return respond


def endless(chunk=b"\0" * 65536):
    """Chunked transfer encoding, zeros until the client goes away."""
    def respond(h):
        _head(h, 200, [("Transfer-Encoding", "chunked")])
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        sent = 0
        while not h.server.stopping.is_set() and sent < (8 << 30):
            h.wfile.write(frame)
            sent += len(chunk)
            h.server.sent[h.path] = sent
    return respond


def silent():
    """Read the request, then say nothing until the client goes away
    (or the server stops)."""
    def respond(h):
        h.server.stopping.wait(60)
    return respond


def drip(body, interval=1.0):
    """Announce the whole length, then send one byte per interval."""
    def respond(h):
        _head(h, 200, [("Content-Length", str(len(body)))])
        for i in range(len(body)):
            if h.server.stopping.wait(interval):
                return
            h.wfile.write(body[i:i + 1])
    return respond


def redirect(location, status=302):
    def respond(h):
        _head(h, status, [("Location", location), ("Content-Length", "0")])
    return respond


def gzip_bomb(megabytes):
    """A gzip stream that inflates to megabytes MiB of zeros: one member
    per MiB, concatenated (a valid gzip file), about 1 KiB each."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9, mtime=0)
    return member * megabytes


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        path = self.path.split("?", 1)[0]
        with srv.lock:
            n = sum(1 for p, _ in srv.requests if p == path)
            srv.requests.append(
                (path, {k.lower(): v for k, v in self.headers.items()}))
            route = srv.routes.get(path)
        if isinstance(route, (list, tuple)):
            route = route[min(n, len(route) - 1)]
        if route is None:
            route = static(b"404 page not found\n", status=404,
                           headers=[("Content-Type", "text/plain")])
        self.close_connection = True
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FakeMirror:
    """A ThreadingHTTPServer on a free port of 127.0.0.1, in a thread."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.httpd.requests = []
        self.httpd.sent = {}
        self.httpd.lock = threading.Lock()
        self.httpd.stopping = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def routes(self):
        return self.httpd.routes

    @property
    def requests(self):
        with self.httpd.lock:
            return list(self.httpd.requests)

    @property
    def sent(self):
        """Bytes an endless() route sent, per path."""
        return dict(self.httpd.sent)

    def hits(self, path):
        return sum(1 for p, _ in self.requests if p == path)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def closed_port_url():
    """An http URL on 127.0.0.1 where nothing listens (a port just
    released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    time.sleep(0.01)
    return f"http://127.0.0.1:{port}"
