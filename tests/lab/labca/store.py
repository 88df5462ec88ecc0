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
"""


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0).isoformat()


class Store:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

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

    def list(self, status=None):
        q = "SELECT id, submitted, resolved, frontend, requester, template, status, " \
            "hresult, message, serial, officer FROM requests"
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
