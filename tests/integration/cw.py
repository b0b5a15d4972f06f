"""Helpers for the integration tests: a throw-away configuration tree, the
real binaries, and a real NOTIFY_SOCKET listener (an AF_UNIX datagram
socket, as systemd provides)."""
import json
import os
import signal
import socket
import subprocess
import time

BUILD = os.environ.get("CW_BUILD") or os.path.join(os.path.dirname(__file__), "..", "..", "build")
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "integration")
DAEMON = os.path.join(BUILD, "contactwatchd")
CTL = os.path.join(BUILD, "contactwatchctl")

RELATIONS = {
    "relations": [
        {"id": "R001", "type": "company", "name": "Bouwbedrijf Jansen B.V.", "aliases": ["Jansen Bouw"],
         "domains": ["jansenbouw.nl"], "linkedin": "https://www.linkedin.com/company/jansen-bouw"},
        {"id": "R002", "type": "person", "name": "Petra van den Berg", "company": "Acme Logistics",
         "emails": ["p.vandenberg@acme.nl"], "linkedin": "https://www.linkedin.com/in/petravdberg"},
    ]
}


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)


class Tree:
    """A configuration tree under tmp: contactwatch.conf, staff.d/, relations/,
    state/ (StateDirectory) and an archive file channel."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.conf = os.path.join(tmp, "contactwatch.conf")
        self.state = os.path.join(tmp, "state")
        self.archive = os.path.join(tmp, "alerts.jsonl")
        self.transcript = []
        self.procs = []
        self.stops = []

    # --- building the tree -------------------------------------------------
    def write(self, rel, text, mode="w"):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)
        return path

    def setup(self, employees=None, relations=None, daemon_extra="", channels=None):
        """A valid tree; employees: {id: (departure, duration)}."""
        employees = employees or {"E1042": ("2026-06-30", "12months")}
        channels = channels if channels is not None else (
            "[channel:journal]\nType=journal\n\n[channel:archive]\nType=file\nPath=alerts.jsonl\n")
        self.write("contactwatch.conf",
                   "[daemon]\nStateDirectory=state\nStaffDirectory=staff.d\nRelationsDirectory=relations\n"
                   "ScanInterval=1h\nSettleTime=0\nLogLevel=debug\n" + daemon_extra + "\n"
                   "[match]\nPersonThreshold=0.90\nCompanyThreshold=0.92\n\n" + channels)
        self.write("relations/key-accounts.json", json.dumps(relations or RELATIONS, indent=1))
        for eid, (dep, dur) in employees.items():
            self.staff(eid, dep, dur)
        return self

    def staff(self, eid, departure, duration, extra=""):
        return self.write(f"staff.d/{eid}.conf",
                          f"[employee]\nId={eid}\nName=Jan de Vries\nEmail=jan@example.nl\n"
                          f"DepartureDate={departure}\n\n[clause]\nDuration={duration}\n"
                          f"Relations=key-accounts.json\nPenaltyPerViolation=10000 EUR\n"
                          f"Reference=Employment contract art. 12\n" + extra)

    def inbox(self, eid, name, content):
        path = os.path.join(self.state, "inbox", eid, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as f:
            f.write(content)
        return path

    def data(self, name):
        return os.path.join(DATA, name)

    # --- running the binaries ---------------------------------------------
    def run(self, argv, timeout=60, env=None):
        e = dict(os.environ)
        e.pop("NOTIFY_SOCKET", None)
        e.pop("STATE_DIRECTORY", None)
        e.update(env or {})
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=e,
                           text=True, errors="replace")
        self.transcript.append("$ " + " ".join(argv) + f"  -> {p.returncode}")
        self.transcript += ["  out: " + l for l in p.stdout.splitlines()[-20:]]
        self.transcript += ["  err: " + l for l in p.stderr.splitlines()[-20:]]
        return Result(p.returncode, p.stdout, p.stderr)

    def ctl(self, *args, **kw):
        return self.run([CTL, "-c", self.conf, *args], **kw)

    def daemon(self, *args, **kw):
        return self.run([DAEMON, "-c", self.conf, *args], **kw)

    def start_daemon(self, notify_path=None, *args, env=None):
        e = dict(os.environ)
        e.pop("STATE_DIRECTORY", None)
        e.pop("NOTIFY_SOCKET", None)
        e.update(env or {})
        if notify_path:
            e["NOTIFY_SOCKET"] = notify_path
        log = open(os.path.join(self.tmp, "daemon.log"), "w")
        p = subprocess.Popen([DAEMON, "-c", self.conf, *args], stdout=log, stderr=subprocess.STDOUT, env=e)
        self.procs.append((p, log))
        return p

    def daemon_log(self):
        with open(os.path.join(self.tmp, "daemon.log"), errors="replace") as f:
            return f.read()

    def archive_lines(self):
        if not os.path.exists(self.archive):
            return []
        with open(self.archive) as f:
            return [json.loads(l) for l in f if l.strip()]

    def serve(self, receiver):
        """Starts a receiver (receivers.py) and stops it with the tree."""
        receiver.start()
        self.stops.append(receiver.stop)
        return receiver

    def cleanup(self):
        stops, self.stops = self.stops, []
        procs, self.procs = self.procs, []
        for p, log in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
            log.close()
        for stop in stops:
            stop()
        if not procs:
            return
        try:
            self.transcript += ["daemon.log: " + l for l in self.daemon_log().splitlines()[-30:]]
        except OSError:
            pass


class NotifyListener:
    """A real NOTIFY_SOCKET: an AF_UNIX datagram socket collecting messages."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []

    def wait_for(self, pred, timeout=20.0):
        """Collects datagrams until one satisfies pred (a function of the
        message dict); returns it, or raises AssertionError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536).decode()
            except socket.timeout:
                break
            msg = dict(l.split("=", 1) for l in data.splitlines() if "=" in l)
            self.messages.append(msg)
            if pred(msg):
                return msg
        raise AssertionError(f"no matching sd_notify message within {timeout}s; got {self.messages}")

    def close(self):
        self.sock.close()


def wait_until(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
