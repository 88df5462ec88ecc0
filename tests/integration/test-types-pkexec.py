#!/usr/bin/python3
"""cradle-types-helper through the real pkexec and polkitd.

A system bus of the test's own (dbus-daemon on /run/dbus/system_bus_socket,
only when no system bus runs) and polkitd on it; the built polkit action,
its exec.path pointed at the built helper, in polkit's actions folder for
the test's duration.  Then: pkaction reads the action as written; root
saves and removes a type through pkexec (polkit lets root do anything, so
this checks the way in: pkexec, PKEXEC_UID, the cleared environment, the
system folder); a user who is not an administrator, with no agent to ask
a password, is refused (pkexec exits 127) and nothing changes.

Skips unless run as root with pkexec, polkitd and dbus-daemon installed
and no system bus running.  Everything it starts or writes is removed at
the end.  TAP on stdout.
"""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

BUILD = os.environ["CRADLE_BUILD_ROOT"]
HELPER = os.path.join(BUILD, "cli", "cradle-types-helper")
POLICY = os.path.join(BUILD, "data", "org.cradle.Cradle.policy")
ACTIONS = "/usr/share/polkit-1/actions"
INSTALLED_POLICY = os.path.join(ACTIONS, "org.cradle.Cradle.policy")
SOCKET = "/run/dbus/system_bus_socket"
POLKITD = "/usr/lib/polkit-1/polkitd"
NAME = "cradle-pkexec-test-%d" % os.getpid()

results = []


def check(name, condition, detail=""):
    results.append((name, bool(condition), detail))


def skip_reason():
    if os.geteuid() != 0:
        return "needs root"
    for program in ("/usr/bin/pkexec", "/usr/bin/pkaction", "/usr/bin/dbus-daemon", POLKITD):
        if not os.path.exists(program):
            return "%s is not installed (tests/tools/install-deps)" % program
    if os.path.exists(SOCKET):
        return "a system bus already runs; the test starts its own only where none does"
    if os.path.exists(INSTALLED_POLICY):
        return "%s is installed; the test does not replace it" % INSTALLED_POLICY
    return None


def system_folder():
    """The helper's system folder, as `remove` of a type that is not there names it."""
    done = subprocess.run([HELPER, "remove", NAME + "-absent"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PKEXEC_UID": "0"})
    message = done.stderr.strip()
    start = message.rfind(" in ")
    return message[start + 4:].rstrip(".") if start >= 0 else None


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def pkexec(args, data=b"", user=None):
    command = ["/usr/bin/pkexec", HELPER] + args
    if user is not None:
        command = ["/usr/sbin/runuser", "-u", user, "--"] + command
    done = subprocess.run(command, input=data, capture_output=True, timeout=60, stdin=None if data else None,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                               "CRADLE_SYSTEM_CONFIG_DIR": "/nonexistent/must-be-ignored"})
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def main():
    reason = skip_reason()
    if reason is not None:
        print("1..0 # SKIP " + reason)
        return 0

    work = tempfile.mkdtemp(prefix="cradle-pkexec-")
    config = os.path.join(work, "system.conf")
    with open(config, "w") as f:
        f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
""" % SOCKET)
    bus = polkitd = None
    folder = system_folder()
    created = []   # folders the test made, removed when empty
    try:
        os.makedirs("/run/dbus", exist_ok=True)
        bus = subprocess.Popen(["/usr/bin/dbus-daemon", "--config-file=" + config, "--nofork", "--nopidfile"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check("a system bus of the test's own starts", wait_for(lambda: os.path.exists(SOCKET)))
        with open(POLICY) as f:
            policy = f.read()
        annotation = "<annotate key=\"org.freedesktop.policykit.exec.path\">"
        start = policy.index(annotation) + len(annotation)
        end = policy.index("</annotate>", start)
        with open(INSTALLED_POLICY, "w") as f:
            f.write(policy[:start] + HELPER + policy[end:])
        polkitd = subprocess.Popen([POLKITD, "--no-debug"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def action():
            return subprocess.run(["/usr/bin/pkaction", "--action-id", "org.cradle.Cradle.manage-types",
                                   "--verbose"], capture_output=True, text=True)
        check("polkitd answers", wait_for(lambda: action().returncode == 0))
        out = action().stdout
        check("pkaction reads the action: active sessions need an administrator, kept",
              "implicit active:   auth_admin_keep" in out, out)
        check("... others need an administrator every time",
              "implicit any:      auth_admin" in out and "implicit inactive: auth_admin" in out, out)
        check("... for the helper alone", "org.freedesktop.policykit.exec.path -> " + HELPER in out, out)

        check("the helper names its system folder", folder is not None and folder.endswith("/types.d"), folder)
        parent = os.path.dirname(folder)
        for path in (parent, folder):
            if not os.path.exists(path):
                created.insert(0, path)
        path = os.path.join(folder, NAME + ".conf")
        text = ("[Cradle Certificate Type]\nName=%s\nProtocol=est\nURL=https://ca.example.test/.well-known/est\n"
                "Auth=none\nKeyType=p256\n" % NAME).encode()

        code, out, err = pkexec(["save", NAME], text, user="nobody")
        check("a user who is not an administrator is refused by polkit (127)", code == 127, err)
        check("... and nothing is written", not os.path.exists(path))

        code, out, err = pkexec(["save", NAME], text)
        check("root saves through pkexec (exit 0)", code == 0, err)
        check("... into the system folder, whatever the caller's environment said",
              os.path.isfile(path) and out.strip() == path, out)
        check("... 0644 and root's",
              os.path.isfile(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o644 and os.stat(path).st_uid == 0)
        code, out, err = pkexec(["save", "../" + NAME], text)
        check("a path as the name is refused under pkexec too", code == 1 and "is not a type name" in err, err)

        code, out, err = pkexec(["remove", NAME], user="nobody")
        check("a user who is not an administrator cannot remove (127)", code == 127 and os.path.isfile(path), err)
        code, out, err = pkexec(["remove", NAME])
        check("root removes through pkexec (exit 0)", code == 0 and not os.path.exists(path), err)
    finally:
        for process in (polkitd, bus):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for path in (INSTALLED_POLICY, SOCKET, os.path.join(folder or "/nonexistent", NAME + ".conf")):
            if os.path.lexists(path):
                os.unlink(path)
        for path in created:
            try:
                os.rmdir(path)
            except OSError:
                pass
        shutil.rmtree(work)

    print("1..%d" % len(results))
    failed = 0
    for number, (name, passed, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if passed else "not ok", number, name))
        if not passed:
            failed += 1
            for line in str(detail).splitlines():
                print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
