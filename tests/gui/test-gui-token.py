#!/usr/bin/python3
"""test-gui-token.py: a PKCS#11 token in the real window, with its PIN

The world of test-gui-enroll.py (Xvfb, a private session bus, AT-SPI through
dogtail, the real app, the lab), with a SoftHSM2 token of this test's own
instead of a simulated device: its own token folder (SOFTHSM2_CONF), its
module named in the app's cradle.conf with p11-kit's registered modules
off ([Tokens] Modules=, UseP11Kit=false), so the machine's own tokens are
never seen.  Its label is Pango markup, shown as written.

  token:  the token is listed (the window's title and the device row: its
    label, transport pkcs11, manufacturer, model and serial; the PIN row
    says a PIN is needed).  Cradle Device (UPN), Get Certificate: the PIN
    dialog asks, before anything is made (no key on the token yet).  A
    wrong PIN: a new dialog says so in the error table's words (SoftHSM2
    sets CKF_USER_PIN_COUNT_LOW, so "few tries are left") and asks again.
    The right PIN: the key is made on the token, the lab's CA issues the
    certificate, Certificate Installed; the device page lists the
    certificate on the token, and pkcs11-tool finds it there beside a
    private key of the same CKA_ID that is sensitive and never extractable.
  gone: the token served by p11-kit-server (the app loads p11-kit's
    client module): the server killed while the PIN dialog asks; the
    dialog goes, the window says to connect a device, nothing was made.
  locked: the token's PIN locked (SoftHSM2 never locks one: the test sets
    CKF_USER_PIN_LOCKED in the token's stored flags, its token.object
    file, with the app stopped): Get Certificate says so in the table's
    words, with no field to type in.
  choose: a simulated device (cradle-agent --socket) AND the token
    connected: the header's device button offers both (the token by its
    label, as written); choosing the token shows its page, and Get
    Certificate asks its PIN, the device button off meanwhile (cancelled:
    nothing made, the button on again).  The device leaving: the token stays shown (the button goes, one device left);
    the device coming back is offered again, but does not take the
    token's place.

Screenshots in $CRADLE_BUILD_ROOT/meson-logs/screenshots-token/ with the
app's log.  Speaks TAP; skips, saying why, when Xvfb, dogtail, xdotool,
SoftHSM2 or the lab is missing.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gui_enroll", os.path.join(HERE, "test-gui-enroll.py"))
gui = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gui)
gui.SHOTS = os.path.join(gui.BUILD_ROOT, "meson-logs", "screenshots-token")
_spec = importlib.util.spec_from_file_location("softhsm", os.path.join(HERE, "..", "token", "softhsm.py"))
softhsm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(softhsm)
ok, note, Abort, TIMEOUT = gui.ok, gui.note, gui.Abort, gui.TIMEOUT

LABEL = "Alice <b>token</b> & co"   # markup: shown as written
PIN = "1234"
SO_PIN = "12345678"
WRONG_PIN = "9999"
TYPE_TITLE = "Cradle Device (UPN)"
EXPLAIN_TABLE = os.path.join(gui.SOURCE_ROOT, "core", "base", "cradle-explain-table.c")


def safe(predicate):
    def match(node):
        try:
            return predicate(node)
        except Exception:  # a node that went away while looking
            return False
    return match


# ---- the error table's words, read from its source ---------------------------

def _c_strings(text):
    """The adjacent C string literals and macro names at the start of @text,
    up to the next comma outside them: [(kind, value)]."""
    items = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char == '"':
            end = pos + 1
            value = []
            while text[end] != '"':
                if text[end] == "\\":
                    value.append({"n": "\n", "t": "\t"}.get(text[end + 1], text[end + 1]))
                    end += 2
                else:
                    value.append(text[end])
                    end += 1
            items.append(("str", "".join(value)))
            pos = end + 1
        elif char.isalpha() or char == "_":
            name = re.match(r"\w+", text[pos:]).group(0)
            items.append(("macro", name))
            pos += len(name)
        else:
            break
    return items, pos


def table_words(detail):
    """(summary, what to do) of the CRADLE_EXPLAIN_TOKEN entry @detail
    ("PIN_COUNT_LOW"), from core/base/cradle-explain-table.c."""
    with open(EXPLAIN_TABLE) as handle:
        source = handle.read()
    macros = {}
    for match in re.finditer(r'^#define (\w+) ((?:"(?:[^"\\]|\\.)*"\s*)+)$', source, re.M):
        macros[match.group(1)] = "".join(value for _, value in _c_strings(match.group(2))[0])
    match = re.search(rf"ENTRY \(TOKEN, CRADLE_TOKEN_FAILURE_{detail},\s*\"\w+\",", source)
    if match is None:
        raise Abort(f"the error table has no entry for CRADLE_TOKEN_FAILURE_{detail}")
    rest = source[match.end():]
    fields = []
    for _ in range(2):
        items, used = _c_strings(rest)
        fields.append("".join(value if kind == "str" else macros.get(value, "") for kind, value in items))
        rest = rest[used:].lstrip()[1:]  # the comma
    return fields[0], fields[1]


# ---- the token ------------------------------------------------------------------

class Token:
    """The test's token, from the token tests' own fixture
    (tests/token/softhsm.py)."""

    def __init__(self, world):
        self.dir = os.path.join(world.tmp, "softhsm")
        os.makedirs(self.dir, mode=0o700)
        self.env, module = softhsm.make_token(self.dir, LABEL, PIN, SO_PIN)
        # The app (and the tools below) see this token only.
        os.environ["SOFTHSM2_CONF"] = self.env["SOFTHSM2_CONF"]
        shown = subprocess.run(["softhsm2-util", "--show-slots"], env=self.env, capture_output=True,
                               text=True).stdout
        serials = re.findall(r"Serial number:[ \t]+(\w+)", shown)
        self.serial = serials[0] if serials else None
        # This module in place of the world's "none", so no other module
        # is loaded (p11-kit's registered ones are the machine's).
        path = os.path.join(world.config, "cradle.conf")
        with open(path) as conf:
            text = conf.read()
        if gui.TOKENS_NONE not in text:
            raise Abort(f"the world's cradle.conf has no [Tokens] section to replace: {text!r}")
        with open(path, "w") as conf:
            conf.write(text.replace(gui.TOKENS_NONE, softhsm.cradle_conf_tokens(module)))

    def count(self):
        """Objects on the token, by SoftHSM's files."""
        return softhsm.count_objects(self.dir)

    def objects(self):
        """pkcs11-tool's listing of every object, logged in."""
        try:
            return softhsm.pkcs11_tool(self.env, LABEL, "--list-objects")
        except subprocess.CalledProcessError as error:
            return f"pkcs11-tool failed: {error.stdout} {error.stderr}"

    def lock(self):
        """The PIN locked, as the token's stored flags say (SoftHSM2 never
        locks one itself)."""
        softhsm.lock_pin(self.dir)


# ---- the window ---------------------------------------------------------------

def dialog_label(win, heading, timeout=TIMEOUT):
    return win.find(safe(lambda n: n.roleName == "label" and n.name == heading), timeout=timeout)


def dialog_of(label):
    """The toplevel @label is in (the application's child)."""
    node = label
    while node is not None and node.parent is not None and node.parent.roleName != "application":
        node = node.parent
    return node


def dialog_text(dialog):
    return " ".join(n.name for n in dialog.findChildren(safe(lambda n: n.roleName == "label")) if n.name)


def type_into(world, where, text):
    """Types @text into the dialog's field: no window manager here, so the
    keyboard follows the pointer onto the dialog, at @where on the screen."""
    env = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", str(where[0]), str(where[1])], env=env, capture_output=True)
    time.sleep(0.3)
    subprocess.run(["xdotool", "type", "--delay", "40", text], env=env, capture_output=True)
    time.sleep(0.3)


def wait_dialog_gone(win, heading, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        label = dialog_label(win, heading, timeout=0)
        if label is None or not win.visible(label):
            return True
        time.sleep(0.2)
    return False


def scroll_down(world, win):
    """The device page scrolled to its end, where the certificates are
    (the wheel over the window: no window manager here)."""
    (x, y), (w, h) = win.frame().position, win.frame().size
    env = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2)], env=env, capture_output=True)
    subprocess.run(["xdotool", "click", "--repeat", "25", "--delay", "30", "5"], env=env, capture_output=True)
    time.sleep(0.5)


def center_dialog(world):
    """The dialog over the middle of the window for the screenshots (no
    window manager places it here): the app's small toplevel."""
    env = dict(os.environ, DISPLAY=world.display)
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--classname", "cradle"], env=env,
                           capture_output=True, text=True).stdout.split()
    for window in found:
        geometry = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window], env=env,
                                  capture_output=True, text=True).stdout
        size = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
        if size.get("WIDTH", "").isdigit() and int(size["WIDTH"]) < 600:
            subprocess.run(["xdotool", "windowmove", window, "200", "300"], env=env, capture_output=True)
            time.sleep(0.5)
            return 200 + int(size["WIDTH"]) // 2, 300 + int(size["HEIGHT"]) // 2
    time.sleep(0.5)
    return None


def enter_pin(world, win, pin, shot=None):
    """Waits for the PIN dialog, types @pin, clicks Unlock; returns the
    dialog's words before."""
    label = dialog_label(win, "Enter the Token's PIN")
    if label is None:
        raise Abort("no PIN dialog")
    where = center_dialog(world)
    dialog = dialog_of(label)
    said = dialog_text(dialog)
    if where is None:
        (x, y), (w, h) = dialog.position, dialog.size
        where = (x + w // 2, y + h // 2)
    field = win.find(safe(lambda n: n.roleName in ("password text", "text", "entry") and n.name == "PIN"),
                     within=dialog, timeout=5)
    ok(field is not None, "the dialog has a field for the PIN", said)
    if shot is not None:
        world.screenshot(shot)
    type_into(world, where, pin)
    unlock = win.button("Unlock", within=dialog)
    if unlock is None:
        raise Abort("the PIN dialog has no Unlock button")
    unlock.doActionNamed("click")
    return said


def log_is_clean(name):
    """No GLib warning or critical in the app's log (GTK 4.8's password
    entry writes to freed memory when a focused one is destroyed: the
    dialog hides it first)."""
    with open(os.path.join(gui.SHOTS, f"app-{name}.log"), errors="replace") as handle:
        bad = [line for line in handle if re.search(r"-(CRITICAL|WARNING) \*\*", line)
               and "Screen coordinates not supported" not in line]
    ok(not bad, f"the app logged no warning or critical ({name})", "".join(bad))


def token(world, tree):
    tok = world.token
    world.start_app(world.copy_ccache("alice"), "token")
    win = gui.connect_window(tree)

    # Listed: the title names the token by its label, as written.
    title = win.wait_title(LABEL)
    ok(title.startswith(LABEL), "the token is listed: the window's title is its label, markup shown as written",
       title)
    page = win.page("CradleDevicePage")
    row = win.row(LABEL, within=page)
    labels = win.row_labels(row) if row is not None else []
    note("device row: " + " | ".join(labels))
    subtitle = next((label for label in labels if label.startswith("Token (")), "")
    ok(subtitle.startswith("Token (pkcs11) · "), "the device row says transport pkcs11", labels)
    ok("SoftHSM project" in subtitle and "SoftHSM v2" in subtitle, "with its manufacturer and model", subtitle)
    ok(tok.serial is not None and f"serial {tok.serial}" in subtitle, "and its serial", (tok.serial, subtitle))
    pin_row = win.row("PIN", within=page, timeout=10)
    pin_said = " ".join(win.row_labels(pin_row)) if pin_row is not None else ""
    ok(pin_row is not None and "Cradle asks for it" in pin_said, "the PIN row says a PIN is needed", pin_said)
    chain = win.row("The chain stays on this computer", within=page, timeout=2)
    ok(chain is None or not win.visible(chain),
       "no note that the chain stays on the host: SoftHSM2 holds CA certificates (PIV would not)")
    upn = win.row(TYPE_TITLE, within=page)
    ok(upn is not None, "alice's certificate types are listed for the token")
    world.screenshot("token-listed")

    # The PIN dialog, before anything is made.
    ok(win.choose_type(TYPE_TITLE), f"{TYPE_TITLE} can be chosen")
    win.click_button("Get Certificate")
    said = enter_pin(world, win, WRONG_PIN, shot="pin-dialog")
    ok("asks for its PIN" in said and LABEL in said, "the PIN dialog names the token and asks for its PIN", said)
    ok(tok.count() == 0, "nothing is made on the token before the PIN", tok.objects())

    # A wrong PIN: the table's words, and asked again.
    if not wait_dialog_gone(win, "Enter the Token's PIN", timeout=10):
        pass   # the next dialog has the same heading: its words tell them apart
    # SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a wrong PIN, so the words
    # are PIN_COUNT_LOW's; but while the app's monitor polls the slot list
    # SoftHSM may read its token file again and report the flags of before
    # the failure, and then they are PIN_INCORRECT's. Either is the table's
    # word for a wrong PIN (the mapping itself: test-token, test-token-cli).
    words = [table_words("PIN_COUNT_LOW"), table_words("PIN_INCORRECT")]
    summary, todo = words[0]
    deadline = time.monotonic() + TIMEOUT
    again = None
    while time.monotonic() < deadline:
        label = dialog_label(win, "Enter the Token's PIN", timeout=5)
        text = dialog_text(dialog_of(label)) if label is not None else ""
        said = [pair for pair in words if pair[0] in text]
        if said:
            again = dialog_of(label)
            summary, todo = said[0]
            break
        time.sleep(0.3)
    ok(again is not None, "a wrong PIN: asked again, in the error table's words (PIN_COUNT_LOW or PIN_INCORRECT)",
       f"table: {[w[0] for w in words]!r}; dialog: {dialog_text(dialog_of(label)) if label is not None else None!r}")
    if again is None:
        raise Abort("no second PIN dialog")
    ok(todo in dialog_text(again), "with what to do", (todo, dialog_text(again)))
    note("wrong PIN dialog: " + dialog_text(again))
    enter_pin(world, win, PIN, shot="wrong-pin")

    # The right PIN: made, issued, installed on the token.
    title = win.wait_title("Getting the Certificate", "Certificate Installed", "Waiting for Approval",
                           "Request Refused", "Could Not", "Declined", "Not Finished")
    deadline = time.monotonic() + 3 * TIMEOUT
    while title.startswith("Getting the Certificate") and time.monotonic() < deadline:
        time.sleep(0.3)
        title = win.title()
    ok(title.startswith("Certificate Installed"), f"{TYPE_TITLE}: issued and installed on the token", title)
    world.screenshot("installed")
    if not title.startswith("Certificate Installed"):
        raise Abort(f"the run ended with {title!r}")
    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title(LABEL)
    page = win.page("CradleDevicePage")
    cert = win.find(safe(lambda n: n.roleName == "list item" and n.name == "Alice Liddell"), within=page)
    cert_labels = win.row_labels(cert) if cert is not None else []
    ok(any(label.startswith("Expires") for label in cert_labels),
       "the token's page lists the certificate installed on it, with its expiry", cert_labels)
    scroll_down(world, win)
    world.screenshot("token-certificate")

    # On the token itself: the certificate beside its key, same CKA_ID.
    listing = tok.objects()
    note(listing)
    blocks = re.split(r"\n(?=\S)", listing)
    keys = [b for b in blocks if b.startswith("Private Key Object")]
    certs = [b for b in blocks if b.startswith("Certificate Object")]
    key_ids = {m.group(1) for b in keys for m in [re.search(r"ID:\s+(\w+)", b)] if m}
    cert_ids = {m.group(1) for b in certs for m in [re.search(r"ID:\s+(\w+)", b)] if m}
    ok(len(keys) == 1 and all("never extractable" in b and "sensitive" in b for b in keys),
       "one private key on the token, sensitive and never extractable", keys)
    ok(key_ids and key_ids <= cert_ids, "the certificate is on the token with the key's CKA_ID",
       (key_ids, cert_ids))
    world.stop_app()
    gui.wait_app_gone(tree)
    log_is_clean("token")


def gone(world, tree):
    """The token served by p11-kit-server, the app loading p11-kit's client
    module: the server killed while the PIN dialog asks."""
    tok = world.token
    path = os.path.join(world.config, "cradle.conf")
    with open(path) as conf:
        before = conf.read()
    # The label percent-encoded in the server's URI (RFC 7512).
    server = softhsm.Server(tok.dir, tok.env, urllib.parse.quote(LABEL, safe=""))
    try:
        with open(path, "w") as conf:
            conf.write(before.replace(softhsm.cradle_conf_tokens(softhsm.MODULE),
                                      softhsm.cradle_conf_tokens(server.module)))
        os.environ["P11_KIT_SERVER_ADDRESS"] = server.env["P11_KIT_SERVER_ADDRESS"]
        world.start_app(world.copy_ccache("alice"), "gone")
        win = gui.connect_window(tree)
        title = win.wait_title(LABEL)
        ok(title.startswith(LABEL), "a token served over p11-kit's socket is listed too", title)
        ok(win.choose_type(TYPE_TITLE), f"{TYPE_TITLE} can be chosen")
        win.click_button("Get Certificate")
        label = dialog_label(win, "Enter the Token's PIN")
        ok(label is not None, "the PIN dialog asks")
        if label is None:
            raise Abort("no PIN dialog")
        before_count = tok.count()
        server.stop()
        title = win.wait_title("Connect a Device")
        ok(title.startswith("Connect a Device"), "the token leaves: the window says to connect a device", title)
        ok(wait_dialog_gone(win, "Enter the Token's PIN"), "and the PIN dialog is gone with it")
        ok(tok.count() == before_count, "nothing was made on the token", (before_count, tok.count()))
        world.screenshot("token-gone")
    finally:
        server.stop()
        os.environ.pop("P11_KIT_SERVER_ADDRESS", None)
        with open(path, "w") as conf:
            conf.write(before)
        world.stop_app()
        gui.wait_app_gone(tree)
    log_is_clean("gone")


def locked(world, tree):
    tok = world.token
    before = tok.count()
    tok.lock()
    world.start_app(world.copy_ccache("alice"), "locked")
    win = gui.connect_window(tree)
    win.wait_title(LABEL)
    page = win.page("CradleDevicePage")
    summary, todo = table_words("PIN_LOCKED")
    pin_row = win.row("PIN", within=page, timeout=10)
    pin_said = " ".join(win.row_labels(pin_row)) if pin_row is not None else ""
    ok(summary in pin_said, "the PIN row says the PIN is locked, in the table's words", (summary, pin_said))
    ok(win.choose_type(TYPE_TITLE), f"{TYPE_TITLE} can be chosen")
    win.click_button("Get Certificate")
    label = dialog_label(win, "The Token's PIN Is Locked")
    ok(label is not None, "Get Certificate: the dialog says the PIN is locked")
    if label is None:
        raise Abort("no locked dialog")
    center_dialog(world)
    dialog = dialog_of(label)
    said = dialog_text(dialog)
    ok(summary in said and todo in said, "in the error table's words (PIN_LOCKED)", (summary, todo, said))
    field = win.find(safe(lambda n: n.roleName in ("password text", "text", "entry") and win.visible(n)),
                     within=dialog, timeout=2)
    ok(field is None, "with no field to type a PIN in")
    world.screenshot("pin-locked")
    win.click_button("Close", within=dialog)
    ok(wait_dialog_gone(win, "The Token's PIN Is Locked"), "Close closes it")
    ok(win.title().startswith(LABEL), "and nothing started: the token's page again", win.title())
    ok(tok.count() == before, "nothing was made on the token", (before, tok.count()))
    world.stop_app()
    gui.wait_app_gone(tree)
    log_is_clean("locked")


def device_button(win, timeout=TIMEOUT):
    """The header's device button (shown when more than one device is
    connected), or None."""
    def is_device_button(node):
        try:
            return "button" in (node.roleName or "") and \
                "Choose the Device" in ((node.name or "") + " " + (node.description or "")) and win.visible(node)
        except Exception:  # a node that went away while looking
            return False
    return win.find(is_device_button, timeout=timeout)


def wait_device_button_gone(win, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if device_button(win, timeout=0) is None:
            return True
        time.sleep(0.2)
    return False


def device_items(win, button):
    """Opens the device button's menu; its items' names."""
    toggle = button if "click" in button.actions else \
        button.findChild(lambda n: "click" in n.actions, retry=False, requireResult=False)
    if toggle is None:
        raise Abort("the device button cannot be clicked")
    toggle.doActionNamed("click")
    deadline = time.monotonic() + 10
    items = []
    while time.monotonic() < deadline:
        items = [n for n in win.app.findChildren(safe(lambda n: n.roleName not in ("label", "frame", "filler")
                                                       and "menu item" in (n.roleName or "")
                                                       and win.visible(n)))]
        if len(items) >= 2:
            break
        time.sleep(0.2)
    return items


def choose(world, tree):
    tok = world.token
    before = tok.count()
    world.start_agent(serial="GUI-CHOOSE", model="Test Phone")
    try:
        world.start_app(world.copy_ccache("alice"), "choose")
        win = gui.connect_window(tree)
        first = win.wait_title(LABEL, "Test Phone")
        note(f"shown first: {first}")
        button = device_button(win)
        ok(button is not None, "two devices connected: the header has a device button")
        if button is None:
            raise Abort("no device button")
        items = device_items(win, button)
        names = [n.name.replace("__", "_") for n in items]
        note("offered: " + " | ".join(names))
        ok(any(name == LABEL for name in names), "the token is offered by its label, markup shown as written",
           names)
        ok(any(name.endswith("Test Phone") for name in names), "the simulated device is offered by its model",
           names)
        world.screenshot("choose-menu")
        item = next((n for n in items if n.name == LABEL), None)
        if item is None:
            raise Abort("no item for the token")
        actions = list(item.actions.keys())
        item.doActionNamed("click" if "click" in actions or not actions else actions[0])
        title = win.wait_title(LABEL)
        ok(title.startswith(LABEL), "choosing the token shows its page", title)
        page = win.page("CradleDevicePage")
        row = win.row(LABEL, within=page)
        labels = win.row_labels(row) if row is not None else []
        ok(any(label.startswith("Token (pkcs11) · ") for label in labels), "the device row is the token's", labels)
        world.screenshot("choose-token")

        # The device leaves: the token stays shown.
        world.stop_agent()
        ok(wait_device_button_gone(win), "the simulated device leaves: the button goes (one device left)")
        ok(win.title().startswith(LABEL), "and the token is still shown", win.title())

        # It comes back: offered again, but the token stays shown.
        world.start_agent(serial="GUI-CHOOSE", model="Test Phone")
        ok(device_button(win) is not None, "the simulated device comes back: offered again")
        ok(win.title().startswith(LABEL), "but it does not take the token's place", win.title())
        world.screenshot("choose-kept")

        # The token's PIN is asked for a run on it.
        import pyatspi
        button = device_button(win)
        ok(button is not None and button.getState().contains(pyatspi.STATE_SENSITIVE),
           "before a run, another device can be chosen (the device button is on)")
        ok(win.choose_type(TYPE_TITLE), f"{TYPE_TITLE} can be chosen for the token")
        win.click_button("Get Certificate")
        label = dialog_label(win, "Enter the Token's PIN")
        ok(label is not None, "Get Certificate on the chosen token asks its PIN")
        if label is None:
            raise Abort("no PIN dialog")
        center_dialog(world)
        dialog = dialog_of(label)
        said = dialog_text(dialog)
        ok(LABEL in said, "the PIN dialog names the token", said)
        button = device_button(win)
        ok(button is not None and not button.getState().contains(pyatspi.STATE_SENSITIVE),
           "while its PIN is asked, no other device can be chosen (the device button is off)")
        world.screenshot("choose-pin")
        win.click_button("Cancel", within=dialog)
        ok(wait_dialog_gone(win, "Enter the Token's PIN"), "Cancel closes it")
        ok(win.wait_title(LABEL).startswith(LABEL), "the token's page again")
        deadline = time.monotonic() + 10
        button = device_button(win)
        while button is not None and not button.getState().contains(pyatspi.STATE_SENSITIVE) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        ok(button is not None and button.getState().contains(pyatspi.STATE_SENSITIVE),
           "and the device button is on again")
        ok(tok.count() == before, "nothing was made on the token", (before, tok.count()))
    finally:
        world.stop_agent()
        world.stop_app()
        gui.wait_app_gone(tree)
    log_is_clean("choose")


def main():
    gui.enter_private_session(__file__, tools=("xdotool", "pkcs11-tool"), programs=(gui.APP,), missing=softhsm.missing)
    world = gui.World()
    tree = gui.start_dogtail(world)

    try:
        try:
            world.token = Token(world)
        except Abort as error:
            ok(False, f"the SoftHSM2 token: {error}")
            raise
        only = [name for name in os.environ.get("CRADLE_GUI_TEST_ONLY", "").split(",") if name]
        for scenario in (token, gone, choose, locked):
            if only and scenario.__name__ not in only:
                continue
            try:
                scenario(world, tree)
            except Exception as error:  # Abort, or the test's own fault: said before the display goes
                ok(False, f"{scenario.__name__}: {error}",
                   None if isinstance(error, Abort) else traceback.format_exc())
                world.screenshot(f"{scenario.__name__}-failed")
                world.stop_app()
                gui.wait_app_gone(tree)
    except Abort:
        pass
    finally:
        world.close()
    note(f"screenshots and logs in {gui.SHOTS}")
    print(f"1..{gui._count}", file=gui.TAP, flush=True)
    return 1 if gui._failed else 0


if __name__ == "__main__":
    sys.exit(main())
