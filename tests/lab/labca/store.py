"""The CA database: every request the CA saw, with a request id that only
grows (SQLite AUTOINCREMENT), shared by all front-ends and by the officer's
`cradle-lab approve/deny`, and kept across CA restarts.
"""

import datetime
import json
import os
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submitted     TEXT NOT NULL,
    resolved      TEXT,
    frontend      TEXT NOT NULL,          -- certsrv | ces | est
    requester     TEXT,                   -- sAMAccountName
    requester_dn  TEXT,
    template      TEXT,
    status        TEXT NOT NULL,          -- pending | issued | denied | failed
    disposition   INTEGER NOT NULL,       -- CR_DISP_*
    hresult       INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL,          -- disposition message
    csr           BLOB,
    spki_sha256   TEXT,
    pended        INTEGER NOT NULL DEFAULT 0,
    plan          TEXT,                   -- JSON: what to issue on approval
    cert          BLOB,
    serial        TEXT,
    officer       TEXT
);
CREATE INDEX IF NOT EXISTS requests_key ON requests (spki_sha256, template, requester);
CREATE TABLE IF NOT EXISTS crl (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    number        INTEGER NOT NULL      -- the last CRL number published
);
"""

# Columns added after the first labs were made: ALTER TABLE at open, so an
# existing database keeps its requests.
LATER_COLUMNS = [
    ("revoked", "TEXT"),             # revocation time (ISO 8601, UTC)
    ("revoked_reason", "INTEGER"),   # RFC 5280 CRLReason code
    ("renewal_of", "TEXT"),          # serial (hex) of the certificate renewed
]
LATER_SCHEMA = "CREATE INDEX IF NOT EXISTS requests_serial ON requests (serial);"

# RFC 5280 5.3.1 CRLReason, by name (7 is not used).
REASONS = {
    "unspecified": 0, "keyCompromise": 1, "cACompromise": 2,
    "affiliationChanged": 3, "superseded": 4, "cessationOfOperation": 5,
    "certificateHold": 6, "removeFromCRL": 8, "privilegeWithdrawn": 9,
    "aACompromise": 10,
}
REASON_NAMES = {v: k for k, v in REASONS.items()}


def normalize_serial(text):
    """'61:0A:..', '0x610a..', '610A..' (as openssl prints it) -> '610a..'
    as the database keeps it (lower case, no leading zeros); None if it is
    not hex."""
    t = (text or "").strip().lower().replace(":", "")
    if t.startswith("0x"):
        t = t[2:]
    if not t or any(c not in "0123456789abcdef" for c in t) or len(t) > 64:
        return None
    return "%x" % int(t, 16)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0).isoformat()


class Store:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(requests)")}
            for name, kind in LATER_COLUMNS:
                if name not in have:
                    try:
                        db.execute("ALTER TABLE requests ADD COLUMN %s %s" % (name, kind))
                    except sqlite3.OperationalError:
                        pass   # another process added it meanwhile
            db.executescript(LATER_SCHEMA)

    def _db(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        return _Conn(db)

    def add(self, **f):
        f.setdefault("submitted", _now())
        if f.get("status") != "pending":
            f.setdefault("resolved", f["submitted"])
        if isinstance(f.get("plan"), dict):
            f["plan"] = json.dumps(f["plan"], sort_keys=True)
        cols = ", ".join(f)
        marks = ", ".join("?" for _ in f)
        with self._db() as db:
            cur = db.execute("INSERT INTO requests (%s) VALUES (%s)" % (cols, marks),
                             list(f.values()))
            return cur.lastrowid

    def reserve(self, **f):
        """A row now (so the id exists and orders), completed by update()."""
        return self.add(status="failed", disposition=1, message="In progress",
                        **f)

    def update(self, rid, **f):
        if isinstance(f.get("plan"), dict):
            f["plan"] = json.dumps(f["plan"], sort_keys=True)
        if f.get("status") and f["status"] != "pending":
            f.setdefault("resolved", _now())
        sets = ", ".join("%s = ?" % k for k in f)
        with self._db() as db:
            db.execute("UPDATE requests SET %s WHERE id = ?" % sets,
                       list(f.values()) + [rid])

    def resolve_pending(self, rid, **f):
        """Atomically move a pending request on; False if it was not pending."""
        f.setdefault("resolved", _now())
        sets = ", ".join("%s = ?" % k for k in f)
        with self._db() as db:
            cur = db.execute("UPDATE requests SET %s WHERE id = ? AND status = 'pending'"
                             % sets, list(f.values()) + [rid])
            return cur.rowcount == 1

    def get(self, rid):
        with self._db() as db:
            r = db.execute("SELECT * FROM requests WHERE id = ?", (rid,)).fetchone()
        return dict(r) if r else None

    def find_pended(self, frontend, spki_sha256, template, requester):
        """The latest request of this front-end that went through the
        approval queue for this key, template and requester (EST's
        resend-the-same-CSR polling)."""
        with self._db() as db:
            r = db.execute(
                "SELECT * FROM requests WHERE frontend = ? AND spki_sha256 = ? "
                "AND template = ? AND requester = ? AND pended = 1 "
                "ORDER BY id DESC LIMIT 1",
                (frontend, spki_sha256, template, requester)).fetchone()
        return dict(r) if r else None

    # -- revocation -------------------------------------------------------------
    def by_serial(self, serial):
        """The issued request with this serial (normalised hex), or None."""
        with self._db() as db:
            r = db.execute("SELECT * FROM requests WHERE serial = ? AND status = 'issued'",
                           (serial,)).fetchone()
        return dict(r) if r else None

    def revoke(self, serial, reason, when=None):
        """Mark an issued certificate revoked.  -> the row, or a string
        saying why not."""
        when = when or _now()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            r = db.execute("SELECT * FROM requests WHERE serial = ? AND status = 'issued'",
                           (serial,)).fetchone()
            if r is None:
                db.execute("ROLLBACK")
                return "no certificate with serial %s was issued by this CA" % serial
            if r["revoked"]:
                db.execute("ROLLBACK")
                return "serial %s is already revoked (%s, %s)" % (
                    serial, REASON_NAMES.get(r["revoked_reason"], r["revoked_reason"]),
                    r["revoked"])
            db.execute("UPDATE requests SET revoked = ?, revoked_reason = ? WHERE id = ?",
                       (when, reason, r["id"]))
            db.execute("COMMIT")
            r = db.execute("SELECT * FROM requests WHERE id = ?", (r["id"],)).fetchone()
        return dict(r)

    def revoked(self):
        """[(serial, revoked ISO time, reason code, cert DER)] of every
        revoked certificate."""
        with self._db() as db:
            return [(r["serial"], r["revoked"], r["revoked_reason"], r["cert"])
                    for r in db.execute("SELECT serial, revoked, revoked_reason, cert "
                                        "FROM requests WHERE revoked IS NOT NULL "
                                        "ORDER BY id")]

    def next_crl_number(self):
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            r = db.execute("SELECT number FROM crl WHERE id = 1").fetchone()
            n = (r["number"] if r else 0) + 1
            db.execute("INSERT OR REPLACE INTO crl (id, number) VALUES (1, ?)", (n,))
            db.execute("COMMIT")
        return n

    def list(self, status=None):
        q = "SELECT id, submitted, resolved, frontend, requester, template, status, " \
            "hresult, message, serial, officer, revoked, revoked_reason, renewal_of " \
            "FROM requests"
        args = ()
        if status:
            q += " WHERE status = ?"
            args = (status,)
        with self._db() as db:
            return [dict(r) for r in db.execute(q + " ORDER BY id", args)]


class _Conn:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        self.db.close()
        return False
