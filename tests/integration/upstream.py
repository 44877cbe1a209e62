"""A fake mkcert.org for the integration tests: HTTPS on 127.0.0.1.

mkcert.org is a Go net/http server (see tests/fixtures/upstream/README.md,
"What mkcert.org serves"): GET /generate/ answers 200 with the bundle as
application/x-pem-file, chunked, with no ETag or Last-Modified; /generate
redirects (301) to /generate/; other paths are 404 "404 page not found".
FakeUpstream does the same by default, and each knob bends one part of
that so a test can check how the mirror copes:

    with FakeUpstream(make_test_pki(tmp_path)) as up:
        up.body = pem_bytes          # then fetch up.url, cafile up.pki.ca
"""
import base64
import dataclasses
import fcntl
import hashlib
import http.server
import pathlib
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time


@dataclasses.dataclass
class PKI:
    """Paths of a test CA and the server certificates it signed."""
    ca: pathlib.Path            # CA certificate: the mirror's cafile
    ca_key: pathlib.Path
    cert: pathlib.Path          # SAN DNS:localhost, IP:127.0.0.1
    key: pathlib.Path
    wrong_cert: pathlib.Path    # SAN DNS:wrong.example only
    wrong_key: pathlib.Path


def _openssl(*args, stdin=None):
    return subprocess.run(["openssl", *map(str, args)], input=stdin,
                          check=True, capture_output=True).stdout


def _leaf(d, name, san, pki_ca, pki_key):
    """Make name.key and name.pem (P-256) signed by the CA, for san."""
    key, csr, pem, ext = (d / f"{name}.{x}" for x in ("key", "csr",
                                                      "pem", "ext"))
    ext.write_text(f"subjectAltName={san}\nbasicConstraints=critical,"
                   "CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
             "-out", csr, "-subj", f"/CN={name}")
    _openssl("x509", "-req", "-in", csr, "-CA", pki_ca, "-CAkey", pki_key,
             "-set_serial", f"0x{hashlib.sha1(name.encode()).hexdigest()}",
             "-days", "30", "-extfile", ext, "-out", pem)
    return pem, key


def make_test_pki(directory):
    """Create a CA and two server certificates under directory.

    cert/key are for localhost and 127.0.0.1, the names the mirror dials;
    wrong_cert/wrong_key name only wrong.example, so verification fails
    on the host name while the chain itself is fine.  Returns a PKI.
    """
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca, ca_key = d / "ca.pem", d / "ca.key"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
             "-out", ca, "-days", "30", "-subj", "/CN=cabundle test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    cert, key = _leaf(d, "localhost", "DNS:localhost,IP:127.0.0.1", ca,
                      ca_key)
    wrong, wrong_key = _leaf(d, "wrong", "DNS:wrong.example", ca, ca_key)
    return PKI(ca, ca_key, cert, key, wrong, wrong_key)


def pubkey_pin(cert):
    """curl's pin for cert: sha256// + base64(SHA-256(DER SPKI))."""
    pub = _openssl("x509", "-in", cert, "-pubkey", "-noout")
    der = _openssl("pkey", "-pubin", "-outform", "der", stdin=pub)
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30                # a stuck client cannot pin a thread

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.server.upstream._serve(self)

    do_POST = do_HEAD = do_PUT = do_DELETE = do_GET


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False      # close() must not wait for a drip
    sslctx = None

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.sslctx is not None:
            # Handshake in the handler thread, not in the accept loop.
            sock = self.sslctx.wrap_socket(sock, server_side=True,
                                           do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):
        if self.sslctx is not None:
            request.settimeout(10)
            request.do_handshake()
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # A client that hangs up or rejects our certificate is a test
        # case, not a bug in the fake: no traceback for those.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError,
                                          TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeUpstream:
    """mkcert.org on https://localhost:PORT, with knobs.

    Set the attributes between fetches:

    body          bytes of GET /generate/ (mkcert.org: the bundle; empty
                  until its first certdata.txt download has finished).
    content_type  "application/x-pem-file", as mkcert.org sends.
    content_length
                  False (default): chunked with no Content-Length, as Go
                  sends a body it did not size (Go itself switches to a
                  Content-Length for bodies under 2 KiB); True: sized,
                  as a front proxy or cache might send it.
    status        HTTP status for /generate/ (default 200).  Not 2xx: a
                  short text body instead, like an overloaded proxy.
    mode          "normal"; "drip": headers, then one byte a second (a
                  stalled upstream); "endless": the body over and over,
                  never finishing (a hostile or broken upstream);
                  "reset": the first half of the body, then a TCP reset
                  (RST, no TLS close_notify) once the client has it
                  all, as a crashing upstream or a middlebox sends.
                  All three are chunked whatever content_length says.
    etag, last_modified
                  None (default): not sent, as mkcert.org sends neither.
                  Set: sent, and a matching If-None-Match (or, without
                  one, an equal If-Modified-Since) gets 304, no body.
    redirect      Location for GET /generate (default "/generate/", Go's
                  ServeMux); an absolute http:// URL tests downgrades.
    requests      (method, path, headers) of every request received.

    Unlike mkcert.org, POST /generate/ is 405 too: the mirror never posts.
    tls=False serves plain http; cert="wrong" serves the certificate for
    wrong.example.  Without pki, a throwaway PKI is made (self.pki).
    host is the name in url and base: "localhost" (default) or
    "127.0.0.1".  libcurl resolves localhost itself to ::1 as well and
    tries that first, so a process of someone else's listening on
    [::1] at the same port number would answer instead; 127.0.0.1
    cannot be taken that way.  The server listens on 127.0.0.1 either way.
    """

    def __init__(self, pki=None, tls=True, cert="good", host="localhost"):
        self._tmp = None
        if tls and pki is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="upstream-")
            pki = make_test_pki(self._tmp.name)
        self.pki = pki
        self.body = b""
        self.content_type = "application/x-pem-file"
        self.content_length = False
        self.status = 200
        self.mode = "normal"
        self.etag = None
        self.last_modified = None
        self.redirect = "/generate/"
        self.requests = []
        self._stop = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.upstream = self
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            c = pki.wrong_cert if cert == "wrong" else pki.cert
            k = pki.wrong_key if cert == "wrong" else pki.key
            ctx.load_cert_chain(c, k)
            ctx.set_alpn_protocols(["http/1.1"])
            self._httpd.sslctx = ctx
        self.port = self._httpd.server_address[1]
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://{host}:{self.port}"
        self.url = self.base + "/generate/"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        args=(0.05,), daemon=True)
        self._thread.start()

    def close(self):
        """Stop serving; drip and endless handlers give up at once."""
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _head(h, status, headers):
        h.send_response(status)
        for name, value in headers:
            if value is not None:
                h.send_header(name, value)

    def _reply(self, h, status, body=b"", headers=()):
        self._head(h, status, [*headers, ("Content-Length", str(len(body)))])
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _not_modified(self, h):
        inm = h.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return self.etag is not None and ("*" in tags or
                                              self.etag in tags)
        ims = h.headers.get("If-Modified-Since")
        return (ims is not None and self.last_modified is not None and
                ims == self.last_modified)

    def _serve(self, h):
        self.requests.append((h.command, h.path, dict(h.headers)))
        text = [("Content-Type", "text/plain; charset=utf-8"),
                ("X-Content-Type-Options", "nosniff")]
        if h.path == "/generate" and h.command == "GET":
            return self._reply(h, 301, b"Moved Permanently.\n", [
                ("Location", self.redirect), text[0]])
        if h.path != "/generate/":
            return self._reply(h, 404, b"404 page not found\n", text)
        if h.command != "GET":
            return self._reply(h, 405)
        if not 200 <= self.status < 300:
            phrase = h.responses.get(self.status, ("",))[0]
            return self._reply(h, self.status,
                               f"{self.status} {phrase}\n".encode(), text)
        meta = [("ETag", self.etag), ("Last-Modified", self.last_modified)]
        if self._not_modified(h):
            self._head(h, 304, meta)
            return h.end_headers()
        self._head(h, self.status, [
            ("Content-Type", self.content_type),
            ("Content-Disposition", 'inline; filename="certs.pem"'), *meta])
        if self.content_length and self.mode == "normal":
            h.send_header("Content-Length", str(len(self.body)))
            h.end_headers()
            return h.wfile.write(self.body)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        if self.mode == "drip":
            h.close_connection = True
            for i in range(len(self.body)):
                if self._stop.wait(1):
                    return
                self._chunk(h, self.body[i:i + 1])
        elif self.mode == "reset":
            h.close_connection = True
            half = self.body[:len(self.body) // 2]
            for i in range(0, len(half), 4096):
                self._chunk(h, half[i:i + 4096])
            return self._reset(h.connection, h.rfile)
        elif self.mode == "endless":
            h.close_connection = True
            piece = self.body or b"# endless\n"
            while not self._stop.is_set():
                self._chunk(h, piece)
            return
        else:
            for i in range(0, len(self.body), 4096):
                self._chunk(h, self.body[i:i + 4096])
        h.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _reset(sock, rfile):
        """Abort the connection with a TCP RST once what was sent has
        left the send queue (so the client really is mid-body)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                 struct.pack("i", 0))
            if struct.unpack("i", queued)[0] == 0:
                break
            time.sleep(0.01)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        rfile.close()       # its reference would delay the real close
        sock.close()        # linger 0: RST, and no TLS close_notify

    @staticmethod
    def _chunk(h, data):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
