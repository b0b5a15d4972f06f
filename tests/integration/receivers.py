"""Real receivers on loopback for the delivery tests: an HTTP(S) server that
records every request and answers as told (a status, Retry-After, a hang,
or nothing at all: a closed port), an SMTP server (aiosmtpd) that keeps each
message's envelope and raw bytes and can refuse the first N, and a test CA
with a server certificate for 127.0.0.1 made with the openssl CLI.

Everything runs in threads of the test process and binds 127.0.0.1 on a
port the kernel picks; nothing touches the network."""
import email
import email.policy
import http.server
import logging
import os
import socket
import ssl
import subprocess
import threading
import time
import warnings


# --- a test CA and a server certificate ------------------------------------

class TestCA:
    """A throw-away CA and a server certificate (subjectAltName IP:127.0.0.1,
    DNS:localhost) signed by it, in directory d. EC keys: fast to make."""

    def __init__(self, d):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.ca_pem = os.path.join(d, "ca.pem")
        self.ca_key = os.path.join(d, "ca.key")
        self.cert_pem = os.path.join(d, "server.pem")
        self.cert_key = os.path.join(d, "server.key")
        csr = os.path.join(d, "server.csr")
        ext = os.path.join(d, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "subjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid,issuer\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self._openssl("req", "-x509", *ec, "-keyout", self.ca_key, "-out", self.ca_pem, "-days", "2",
                      "-subj", "/CN=contactwatch test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", *ec, "-keyout", self.cert_key, "-out", csr, "-subj", "/CN=127.0.0.1")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_pem, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-out", self.cert_pem, "-days", "2", "-extfile", ext)

    @staticmethod
    def _openssl(*args):
        p = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {p.stdout}")

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_pem, self.cert_key)
        return ctx

    def client_context(self):
        return ssl.create_default_context(cafile=self.ca_pem)


def free_port():
    """A port nobody listens on right now (for a receiver that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP(S) ----------------------------------------------------------------

class Request:
    """One request as received: method, path, headers (case-insensitive
    lookup: headers["content-type"]), body (bytes), t (time.monotonic() when
    it was complete) and the status it was answered with (None: hung up on)."""

    def __init__(self, method, path, headers, body, t):
        self.method, self.path, self.headers, self.body, self.t = method, path, headers, body, t
        self.status = None

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.method} {self.path} {self.status} key={self.headers.get('Idempotency-Key')}>"


class Answer:
    """What to answer: a status, extra headers, a body, and a delay (hang)
    before answering. delay=None hangs until the receiver stops."""

    def __init__(self, status=200, headers=None, body=b"ok\n", delay=0.0):
        self.status, self.headers, self.body, self.delay = status, dict(headers or {}), body, delay


class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 (HTTPS when given a TestCA).

    How it answers, first rule that applies:
      script         a list of Answers consumed one per request, in order;
      fail_per_key   (n, Answer): the first n requests of each Idempotency-Key
                     get that Answer (later ones the default);
      answer         the default Answer (200).
    down() closes the listening socket (connections are refused) and keeps
    the port, so up() brings the same URL back."""

    def __init__(self, ca=None, path="/hook"):
        self.ca = ca
        self.path = path
        self.requests = []
        self.tls_failures = 0
        self.script = []
        self.fail_per_key = None
        self.answer = Answer()
        self.port = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # the scheme and address the daemon is given
    @property
    def url(self):
        return f"{'https' if self.ca else 'http'}://127.0.0.1:{self.port}{self.path}"

    def start(self):
        self._stopping.clear()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass  # quiet: the test prints what matters

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Request(self.command, self.path, self.headers, body, time.monotonic())
                ans = receiver._choose(req)
                with receiver._lock:
                    receiver.requests.append(req)
                if ans.delay is None or ans.delay > 0:
                    receiver._stopping.wait(ans.delay)
                    if receiver._stopping.is_set():
                        return  # hung up on: the client sees the connection close
                # Recorded before the answer leaves: a client that has it
                # (and a test that asks) must find it recorded.
                req.status = ans.status
                try:
                    self.send_response(ans.status)
                    for k, v in ans.headers.items():
                        self.send_header(k, str(v))
                    self.send_header("Content-Length", str(len(ans.body)))
                    self.end_headers()
                    self.wfile.write(ans.body)
                    self.wfile.flush()
                except OSError:
                    req.status = None  # the client gave up (its timeout) while we hung

            do_GET = do_PUT = do_POST

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                # The TLS handshake in the request's own thread: a client that
                # stalls (or refuses our certificate) never blocks accept().
                if receiver.ca:
                    try:
                        request.settimeout(10)
                        request = receiver.ca.server_context().wrap_socket(request, server_side=True)
                        request.settimeout(None)
                    except (ssl.SSLError, OSError):
                        with receiver._lock:
                            receiver.tls_failures += 1
                        return
                super().finish_request(request, client_address)

            def handle_error(self, request, client_address):
                pass  # a client closing mid-answer is expected in these tests

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def _choose(self, req):
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self.fail_per_key:
                n, ans = self.fail_per_key
                key = req.headers.get("Idempotency-Key")
                seen = sum(1 for r in self.requests if r.headers.get("Idempotency-Key") == key)
                if seen < n:
                    return ans
            return self.answer

    def stop(self):
        """Stops serving and releases hanging handlers (they hang up)."""
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread:
            self._thread.join(5)
            self._thread = None

    down = stop

    def up(self):
        return self.start()

    # --- what arrived -------------------------------------------------------
    def received(self, status=None):
        with self._lock:
            return [r for r in self.requests if status is None or r.status == status]

    def wait_for(self, pred, timeout=20.0, what="requests"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; got {self.received()}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- SMTP -------------------------------------------------------------------

class Message:
    """One DATA transaction as received: envelope sender and recipients,
    the raw bytes, the reply code given, when, and the AUTH login (or None).
    .parsed() is the message parsed with email's modern policy."""

    def __init__(self, mail_from, rcpt_tos, data, code, t, login):
        self.mail_from, self.rcpt_tos, self.data, self.code, self.t, self.login = (
            mail_from, rcpt_tos, data, code, t, login)

    def parsed(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def __repr__(self):
        return f"<mail {self.code} from={self.mail_from} to={self.rcpt_tos} {len(self.data)} bytes>"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1. fail_first: the first n messages are refused at
    DATA with fail_reply ("451 ..." temporary, "550 ..." permanent); ca: offer
    STARTTLS with the test certificate; auth: {login: password} required
    (AUTH PLAIN/LOGIN, allowed without TLS: loopback)."""

    def __init__(self, fail_first=0, fail_reply="451 4.3.0 Try again later", ca=None, auth=None):
        self.fail_first, self.fail_reply = fail_first, fail_reply
        self.ca, self.auth = ca, auth
        self.messages = []
        self.auth_failures = 0
        self.port = 0
        self._lock = threading.Lock()
        self._controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with receiver._lock:
                    refuse = len(receiver.messages) < receiver.fail_first
                    reply = receiver.fail_reply if refuse else "250 2.0.0 Message accepted"
                    login = session.auth_data.login.decode() if getattr(session, "auth_data", None) else None
                    receiver.messages.append(Message(envelope.mail_from, list(envelope.rcpt_tos),
                                                     bytes(envelope.content), int(reply[:3]),
                                                     time.monotonic(), login))
                return reply

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (receiver.auth is not None and
                  receiver.auth.get(auth_data.login.decode()) == auth_data.password.decode())
            if not ok:
                with receiver._lock:
                    receiver.auth_failures += 1
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        class PickedPort(Controller):
            # Controller connects to its port once to check it is up; with
            # port 0 it has to learn the kernel's choice first.
            def _trigger_server(self):
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        # AUTH without TLS is what we ask for (loopback): no warning about it.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        kw = {"decode_data": False, "auth_require_tls": False}
        if self.ca:
            kw["tls_context"] = self.ca.server_context()
        if self.auth is not None:
            kw["authenticator"] = authenticator
            kw["auth_required"] = True
        self._controller = PickedPort(Handler(), hostname="127.0.0.1", port=self.port, **kw)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def accepted(self):
        with self._lock:
            return [m for m in self.messages if m.code == 250]

    def wait_for(self, pred, timeout=20.0, what="messages"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; got {self.messages}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
