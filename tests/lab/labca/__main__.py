"""python3 -m labca LABDIR COMMAND

  prepare            make what the CA needs if missing (TLS cert, SCEP depot,
                     OCSP signer)
  directory          add what the CA needs to the running directory if
                     missing (templates made after provisioning)
  serve [--pidfile F] run the HTTPS (443) and HTTP/AIA (80) servers
  serve --https-port N --log FILE
                     a second front-end of the same CA (its database, keys and
                     directory): HTTPS only on port N (0: any free one, printed
                     as "port N"), its own log; for benchmarks
  ocsp [--pidfile F]  run the OCSP responder (127.0.0.1:8089)
  requests [--pending]  the CA database, one request a line
  approve ID | deny ID  act as the CA officer on a pending request
  revoke SERIAL [REASON]  revoke an issued certificate, publish the CRL
  publish-crl        publish a CRL now (file and directory)
"""

import logging
import os
import signal
import sys
import threading

from labctl import config

from . import errors, prepare


def _die(msg, code=1):
    print("cradle-lab: " + msg, file=sys.stderr)
    sys.exit(code)


def _setup_logging(paths, path=None):
    os.makedirs(paths.log, exist_ok=True)
    h = logging.FileHandler(path or os.path.join(paths.log, "ca.log"))
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(h)
    root.setLevel(logging.INFO)


def main(argv):
    if len(argv) < 2:
        _die(__doc__.strip(), 2)
    paths = config.Paths(argv[0])
    cmd, args = argv[1], argv[2:]
    if cmd == "prepare":
        for what in prepare.run(paths):
            print("cradle-lab:   made %s" % what)
        return 0
    if cmd == "directory":
        from . import dirsetup
        for what in dirsetup.run(paths):
            print("cradle-lab:   made %s" % what)
        return 0
    if cmd == "serve":
        from . import server
        if args[:1] == ["--https-port"]:
            if len(args) != 4 or not args[1].isdigit() or args[2] != "--log":
                _die("usage: serve --https-port N --log FILE", 2)
            _setup_logging(paths, args[3])
            servers, _threads = server.serve(paths, https_port=int(args[1]), http_port=None)
            print("port %d" % servers[0].server_address[1], flush=True)
        else:
            _setup_logging(paths)
            servers, _threads = server.serve(paths)
        if args[:1] == ["--pidfile"] and len(args) == 2:
            with open(args[1] + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.replace(args[1] + ".tmp", args[1])
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        logging.getLogger("labca").info("stopping")
        for s in servers:
            s.server_close()
        logging.shutdown()
        # Nothing is pending (every database write commits on its own);
        # skip the slow interpreter teardown of threads, LDAP and GSSAPI.
        os._exit(0)

    if cmd == "ocsp":
        from . import ocsp
        _setup_logging(paths, os.path.join(paths.log, "ocsp.log"))
        srv = ocsp.serve(paths)
        if args[:1] == ["--pidfile"] and len(args) == 2:
            with open(args[1] + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.replace(args[1] + ".tmp", args[1])
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        logging.getLogger("labca.ocsp").info("stopping")
        srv.server_close()
        logging.shutdown()
        os._exit(0)

    if cmd == "scep-exec":
        # Become scepserver (same pid), the challenge passed in its
        # environment rather than on a command line everyone can read.
        if args[:1] != ["--pidfile"] or len(args) != 2:
            _die("usage: scep-exec --pidfile FILE", 2)
        challenge = prepare.scep_challenge(paths)
        with open(args[1] + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(args[1] + ".tmp", args[1])
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "SCEP_CHALLENGE_PASSWORD": challenge}
        os.chdir(prepare.scep_dir(paths))
        os.execve("/usr/bin/scepserver", [
            "scepserver", "-depot", prepare.scep_depot(paths),
            "-port", str(prepare.SCEP_PORT), "-allowrenew", "0"], env)

    from .ca import CA, db_path
    from .store import REASON_NAMES, Store
    if cmd == "requests":
        rows = Store(db_path(paths)).list("pending" if "--pending" in args else None)
        if not rows:
            print("no requests" if "--pending" not in args else "no pending requests")
        fmt = "%-5s %-8s %-8s %-10s %-28s %-20s %s"
        if rows:
            print(fmt % ("ID", "STATUS", "VIA", "REQUESTER", "TEMPLATE", "SUBMITTED (UTC)",
                         "DISPOSITION"))
        for r in rows:
            print(fmt % (r["id"], r["status"], r["frontend"], r["requester"] or "-",
                         r["template"] or "-", (r["submitted"] or "")[:19].replace("T", " "),
                         r["message"] + (" [by %s]" % r["officer"] if r["officer"] else "")
                         + (" serial %s" % r["serial"] if r["serial"] else "")
                         + (" renewing %s" % r["renewal_of"] if r["renewal_of"] else "")
                         + (" REVOKED %s %s" % (REASON_NAMES.get(r["revoked_reason"], "?"),
                                                r["revoked"]) if r["revoked"] else "")))
        return 0
    if cmd in ("approve", "deny"):
        if len(args) != 1 or not args[0].isdigit():
            _die("usage: cradle-lab %s REQUEST-ID" % cmd, 2)
        _setup_logging(paths)
        ca = CA(paths)
        try:
            row = (ca.approve if cmd == "approve" else ca.deny)(int(args[0]))
        except errors.CAError as e:
            _die("%s: %s" % (cmd, e.detail), 1)
        if cmd == "approve":
            print("cradle-lab: request %d issued (template %s, requester %s, serial %s)"
                  % (row["id"], row["template"], row["requester"], row["serial"]))
        else:
            print("cradle-lab: request %d denied (%s)"
                  % (row["id"], errors.describe(0x80094014)))
        return 0
    if cmd in ("revoke", "publish-crl"):
        from . import crl
        from .store import REASONS, normalize_serial
        store = Store(db_path(paths))
        if cmd == "revoke":
            if len(args) not in (1, 2):
                _die("usage: cradle-lab revoke SERIAL [REASON]", 2)
            serial = normalize_serial(args[0])
            if serial is None:
                _die("revoke: %r is not a serial number in hex (as `openssl x509 -serial` "
                     "prints it)" % args[0], 2)
            reason = args[1] if len(args) == 2 else "unspecified"
            if reason not in REASONS or reason == "removeFromCRL":
                _die("revoke: unknown reason %r; use one of %s" % (reason, ", ".join(
                    r for r in REASONS if r != "removeFromCRL")), 2)
            _setup_logging(paths)
            row = store.revoke(serial, REASONS[reason])
            if isinstance(row, str):
                _die("revoke: " + row, 1)
            logging.getLogger("labca").info("serial %s (request %d) revoked: %s",
                                            serial, row["id"], reason)
            print("cradle-lab: serial %s (request %d, %s, %s) revoked at %s, reason %s"
                  % (serial, row["id"], row["requester"], row["template"], row["revoked"],
                     reason))
        else:
            _setup_logging(paths)
        p = crl.publish(paths, store)
        print("cradle-lab: CRL %d published to %s (nextUpdate %s)"
              % (p.number, crl.crl_path(paths), p.next_update.isoformat()))
        if p.ldap_error:
            _die("the CRL could not be written into the directory (%s): %s; the CA "
                 "writes it again at its next publication (every %d s)"
                 % (config.CDP_DN, p.ldap_error, config.CRL_REPUBLISH_S), 1)
        print("cradle-lab: and to the directory: %s" % config.CDP_DN)
        return 0
    _die("unknown labca command %r" % cmd, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
