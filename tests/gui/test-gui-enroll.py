#!/usr/bin/python3
"""test-gui-enroll.py: the real cradle window under Xvfb, driven through AT-SPI

Starts Xvfb on a free display and a private session bus (with the AT-SPI
bus), then the app with the lab's domain and a copy of alice's ticket, and
drives it as a person would, through dogtail:

  no device yet: the "Connect a Device" page
  -> a simulated device (cradle-agent --socket in a private runtime folder)
     arrives: its page, alice's certificate types
  -> Cradle Device (UPN), Get Certificate: the progress page says to confirm
     on the device while the agent waits for its user (the test answers)
  -> Certificate Installed; the device page lists it with its expiry
  -> Cradle Device (Manager Approval): Waiting for Approval with the CA's
     request id; cradle-lab approve ID; Check Now -> Certificate Installed
  -> again, and cradle-lab deny ID; Check Now -> Request Refused, explained
     from the error table (CERTSRV_E_ADMIN_DENIED_REQUEST); Copy Details
  -> the device unplugged: "Connect a Device" again
  -> started again with the directory held back: the types kept from the
     last sign-in at once, saying so; an enrollment from them confirmed by
     the directory once it answers, and installed
  -> bob without a Kerberos ticket: the app asks for his password; signed
     in, the group-restricted type is listed as not available, with why
  -> a device whose model, manufacturer and serial are Pango markup
     ('<a href=...>x</a>', 'AT&T'): every label shows them as written
  -> a certificate's life: a valid certificate, a revoked one and one due
     for renewal each get their badge (the lab's OCSP responder asked);
     Renew renews the due one through the CA's renewal, the device asked;
     Remove on the revoked one asks first, then the device, and it goes
  -> the app as a service (--gapplication-service), no window: a request
     cradlectl left pending is approved; the device arrives, the service
     installs the certificate and says so in a desktop notification
     (notification-daemon, a real server; the Notify call seen on the bus
     with dbus-monitor); opening Cradle shows a window of that same process.

A screenshot of each page (import -window root) goes to
$CRADLE_BUILD_ROOT/meson-logs/screenshots/NN-page.png, beside the app's and
the agent's logs.  Speaks TAP; skips, saying why, when Xvfb, dogtail or the
lab is missing.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("CRADLE_SOURCE_ROOT", os.path.normpath(os.path.join(HERE, "..", "..")))
BUILD_ROOT = os.environ.get("CRADLE_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
LAB = os.path.join(SOURCE_ROOT, "tests", "lab", "cradle-lab")
APP = os.path.join(BUILD_ROOT, "gui", "cradle")
AGENT = os.path.join(BUILD_ROOT, "bridge", "agent", "cradle-agent")
CRADLECTL = os.path.join(BUILD_ROOT, "cli", "cradlectl")
NOTIFICATION_DAEMON = "/usr/lib/notification-daemon/notification-daemon"
SHOTS = os.path.join(BUILD_ROOT, "meson-logs", "screenshots")

TIMEOUT = 45  # seconds for any one thing to appear
# cradle.conf's [Tokens]: no PKCS#11 module at all (tests that want a
# token put their own module in its place).
TOKENS_NONE = "[Tokens]\nUseP11Kit=false\n"

# ---- TAP -----------------------------------------------------------------

# TAP goes to its own descriptor: the session bus, the AT-SPI daemons it
# starts and dogtail all write to standard output, which goes to stderr.
_tap_fd = os.environ.get("CRADLE_GUI_TEST_TAP_FD")
TAP = os.fdopen(int(_tap_fd), "w", buffering=1) if _tap_fd else sys.stdout
_count = 0
_failed = 0


def ok(condition, description, detail=None):
    global _count, _failed
    _count += 1
    if condition:
        print(f"ok {_count} {description}", file=TAP, flush=True)
    else:
        _failed += 1
        print(f"not ok {_count} {description}", file=TAP, flush=True)
        if detail:
            for line in str(detail).splitlines():
                print(f"# {line}", file=TAP, flush=True)
    return condition


def note(text):
    for line in str(text).splitlines():
        print(f"# {line}", file=TAP, flush=True)


def skip_all(reason):
    print(f"1..0 # SKIP {reason}", file=TAP, flush=True)
    sys.exit(0)


class Abort(Exception):
    """A step failed in a way that leaves nothing sensible to do after it."""


# ---- the world: Xvfb, the lab's environment, the agent ---------------------

def lab_env():
    out = subprocess.run([LAB, "env"], check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def start_xvfb():
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 20
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_fd)
    if not number.strip():
        xvfb.kill()
        raise Abort("Xvfb did not say which display it took")
    return xvfb, ":" + number.decode().strip()


class World:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="cradle-gui-test-")
        self.lab = lab_env()
        os.makedirs(SHOTS, exist_ok=True)
        for name in os.listdir(SHOTS):
            if name.endswith(".png") or name.endswith(".log"):
                os.unlink(os.path.join(SHOTS, name))
        self.runtime = os.path.join(self.tmp, "run")
        self.state = os.path.join(self.tmp, "state")
        self.config = os.path.join(self.tmp, "config")
        self.store = os.path.join(self.tmp, "device-store")
        for path in (self.runtime, self.state, self.config, self.store):
            os.makedirs(path, mode=0o700)
        # The lab CA's root, trusted for its TLS front-ends; none of the
        # machine's own tokens (p11-kit's registered modules: a TPM's
        # module, say, that reaches for a D-Bus broker this session lacks).
        with open(os.path.join(self.config, "cradle.conf"), "w") as conf:
            conf.write(f"[Enrollment]\nTrustAnchors={self.lab['CRADLE_LAB_ROOT_CA']}\n\n"
                       f"{TOKENS_NONE}")
        self.xvfb, self.display = start_xvfb()
        # dogtail clicks through XTest on this display.
        os.environ["DISPLAY"] = self.display
        self.agent = None
        self.app = None
        self.app_log = None
        self.shot_number = 0

    def env(self, ccache):
        env = dict(os.environ)
        env.update(self.lab)
        env.update({
            "DISPLAY": self.display,
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": "cairo",
            "CRADLE_RUNTIME_DIR": self.runtime,
            "CRADLE_STATE_DIR": self.state,
            "CRADLE_CONFIG_DIR": self.config,
            "KRB5CCNAME": ccache,
            "LANG": "C.UTF-8",
            "G_MESSAGES_DEBUG": "cradle-gui",
        })
        env.pop("GTK_MODULES", None)
        return env

    def copy_ccache(self, user):
        """A private copy of @user's ticket, so no other test's kinit or
        kdestroy changes it under the app."""
        source = self.lab[f"CRADLE_LAB_{user.upper()}_CCACHE"].removeprefix("FILE:")
        copy = os.path.join(self.tmp, f"{user}.ccache")
        shutil.copyfile(source, copy)
        os.chmod(copy, 0o600)
        return "FILE:" + copy

    def start_app(self, ccache, name, dc_uri=None):
        self.app_log = open(os.path.join(SHOTS, f"app-{name}.log"), "w")
        self.app = subprocess.Popen([APP, "--dc", dc_uri or self.lab["CRADLE_LAB_LDAP_URI"]], env=self.env(ccache),
                                    stdout=self.app_log, stderr=subprocess.STDOUT)

    def stop_app(self):
        if self.app is not None:
            self.app.terminate()
            try:
                self.app.wait(10)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
            self.app = None
        if self.app_log is not None:
            self.app_log.close()
            self.app_log = None

    def start_agent(self, serial="GUI-1", model="Test Phone", manufacturer=None, store=None, ask=True):
        log = open(os.path.join(SHOTS, "agent.log"), "a")
        env = self.env("FILE:/nonexistent")
        identity = [f"--serial={serial}", f"--model={model}"]
        if manufacturer is not None:
            identity.append(f"--manufacturer={manufacturer}")
        # Pairing and key generation wait for the device's user (the test, on stdin).
        confirm = ["--confirm-generate=ask", "--confirm-pair=ask"] if ask else \
                  ["--confirm-generate=approve", "--confirm-pair=approve"]
        self.agent = subprocess.Popen([AGENT] + identity + [f"--store={store or self.store}", "--confirm=approve"] + confirm,
                                      env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def answer_device(self, yes=True):
        self.agent.stdin.write(b"y\n" if yes else b"n\n")
        self.agent.stdin.flush()

    def stop_agent(self):
        if self.agent is not None:
            self.agent.send_signal(signal.SIGTERM)
            try:
                self.agent.wait(10)
            except subprocess.TimeoutExpired:
                self.agent.kill()
                self.agent.wait()
            self.agent = None

    def screenshot(self, name):
        # The pointer out of the way: no tooltip over the page.
        if shutil.which("xdotool") is not None:
            subprocess.run(["xdotool", "mousemove", "1279", "1023"], env=dict(os.environ, DISPLAY=self.display),
                           capture_output=True)
            time.sleep(0.3)
        self.shot_number += 1
        path = os.path.join(SHOTS, f"{self.shot_number:02d}-{name}.png")
        subprocess.run(["import", "-display", self.display, "-window", "root", path],
                       check=False, capture_output=True)
        note(f"screenshot {os.path.relpath(path, BUILD_ROOT)}")
        return path

    def lab_officer(self, verb, request_id):
        result = subprocess.run([LAB, verb, request_id], capture_output=True, text=True)
        return result.returncode == 0, (result.stdout + result.stderr).strip()

    def close(self):
        self.stop_app()
        self.stop_agent()
        self.xvfb.terminate()
        self.xvfb.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- the window, through AT-SPI --------------------------------------------

class Window:
    def __init__(self, tree, app_node):
        self.tree = tree
        self.app = app_node

    def frame(self):
        return self.app.findChild(lambda n: n.roleName == "frame", retry=False, requireResult=False)

    def title(self):
        frame = self.frame()
        return frame.name if frame is not None else ""

    def wait_title(self, *titles, timeout=TIMEOUT):
        """Waits until the window's title (it names the page shown) starts
        with one of @titles; returns it."""
        deadline = time.monotonic() + timeout
        title = ""
        while time.monotonic() < deadline:
            title = self.title()
            for wanted in titles:
                if title.startswith(wanted):
                    return title
            time.sleep(0.2)
        raise Abort(f"the window never showed {' or '.join(repr(t) for t in titles)}; it shows {title!r}")

    def find(self, predicate, within=None, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            node = (within or self.app).findChild(predicate, retry=False, requireResult=False)
            if node is not None or time.monotonic() >= deadline:
                return node
            time.sleep(0.2)

    def page(self, type_name):
        return self.find(lambda n: n.name == type_name, timeout=5)

    def button(self, label, within=None):
        # GTK 4.8 names a button with a mnemonic "_Label Label".
        return self.find(lambda n: n.roleName == "push button" and n.name.replace("_", "").endswith(label),
                         within=within)

    def click_button(self, label, within=None):
        button = self.button(label, within)
        if button is None:
            raise Abort(f"no {label!r} button")
        button.doActionNamed("click")

    def row(self, title, within=None, timeout=TIMEOUT):
        return self.find(lambda n: n.roleName == "list item" and n.name == title, within=within, timeout=timeout)

    def row_labels(self, row):
        return [n.name for n in row.findChildren(lambda n: n.roleName == "label")]

    def choose_type(self, display_name):
        page = self.page("CradleDevicePage")
        check = self.find(lambda n: n.roleName == "check box" and n.name.startswith(display_name), within=page)
        if check is None:
            raise Abort(f"no type {display_name!r} to choose")
        check.click()
        deadline = time.monotonic() + 5
        while not check.checked and time.monotonic() < deadline:
            time.sleep(0.1)
        return check.checked

    def visible(self, node):
        import pyatspi
        return node is not None and node.getState().contains(pyatspi.STATE_VISIBLE)


def connect_window(tree, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for app in tree.root.applications():
                if app.name == "cradle":
                    window = Window(tree, app)
                    if window.frame() is not None:
                        tall_window()
                        return window
        except Exception:  # the registry answers while applications come and go
            pass
        time.sleep(0.3)
    raise Abort("the cradle window did not appear on the accessibility bus")


def tall_window():
    """Room for the whole device page in the screenshots (no window
    manager here: xdotool resizes the window directly)."""
    if shutil.which("xdotool") is None:
        return
    # The main window only (its title names the page), not a dialog.
    found = subprocess.run(["xdotool", "search", "--name", "(^| – )Cradle$"],
                           capture_output=True, text=True)
    for window in found.stdout.split():
        subprocess.run(["xdotool", "windowsize", window, "760", "1000"], capture_output=True)


def wait_app_gone(tree, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not any(app.name == "cradle" for app in tree.root.applications()):
                return
        except Exception:
            pass
        time.sleep(0.3)


def set_activation_display(display):
    import gi
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "UpdateActivationEnvironment", GLib.Variant("(a{ss})", ({"DISPLAY": display},)),
                  None, Gio.DBusCallFlags.NONE, -1, None)


# ---- the scenario ----------------------------------------------------------

def start_logged(world, argv, name, env=None):
    log = open(os.path.join(SHOTS, f"{name}.log"), "w")
    process = subprocess.Popen(argv, env=env or world.env("FILE:/nonexistent"), stdout=log,
                               stderr=subprocess.STDOUT, text=True)
    log.close()
    return process


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_in_file(path, pattern, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as handle:
            match = re.search(pattern, handle.read())
        if match:
            return match
        time.sleep(0.3)
    return None

def pairing_prompt(prompt):
    """The code of a "trust this computer" prompt, or None for another."""
    text = " ".join(n.name for n in prompt.findChildren(lambda n: n.roleName == "label"))
    if "trust this computer" not in text:
        return None
    match = re.search(r"\b(\d{3} \d{3})\b", text)
    return match.group(1) if match else ""


def device_pairing_code():
    """The code the device showed its user, from the agent's output."""
    with open(os.path.join(SHOTS, "agent.log"), errors="replace") as log:
        codes = re.findall(r"Code: (\d{3} \d{3})", log.read())
    return codes[-1] if codes else None


def enroll(world, win, display_name, shot_progress=None, answer="yes"):
    """Chooses @display_name, clicks Get Certificate, and when the device
    asks its user: confirms ("yes"), declines ("no") or clicks Cancel in the
    window ("cancel"); returns the result page's title."""
    ok(win.choose_type(display_name), f"{display_name} can be chosen")
    win.click_button("Get Certificate")
    win.wait_title("Getting the Certificate", "Certificate Installed", "Waiting for Approval",
                   "Request Refused", "Could Not", "Declined")
    progress = win.page("CradleProgressPage")
    prompt = win.find(lambda n: n.name == "Confirm on your device" and n.roleName == "panel", within=progress)
    deadline = time.monotonic() + TIMEOUT
    answered = False
    while time.monotonic() < deadline:
        title = win.title()
        if not title.startswith("Getting the Certificate"):
            return title
        if win.visible(prompt) and not answered and pairing_prompt(prompt) is not None:
            # The first time, the device asks to trust this computer: both
            # screens must show the same code.
            shown = pairing_prompt(prompt)
            ok(shown == device_pairing_code(), "the window and the device show the same pairing code",
               f"window {shown!r}, device {device_pairing_code()!r}")
            world.screenshot("pairing")
            world.answer_device(True)
            while win.visible(prompt) and pairing_prompt(prompt) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            continue
        if win.visible(prompt) and not answered:
            if shot_progress is not None:
                labels = [n.name for n in prompt.findChildren(lambda n: n.roleName == "label")]
                ok(any("Confirm" in label for label in labels),
                   "the progress page says to confirm on the device while it waits", labels)
                world.screenshot(shot_progress)
                shot_progress = None
            if answer == "cancel":
                win.click_button("Cancel", within=progress)
            else:
                world.answer_device(answer == "yes")
            answered = True
        elif answered and not win.visible(prompt):
            answered = False
        time.sleep(0.1)
    raise Abort(f"the enrollment for {display_name} did not end")


def check_now(win, within=None):
    """Clicks Check Now (the pending page's, or a pending row's); returns
    the next result's title."""
    results = ("Certificate Installed", "Waiting for Approval", "Request Refused", "Could Not",
               "Not Finished", "Declined", "Cancelled")
    before = win.title()
    win.click_button("Check Now", within=within or win.page("CradleResultPage"))
    # A new result once the check ran: its title differs, or the progress
    # page was seen in between (a check can take less than a poll).
    checked = False
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        title = win.title()
        checked = checked or title.startswith("Checking the Request")
        if title.startswith(results) and (checked or title != before):
            return title
        time.sleep(0.05)
    raise Abort(f"Check Now did not lead to a new result; the window shows {win.title()!r}")


def detail(win, title):
    """The value of the result page's detail row @title."""
    page = win.page("CradleResultPage")
    row = win.row(title, within=page, timeout=5)
    if row is None:
        return None
    values = [label for label in win.row_labels(row) if label != title]
    return values[0] if values else None


def device_hosts(world):
    """What the device's user sees with cradle-agent --list-hosts."""
    result = subprocess.run([AGENT, f"--store={world.store}", "--list-hosts"], capture_output=True, text=True)
    return result.stdout


def forget_device(world, win):
    """Main Menu > Forget This Device: the device forgets this computer's
    user, the page says the device is not paired, and the next enrollment
    would ask again."""
    ok("trusts no computer" not in device_hosts(world), "the device trusts this computer before",
       device_hosts(world))
    def is_menu_button(node):
        try:
            return "button" in (node.roleName or "") and \
                "Main Menu" in ((node.name or "") + " " + (node.description or ""))
        except Exception:  # a node that went away while looking
            return False

    menu = win.find(is_menu_button, timeout=10)
    if menu is None:
        raise Abort("no Main Menu button in the header bar")
    # GTK 4.8's menu button is a group around the toggle that opens it.
    toggle = menu if "click" in menu.actions else \
        menu.findChild(lambda n: "click" in n.actions, retry=False, requireResult=False)
    if toggle is None:
        raise Abort("the Main Menu button cannot be clicked")
    toggle.doActionNamed("click")

    def is_forget_item(node):
        try:
            return (node.name or "").replace("_", "").endswith("Forget This Device") and node.roleName != "label"
        except Exception:
            return False

    item = win.find(is_forget_item, timeout=10)
    if item is None:
        raise Abort("no Forget This Device item in the main menu")
    actions = list(item.actions.keys())
    item.doActionNamed("click" if "click" in actions or not actions else actions[0])
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and "trusts no computer" not in device_hosts(world):
        time.sleep(0.2)
    ok("trusts no computer" in device_hosts(world), "Forget This Device: the device no longer trusts it",
       device_hosts(world))
    page = win.page("CradleDevicePage")
    placeholder = win.find(lambda n: n.roleName == "label" and "not paired" in n.name, within=page, timeout=10)
    ok(placeholder is not None, "the device page says this computer is not paired with the device")
    world.screenshot("forgotten")


def alice(world, tree):
    world.start_app(world.copy_ccache("alice"), "alice")
    win = connect_window(tree)

    title = win.wait_title("Connect a Device")
    ok(True, "with no device the window asks to connect one")
    # Signed in before any device: the title bar names the account.
    win.find(lambda n: n.roleName == "label" and n.name == "alice@corp.example.test")
    world.screenshot("no-device")

    world.start_agent()
    title = win.wait_title("Test Phone")
    ok(True, "a simulated device arriving shows its page")
    page = win.page("CradleDevicePage")
    upn = win.row("Cradle Device (UPN)", within=page)
    ok(upn is not None, "alice's certificate types are listed, Cradle Device (UPN) among them")
    unpublished = win.row("Cradle Device (Not Published)", within=page)
    ok(unpublished is not None and any("publish" in label for label in win.row_labels(unpublished)),
       "a type no CA issues is listed as not available, with why",
       unpublished and win.row_labels(unpublished))
    world.screenshot("device")

    title = enroll(world, win, "Cradle Device (UPN)", shot_progress="progress-confirm-on-device")
    ok(title.startswith("Certificate Installed"), "Cradle Device (UPN): issued and installed", title)
    expires = detail(win, "Expires")
    ok(expires is not None and re.search(r"\d{4}", expires), "the result page says when it expires", expires)
    world.screenshot("installed")

    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Test Phone")
    page = win.page("CradleDevicePage")
    cert = win.find(lambda n: n.roleName == "list item" and n.name == "Alice Liddell", within=page)
    labels = win.row_labels(cert) if cert is not None else []
    ok(any(label.startswith("Expires") for label in labels),
       "the device page lists the new certificate with its expiry date", labels)
    world.screenshot("device-certificates")

    # A request an administrator approves.
    title = enroll(world, win, "Cradle Device (Manager Approval)")
    ok(title.startswith("Waiting for Approval"), "Cradle Device (Manager Approval): pending", title)
    request_id = detail(win, "Request ID")
    ok(request_id is not None and request_id.isdigit(), "the pending page gives the CA's request id", request_id)
    what_next = detail(win, "What happens next") or ""
    ok("Cradle asks again" in what_next, "and says what happens next", what_next)
    world.screenshot("pending")

    # The device page lists it as waiting, with Check Now.
    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Test Phone")
    page = win.page("CradleDevicePage")
    waiting = win.find(lambda n: n.roleName == "list item" and n.name == "Cradle Device (Manager Approval)"
                       and any(request_id in label for label in win.row_labels(n)), within=page)
    ok(waiting is not None, "the device page lists the request as waiting for approval, with its id",
       waiting and win.row_labels(waiting))
    world.screenshot("device-pending")
    approved, output = world.lab_officer("approve", request_id)
    ok(approved, f"cradle-lab approve {request_id}", output)
    if waiting is None:
        raise Abort("no pending row to check")
    title = check_now(win, within=waiting)
    ok(title.startswith("Certificate Installed"), "its Check Now after approval: issued and installed", title)
    world.screenshot("approved-installed")

    # A request the CA officer refuses: the failed page explains it.
    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Test Phone")
    title = enroll(world, win, "Cradle Device (Manager Approval)")
    request_id = detail(win, "Request ID")
    ok(title.startswith("Waiting for Approval") and request_id, "a second request is pending", title)
    denied, output = world.lab_officer("deny", request_id or "")
    ok(denied, f"cradle-lab deny {request_id}", output)
    title = check_now(win)
    ok(title.startswith("Request Refused"), "Check Now after the denial: the request was refused", title)
    code = detail(win, "Code") or ""
    ok("CERTSRV_E_ADMIN_DENIED_REQUEST" in code, "the failed page names the CA's code", code)
    result = win.page("CradleResultPage")
    texts = [n.name for n in result.findChildren(lambda n: n.roleName == "label")]
    ok(any("administrator" in text.lower() for text in texts),
       "and explains it from the error table, with what to do", texts)
    win.click_button("Copy Details", within=result)
    toast = win.find(lambda n: n.roleName == "label" and n.name.startswith("Details copied"), timeout=10)
    ok(toast is not None, "Copy Details copies the report for support")
    world.screenshot("refused")

    # Said no on the device; then stopped in the window while it waits.
    win.click_button("Done", within=result)
    win.wait_title("Test Phone")
    title = enroll(world, win, "Cradle Device ECC P-256", answer="no")
    ok(title.startswith("Declined on the Device"), "declined on the device: the page says so", title)
    result = win.page("CradleResultPage")
    texts = [n.name for n in result.findChildren(lambda n: n.roleName == "label")]
    ok(any("device" in text.lower() and "again" in text.lower() for text in texts),
       "and what to do next", texts)
    world.screenshot("declined")
    win.click_button("Done", within=result)
    win.wait_title("Test Phone")
    title = enroll(world, win, "Cradle Device ECC P-256", answer="cancel")
    ok(title.startswith("Cancelled"), "Cancel while the device waits: the run stops, cancelled", title)

    # Unpaired from the desktop: the device no longer trusts this computer.
    win.click_button("Done", within=result)
    win.wait_title("Test Phone")
    forget_device(world, win)

    # Unplugged: back to asking for a device.
    world.stop_agent()
    win.wait_title("Connect a Device")
    ok(True, "unplugging the device shows the Connect a Device page again")
    world.stop_app()
    wait_app_gone(tree)


def bob(world, tree):
    # No ticket at all: the app asks for a password.
    world.start_app("FILE:" + os.path.join(world.tmp, "no-ticket.ccache"), "bob")
    win = connect_window(tree)
    world.start_agent()
    heading = win.find(lambda n: n.roleName == "label" and n.name == "Sign In to Your Domain")
    ok(heading is not None, "without a Kerberos ticket the app asks for a password")
    world.screenshot("sign-in")

    def type_password(password_text):
        entries = win.app.findChildren(lambda n: n.roleName in ("text", "password text", "entry"))
        user = next((e for e in entries if e.name == "User name"), None)
        password = next((e for e in entries if e.name == "Password"), None)
        if user is None or password is None:
            raise Abort(f"no user and password fields: {[(e.roleName, e.name) for e in entries]}")
        user.text = world.lab["CRADLE_LAB_BOB_USER"]
        password.text = password_text
        win.click_button("Sign In")

    # A wrong password: asked again, saying so.
    type_password("not " + world.lab["CRADLE_LAB_BOB_PASSWORD"])
    # The dialog's body: why, then what to do.
    refused = win.find(lambda n: n.roleName == "label" and "did not accept the password" in n.name
                       and "Enter your domain user name and password" in n.name)
    ok(refused is not None, "a wrong password is refused, and the app asks again saying why")
    world.screenshot("sign-in-wrong-password")
    type_password(world.lab["CRADLE_LAB_BOB_PASSWORD"])
    signed_in = win.find(lambda n: n.roleName == "label" and n.name.startswith("Signed in as bob"))
    ok(signed_in is not None, "the right password signs bob in")
    title = win.wait_title("Test Phone")
    page = win.page("CradleDevicePage")
    restricted = win.row("Cradle Device (Mobile Device Users only)", within=page)
    labels = win.row_labels(restricted) if restricted is not None else []
    ok(any("Mobile Device Users" in label for label in labels),
       "bob, signed in with his password, sees the restricted type as not available, and why", labels)
    chooser = win.find(lambda n: n.roleName == "check box" and n.name.startswith("Cradle Device (Mobile"),
                       within=page, timeout=2)
    ok(chooser is None or not win.visible(chooser), "and cannot choose it")
    world.screenshot("bob-not-available")
    world.stop_app()
    world.stop_agent()


def kept_catalog(world, tree):
    """The app keeps the catalog it read, and the next start lists the
    kept types at once, saying so, while the directory is read again; an
    enrollment started then is confirmed by the directory before the
    device signs. The directory is reached through a forwarder that the
    test pauses (SIGSTOP) to hold its answer back."""
    import threading
    from urllib.parse import urlsplit

    ldap = urlsplit(world.lab["CRADLE_LAB_LDAP_URI"])
    forwarder = subprocess.Popen([sys.executable, os.path.join(SOURCE_ROOT, "tests", "e2e", "tcp-forward.py"),
                                  "0", ldap.hostname, str(ldap.port or 389)],
                                 stdout=subprocess.PIPE, text=True)
    try:
        port = int(forwarder.stdout.readline().split()[1])
        dc_uri = f"ldap://{ldap.hostname}:{port}"
        catalogs = os.path.join(world.state, "catalogs")
        before = len(os.listdir(catalogs)) if os.path.isdir(catalogs) else 0

        # First start: the directory answers, and its catalog is kept.
        world.start_app(world.copy_ccache("alice"), "kept-catalog-first", dc_uri=dc_uri)
        win = connect_window(tree)
        world.start_agent()
        win.wait_title("Test Phone")
        page = win.page("CradleDevicePage")
        fresh = win.find(lambda n: n.roleName == "label" and n.name.startswith("Domain controller"), within=page)
        ok(fresh is not None, "signed in through the directory, which names its controller")
        after = len(os.listdir(catalogs)) if os.path.isdir(catalogs) else 0
        ok(after == before + 1, "the app keeps the catalog it read", f"{before} kept before, {after} after")
        world.stop_app()
        world.stop_agent()
        wait_app_gone(tree)

        # Second start, the directory held back: the kept types at once.
        forwarder.send_signal(signal.SIGSTOP)
        world.start_app(world.copy_ccache("alice"), "kept-catalog-second", dc_uri=dc_uri)
        win = connect_window(tree)
        world.start_agent()
        win.wait_title("Test Phone")
        page = win.page("CradleDevicePage")
        kept = win.find(lambda n: n.roleName == "label"
                        and n.name.startswith("These are the certificate types from your last sign-in"), within=page)
        ok(kept is not None, "the kept types are listed at once, and the account row says they are being checked")
        world.screenshot("kept-catalog")
        # The directory answers a few seconds into the run, while the device works.
        resume = threading.Timer(3, forwarder.send_signal, (signal.SIGCONT,))
        resume.start()
        title = enroll(world, win, "Cradle Device (UPN)")
        resume.join()
        ok(title.startswith("Certificate Installed"),
           "an enrollment started from the kept types is confirmed by the directory and installed", title)
        fresh = win.find(lambda n: n.roleName == "label" and n.name.startswith("Domain controller"), within=page)
        ok(fresh is not None, "the directory's types then replace the kept ones")
        world.stop_app()
        world.stop_agent()
        wait_app_gone(tree)
    finally:
        forwarder.send_signal(signal.SIGCONT)
        forwarder.terminate()
        forwarder.wait()


def hostile_text(world, tree):
    """A device whose names are Pango markup: a link, and an "&" that is
    not an entity. Every label shows them as written; with markup on, the
    first would be a clickable "x" and the second would blank the row."""
    model = '<a href="http://evil.example/">x</a> Phone'
    manufacturer = "AT&T"
    serial = "GUI-<i>2&amp;"
    store = os.path.join(world.tmp, "device-store-markup")
    os.makedirs(store, mode=0o700, exist_ok=True)
    world.start_app(world.copy_ccache("alice"), "hostile-text")
    win = connect_window(tree)
    win.wait_title("Connect a Device")
    world.start_agent(serial=serial, model=model, manufacturer=manufacturer, store=store)
    # The window's title names the device by its model.
    win.wait_title(model)
    page = win.page("CradleDevicePage")
    title = f"{manufacturer} {model}"
    label = win.find(lambda n: n.roleName == "label" and n.name == title, within=page, timeout=10)
    ok(label is not None, "a device name holding markup and '&' is shown as written",
       [n.name for n in page.findChildren(lambda n: n.roleName == "label")][:8] if label is None else title)
    subtitle = win.find(lambda n: n.roleName == "label" and n.name.startswith(f"Serial {serial} "),
                        within=page, timeout=5)
    ok(subtitle is not None, "and so is a serial holding tags and an entity",
       subtitle.name if subtitle is not None else None)
    link = win.find(lambda n: n.roleName == "link", within=page, timeout=2)
    ok(link is None, "no link is made of the device's words")
    world.screenshot("device-markup")
    world.stop_app()
    world.stop_agent()


def close_while_waiting(world, tree):
    """Closing the window (Ctrl+W) while the device asks its user ends the
    app within 10 s, cleanly: the worker's device call is cancelled."""
    from dogtail.rawinput import keyCombo

    world.start_app(world.copy_ccache("alice"), "close-while-waiting")
    win = connect_window(tree)
    world.start_agent()
    win.wait_title("Test Phone")
    ok(win.choose_type("Cradle Device (UPN)"), "Cradle Device (UPN) can be chosen before closing")
    win.click_button("Get Certificate")
    win.wait_title("Getting the Certificate")
    progress = win.page("CradleProgressPage")
    prompt = win.find(lambda n: n.name == "Confirm on your device" and n.roleName == "panel", within=progress)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not win.visible(prompt):
        time.sleep(0.1)
    ok(win.visible(prompt), "the device waits for its user")
    closed = time.monotonic()
    keyCombo("<Control>w")
    try:
        code = world.app.wait(10)
    except subprocess.TimeoutExpired:
        code = None
    ok(code == 0, "closing the window while the device waits ends the app within 10 s, cleanly",
       f"exit {code}, {time.monotonic() - closed:.1f} s after Ctrl+W")
    world.stop_app()
    world.stop_agent()
    wait_app_gone(tree)


def scroll_down(world):
    """Scrolls the device page to its end, where the certificates are."""
    if shutil.which("xdotool") is None:
        return
    env = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", "360", "600"], env=env, capture_output=True)
    subprocess.run(["xdotool", "click", "--repeat", "20", "--delay", "30", "5"], env=env, capture_output=True)
    time.sleep(0.5)


def cert_rows(win):
    """The device page's certificate rows, as (row, labels) pairs."""
    page = win.page("CradleDevicePage")
    rows = page.findChildren(lambda n: n.roleName == "list item" and n.name == "Alice Liddell")
    return [(row, win.row_labels(row)) for row in rows]


def wait_badges(win, wanted, timeout=TIMEOUT):
    """Waits until the certificate rows show every badge in @wanted."""
    deadline = time.monotonic() + timeout
    badges = []
    while time.monotonic() < deadline:
        try:
            badges = [label for _, labels in cert_rows(win) for label in labels
                      if label in ("Valid", "Renew Soon", "Expired", "Revoked", "Unknown")]
        except Exception:  # rows replaced while read
            badges = []
        if all(badge in badges for badge in wanted):
            return badges
        time.sleep(0.5)
    return badges


def row_with_badge(win, badge):
    for row, labels in cert_rows(win):
        if badge in labels:
            return row
    return None


def last_serial(template):
    """The serial of the lab CA's newest issued certificate of @template."""
    out = subprocess.run([LAB, "requests"], capture_output=True, text=True).stdout
    serials = [m.group(1) for line in out.splitlines() if template in line and " issued " in f" {line} "
               for m in [re.search(r"serial ([0-9A-Fa-f]+)", line)] if m]
    return serials[-1] if serials else None


def lifecycle(world, tree):
    """Badges, Renew and the removal prompt on the device page."""
    store = os.path.join(world.tmp, "life-store")
    os.makedirs(store, mode=0o700)
    # Renew is the user's here: the app does not renew by itself (the
    # service scenario has it do so), or it could beat the click.
    conf_path = os.path.join(world.config, "cradle.conf")
    with open(conf_path) as conf:
        conf_before = conf.read()
    with open(conf_path, "a") as conf:
        conf.write("[Renewal]\nAutomatic=false\n")
    world.start_app(world.copy_ccache("alice"), "lifecycle")
    win = connect_window(tree)
    world.start_agent(serial="LIFE-1", model="Life Phone", store=store, ask=False)
    win.wait_title("Life Phone")
    try:
        for name in ("Cradle Device (UPN)", "Cradle Device ECC P-256"):
            title = enroll(world, win, name)
            ok(title.startswith("Certificate Installed"), f"{name}: installed", title)
            win.click_button("Done", within=win.page("CradleResultPage"))
            win.wait_title("Life Phone")
        serial = last_serial("CradleDeviceECC")
        revoked, text = world.lab_officer("revoke", serial or "none")
        ok(revoked, f"the lab CA revokes the ECC certificate {serial}", text)

        # Due at once: the template's certificates live a minute, all of it
        # the renewal period.  Renewed within that minute, before it expires.
        title = enroll(world, win, "Cradle Device (Expires in a Minute)")
        ok(title.startswith("Certificate Installed"), "Cradle Device (Expires in a Minute): installed", title)
        win.click_button("Done", within=win.page("CradleResultPage"))
        win.wait_title("Life Phone")
        from dogtail.rawinput import keyCombo
        keyCombo("F5")   # Refresh: the responders asked again, past kept answers
        badges = wait_badges(win, ("Valid", "Revoked", "Renew Soon"))
        ok(all(b in badges for b in ("Valid", "Revoked", "Renew Soon")),
           "the certificates show their badges: valid, revoked (OCSP) and renew soon", badges)
        scroll_down(world)
        world.screenshot("badges")

        due = row_with_badge(win, "Renew Soon")
        renew = win.button("Renew", within=due) if due is not None else None
        if renew is None:
            raise Abort("no Renew button on the certificate due for renewal")
        renew.doActionNamed("click")
        title = win.wait_title("Renewing the Certificate", "Certificate Renewed", "Certificate Installed", "Could Not", "Request Refused")
        title = win.wait_title("Certificate Renewed", "Certificate Installed", "Could Not", "Request Refused",
                               "Interrupted")
        ok(title.startswith("Certificate Renewed"), "Renew: the renewed certificate is installed, the old one removed",
           title)
        world.screenshot("renewed")
        requests = subprocess.run([LAB, "requests"], capture_output=True, text=True).stdout
        ok(re.search(r"CradleExpiresSoon.*renewing", requests) is not None or "renewing" in requests,
           "the CA took it as a renewal of the old certificate", requests[-600:])
        win.click_button("Done", within=win.page("CradleResultPage"))
        win.wait_title("Life Phone")
        time.sleep(2)
        due_rows = [labels for _, labels in cert_rows(win) if any("issued by" in l for l in labels)]
        ok(len(due_rows) == 3, "the old certificate was replaced, not kept beside the new one",
           [labels for _, labels in cert_rows(win)])

        bad = row_with_badge(win, "Revoked")
        remove = win.button("Remove", within=bad) if bad is not None else None
        if remove is None:
            raise Abort("no Remove button on the revoked certificate")
        remove.doActionNamed("click")
        heading = win.find(lambda n: n.roleName == "label" and n.name == "Remove the Certificate?", timeout=10)
        ok(heading is not None, "Remove asks first, saying why", heading and heading.name)
        world.screenshot("remove-prompt")
        dialog = heading
        while dialog is not None and dialog.roleName not in ("dialog", "frame", "window", "alert"):
            dialog = dialog.parent
        win.click_button("Remove", within=dialog)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and row_with_badge(win, "Revoked") is not None:
            time.sleep(0.5)
        ok(row_with_badge(win, "Revoked") is None, "the revoked certificate is gone from the device",
           [labels for _, labels in cert_rows(win)])
        scroll_down(world)
        world.screenshot("removed")
    finally:
        world.stop_app()
        world.stop_agent()
        wait_app_gone(tree)
        with open(conf_path, "w") as conf:
            conf.write(conf_before)


def service(world, tree):
    """The app as a service: no window, a pending request finished in the
    background and told as a desktop notification."""
    if not os.access(NOTIFICATION_DAEMON, os.X_OK):
        note("SKIP service: notification-daemon is not installed (tests/tools/install-deps installs it)")
        return
    ccache = world.copy_ccache("alice")
    store = os.path.join(world.tmp, "service-store")
    os.makedirs(store, mode=0o700)

    # A request left pending by cradlectl, for this device, in the shared
    # pending store; the officer approves it while nothing runs.
    world.start_agent(serial="SVC-1", model="Service Phone", store=store, ask=False)
    time.sleep(1)
    enrolled = subprocess.run([CRADLECTL, "enroll", "--template", "CradleDeviceApproval", "--device", "SVC-1",
                               "--dc", world.lab["CRADLE_LAB_LDAP_URI"], "--json"],
                              env=world.env(ccache), capture_output=True, text=True, timeout=120)
    try:
        import json
        result = json.loads(enrolled.stdout)
    except ValueError:
        result = {}
    ca_id = str(result.get("ca_request_id") or "")
    if not ok(enrolled.returncode == 1 and result.get("outcome") == "pending" and ca_id.isdigit(),
              "cradlectl leaves a request pending for the service", enrolled.stdout + enrolled.stderr):
        world.stop_agent()
        return
    approved, text = world.lab_officer("approve", ca_id)
    ok(approved, f"the officer approves request {ca_id}", text)
    # And a certificate due for renewal as soon as it is issued (it lives a
    # minute): the service renews it when the device comes back.
    due = subprocess.run([CRADLECTL, "enroll", "--template", "CradleExpiresSoon", "--device", "SVC-1",
                          "--dc", world.lab["CRADLE_LAB_LDAP_URI"], "--json"],
                         env=world.env(ccache), capture_output=True, text=True, timeout=120)
    ok(due.returncode == 0, "cradlectl installs a certificate that is due at once", due.stdout + due.stderr)
    world.stop_agent()

    # A real notification server, and dbus-monitor watching what is asked of it.
    daemon = start_logged(world, [NOTIFICATION_DAEMON], "notification-daemon")
    monitor_log = os.path.join(SHOTS, "dbus-monitor.log")
    monitor = start_logged(world, ["dbus-monitor", "--session",
                                   "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
                           "dbus-monitor")
    time.sleep(1)
    world.app_log = open(os.path.join(SHOTS, "app-service.log"), "w")
    world.app = subprocess.Popen([APP, "--gapplication-service", "--dc", world.lab["CRADLE_LAB_LDAP_URI"]],
                                 env=world.env(ccache), stdout=world.app_log, stderr=subprocess.STDOUT)
    try:
        time.sleep(2)
        ok(world.app.poll() is None, "the service runs without a window")
        frames = [app for app in tree.root.applications() if app.name == "cradle" and
                  app.findChild(lambda n: n.roleName == "frame", retry=False, requireResult=False) is not None]
        ok(not frames, "the service shows no window")

        # The device arrives: the service resumes the approved request.
        world.start_agent(serial="SVC-1", model="Service Phone", store=store, ask=False)
        found = wait_in_file(monitor_log, r'string "Certificate Installed"\s*string "Your Cradle Device \(Manager '
                                          r'Approval\) certificate was issued and installed on Service Phone\."',
                             timeout=90)
        ok(found is not None, "the service installs it and a desktop notification says so on the session bus",
           open(monitor_log, errors="replace").read()[-2000:])
        found = wait_in_file(monitor_log, r'string "Certificate Renewed"\s*string "Your Cradle Device \(Expires in '
                                          r'a Minute\) certificate was renewed', timeout=60)
        ok(found is not None, "the service renews the due certificate when the device appears, and says so",
           open(monitor_log, errors="replace").read()[-2000:])
        world.screenshot("service-notification")
        # Opening Cradle: a window of the service's own process.
        opened = subprocess.run([APP, "--dc", world.lab["CRADLE_LAB_LDAP_URI"]], env=world.env(ccache),
                                capture_output=True, text=True, timeout=30)
        ok(opened.returncode == 0, "starting Cradle again hands over to the service", opened.stderr)
        win = connect_window(tree)
        win.wait_title("Service Phone")
        ok(world.app.poll() is None, "the window belongs to the service's process, which still runs")
        page = win.page("CradleDevicePage")
        cert = win.find(lambda n: n.roleName == "list item" and n.name == "Alice Liddell", within=page)
        labels = win.row_labels(cert) if cert is not None else []
        ok(any(label.startswith("Expires") for label in labels),
           "the window lists the certificate the service installed", labels)
        world.screenshot("service-window")
    finally:
        world.stop_app()
        world.stop_agent()
        stop(monitor)
        stop(daemon)
        wait_app_gone(tree)


def enter_private_session(script, tools=(), programs=None, missing=None):
    """Before a GUI test's cases: skips the whole test, saying why, when a
    tool (Xvfb, dbus-run-session, import and @tools), a program (@programs,
    the app and the agent by default), whatever @missing() names or the lab
    is missing; then runs @script again inside a private session bus (the
    app's D-Bus name and the AT-SPI bus), its TAP on file descriptor 3.
    Returns at once inside that session."""
    if os.environ.get("CRADLE_GUI_TEST_BUS") == "1":
        return
    absent = [tool for tool in ("Xvfb", "dbus-run-session", "import", *tools) if shutil.which(tool) is None]
    if absent:
        skip_all(f"{', '.join(absent)} not installed (tests/tools/install-deps installs them)")
    reason = missing() if missing is not None else None
    if reason is not None:
        skip_all(reason)
    for program in (APP, AGENT) if programs is None else programs:
        if not os.access(program, os.X_OK):
            skip_all(f"{program} is not built")
    if subprocess.run([LAB, "status"], capture_output=True).returncode != 0:
        skip_all("the lab is not running (start it with tests/lab/cradle-lab up)")
    env = dict(os.environ, CRADLE_GUI_TEST_BUS="1", CRADLE_GUI_TEST_TAP_FD="3")
    sys.stdout.flush()
    os.dup2(1, 3)
    os.set_inheritable(3, True)
    os.dup2(2, 1)
    os.execvpe("dbus-run-session", ["dbus-run-session", "--", sys.executable, os.path.abspath(script)], env)


def start_dogtail(world):
    """dogtail's tree module, set up for @world's display (skips the test
    when dogtail is not installed)."""
    # The AT-SPI bus and registry are started by D-Bus activation; they
    # inject dogtail's clicks (XTest) on the display they know.
    set_activation_display(world.display)
    # dogtail checks that accessibility is on; GTK 4 needs no module for it.
    os.environ["GTK_MODULES"] = "gail:atk-bridge"
    try:
        from dogtail import tree
        from dogtail.config import config
    except ImportError as error:
        world.close()
        skip_all(f"dogtail is not installed ({error}; package python3-dogtail)")
    config.searchShowingOnly = False
    config.logDebugToStdOut = False
    config.logDebugToFile = False
    config.defaultDelay = 0.2
    config.actionDelay = 0.2
    return tree


def main():
    enter_private_session(__file__)
    world = World()
    tree = start_dogtail(world)

    try:
        scenarios = (alice, kept_catalog, bob, hostile_text, close_while_waiting, lifecycle, service)
        # CRADLE_GUI_TEST_ONLY=name,name: just those, while working on them.
        only = [name for name in os.environ.get("CRADLE_GUI_TEST_ONLY", "").split(",") if name]
        for scenario in scenarios:
            if only and scenario.__name__ not in only:
                continue
            try:
                scenario(world, tree)
            except Abort as error:
                ok(False, f"{scenario.__name__}: {error}")
                world.screenshot(f"{scenario.__name__}-failed")
                world.stop_app()
                world.stop_agent()
                wait_app_gone(tree)
    finally:
        world.close()
    note(f"screenshots and logs in {SHOTS}")
    print(f"1..{_count}", file=TAP, flush=True)
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
