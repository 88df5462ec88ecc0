#!/usr/bin/python3
"""test-gui-types.py: the "Custom Certificate Types" window, under Xvfb, through AT-SPI

Drives the real app as an administrator would, with test-gui-enroll.py's
world (Xvfb, a private session bus, the lab, the simulated device):

  custom_scep     Main Menu > Custom Certificate Types… lists the types of
                  the user and of the computer, saying whose; Add: a SCEP
                  type for the lab's scepserver, typed in field by field
                  (the TLS switch turned off shows what plain HTTP exposes;
                  the challenge in its password row; the CA's SHA-256);
                  Test says the server answered and the fingerprint
                  matches; Save; the type file holds no challenge (the 0600
                  file beside it does); the device page lists the type at
                  once and an enrollment with it installs a certificate.
  custom_certsrv  The same for AD CS Web Enrollment (the lab CA's certsrv,
                  the template CradleDeviceUPN, its TLS anchor), after the
                  form refused a plain-http URL row by row with Save off.
  edit_remove     Edit changes one type's display name and timeout in its
                  file; Remove asks first and removes another.
  import_export   Import… picks a Cradle provisioning file of two types in
                  the file chooser; the plan (new, new; not signed) shows
                  before anything is saved; Import saves both in the
                  user's types.d and the window lists them; Export… writes
                  the Windows Certificate Enroller XML, chosen in the
                  chooser, with the certsrv type's ServerName.

Screenshots go to $CRADLE_BUILD_ROOT/meson-logs/screenshots-types/.  Speaks
TAP; skips, saying why, when Xvfb, dogtail or the lab is missing.
CRADLE_GUI_TEST_ONLY=name,name runs just those scenarios.
"""
import hashlib
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gui_enroll", os.path.join(HERE, "test-gui-enroll.py"))
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
# Screenshots of their own: both files may run at once.
harness.SHOTS = os.path.join(harness.BUILD_ROOT, "meson-logs", "screenshots-types")

ok, note, Abort, TIMEOUT = harness.ok, harness.note, harness.Abort, harness.TIMEOUT

TYPES_TITLE = "Custom Certificate Types"


# ---- the world: a computer-wide types.d of our own --------------------------

def setup_folders(world):
    """A system config folder for this test (CRADLE_SYSTEM_CONFIG_DIR), with
    one type for everyone, so the list shows whose each type is."""
    world.system = os.path.join(world.tmp, "system")
    os.makedirs(os.path.join(world.system, "types.d"), exist_ok=True)
    os.makedirs(os.path.join(world.config, "types.d"), exist_ok=True)
    write(os.path.join(world.system, "types.d", "lab-est.conf"),
          "[Cradle Certificate Type]\nName=lab-est\nDisplayName=Lab EST (for everyone)\nProtocol=est\n"
          f"URL={world.lab['CRADLE_LAB_EST_URL']}\nLabel=CradleDeviceUPN\nTemplate=CradleDeviceUPN\n"
          f"TrustAnchors={world.lab['CRADLE_LAB_CA_TLS_ANCHOR']}\n")
    plain_env = world.env

    def env(ccache):
        result = plain_env(ccache)
        result["CRADLE_SYSTEM_CONFIG_DIR"] = world.system
        return result

    world.env = env


def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def read(path):
    try:
        with open(path, errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def user_types(world):
    return os.path.join(world.config, "types.d")


def pem_sha256(path):
    """The certificate's SHA-256 as `openssl x509 -fingerprint -sha256` prints it."""
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


# ---- the windows, through AT-SPI --------------------------------------------

def safe(predicate):
    def check(node):
        try:
            return predicate(node)
        except Exception:  # a node that went away while looking
            return False
    return check


def toplevel(win, title, timeout=TIMEOUT):
    """The app's window or dialog named @title (GTK 4.8 gives an AdwWindow
    the role "filler")."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            for node in win.app.children:
                if node.name == title:
                    return node
        except Exception:  # windows come and go
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def wait_gone(win, title, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if toplevel(win, title, timeout=0) is None:
            return True
        time.sleep(0.2)
    return False


def menu_item(world, win, label):
    """Main Menu > @label."""
    menu = win.find(safe(lambda n: "button" in (n.roleName or "") and
                         "Main Menu" in ((n.name or "") + " " + (n.description or ""))), timeout=10)
    if menu is None:
        raise Abort("no Main Menu button in the header bar")
    toggle = menu if "click" in menu.actions else \
        menu.findChild(lambda n: "click" in n.actions, retry=False, requireResult=False)
    toggle.doActionNamed("click")
    item = win.find(safe(lambda n: (n.name or "").replace("_", "").endswith(label) and n.roleName != "label"),
                    timeout=10)
    if item is None:
        raise Abort(f"no {label!r} item in the main menu")
    actions = list(item.actions.keys())
    item.doActionNamed("click" if "click" in actions or not actions else actions[0])


def open_types_window(world, win):
    menu_item(world, win, "Custom Certificate Types…")
    types = toplevel(win, TYPES_TITLE)
    if types is None:
        raise Abort("Custom Certificate Types… opened no window")
    return types


def entry(win, within, title):
    """The text field of the entry row @title (its accessible name)."""
    node = win.find(safe(lambda n: n.roleName in ("text", "password text", "entry") and n.name == title),
                    within=within, timeout=10)
    if node is None:
        names = [(n.roleName, n.name) for n in within.findChildren(
            safe(lambda n: n.roleName in ("text", "password text", "entry")))]
        raise Abort(f"no {title!r} field: {names}")
    return node


def type_into(win, within, title, text):
    field = entry(win, within, title)
    field.text = text
    deadline = time.monotonic() + 5
    while field.text != text and time.monotonic() < deadline:
        time.sleep(0.1)
    return field


def switch(win, within, title):
    # GTK 4.8 names a switch by its row's title and its own label.
    node = win.find(safe(lambda n: n.roleName in ("toggle button", "switch", "check box")
                         and n.name.startswith(title)), within=within, timeout=10)
    if node is None:
        raise Abort(f"no {title!r} switch")
    return node


def set_switch(win, within, title, on):
    import pyatspi
    node = switch(win, within, title)
    deadline = time.monotonic() + 5
    while node.getState().contains(pyatspi.STATE_CHECKED) != on and time.monotonic() < deadline:
        node.doActionNamed("toggle")
        time.sleep(0.5)
    return node.getState().contains(pyatspi.STATE_CHECKED) == on


def in_popover(node):
    """Whether @node is in a combo row's popover (its list scrolls)."""
    parent = node.parent
    for _ in range(6):
        if parent is None:
            return False
        if parent.roleName == "scroll pane":
            return True
        parent = parent.parent
    return False


def combo_value(combo):
    """What a combo row shows as chosen: its labels outside the popover."""
    return [n.name for n in combo.findChildren(safe(lambda n: n.roleName == "label" and not in_popover(n)))
            if n.name != combo.name]


def scroll_into_view(world, within, node):
    """Scrolls @within (a window) with the mouse wheel until @node is in
    it: a click goes to the screen's coordinates."""
    env = dict(os.environ, DISPLAY=world.display)
    for _ in range(60):
        (wx, wy), (ww, wh) = within.position, within.size
        (x, y), (w, h) = node.position, node.size
        if y >= wy + 60 and y + h <= wy + wh - 10:
            return True
        subprocess.run(["xdotool", "mousemove", str(wx + ww // 2), str(wy + wh // 2), "click",
                        "5" if y + h > wy + wh - 10 else "4"], env=env, capture_output=True)
        time.sleep(0.2)
    return False


def scroll_to_end(world, within):
    (wx, wy), (ww, wh) = within.position, within.size
    subprocess.run(["xdotool", "mousemove", str(wx + ww // 2), str(wy + wh // 2), "click", "--repeat", "30",
                    "--delay", "30", "5"], env=dict(os.environ, DISPLAY=world.display), capture_output=True)
    time.sleep(0.5)


def choose(world, win, within, row_title, item):
    """Picks @item in the combo row @row_title, from its popover's list."""
    combo = win.find(safe(lambda n: n.roleName == "combo box" and n.name == row_title), within=within, timeout=10)
    if combo is None:
        raise Abort(f"no {row_title!r} row")
    if item in combo_value(combo):
        return
    scroll_into_view(world, within, combo)
    combo.click()
    choice = win.find(safe(lambda n: n.roleName == "label" and n.name == item and in_popover(n)), within=combo,
                      timeout=10)
    if choice is None:
        raise Abort(f"{row_title!r} offers no {item!r}")
    choice.click()
    deadline = time.monotonic() + 5
    while item not in combo_value(combo) and time.monotonic() < deadline:
        time.sleep(0.2)
    if item not in combo_value(combo):
        raise Abort(f"could not choose {item!r} for {row_title!r}: it shows {combo_value(combo)}")


def sensitive(node):
    import pyatspi
    return node is not None and node.getState().contains(pyatspi.STATE_SENSITIVE)


def labels(node):
    return [n.name for n in node.findChildren(safe(lambda n: n.roleName == "label"))]


def wait_label(win, within, predicate, timeout=TIMEOUT):
    return win.find(safe(lambda n: n.roleName == "label" and predicate(n.name or "")), within=within,
                    timeout=timeout)


def start(world, tree, name, store_name):
    store = os.path.join(world.tmp, store_name)
    os.makedirs(store, mode=0o700, exist_ok=True)
    world.start_app(world.copy_ccache("alice"), name)
    win = harness.connect_window(tree)
    world.start_agent(serial=store_name.upper(), model="Types Phone", store=store, ask=False)
    win.wait_title("Types Phone")
    # Signed in: Test may use the session's Kerberos sign-in.
    page = win.page("CradleDevicePage")
    win.find(safe(lambda n: n.roleName == "label" and n.name.startswith("Domain controller")), within=page)
    return win


def stop(world, tree):
    world.stop_app()
    world.stop_agent()
    harness.wait_app_gone(tree)


def choose_file(world, win, editor, path):
    """Choose…, and the file typed into the file chooser (GTK's own here:
    no portal), as a person who knows the path would."""
    win.click_button("Choose…", within=editor)
    title = "Choose the Trust Anchor File"
    chooser = toplevel(win, title, timeout=10)
    if chooser is None:
        return False
    time.sleep(1)
    world.screenshot("file-chooser")
    (x, y), (w, h) = chooser.position, chooser.size
    env = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 3)], env=env, capture_output=True)
    subprocess.run(["xdotool", "type", "--delay", "30", path], env=env, capture_output=True)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "Return"], env=env, capture_output=True)
    if wait_gone(win, title, timeout=10):
        return True
    cancel = win.button("Cancel", within=chooser)
    if cancel is not None:
        cancel.doActionNamed("click")
    return False


def test_type(world, win, editor, shot):
    """Clicks Test; returns the labels of its results once it answered."""
    win.click_button("Test", within=editor)
    answer = wait_label(win, editor, lambda text: text.startswith("The server answered") or
                        "problem" in text or "cannot be tested" in text or text.startswith("The server did not"))
    # Every result row in, not only the first; the form scrolled to them.
    time.sleep(1)
    scroll_to_end(world, editor)
    world.screenshot(shot)
    return labels(editor) if answer is not None else []


def save(world, win, editor, title, shot):
    save_button = win.button("Save", within=editor)
    ok(sensitive(save_button), f"{title}: Save is on once every field is right",
       [n for n in labels(editor) if n][:12])
    save_button.doActionNamed("click")
    ok(wait_gone(win, "New Certificate Type") and wait_gone(win, "Edit Certificate Type"),
       f"{title}: saved, the editor closes")
    types = toplevel(win, TYPES_TITLE)
    row = win.find(safe(lambda n: n.roleName == "list item" and n.name == title), within=types, timeout=10)
    ok(row is not None, f"{title}: the window lists it", labels(types))
    world.screenshot(shot)
    return types, row


def close_types(win, types):
    close = win.find(safe(lambda n: n.roleName == "push button" and (n.name or "") == "Close"), within=types,
                     timeout=5)
    if close is not None:
        close.doActionNamed("click")
    else:
        from dogtail.rawinput import keyCombo
        keyCombo("Escape")
    if not wait_gone(win, TYPES_TITLE):
        raise Abort("the Custom Certificate Types window did not close")


def enroll_with(world, win, title):
    page = win.page("CradleDevicePage")
    row = win.row(title, within=page)
    ok(row is not None, f"{title}: the device page lists the new type at once")
    result = harness.enroll(world, win, title)
    ok(result.startswith("Certificate Installed"), f"{title}: enrolled end to end, installed", result)
    world.screenshot(re.sub(r"\W+", "-", title.lower()) + "-installed")
    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Types Phone")


# ---- the scenarios ----------------------------------------------------------

def custom_scep(world, tree):
    win = start(world, tree, "types-scep", "scep-store")
    try:
        types = open_types_window(world, win)
        shared = win.find(safe(lambda n: n.roleName == "list item" and n.name == "Lab EST (for everyone)"),
                          within=types, timeout=10)
        ok(shared is not None and any("For everyone on this computer" in label for label in labels(shared)),
           "the window lists the computer's types, saying they are for everyone",
           labels(shared) if shared is not None else labels(types))
        world.screenshot("types-window")

        win.click_button("Add…", within=types)
        editor = toplevel(win, "New Certificate Type")
        if editor is None:
            raise Abort("Add… opened no editor")
        save_button = win.button("Save", within=editor)
        ok(not sensitive(save_button), "an empty type cannot be saved")
        type_into(win, editor, "Display name, as people see it", "Lab SCEP Device")
        type_into(win, editor, "Name, for cradlectl enroll --type (letters, digits, - _ .)", "lab-scep")
        choose(world, win, editor, "Protocol", "SCEP")
        type_into(win, editor, "Server URL", world.lab["CRADLE_LAB_SCEP_URL"])
        ok(set_switch(win, editor, "This server requires an encrypted (TLS) connection", False),
           "the TLS switch, on by default, turns off for the lab's plain-HTTP SCEP server")
        warning = wait_label(win, editor, lambda text: "SCEP challenge password travel readable" in text,
                             timeout=10)
        ok(warning is not None, "turned off, the form says the requests and the challenge travel readable")
        choose(world, win, editor, "Key type", "RSA 2048")
        type_into(win, editor, "Subject (optional, as CN=Device,O=Example)", "CN=GUI SCEP Device,O=Cradle Tests")
        type_into(win, editor, "Trust anchor file (PEM)", world.lab["CRADLE_LAB_SCEP_CA"])
        type_into(win, editor, "CA fingerprint (SHA-256, optional)", pem_sha256(world.lab["CRADLE_LAB_SCEP_CA"]))
        type_into(win, editor, "SCEP challenge password", world.lab["CRADLE_LAB_SCEP_CHALLENGE"])
        world.screenshot("scep-form")

        results = test_type(world, win, editor, "scep-test")
        ok("The server answered as this type expects" in results, "Test: the SCEP server answered as expected",
           results)
        ok("The CA's fingerprint matches the one entered" in results,
           "Test: GetCACert's CA matches the fingerprint entered", results)
        ok(not any(world.lab["CRADLE_LAB_SCEP_CHALLENGE"] in label for label in results),
           "the challenge is shown nowhere")

        types, row = save(world, win, editor, "Lab SCEP Device", "scep-saved")
        ok(row is not None and any("Yours" in label for label in labels(row)), "saved as the user's own type",
           labels(row) if row is not None else None)
        path = os.path.join(user_types(world), "lab-scep.conf")
        text = read(path)
        ok(text is not None and "Protocol=scep" in text, "the type file is in the user's types.d", text)
        ok(text is not None and world.lab["CRADLE_LAB_SCEP_CHALLENGE"] not in text,
           "the challenge is not in the type file", text)
        match = re.search(r"^ChallengeFile=(.+)$", text or "", re.M)
        secret = match.group(1).strip() if match else None
        ok(secret is not None and (read(secret) or "").strip() == world.lab["CRADLE_LAB_SCEP_CHALLENGE"]
           and stat.S_IMODE(os.stat(secret).st_mode) == 0o600,
           "the challenge is in a 0600 file beside it", secret)
        ok(world.lab["CRADLE_LAB_SCEP_CHALLENGE"] not in (read(os.path.join(harness.SHOTS, "app-types-scep.log"))
                                                          or ""),
           "nor in the app's log")
        close_types(win, types)
        enroll_with(world, win, "Lab SCEP Device")
    finally:
        stop(world, tree)


def custom_certsrv(world, tree):
    win = start(world, tree, "types-certsrv", "certsrv-store")
    try:
        types = open_types_window(world, win)
        win.click_button("Add…", within=types)
        editor = toplevel(win, "New Certificate Type")
        if editor is None:
            raise Abort("Add… opened no editor")
        type_into(win, editor, "Display name, as people see it", "Lab Web Enrollment")
        type_into(win, editor, "Name, for cradlectl enroll --type (letters, digits, - _ .)", "lab-certsrv")
        choose(world, win, editor, "Protocol", "AD CS Web Enrollment (certsrv)")
        # Plain http with TLS required: the URL row is marked, Save stays off.
        type_into(win, editor, "Server URL", world.lab["CRADLE_LAB_CERTSRV_URL"].replace("https:", "http:"))
        type_into(win, editor, "Template name", "CradleDeviceUPN")
        problem = wait_label(win, editor, lambda text: "http://" in text and "https" in text, timeout=10)
        ok(problem is not None, "a plain-http URL is refused, saying why, in the type file's words",
           labels(editor)[:10])
        ok(not sensitive(win.button("Save", within=editor)), "Save stays off while a field is wrong")
        world.screenshot("certsrv-invalid")
        type_into(win, editor, "Server URL", world.lab["CRADLE_LAB_CERTSRV_URL"])
        anchor = world.lab["CRADLE_LAB_CA_TLS_ANCHOR"]
        if not ok(choose_file(world, win, editor, anchor), "Choose… picks the trust anchor file in a file chooser"):
            type_into(win, editor, "Trust anchor file (PEM)", anchor)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not sensitive(win.button("Save", within=editor)):
            time.sleep(0.2)
        ok(sensitive(win.button("Save", within=editor)), "fixed, Save turns on")

        results = test_type(world, win, editor, "certsrv-test")
        ok("The server answered as this type expects" in results, "Test: the certsrv site answered as expected",
           results)
        ok(any("SHA-256" in label or "Corp" in label for label in results),
           "Test: it lists the CA's certificates", results)
        types, row = save(world, win, editor, "Lab Web Enrollment", "certsrv-saved")
        text = read(os.path.join(user_types(world), "lab-certsrv.conf")) or ""
        ok("Protocol=certsrv" in text and "Template=CradleDeviceUPN" in text and "http://" not in text
           and f"TrustAnchors={anchor}" in text.splitlines(), "the type file says what the form said", text)
        close_types(win, types)
        enroll_with(world, win, "Lab Web Enrollment")
    finally:
        stop(world, tree)


def edit_remove(world, tree):
    anchor = world.lab["CRADLE_LAB_CA_TLS_ANCHOR"]
    for name in ("edit-me", "remove-me"):
        write(os.path.join(user_types(world), f"{name}.conf"),
              f"[Cradle Certificate Type]\nName={name}\nDisplayName=Type {name}\nProtocol=certsrv\n"
              f"URL={world.lab['CRADLE_LAB_CERTSRV_URL']}\nTemplate=CradleDeviceUPN\nTrustAnchors={anchor}\n")
    # A file with a mistake: listed as left out, with its line and why.
    write(os.path.join(user_types(world), "broken.conf"),
          "[Cradle Certificate Type]\nName=broken\nProtocol=smtp\n")
    win = start(world, tree, "types-edit", "edit-store")
    try:
        types = open_types_window(world, win)
        broken = wait_label(win, types, lambda text: "broken.conf:3" in text and "smtp" in text, timeout=10)
        ok(broken is not None, "a type file with a mistake is listed as left out, with its line and why",
           labels(types))
        row = win.row("Type edit-me", within=types, timeout=10)
        if row is None:
            raise Abort(f"Type edit-me is not listed: {labels(types)}")
        win.click_button("Edit", within=row)
        editor = toplevel(win, "Edit Certificate Type")
        if editor is None:
            raise Abort("Edit opened no editor")
        # GTK 4.8 does not read an entry row's text out over AT-SPI: the
        # fields are there when the form has nothing to fix as it opens.
        ok(sensitive(win.button("Save", within=editor)), "the editor opens with the type's fields, all valid",
           labels(editor)[:8])
        type_into(win, editor, "Display name, as people see it", "Edited Type")
        timeout = win.find(safe(lambda n: n.roleName == "spin button" and n.name == "Timeout"), within=editor)
        if timeout is None:
            raise Abort("no Timeout field")
        try:
            timeout.value = 45
        except Exception:  # no AT-SPI Value: typed, and taken when the focus leaves
            from dogtail.rawinput import pressKey
            timeout.text = "45"
            timeout.grabFocus()
            pressKey("Tab")
        world.screenshot("edit-form")
        types, edited = save(world, win, editor, "Edited Type", "edited")
        text = read(os.path.join(user_types(world), "edit-me.conf")) or ""
        ok("DisplayName=Edited Type" in text and re.search(r"^Timeout=45$", text, re.M) is not None,
           "Edit: the file has the new display name and timeout", text)
        ok(all(line in text.splitlines() for line in
               ("Name=edit-me", f"URL={world.lab['CRADLE_LAB_CERTSRV_URL']}", "Template=CradleDeviceUPN",
                f"TrustAnchors={anchor}")),
           "and keeps its other fields", text)

        row = win.row("Type remove-me", within=types, timeout=10)
        if row is None:
            raise Abort(f"Type remove-me is not listed: {labels(types)}")
        win.click_button("Remove", within=row)
        heading = win.find(safe(lambda n: n.roleName == "label" and n.name == "Remove “Type remove-me”?"),
                           timeout=10)
        ok(heading is not None, "Remove asks first")
        world.screenshot("remove-ask")
        dialog = heading
        while dialog is not None and dialog.roleName not in ("dialog", "frame", "window", "alert"):
            dialog = dialog.parent
        win.click_button("Remove", within=dialog)
        deadline = time.monotonic() + TIMEOUT
        path = os.path.join(user_types(world), "remove-me.conf")
        while time.monotonic() < deadline and os.path.exists(path):
            time.sleep(0.2)
        ok(not os.path.exists(path), "Remove: the type file is gone")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and win.row("Type remove-me", within=types, timeout=0) is not None:
            time.sleep(0.2)
        ok(win.row("Type remove-me", within=types, timeout=0) is None, "and the window no longer lists it")
        ok(win.row("Edited Type", within=types, timeout=0) is not None, "the other type stays")
        world.screenshot("removed")
        close_types(win, types)
        page = win.page("CradleDevicePage")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and win.row("Edited Type", within=page, timeout=0) is None:
            time.sleep(0.3)
        ok(win.row("Edited Type", within=page, timeout=0) is not None and
           win.row("Type remove-me", within=page, timeout=0) is None,
           "the device page lists the edited type and not the removed one")
    finally:
        stop(world, tree)


def dialog_of(node):
    while node is not None and node.roleName not in ("dialog", "frame", "window", "alert"):
        node = node.parent
    return node


def type_path_in_chooser(world, chooser, path):
    """Types @path into GTK's own file chooser, as choose_file() does."""
    (x, y), (w, h) = chooser.position, chooser.size
    env = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 3)], env=env, capture_output=True)
    subprocess.run(["xdotool", "type", "--delay", "30", path], env=env, capture_output=True)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "Return"], env=env, capture_output=True)


def import_export(world, tree):
    url = world.lab["CRADLE_LAB_CERTSRV_URL"]
    anchor = world.lab["CRADLE_LAB_CA_TLS_ANCHOR"]
    provisioning = os.path.join(world.tmp, "lab-types.cradle")
    write(provisioning,
          "[Cradle Provisioning]\nVersion=1\n\n"
          "[Cradle Certificate Type]\nName=prov-certsrv\nDisplayName=Provisioned Web Enrollment\n"
          f"Protocol=certsrv\nURL={url}\nTemplate=CradleDeviceUPN\nTrustAnchors={anchor}\n\n"
          "[Cradle Certificate Type]\nName=prov-est\nDisplayName=Provisioned EST\nProtocol=est\n"
          f"URL={world.lab['CRADLE_LAB_EST_URL']}\nLabel=CradleDeviceUPN\nTemplate=CradleDeviceUPN\n"
          f"TrustAnchors={anchor}\n")
    paths = [os.path.join(user_types(world), f"{name}.conf") for name in ("prov-certsrv", "prov-est")]
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)
    win = start(world, tree, "types-provision", "provision-store")
    try:
        types = open_types_window(world, win)
        win.click_button("Import…", within=types)
        title = "Import Certificate Types"
        chooser = toplevel(win, title, timeout=10)
        if chooser is None:
            raise Abort("Import… opened no file chooser")
        time.sleep(1)
        type_path_in_chooser(world, chooser, provisioning)
        ok(wait_gone(win, title, timeout=10), "Import… picks the provisioning file in a file chooser")
        plan = wait_label(win, None, lambda text: "New: prov-certsrv" in text and "New: prov-est" in text)
        ok(plan is not None, "the plan shows before anything is saved: both types new")
        ok(plan is not None and "Not signed" in plan.name, "and says the file is not signed",
           plan.name if plan is not None else None)
        ok(not any(os.path.exists(path) for path in paths), "nothing is saved until Import is clicked")
        world.screenshot("import-plan")
        if plan is None:
            raise Abort("no plan to import")
        win.click_button("Import", within=dialog_of(plan))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not all(os.path.exists(path) for path in paths):
            time.sleep(0.2)
        ok(all(os.path.exists(path) for path in paths), "Import: both type files are in the user's types.d",
           os.listdir(user_types(world)))
        text = read(paths[0]) or ""
        ok(f"URL={url}" in text.splitlines() and "Template=CradleDeviceUPN" in text.splitlines(),
           "the certsrv type's file says what the provisioning file said", text)
        listed = [win.row(title, within=types, timeout=10) for title in ("Provisioned Web Enrollment",
                                                                         "Provisioned EST")]
        ok(all(row is not None for row in listed), "and the window lists them", labels(types))
        world.screenshot("imported")

        exported = os.path.join(world.tmp, "exported-types.xml")
        win.click_button("Export…", within=types)
        title = "Export Certificate Types"
        chooser = toplevel(win, title, timeout=10)
        if chooser is None:
            raise Abort("Export… opened no file chooser")
        time.sleep(1)
        # The format's drop-down shows the format chosen: a click opens it.
        fmt = win.find(safe(lambda n: n.roleName == "label" and (n.name or "").startswith("Cradle's own")),
                       within=chooser, timeout=10)
        if fmt is None:
            raise Abort(f"the export chooser offers no choice of format: {labels(chooser)}")
        fmt.click()
        time.sleep(1)
        # Its list: the second item, by keyboard (AT-SPI places a popover's
        # items off where the mouse finds them).
        env = dict(os.environ, DISPLAY=world.display)
        subprocess.run(["xdotool", "key", "Down"], env=env, capture_output=True)
        time.sleep(0.3)
        subprocess.run(["xdotool", "key", "Return"], env=env, capture_output=True)
        time.sleep(1)
        chosen = win.find(safe(lambda n: n.roleName == "label" and not in_popover(n) and
                               (n.name or "").startswith("Windows Certificate Enroller XML")), within=chooser,
                          timeout=5)
        ok(chosen is not None, "the Windows format is chosen in the chooser")
        world.screenshot("export-chooser")
        name = win.find(safe(lambda n: n.roleName == "text" and n.name == "Name:"), within=chooser, timeout=10)
        if name is None:
            raise Abort("the export chooser has no name field")
        name.text = exported
        time.sleep(0.5)
        win.click_button("Export", within=chooser)
        ok(wait_gone(win, title, timeout=10), "Export… saves where the chooser says")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not os.path.exists(exported):
            time.sleep(0.2)
        text = read(exported) or ""
        server = url.split("://", 1)[1].split("/", 1)[0]
        ok("<wap-provisioningdoc" in text and re.search(r'name="ServerName"\s+value="' + re.escape(server) + '"',
                                                       text) is not None,
           "the Windows export holds the certsrv type's ServerName", text[:600])
        left_out = wait_label(win, None, lambda text: "left out" in text and "prov-est" in text and
                              "Windows format holds" in text, timeout=10)
        ok(left_out is not None, "and says the EST type is left out, the format has no place for it")
        world.screenshot("exported")
    finally:
        stop(world, tree)


def main():
    harness.enter_private_session(__file__, tools=("openssl",))
    world = harness.World()
    setup_folders(world)
    tree = harness.start_dogtail(world)

    try:
        only = [name for name in os.environ.get("CRADLE_GUI_TEST_ONLY", "").split(",") if name]
        for scenario in (custom_scep, custom_certsrv, edit_remove, import_export):
            if only and scenario.__name__ not in only:
                continue
            try:
                scenario(world, tree)
            except Abort as error:
                ok(False, f"{scenario.__name__}: {error}")
                world.screenshot(f"{scenario.__name__}-failed")
                world.stop_app()
                world.stop_agent()
                harness.wait_app_gone(tree)
    finally:
        world.close()
    note(f"screenshots and logs in {harness.SHOTS}")
    print(f"1..{harness._count}", file=harness.TAP, flush=True)
    return 1 if harness._failed else 0


if __name__ == "__main__":
    sys.exit(main())
