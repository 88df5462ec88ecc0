#!/usr/bin/python3
"""test-gui-devices.py: several devices in the real window, enrolled at once

The world of test-gui-enroll.py (Xvfb, a private session bus, AT-SPI
through dogtail, the real app with alice's ticket, the lab), with four
simulated devices (four real cradle-agent processes, each its own serial,
model and store):

  one device (Phone A): today's page, no list of devices to check
  -> three more arrive, D then C then B: the device page lists all four in
     order of title (A, B, C, D), each with a check button, Phone A (the
     one shown) checked, the others not
  -> Phone B checked too: the button says "Get Certificates for 2 Devices";
     Cradle Device (UPN) for both at once
  -> the batch page has one row per device; Phone B's agent declines
     everything (--confirm=decline) and Phone A's waits for its user: the
     page shows "Confirm on Cradle Phone A" while Phone B's row already
     says it was declined (one device's "no" does not stop the other, and
     one device waiting does not hold up the other's end)
  -> the test confirms on Phone A: its row says the certificate is
     installed; the page says some certificates were installed
  -> Done: Phone A's page lists its new certificate.
  -> Phone C and Phone D instead: Phone C asks its user, who never answers
     (a device that stalls); Phone D's certificate is installed meanwhile;
     the Stop button of Phone C's row stops that run alone (cancelled).
  -> After the app: cradlectl certs finds the certificate on Phone A and
     Phone D only (none on B or C), and the journal has one run per device
     enrolled: A installed, B declined, C cancelled, D installed.

Screenshots of each page in $CRADLE_BUILD_ROOT/meson-logs/screenshots-devices/
with the app's and the agents' logs.  Speaks TAP; skips, saying why, when
Xvfb, dogtail or the lab is missing.
"""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

_spec = importlib.util.spec_from_file_location("gui_enroll", os.path.join(HERE, "test-gui-enroll.py"))
gui = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gui)
gui.SHOTS = os.path.join(gui.BUILD_ROOT, "meson-logs", "screenshots-devices")
ok, note, Abort, TIMEOUT = gui.ok, gui.note, gui.Abort, gui.TIMEOUT

MANUFACTURER = "Cradle"
# (serial, model, the agent's confirmation policies)
DEVICES = (
    ("MULTI-1", "Phone A", ["--confirm=approve", "--confirm-generate=ask", "--confirm-pair=approve"]),
    ("MULTI-2", "Phone B", ["--confirm=decline", "--confirm-pair=approve"]),
    ("MULTI-3", "Phone C", ["--confirm=approve", "--confirm-generate=ask", "--confirm-pair=approve"]),
    ("MULTI-4", "Phone D", ["--confirm=approve"]),
)


def title_of(model):
    """The device's title as the app shows it: maker and model."""
    return f"{MANUFACTURER} {model}"


class Agents:
    """Four real agents, each on its own socket in the runtime folder."""

    def __init__(self, world):
        self.world = world
        self.processes = {}

    def start(self, serial, model, confirm):
        store = os.path.join(self.world.tmp, f"store-{serial}")
        os.makedirs(store, mode=0o700, exist_ok=True)
        log = open(os.path.join(gui.SHOTS, f"agent-{serial}.log"), "a")
        self.processes[serial] = subprocess.Popen(
            [gui.AGENT, f"--serial={serial}", f"--model={model}", f"--manufacturer={MANUFACTURER}",
             f"--store={store}"] + confirm,
            env=self.world.env("FILE:/nonexistent"), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def answer(self, serial, yes=True):
        agent = self.processes[serial]
        agent.stdin.write(b"y\n" if yes else b"n\n")
        agent.stdin.flush()

    def stop_all(self):
        for agent in self.processes.values():
            if agent.poll() is None:
                agent.send_signal(signal.SIGTERM)
        for agent in self.processes.values():
            try:
                agent.wait(10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        self.processes = {}


def safe(predicate):
    def check(node):
        try:
            return predicate(node)
        except Exception:  # a node that went away while looking
            return False
    return check


def device_checks(win, page):
    """{device title: check box} of the device page's list of devices."""
    # A check in a row is named by the row: its title, then its subtitle.
    checks = {}
    for _, model, _ in DEVICES:
        title = title_of(model)
        found = page.findChildren(safe(lambda n: n.roleName == "check box" and
                                       (n.name == title or n.name.startswith(title + " "))))
        found = [n for n in found if win.visible(n)]
        if found:
            checks[title] = found[0]
    return checks


def listed_titles(win, page):
    """The titles of the device page's check boxes, in the order the list shows them."""
    titles = [title_of(model) for _, model, _ in DEVICES]
    found = page.findChildren(safe(lambda n: n.roleName == "check box" and
                                   any(n.name == t or n.name.startswith(t + " ") for t in titles)))
    found = [n for n in found if win.visible(n)]
    # Top to bottom on the screen: the order people read.
    found.sort(key=lambda n: n.position[1])
    return [next(t for t in titles if n.name == t or n.name.startswith(t + " ")) for n in found]


def header_menu_titles(win):
    """Opens the header's device button's menu, reads its items top to
    bottom, and closes it again."""
    from dogtail.rawinput import keyCombo
    button = win.find(safe(lambda n: "button" in (n.roleName or "") and
                           "Choose the Device" in ((n.name or "") + " " + (n.description or "")) and
                           win.visible(n)), timeout=TIMEOUT)
    if button is None:
        return None
    toggle = button if "click" in button.actions else \
        button.findChild(lambda n: "click" in n.actions, retry=False, requireResult=False)
    if toggle is None:
        return None
    toggle.doActionNamed("click")
    deadline = time.monotonic() + 10
    items = []
    while time.monotonic() < deadline:
        items = [n for n in win.app.findChildren(safe(lambda n: "menu item" in (n.roleName or "") and
                                                       win.visible(n)))]
        if len(items) >= len(DEVICES):
            break
        time.sleep(0.2)
    items.sort(key=lambda n: n.position[1])
    names = [n.name.replace("__", "_") for n in items]
    keyCombo("Escape")
    time.sleep(0.5)
    return names


def wait_checks(win, count, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    checks = {}
    while time.monotonic() < deadline:
        page = win.page("CradleDevicePage")
        checks = device_checks(win, page) if page is not None else {}
        if len(checks) == count:
            return checks
        time.sleep(0.3)
    return checks


def batch_row(win, model):
    """The batch page's row for @model, its state word (its accessible
    description) and its labels."""
    page = win.page("CradleBatchPage")
    if page is None:
        return None, None, []
    row = page.findChild(safe(lambda n: n.roleName == "list item" and n.name == title_of(model)),
                         retry=False, requireResult=False)
    if row is None:
        return None, None, []
    return row, row.description, win.row_labels(row)


def prompt_card(win, model):
    page = win.page("CradleBatchPage")
    if page is None:
        return None
    card = page.findChild(safe(lambda n: n.roleName == "panel" and n.name == f"Confirm on {title_of(model)}"),
                          retry=False, requireResult=False)
    return card if card is not None and win.visible(card) else None


def cradlectl(world, ccache, *argv):
    done = subprocess.run([gui.CRADLECTL] + list(argv), env=world.env(ccache), capture_output=True, text=True,
                          timeout=120)
    try:
        return done.returncode, json.loads(done.stdout), done.stderr
    except ValueError:
        return done.returncode, None, done.stdout + done.stderr


def personal_certs(world, ccache, serial):
    code, certs, text = cradlectl(world, ccache, "certs", "--device", serial, "--json")
    if certs is None:
        return None, text
    if isinstance(certs, dict):
        certs = certs.get("certificates", [])
    return [c for c in certs if c.get("store") == "MY"], text


def several(world, tree, agents):
    ccache = world.copy_ccache("alice")
    world.start_app(ccache, "devices")
    win = gui.connect_window(tree)
    win.wait_title("Connect a Device")
    world.screenshot("no-device")

    # One device: today's page, no list to check.
    serial, model, confirm = DEVICES[0]
    agents.start(serial, model, confirm)
    win.wait_title(model)
    page = win.page("CradleDevicePage")
    ok(win.row("Cradle Device (UPN)", within=page) is not None, "one device: its page, with alice's types")
    ok(not device_checks(win, page), "with one device connected, the page lists no devices to check")
    ok(win.button("Get Certificate", within=page) is not None, "and its button gets one certificate")
    world.screenshot("one-device")

    # Three more, arriving out of order (D, then C, then B, each listed
    # before the next comes): every device listed, the one shown checked,
    # the list in order of title whatever order the devices came in.
    for count, (serial, model, confirm) in enumerate(reversed(DEVICES[1:]), start=2):
        agents.start(serial, model, confirm)
        wait_checks(win, count)
    checks = wait_checks(win, len(DEVICES))
    ok(len(checks) == len(DEVICES), "with four devices connected, the page lists each with a check button",
       sorted(checks))
    if len(checks) != len(DEVICES):
        raise Abort("the devices are not all listed")
    ok(win.title().startswith("Phone A"), "the device shown stays the first one", win.title())
    ok(checks[title_of("Phone A")].checked and
       not any(checks[title_of(m)].checked for m in ("Phone B", "Phone C", "Phone D")),
       "the device shown is checked, the others not",
       {name: check.checked for name, check in checks.items()})
    listed = listed_titles(win, win.page("CradleDevicePage"))
    ok(listed == [title_of(model) for _, model, _ in DEVICES],
       "the devices are listed by title, not in the order they arrived (D, C, B)", listed)
    world.screenshot("four-devices")
    menu = header_menu_titles(win)
    ok(menu == [title_of(model) for _, model, _ in DEVICES],
       "the header's device menu lists them in the same order", menu)

    # Pick two: Phone A (checked) and Phone B.
    checks[title_of("Phone B")].click()
    deadline = time.monotonic() + 5
    while not checks[title_of("Phone B")].checked and time.monotonic() < deadline:
        time.sleep(0.1)
    ok(checks[title_of("Phone B")].checked, "Phone B can be checked too")
    ok(win.choose_type("Cradle Device (UPN)"), "Cradle Device (UPN) can be chosen")
    button = win.button("Get Certificates for 2 Devices", within=win.page("CradleDevicePage"))
    ok(button is not None, "the button says it gets certificates for the two devices")
    if button is None:
        raise Abort("no button for two devices")
    world.screenshot("two-checked")
    button.doActionNamed("click")

    win.wait_title("Getting the Certificates")
    ok(True, "Get Certificates shows the batch page")
    row_a, _, _ = batch_row(win, "Phone A")
    row_b, _, _ = batch_row(win, "Phone B")
    ok(row_a is not None and row_b is not None, "with a row for each of the two devices")
    row_c, _, _ = batch_row(win, "Phone C")
    ok(row_c is None, "and none for a device not checked")

    # Phone B declines at once; Phone A waits for its user: both seen at
    # the same time, each on its own row.
    deadline = time.monotonic() + TIMEOUT
    seen = False
    while time.monotonic() < deadline:
        card = prompt_card(win, "Phone A")
        _, state_b, labels_b = batch_row(win, "Phone B")
        if card is not None and state_b == "declined":
            seen = True
            break
        if not win.title().startswith("Getting the Certificates"):
            break
        time.sleep(0.2)
    ok(seen, "Phone A asks its user while Phone B's row already says it declined: one does not wait for the other",
       f"title {win.title()!r}, card {prompt_card(win, 'Phone A') is not None}, Phone B {batch_row(win, 'Phone B')[1:]}")
    labels = [n.name for n in card.findChildren(safe(lambda n: n.roleName == "label"))] if card is not None else []
    ok(f"Confirm on {title_of('Phone A')}" in labels, "the confirmation says which device asks", labels)
    _, state_a, labels_a = batch_row(win, "Phone A")
    ok(state_a == "waiting", "Phone A's row says it waits for its user", (state_a, labels_a))
    _, state_b, labels_b = batch_row(win, "Phone B")
    ok(any(label.startswith("Declined on the Device") for label in labels_b),
       "Phone B's row says it was declined on the device, and what to do", labels_b)
    ok(prompt_card(win, "Phone B") is None, "Phone B asks nothing more")
    world.screenshot("batch-waiting")

    # Confirmed on Phone A: its certificate is installed.
    agents.answer("MULTI-1", True)
    title = win.wait_title("Some Certificates Installed", "Certificates Installed", "No Certificate Installed",
                           timeout=2 * TIMEOUT)
    ok(title.startswith("Some Certificates Installed"), "the page says some certificates were installed", title)
    _, state_a, labels_a = batch_row(win, "Phone A")
    ok(state_a == "installed" and any(label.startswith("Certificate Installed") for label in labels_a),
       "Phone A's row: installed, with its expiry", (state_a, labels_a))
    _, state_b, labels_b = batch_row(win, "Phone B")
    ok(state_b == "declined", "Phone B's row still says declined", (state_b, labels_b))
    page = win.page("CradleBatchPage")
    texts = [n.name for n in page.findChildren(safe(lambda n: n.roleName == "label"))]
    ok(any(text.startswith("1 of 2 devices got the Cradle Device (UPN) certificate") for text in texts),
       "and how many of the devices got it", texts[:6])
    world.screenshot("batch-result")

    win.click_button("Done", within=page)
    win.wait_title("Phone A")
    page = win.page("CradleDevicePage")
    cert = win.find(lambda n: n.roleName == "list item" and n.name == "Alice Liddell", within=page)
    ok(cert is not None, "Done: Phone A's page lists its new certificate")
    checks = wait_checks(win, len(DEVICES), timeout=5)
    ok(len(checks) == len(DEVICES) and checks[title_of("Phone B")].checked,
       "the devices stay listed, as the user checked them", {name: c.checked for name, c in checks.items()})
    world.screenshot("device-after")

    # A device that stalls does not hold up another; its row stops it alone.
    checks = wait_checks(win, len(DEVICES), timeout=5)
    for model in ("Phone A", "Phone B", "Phone C", "Phone D"):
        check = checks[title_of(model)]
        if check.checked != (model in ("Phone C", "Phone D")):
            check.click()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and \
            [checks[title_of(m)].checked for m in ("Phone A", "Phone B", "Phone C", "Phone D")] != \
            [False, False, True, True]:
        time.sleep(0.1)
    ok(win.choose_type("Cradle Device (UPN)"), "Cradle Device (UPN) chosen again")
    button = win.button("Get Certificates for 2 Devices", within=win.page("CradleDevicePage"))
    if button is None:
        raise Abort("no button for Phone C and Phone D")
    button.doActionNamed("click")
    win.wait_title("Getting the Certificates")
    deadline = time.monotonic() + TIMEOUT
    seen = False
    while time.monotonic() < deadline:
        _, state_d, _ = batch_row(win, "Phone D")
        if prompt_card(win, "Phone C") is not None and state_d == "installed":
            seen = True
            break
        time.sleep(0.2)
    ok(seen, "Phone D's certificate is installed while Phone C still waits for its user",
       f"Phone C {batch_row(win, 'Phone C')[1:]}, Phone D {batch_row(win, 'Phone D')[1:]}")
    ok(win.title().startswith("Getting the Certificates"), "the batch goes on while Phone C waits", win.title())
    world.screenshot("batch-stalled")
    row_c, _, _ = batch_row(win, "Phone C")
    stop_c = row_c.findChild(safe(lambda n: n.roleName == "push button" and n.name == f"Stop {title_of('Phone C')}"),
                             retry=False, requireResult=False) if row_c is not None else None
    if stop_c is None:
        raise Abort("no Stop button on Phone C's row")
    stop_c.doActionNamed("click")
    title = win.wait_title("Some Certificates Installed", "Certificates Installed", "No Certificate Installed")
    _, state_c, labels_c = batch_row(win, "Phone C")
    ok(state_c == "cancelled" and any(label.startswith("Cancelled") for label in labels_c),
       "Stop on Phone C's row cancels its run alone", (state_c, labels_c))
    _, state_d, _ = batch_row(win, "Phone D")
    ok(state_d == "installed" and title.startswith("Some Certificates Installed"),
       "Phone D stays installed, and the page says some were", (state_d, title))
    world.screenshot("batch-stopped")
    win.click_button("Done", within=win.page("CradleBatchPage"))
    win.wait_title("Phone A")

    # A fifth device that says it is a Phone A too: the header's menu tells
    # the two apart by serial, as the batch page does.
    agents.start("MULTI-5", "Phone A", ["--confirm=approve"])
    menu = None
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        menu = header_menu_titles(win)
        if menu is not None and len(menu) >= len(DEVICES) + 1:
            break
        time.sleep(0.5)
    twins = [f"{title_of('Phone A')} (serial MULTI-1)", f"{title_of('Phone A')} (serial MULTI-5)"]
    ok(menu is not None and all(twin in menu for twin in twins),
       "two devices that say the same name are told apart by serial in the header's menu", menu)
    world.screenshot("same-name")
    world.stop_app()
    gui.wait_app_gone(tree)

    # What the devices hold, and what the journal says, from cradlectl.
    for serial, model in (("MULTI-1", "Phone A"), ("MULTI-4", "Phone D")):
        mine, text = personal_certs(world, ccache, serial)
        ok(mine is not None and len(mine) == 1 and "Alice" in (mine[0].get("subject") or ""),
           f"a certificate is on {model}", mine if mine is not None else text)
    for serial, model in (("MULTI-2", "Phone B"), ("MULTI-3", "Phone C")):
        theirs, text = personal_certs(world, ccache, serial)
        ok(theirs == [], f"and none on {model}", theirs if theirs is not None else text)
    code, runs, text = cradlectl(world, ccache, "log", "--json", "--limit", "0")
    if isinstance(runs, dict):
        runs = runs.get("runs", [])
    runs = [r for r in (runs or []) if r.get("kind") == "enroll"]
    by_device = {}
    for run in runs:
        by_device.setdefault(run.get("device"), []).append(run.get("outcome"))
    ok(by_device == {"MULTI-1": ["installed"], "MULTI-2": ["declined"], "MULTI-3": ["cancelled"],
                     "MULTI-4": ["installed"]},
       "the journal has one run per device enrolled: A installed, B declined, C cancelled, D installed",
       by_device or text)


def main():
    gui.enter_private_session(__file__, tools=("xdotool",), programs=(gui.APP, gui.AGENT, gui.CRADLECTL))
    world = gui.World()
    tree = gui.start_dogtail(world)

    agents = Agents(world)
    try:
        try:
            several(world, tree, agents)
        except Abort as error:
            ok(False, f"several: {error}")
            world.screenshot("several-failed")
    finally:
        world.stop_app()
        agents.stop_all()
        world.close()
    note(f"screenshots and logs in {gui.SHOTS}")
    print(f"1..{gui._count}", file=gui.TAP, flush=True)
    return 1 if gui._failed else 0


if __name__ == "__main__":
    sys.exit(main())
