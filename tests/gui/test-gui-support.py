#!/usr/bin/python3
"""test-gui-support.py: Troubleshoot, Save Report and History in the real window

The world of test-gui-enroll.py (Xvfb, a private session bus, AT-SPI through
dogtail, the real app, the real agent over its socket, the lab), with a
fault of this process's own: a custom certificate type whose AD CS Web
Enrollment is ca1.corp.example.test on a port nobody listens on (the CA
"stopped" for this test only; the lab's CA keeps running).

  support: Cradle Device (UPN) is installed (a run that worked); then the
    type of the closed port fails for real, and its result page offers
    Run Checks.  Run Checks opens Troubleshoot for that type and device:
    the hops appear as their checks end; the CA hop fails, explained in
    the error table's words (the same words `cradlectl types test --json`
    gives for the same fault), while the device, domain, Kerberos,
    directory and type hops still report ok.  Save Report… (GTK's file
    chooser, told a path) writes a gzip'd tar archive, mode 0600, with its
    README.txt, about the failed type, holding none of the lab's
    passwords.  Main Menu > History lists both runs, newest first;
    expanded, the failed run shows its steps with durations and the
    error's name; its Copy Details puts the run and its steps on the
    clipboard (read back by another X client).  Main Menu > Troubleshoot…
    runs the checks without a type.

Which assertions depend on which hop (each says so in its description):
  [diag-ca]        the CA hop fails with the table's words; the type hop
                   finds the custom type; the summary names the CA hop
  [diag-device]    the device hop reports ok
  [diag-domain]    the domain and directory hops report ok
  [diag-kerberos]  the Kerberos and clock hops report ok
  [report]         the archive's README.txt, its mention of the type, no
                   password in it
The rest (the window, a row per check as it ends, the summary, the chooser,
the file being a gzip'd tar archive of mode 0600, History and its Copy
Details) depends on the app and the runner only.

Screenshots in $CRADLE_BUILD_ROOT/meson-logs/screenshots-support/ with the
app's and the agent's logs.  Speaks TAP; skips, saying why, when Xvfb,
dogtail, xdotool or the lab is missing.
"""
import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- --read-clipboard: another X client reads what the app copied ---------

if len(sys.argv) == 2 and sys.argv[1] == "--read-clipboard":
    import gi
    gi.require_version("Gtk", "4.0")
    gi.require_version("Gdk", "4.0")
    from gi.repository import Gdk, GLib, Gtk

    Gtk.init()
    loop = GLib.MainLoop()
    result = {}

    def done(clipboard, res):
        try:
            result["text"] = clipboard.read_text_finish(res)
        except GLib.Error as error:
            result["error"] = error.message
        loop.quit()

    Gdk.Display.get_default().get_clipboard().read_text_async(None, done)
    GLib.timeout_add_seconds(20, loop.quit)
    loop.run()
    if "text" not in result or result["text"] is None:
        print(result.get("error", "nothing on the clipboard"), file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(result["text"])
    sys.exit(0)

# ---- the worlds of test-gui-enroll.py and the helpers of test-gui-types.py --

_spec = importlib.util.spec_from_file_location("gui_types", os.path.join(HERE, "test-gui-types.py"))
types = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(types)
gui = types.harness
gui.SHOTS = os.path.join(gui.BUILD_ROOT, "meson-logs", "screenshots-support")
ok, note, Abort, TIMEOUT = gui.ok, gui.note, gui.Abort, gui.TIMEOUT
safe, toplevel, menu_item = types.safe, types.toplevel, types.menu_item

TYPE_NAME = "unreachable-ca"
TYPE_TITLE = "Unreachable Web Enrollment"
SUMMARIES = ("A Check Failed", "Checks Failed", "Some Checks Need Attention", "No Problems Found")


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_type(world):
    """The custom type whose CA does not answer: ca1's name (it resolves),
    a port nobody listens on."""
    folder = os.path.join(world.config, "types.d")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{TYPE_NAME}.conf")
    with open(path, "w") as handle:
        handle.write(f"[Cradle Certificate Type]\nName={TYPE_NAME}\nDisplayName={TYPE_TITLE}\n"
                     f"Protocol=certsrv\nURL=https://ca1.corp.example.test:{closed_port()}/certsrv\n"
                     f"Template=CradleDeviceUPN\nAuth=kerberos\n"
                     f"TrustAnchors={world.lab['CRADLE_LAB_CA_TLS_ANCHOR']}\n")
    return path


def table_words(world, type_file, ccache):
    """What the error table says for this fault, as cradlectl says it:
    the words the window must show."""
    env = world.env(ccache)
    done = subprocess.run([gui.CRADLECTL, "types", "test", "--file", type_file, "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise Abort(f"cradlectl types test gave no JSON: {done.stdout!r} {done.stderr!r}")
    error = report.get("error") or {}
    if not error.get("explanation"):
        raise Abort(f"cradlectl types test explains nothing: {done.stdout!r}")
    return error


def descriptions(node, pattern):
    """The nodes under @node whose accessible description matches @pattern,
    with it: the check rows say "VERDICT hop/name", the groups "hop NAME"."""
    found = []
    regex = re.compile(pattern)

    def match(n):
        try:
            return bool(regex.search(n.description or ""))
        except Exception:
            return False
    for n in node.findChildren(match):
        found.append((n.description, n))
    return found


def row_value(row, title):
    """The subtitle of the detail row @title under @row (an expander)."""
    for item in row.findChildren(safe(lambda n: n.roleName == "list item" and n.name == title)):
        values = [n.name for n in item.findChildren(safe(lambda n: n.roleName == "label")) if n.name != title]
        if values:
            return values[0]
    return None


def labels(node):
    return [n.name for n in node.findChildren(safe(lambda n: n.roleName == "label"))]


def wait_summary(win, window, timeout=3 * TIMEOUT):
    return win.find(safe(lambda n: n.roleName == "label" and n.name in SUMMARIES), within=window, timeout=timeout)


def hop_checks(window, hop):
    """{verdict: [check name]} of @hop's rows."""
    verdicts = {}
    for description, _ in descriptions(window, rf"^(ok|warning|failed|skipped) {hop}/"):
        verdict, _, name = description.partition(" ")
        verdicts.setdefault(verdict, []).append(name.split("/", 1)[1])
    return verdicts


def fill_screen(world, title):
    """The window @title over the screen's left, tall, for the screenshot."""
    env = dict(os.environ, DISPLAY=world.display)
    for window in subprocess.run(["xdotool", "search", "--name", f"^{title}$"], env=env, capture_output=True,
                                 text=True).stdout.split():
        subprocess.run(["xdotool", "windowmove", window, "0", "0", "windowsize", window, "900", "1020"], env=env,
                       capture_output=True)
    time.sleep(0.5)


def read_clipboard(world):
    env = dict(world.env("FILE:/nonexistent"))
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--read-clipboard"], env=env,
                          capture_output=True, text=True, timeout=60)
    return done.stdout if done.returncode == 0 else None


def lab_secrets(world):
    """Every password of the lab, and its SCEP challenge."""
    secrets = [value for key, value in world.lab.items()
               if (key.endswith("_PASSWORD") or key.endswith("_CHALLENGE")) and value]
    path = os.path.join(os.environ.get("CRADLE_LAB_DIR", os.path.join(gui.SOURCE_ROOT, ".lab")), "secrets.json")
    try:
        with open(path) as handle:
            data = json.load(handle)

        def walk(item):
            if isinstance(item, dict):
                for value in item.values():
                    walk(value)
            elif isinstance(item, list):
                for value in item:
                    walk(value)
            elif isinstance(item, str) and len(item) >= 6:
                secrets.append(item)
        walk(data)
    except (OSError, ValueError):
        pass
    return sorted(set(secrets))


# ---- the scenario -------------------------------------------------------------

def troubleshoot_after_failure(world, win):
    """Run Checks from the failed result page; returns the Troubleshoot window."""
    result = win.page("CradleResultPage")
    button = win.button("Run Checks", within=result)
    ok(button is not None and win.visible(button), "the failed result page offers Run Checks")
    if button is None:
        raise Abort("no Run Checks button on the failed result page")
    button.doActionNamed("click")
    window = toplevel(win, "Troubleshoot")
    ok(window is not None, "Run Checks opens the Troubleshoot window")
    if window is None:
        raise Abort("Run Checks opened no window")
    fill_screen(world, "Troubleshoot")
    first = win.find(safe(lambda n: re.match(r"^(ok|warning|failed|skipped) \w+/", n.description or "")),
                     within=window, timeout=TIMEOUT)
    ok(first is not None, "the checks appear as they end", first.description if first is not None else None)
    summary = wait_summary(win, window)
    ok(summary is not None, "and the window says when all have ended",
       labels(window)[:6] if summary is None else summary.name)
    if summary is None:
        raise Abort("the checks never ended")
    world.screenshot("troubleshoot-run-checks")
    return window, summary.name


def check_hops(world, win, window, summary, words):
    described = [d for d, _ in descriptions(window, r"^(ok|warning|failed|skipped) \w+/[\w-]+$")]
    note("checks: " + ", ".join(described))
    groups = [d for d, _ in descriptions(window, r"^hop \w+$")]
    ok(len(described) > 0 and len(groups) > 0, "every check has a row, under its hop's group", groups)
    for description in described:
        if description.startswith(("warning ", "failed ")):
            _, node = descriptions(window, "^" + re.escape(description) + "$")[0]
            ok(row_value(node, "What to do") is not None,
               f"{description}: says what happened and what to do", labels(node))

    ca = hop_checks(window, "ca")
    ok("failed" in ca, "[diag-ca] the CA hop fails: nobody answers on its port", ca)
    failed = [node for d, node in descriptions(window, r"^failed ca/")]
    happened = [row_value(node, "What happened") for node in failed]
    todo = [row_value(node, "What to do") for node in failed]
    ok(words["explanation"] in happened,
       "[diag-ca] explained in the error table's words, as cradlectl says them", f"{happened} vs {words}")
    ok(words.get("next_step") in todo, "[diag-ca] with the next step", f"{todo} vs {words.get('next_step')}")
    ok(summary in ("A Check Failed", "Checks Failed"), "[diag-ca] the summary says a check failed", summary)
    ca_group = [node for d, node in descriptions(window, r"^hop ca$")]
    ca_title = labels(ca_group[0])[0] if ca_group and labels(ca_group[0]) else None
    ok(ca_title and any(ca_title in label for label in labels(window) if label.startswith("In ")),
       "[diag-ca] and names the CA hop", ca_title)
    ok("ok" in hop_checks(window, "type") and "failed" not in hop_checks(window, "type"),
       "[diag-ca] the type hop finds the custom type", hop_checks(window, "type"))
    for hop, owner in (("device", "diag-device"), ("domain", "diag-domain"), ("directory", "diag-domain"),
                       ("kerberos", "diag-kerberos"), ("clock", "diag-kerberos")):
        verdicts = hop_checks(window, hop)
        ok("ok" in verdicts and "failed" not in verdicts, f"[{owner}] the {hop} hop still reports, ok", verdicts)


def save_report(world, win, window):
    path = os.path.join(world.tmp, "support-report.tar.gz")
    win.click_button("Save Report…", within=window)
    title = "Save a Report for Support"
    chooser = toplevel(win, title, timeout=10)
    ok(chooser is not None, "Save Report… asks where, in a file chooser")
    if chooser is None:
        raise Abort("Save Report… opened no file chooser")
    time.sleep(1)
    world.screenshot("save-report-chooser")
    # The name field has the focus, the proposed name selected up to its
    # last dot: all of it replaced by the path.
    (x, y), (w, h) = chooser.position, chooser.size
    xenv = dict(os.environ, DISPLAY=world.display)
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 3)], env=xenv, capture_output=True)
    subprocess.run(["xdotool", "key", "ctrl+a"], env=xenv, capture_output=True)
    subprocess.run(["xdotool", "type", "--delay", "30", path], env=xenv, capture_output=True)
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "Return"], env=xenv, capture_output=True)
    saved = win.find(safe(lambda n: n.roleName == "label" and (n.name or "").startswith(
        ("Report saved to", "Cradle could not save the report"))), timeout=2 * TIMEOUT)
    ok(saved is not None and saved.name.startswith(f"Report saved to “{path}”"),
       "the report is saved, and the window says where", saved.name if saved is not None else None)
    world.screenshot("save-report-saved")
    ok(os.path.exists(path), "the file is written", path)
    if not os.path.exists(path):
        return
    mode = stat.S_IMODE(os.stat(path).st_mode)
    ok(mode == 0o600, "readable by its owner only (0600)", oct(mode))
    with open(path, "rb") as handle:
        magic = handle.read(2)
    ok(magic == b"\x1f\x8b" and tarfile.is_tarfile(path), "it is a gzip'd tar archive", magic)
    members = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile():
                    members[member.name] = archive.extractfile(member).read().decode("utf-8", "replace")
    except (tarfile.TarError, OSError) as error:
        ok(False, "the archive can be read", error)
    note("archive: " + ", ".join(sorted(members)))
    ok(any(os.path.basename(name) == "README.txt" for name in members), "[report] it holds its README.txt",
       sorted(members))
    ok(any(TYPE_NAME in text for text in members.values()), "[report] and is about the failed type", sorted(members))
    leaked = [secret[:3] + "…" for secret in lab_secrets(world) if any(secret in text for text in members.values())]
    ok(not leaked, "[report] and holds none of the lab's passwords", leaked)


def history(world, win):
    menu_item(world, win, "History")
    window = toplevel(win, "History")
    ok(window is not None, "Main Menu > History opens the History window")
    if window is None:
        raise Abort("History opened no window")
    fill_screen(world, "History")
    failed_title = f"New certificate: {TYPE_NAME}"
    installed_title = "New certificate: CradleDeviceUPN"
    failed = win.find(safe(lambda n: n.roleName == "list item" and n.name == failed_title), within=window)
    installed = win.find(safe(lambda n: n.roleName == "list item" and n.name == installed_title), within=window)
    ok(failed is not None and installed is not None, "it lists the failed run and the one that worked")
    if failed is None or installed is None:
        raise Abort(f"History lists {[n.name for n in window.findChildren(safe(lambda n: n.roleName == 'list item'))]}")
    order = [n.name for n in window.findChildren(safe(lambda n: n.roleName == "list item"))
             if n.name in (failed_title, installed_title)]
    ok(order.index(failed_title) < order.index(installed_title), "newest first", order)
    said = " ".join(labels(failed))
    ok("Failed" in said or "Not finished" in said, "the failed run says how it ended", said)
    installed_said = " ".join(labels(installed))
    ok("Installed" in installed_said, "and the other, installed", installed_said)

    # Expanded: the steps, each with its outcome and duration.
    # A click on its header (the window fills the screen's top left: no
    # window manager here, so the accessible positions are the screen's).
    (x, y), (w, h) = failed.position, failed.size
    subprocess.run(["xdotool", "mousemove", str(x + w // 3), str(y + min(h, 60) // 2), "click", "1"],
                   env=dict(os.environ, DISPLAY=world.display), capture_output=True)
    # Only this run is expanded: its steps are the window's.
    step_pattern = re.compile(r"^[a-z-]+ · .+ · (\d+ ms|\d+\.\d s|did not end)")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(step_pattern.search(label) for label in labels(window)):
        time.sleep(0.2)
    steps = [label for label in labels(window) if step_pattern.search(label)]
    ok(len(steps) >= 3, "expanded, it shows its steps with their durations", steps)
    ok(any("failed" in label.lower() for label in steps), "and which step failed", steps)
    ok(any(label.startswith("submit · ") and world.fault_name in label for label in steps),
       "and the error's name from the table, on the step that failed", (world.fault_name, steps))
    world.screenshot("history")

    copy = win.button("Copy Details", within=failed)
    if copy is None:
        raise Abort("the run has no Copy Details button")
    copy.doActionNamed("click")
    toast = win.find(safe(lambda n: n.roleName == "label" and re.match(r"^Details of run \d+ copied", n.name or "")),
                     within=window, timeout=10)
    ok(toast is not None, "Copy Details copies the run", toast.name if toast is not None else None)
    text = read_clipboard(world) or ""
    ok("Journal run:" in text and "Steps:" in text and TYPE_NAME in text and world.fault_name in text,
       "the clipboard holds the run, its steps and the error's name", text)
    note(text)
    win.click_button("Close", within=window)


def troubleshoot_from_menu(world, win):
    menu_item(world, win, "Troubleshoot…")
    window = toplevel(win, "Troubleshoot")
    ok(window is not None, "Main Menu > Troubleshoot… opens the Troubleshoot window")
    if window is None:
        return
    fill_screen(world, "Troubleshoot")
    summary = wait_summary(win, window)
    ok(summary is not None, "its checks end too", labels(window)[:6])
    ok(not hop_checks(window, "certificate").get("ok"), "without a type, no certificate is checked",
       hop_checks(window, "certificate"))
    world.screenshot("troubleshoot-menu")
    win.click_button("Close", within=window)


def support(world, tree):
    type_file = write_type(world)
    ccache = world.copy_ccache("alice")
    words = table_words(world, type_file, ccache)
    world.fault_name = words.get("detail") or "?"
    note(f"the table for this fault: {words.get('detail')}: {words['explanation']}")
    store = os.path.join(world.tmp, "support-store")
    os.makedirs(store, mode=0o700)
    world.start_app(ccache, "support")
    win = gui.connect_window(tree)
    world.start_agent(serial="SUPPORT-1", model="Support Phone", store=store, ask=False)
    win.wait_title("Support Phone")

    title = gui.enroll(world, win, "Cradle Device (UPN)")
    ok(title.startswith("Certificate Installed"), "a run that works: Cradle Device (UPN) installed", title)
    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Support Phone")

    # It fails before the device is asked anything (the key is made
    # without asking): no prompt to answer.
    ok(win.choose_type(TYPE_TITLE), f"{TYPE_TITLE} can be chosen")
    win.click_button("Get Certificate")
    title = win.wait_title("Could Not Get the Certificate", "Not Finished Yet", "Certificate Installed",
                           "Waiting for Approval", "Request Refused", "Declined")
    ok(title.startswith(("Could Not Get the Certificate", "Not Finished Yet")),
       "the type whose CA does not answer fails for real", title)
    world.screenshot("failed")

    window, summary = troubleshoot_after_failure(world, win)
    check_hops(world, win, window, summary, words)
    save_report(world, win, window)
    win.click_button("Close", within=window)
    types.wait_gone(win, "Troubleshoot")

    win.click_button("Done", within=win.page("CradleResultPage"))
    win.wait_title("Support Phone")
    history(world, win)
    troubleshoot_from_menu(world, win)


def main():
    gui.enter_private_session(__file__, tools=("xdotool",), programs=(gui.APP, gui.AGENT, gui.CRADLECTL))
    world = gui.World()
    tree = gui.start_dogtail(world)

    try:
        try:
            support(world, tree)
        except Abort as error:
            ok(False, f"support: {error}")
            world.screenshot("support-failed")
    finally:
        world.stop_app()
        world.stop_agent()
        world.close()
    note(f"screenshots and logs in {gui.SHOTS}")
    print(f"1..{gui._count}", file=gui.TAP, flush=True)
    return 1 if gui._failed else 0


if __name__ == "__main__":
    sys.exit(main())
