#!/usr/bin/python3
"""test-gui-files.py: certificate files and a certificate's details in the real window

The world of test-gui-enroll.py (Xvfb, a private session bus, AT-SPI through
dogtail, the real app and the real agent over its socket), with scenarios of
its own:

  install_pfx_by_drop: a PFX made here with OpenSSL (a key, its certificate
    with subject alternative names, and its self-signed root) is dragged
    from another GTK program and dropped on the device page: a real XDND
    drop, driven with xdotool.  A file that is no certificate is refused
    first, saying why.  A wrong password is asked again, saying why; the
    right one opens it; the app shows what goes where (the key, the
    certificate, the root with its SHA-256) before anything goes; the
    device asks its user to import the key and to trust the root (the test
    answers); the result is said, and the certificate is listed.
  details_and_remove: its Details show the subject alternative names, the
    SHA-256 and SHA-1 fingerprints and that the key was imported, not made
    on the device; Export… saves it as PEM; Remove… asks first, saying the
    key is retired with it; the device asks its user; the row goes, and
    the agent's key file says the key is retired.  Then a CER of another
    root, declined on the device: nothing installed, and the window says so.

Screenshots in $CRADLE_BUILD_ROOT/meson-logs/screenshots-files/ with the app's
and the agent's logs.  Speaks TAP; skips, saying why, when Xvfb, dogtail,
xdotool or the lab is missing.  CRADLE_GUI_TEST_ONLY=name,... runs only those.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- --drag-source PATH: the program the file is dragged from -------------

if len(sys.argv) == 3 and sys.argv[1] == "--drag-source":
    import gi
    gi.require_version("Gtk", "4.0")
    gi.require_version("Gdk", "4.0")
    from gi.repository import Gdk, Gio, GObject, Gtk

    def activate(app):
        window = Gtk.ApplicationWindow(application=app, title="cradle-test-drag-source")
        window.set_default_size(200, 100)
        label = Gtk.Label(label=os.path.basename(sys.argv[2]))
        source = Gtk.DragSource(actions=Gdk.DragAction.COPY)

        def prepare(_source, _x, _y):
            files = Gdk.FileList.new_from_list([Gio.File.new_for_path(sys.argv[2])])
            return Gdk.ContentProvider.new_for_value(GObject.Value(Gdk.FileList, files))

        source.connect("prepare", prepare)
        source.connect("drag-end", lambda *_: print("drag-end", flush=True))
        label.add_controller(source)
        window.set_child(label)
        window.present()

    app = Gtk.Application(flags=Gio.ApplicationFlags.NON_UNIQUE)
    app.connect("activate", activate)
    sys.exit(app.run([sys.argv[0]]))

# ---- the world of test-gui-enroll.py, with screenshots of our own ---------

_spec = importlib.util.spec_from_file_location("gui_enroll", os.path.join(HERE, "test-gui-enroll.py"))
gui = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gui)
gui.SHOTS = os.path.join(gui.BUILD_ROOT, "meson-logs", "screenshots-files")
ok, note, Abort, TIMEOUT = gui.ok, gui.note, gui.Abort, gui.TIMEOUT

PASSWORD = "Correct Horse 7 Battery"
LEAF_CN = "Files Phone Wi-Fi"
SAN_DNS = "files.example.test"
SAN_EMAIL = "alice@corp.example.test"


def openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise Abort(f"openssl {' '.join(args[:2])}: {result.stderr.strip()}")
    return result.stdout


def fingerprint(path, digest, cwd):
    out = openssl("x509", "-noout", "-fingerprint", f"-{digest}", "-in", path, cwd=cwd)
    return out.strip().split("=", 1)[1]


def make_pfx(folder):
    """A PFX (OpenSSL 3's default: PBES2, AES-256) of a key, its certificate
    and its root; returns the file and the certificates' fingerprints."""
    os.makedirs(folder, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem",
            "-days", "30", "-subj", "/CN=Cradle Files Test Root",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", f"/O=Cradle Tests/CN={LEAF_CN}", cwd=folder)
    with open(os.path.join(folder, "leaf.ext"), "w") as ext:
        ext.write(f"subjectAltName=DNS:{SAN_DNS},email:{SAN_EMAIL}\n"
                  "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"
                  "keyUsage=critical,digitalSignature,keyEncipherment\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
            "-out", "leaf.pem", "-days", "20", "-extfile", "leaf.ext", cwd=folder)
    openssl("pkcs12", "-export", "-inkey", "leaf.key", "-in", "leaf.pem", "-certfile", "root.pem",
            "-name", LEAF_CN, "-out", "wifi.pfx", "-passout", f"pass:{PASSWORD}", cwd=folder)
    for name in ("root.key", "leaf.key"):   # the file holds the only copy now
        os.unlink(os.path.join(folder, name))
    return {
        "pfx": os.path.join(folder, "wifi.pfx"),
        "leaf_sha256": fingerprint("leaf.pem", "sha256", folder),
        "leaf_sha1": fingerprint("leaf.pem", "sha1", folder),
        "root_sha256": fingerprint("root.pem", "sha256", folder),
    }


# ---- the agent's own record of its keys -------------------------------------

def cbor_item(data, pos):
    """One CBOR item at @pos (enough of RFC 8949 for the agent's key files)."""
    head = data[pos]
    major, info = head >> 5, head & 0x1F
    pos += 1
    if info < 24:
        value = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        value = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise ValueError(f"CBOR item {head:#x} not read here")
    if major == 0:
        return value, pos
    if major == 1:
        return -1 - value, pos
    if major in (2, 3):
        return data[pos:pos + value], pos + value
    if major == 4:
        items = []
        for _ in range(value):
            item, pos = cbor_item(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        items = {}
        for _ in range(value):
            key, pos = cbor_item(data, pos)
            items[key], pos = cbor_item(data, pos)
        return items, pos
    if major == 7:
        return {20: False, 21: True, 22: None}.get(info, value), pos
    raise ValueError(f"CBOR major type {major} not read here")


KEY_STATES = {1: "live", 2: "live", 3: "retired"}   # made or enrolled (worked out, not stored), retired
FIELD_STATE = 13


def key_states(store):
    """The stored state of each of the agent's keys (its key files' field 13)."""
    folder = os.path.join(store, "keys")
    states = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".key"):
            with open(os.path.join(folder, name), "rb") as handle:
                fields, _ = cbor_item(handle.read(), 0)
            states.append(KEY_STATES.get(fields.get(FIELD_STATE, 1), "unknown"))
    return states


# ---- driving --------------------------------------------------------------

def agent_log():
    with open(os.path.join(gui.SHOTS, "agent.log"), errors="replace") as log:
        return log.read()


def wait_device_asks(words, asked_before, timeout=TIMEOUT):
    """Waits for the agent to ask its user a new question holding @words;
    returns the question."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        prompts = agent_log().split("Allow? [y/N]")[:-1]
        if len(prompts) > asked_before and words in prompts[-1]:
            return prompts[-1].strip()
        time.sleep(0.2)
    raise Abort(f"the device never asked its user about {words!r}; its log ends: {agent_log()[-600:]!r}")


def asked_count():
    return agent_log().count("Allow? [y/N]")


def label_with(win, predicate, timeout=TIMEOUT, within=None):
    return win.find(lambda n: n.roleName == "label" and predicate(n.name or ""), within=within, timeout=timeout)


def dialog_of(node):
    while node is not None and node.roleName not in ("dialog", "frame", "window", "alert"):
        node = node.parent
    return node


def drag_and_drop(world, path, to=(380, 640)):
    """Drags @path from a GTK program of its own onto the point @to of the
    screen (the cradle window fills the top left): a real XDND drop."""
    env = dict(world.env("FILE:/nonexistent"))
    log = open(os.path.join(gui.SHOTS, "drag-source.log"), "w")
    source = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--drag-source", path], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    log.close()
    xenv = dict(os.environ, DISPLAY=world.display)
    try:
        # On a loaded machine the source's window may take a while; xdotool
        # is asked again until it is there or a minute has gone.
        window = None
        xdotool_said = ""
        deadline = time.monotonic() + 60
        while window is None and time.monotonic() < deadline and source.poll() is None:
            found = subprocess.run(["xdotool", "search", "--name", "^cradle-test-drag-source$"], env=xenv,
                                   capture_output=True, text=True, timeout=30)
            window = found.stdout.split()[0] if found.stdout.split() else None
            xdotool_said = found.stderr.strip()
            if window is None:
                time.sleep(0.2)
        if window is None:
            with open(os.path.join(gui.SHOTS, "drag-source.log"), errors="replace") as handle:
                said = " ".join(handle.read().split()[-40:])
            raise Abort(f"the drag source's window did not appear (xdotool: {xdotool_said!r}; "
                        f"the source {'ended' if source.poll() is not None else 'still runs'}: {said!r})")
        subprocess.run(["xdotool", "windowmove", "--sync", window, "900", "80"], env=xenv, capture_output=True,
                       timeout=10)
        time.sleep(0.5)
        steps = [(1000, 130), (990, 140), (960, 170), (900, 250), (760, 400), (600, 520), (450, 600), to]
        subprocess.run(["xdotool", "mousemove", "1000", "130", "mousedown", "1"], env=xenv, capture_output=True)
        for x, y in steps:
            time.sleep(0.15)
            subprocess.run(["xdotool", "mousemove", str(x), str(y)], env=xenv, capture_output=True)
        time.sleep(0.5)
        subprocess.run(["xdotool", "mouseup", "1"], env=xenv, capture_output=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(os.path.join(gui.SHOTS, "drag-source.log"), errors="replace") as handle:
                if "drag-end" in handle.read():
                    break
            time.sleep(0.2)
    finally:
        gui.stop(source)


def type_file_password(win, password):
    entries = win.app.findChildren(lambda n: n.roleName in ("text", "password text", "entry") and n.name == "Password")
    if not entries:
        raise Abort("no Password field for the file")
    entries[-1].text = password
    heading = label_with(win, lambda name: name.startswith("Password for"), timeout=5)
    win.click_button("Open", within=dialog_of(heading))


# ---- the scenarios ----------------------------------------------------------

class Files:
    """What the two scenarios share: the app, the device and the file."""
    store = None
    made = None


def install_pfx_by_drop(world, tree):
    Files.store = os.path.join(world.tmp, "files-store")
    os.makedirs(Files.store, mode=0o700)
    Files.made = make_pfx(os.path.join(world.tmp, "pfx"))
    world.start_app(world.copy_ccache("alice"), "files")
    win = gui.connect_window(tree)
    # The device asks its user to import a key, to trust a root and to
    # delete a certificate whose key it retires: the test answers.
    log = open(os.path.join(gui.SHOTS, "agent.log"), "a")
    world.agent = subprocess.Popen(
        [gui.AGENT, "--serial=FILES-1", "--model=Files Phone", f"--store={Files.store}", "--confirm=approve",
         "--confirm-pair=approve", "--confirm-import=ask", "--confirm-root=ask", "--confirm-delete=ask"],
        env=world.env("FILE:/nonexistent"), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    win.wait_title("Files Phone")
    page = win.page("CradleDevicePage")
    ok(win.button("Install Certificate File…", within=page) is not None,
       "the device page has an Install Certificate File… button")
    gui.tall_window()

    # Not a certificate file: said in words, and nothing goes.
    junk = os.path.join(world.tmp, "notes.cer")
    with open(junk, "w") as handle:
        handle.write("Remember: the Wi-Fi certificate comes from IT.\n")
    drag_and_drop(world, junk)
    refused = label_with(win, lambda name: name == "Could Not Install the File")
    body = label_with(win, lambda name: name.startswith("Nothing of “notes.cer” was installed. "), timeout=5)
    ok(refused is not None and body is not None, "a file that holds no certificate is refused, saying why",
       body.name if body is not None else None)
    note(f"why: {body.name if body is not None else '-'}")
    world.screenshot("not-a-certificate")
    if refused is not None:
        win.click_button("Close", within=dialog_of(refused))
    ok(key_states(Files.store) == [], "and nothing reached the device", key_states(Files.store))

    drag_and_drop(world, Files.made["pfx"])
    heading = label_with(win, lambda name: name == "Password for “wifi.pfx”")
    ok(heading is not None, "a PFX dropped on the device page: its password is asked")
    world.screenshot("pfx-password")

    type_file_password(win, "not " + PASSWORD)
    asked_again = label_with(win, lambda name: "Whoever gave you the file" in name and "\n\n" in name)
    ok(asked_again is not None, "a wrong password: asked again, saying why",
       asked_again.name if asked_again is not None else None)
    note(f"why: {asked_again.name.split(chr(10))[0] if asked_again is not None else '-'}")
    world.screenshot("pfx-wrong-password")

    type_file_password(win, PASSWORD)
    heading = label_with(win, lambda name: name == "Install on Files Phone?")
    ok(heading is not None, "the right password opens it; the app asks before anything goes")
    dialog = dialog_of(heading)
    labels = [n.name for n in dialog.findChildren(lambda n: n.roleName == "label")] if dialog is not None else []
    ok("Private key" in labels and any("not made on the device" in label for label in labels),
       "it shows the key goes to the device, marked as not made there", labels)
    ok(LEAF_CN in labels and "Personal certificate, with its key from the file" in labels,
       "and the certificate, to the personal store", labels)
    ok(any(Files.made["root_sha256"] in label for label in labels),
       "and the root, with the SHA-256 the device will show", labels)
    world.screenshot("pfx-what-goes-where")

    asked = asked_count()
    win.click_button("Install", within=dialog)
    question = wait_device_asks("import a private key", asked)
    ok("NOT made on" in question and LEAF_CN in question, "the device asks its user to import the key", question)
    waiting = label_with(win, lambda name: name == "Confirm on Your Device", timeout=10)
    ok(waiting is not None, "the window says to confirm on the device while it waits")
    world.screenshot("pfx-confirm-on-device")
    world.answer_device(True)
    question = wait_device_asks("trust a new root certificate", asked + 1)
    ok(Files.made["root_sha256"].replace(":", "").lower() in question.replace(":", "").lower(),
       "then to trust the root, with its fingerprint", question)
    world.answer_device(True)

    done = label_with(win, lambda name: name in ("Certificate File Installed", "Could Not Install the File",
                                                 "Not Installed"))
    body = label_with(win, lambda name: "wifi.pfx" in name and ("on the device now" in name or "installed" in name),
                      timeout=5)
    ok(done is not None and done.name == "Certificate File Installed",
       "the file is installed, and the window says so", body.name if body is not None else None)
    ok(body is not None and "not made on the device" in body.name, "saying the key was imported",
       body.name if body is not None else None)
    world.screenshot("pfx-installed")
    win.click_button("Close", within=dialog_of(done))

    row = win.row(LEAF_CN, within=win.page("CradleDevicePage"))
    ok(row is not None, "the device page lists the installed certificate")
    root = win.row("Cradle Files Test Root", within=win.page("CradleDevicePage"), timeout=5)
    ok(root is not None, "and its root")
    ok(key_states(Files.store) == ["live"], "the device holds the key, live", key_states(Files.store))
    logs = agent_log()
    with open(os.path.join(gui.SHOTS, "app-files.log"), errors="replace") as handle:
        logs += handle.read()
    ok(PASSWORD not in logs, "the password reaches neither the app's log nor the device's")
    gui.scroll_down(world)
    world.screenshot("pfx-listed")


def details_and_remove(world, tree):
    if Files.made is None or world.app is None:
        raise Abort("install_pfx_by_drop did not leave a certificate to show")
    win = gui.connect_window(tree)
    page = win.page("CradleDevicePage")
    row = win.row(LEAF_CN, within=page)
    details = win.button("Details", within=row) if row is not None else None
    if details is None:
        raise Abort("no Details button on the installed certificate's row")
    details.doActionNamed("click")

    san = label_with(win, lambda name: name == f"DNS:{SAN_DNS}")
    ok(san is not None, "its details show the DNS name")
    dialog = dialog_of(san)
    if dialog is None:
        raise Abort("the details are not in a window of their own")

    def shown(predicate):
        return label_with(win, predicate, timeout=5, within=dialog)

    ok(shown(lambda name: name == f"email:{SAN_EMAIL}") is not None,
       "and the e-mail address")
    ok(shown(lambda name: name == Files.made["leaf_sha256"]) is not None,
       "and its SHA-256 fingerprint, as OpenSSL computes it", Files.made["leaf_sha256"])
    ok(shown(lambda name: name == Files.made["leaf_sha1"]) is not None,
       "and its SHA-1 fingerprint", Files.made["leaf_sha1"])
    ok(shown(lambda name: name.startswith("Client Authentication")) is not None,
       "and what it is for")
    origin = shown(lambda name: name.startswith("Imported from a file"))
    ok(origin is not None and "not made on the device" in origin.name,
       "and that its key was imported, not made on the device")
    ok(shown(lambda name: name == "Cradle Files Test Root") is not None,
       "and its issuer chain, from the device's stores")
    # Beside the main window, tall enough for all of it in the screenshot.
    xenv = dict(os.environ, DISPLAY=world.display)
    for window in subprocess.run(["xdotool", "search", "--name", "^Certificate Details$"], env=xenv,
                                 capture_output=True, text=True).stdout.split():
        subprocess.run(["xdotool", "windowmove", window, "670", "0", "windowsize", window, "600", "1020"],
                       env=xenv, capture_output=True)
    time.sleep(0.5)
    world.screenshot("details")

    # Export…: the desktop's file chooser (GTK's own here, with no portal),
    # told a path; the PEM written is the certificate OpenSSL made.
    exported = os.path.join(world.tmp, "exported.pem")
    win.click_button("Export…", within=dialog)
    def is_name_field(node):
        try:
            return node.roleName in ("text", "entry") and node.name in ("Name", "Name:")
        except Exception:   # a node without text
            return False

    name = win.find(is_name_field, timeout=10)
    if name is None:
        def describe(node):
            try:
                return f"{node.roleName}:{node.name!r}:{node.text!r}"
            except Exception:
                return f"{node.roleName}:{node.name!r}"
        fields = [describe(n) for n in win.app.findChildren(lambda n: "text" in n.roleName or "entry" in n.roleName)]
        raise Abort(f"Export… shows no file chooser with a Name field: {fields}")
    world.screenshot("export-chooser")
    name.text = exported
    win.click_button("Export", within=dialog_of(name))
    saved = label_with(win, lambda text: text.startswith("Saved as PEM to"), timeout=10)
    ok(saved is not None and os.path.exists(exported), "Export… saves the certificate as PEM",
       saved.name if saved is not None else None)
    if os.path.exists(exported):
        same = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", exported],
                              capture_output=True, text=True).stdout.strip().split("=", 1)[-1]
        ok(same == Files.made["leaf_sha256"], "and the file is that certificate", same)

    win.click_button("Remove…", within=dialog)
    heading = label_with(win, lambda name: name == "Remove the Certificate?", timeout=10)
    ask = dialog_of(heading)
    body = [n.name for n in ask.findChildren(lambda n: n.roleName == "label")] if ask is not None else []
    ok(any("retires its key" in label for label in body), "Remove… asks first, saying its key is retired", body)
    world.screenshot("remove-ask")
    asked = asked_count()
    win.click_button("Remove", within=ask)
    question = wait_device_asks("delete your certificate, and with it its key", asked)
    ok(LEAF_CN in question, "then the device asks its user", question)
    world.answer_device(True)

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and win.row(LEAF_CN, within=win.page("CradleDevicePage"), timeout=0):
        time.sleep(0.5)
    ok(win.row(LEAF_CN, within=win.page("CradleDevicePage"), timeout=0) is None,
       "the certificate's row goes from the device page")
    ok(key_states(Files.store) == ["retired"], "and the device retired its key", key_states(Files.store))
    gui.scroll_down(world)
    world.screenshot("removed")

    # A CER of another root, declined on the device: nothing installed.
    folder = os.path.join(world.tmp, "other")
    os.makedirs(folder)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "other.key", "-out", "other-root.cer", "-days", "30", "-subj", "/CN=Cradle Declined Root",
            "-addext", "basicConstraints=critical,CA:TRUE", cwd=folder)
    drag_and_drop(world, os.path.join(folder, "other-root.cer"))
    heading = label_with(win, lambda name: name == "Install on Files Phone?")
    ok(heading is not None, "a CER needs no password: the app shows what goes where at once")
    asked = asked_count()
    win.click_button("Install", within=dialog_of(heading))
    wait_device_asks("trust a new root certificate", asked)
    world.answer_device(False)
    declined = label_with(win, lambda name: name == "Not Installed")
    ok(declined is not None, "declined on the device: the window says nothing was installed")
    world.screenshot("root-declined")
    if declined is not None:
        win.click_button("Close", within=dialog_of(declined))
    time.sleep(1)
    ok(win.row("Cradle Declined Root", within=win.page("CradleDevicePage"), timeout=0) is None,
       "and the device does not list it")


def main():
    gui.enter_private_session(__file__, tools=("xdotool", "openssl"))
    world = gui.World()
    tree = gui.start_dogtail(world)

    try:
        only = [name for name in os.environ.get("CRADLE_GUI_TEST_ONLY", "").split(",") if name]
        for scenario in (install_pfx_by_drop, details_and_remove):
            if only and scenario.__name__ not in only and "files" not in only:
                continue
            try:
                scenario(world, tree)
            except Abort as error:
                ok(False, f"{scenario.__name__}: {error}")
                world.screenshot(f"{scenario.__name__}-failed")
    finally:
        world.stop_app()
        world.stop_agent()
        world.close()
    note(f"screenshots and logs in {gui.SHOTS}")
    print(f"1..{gui._count}", file=gui.TAP, flush=True)
    return 1 if gui._failed else 0


if __name__ == "__main__":
    sys.exit(main())
