#!/usr/bin/python3
"""usb-kernel: Cradle's USB path on a real Linux kernel, in one qemu guest.

Boots Debian's own kernel under qemu (KVM when there is one, TCG otherwise)
with this machine's root shared read-only over virtio-9p and no network
(-nic none). In the guest, dummy_hcd joins device controllers to host
controllers in the same kernel: data/cradle-gadget and cradle-agent
--functionfs are the device, cradlectl and usb-kernel-probe (libcradle) the
host, over the kernel's real USB stack and libusb. guest-cases.sh runs the
cases and writes one line per case to the out folder; this program prints
them as TAP, one line per case, in the order of CASES, so a case the guest
never reached still counts as a failure.

The kernel comes from Debian's package linux-image-amd64 depends on,
downloaded once with `apt-get download` into the build folder
(tests/usb-kernel/kernel/), of which only vmlinuz and the modules listed in
MODULES are extracted. A machine without qemu, busybox-static, or a kernel
package (none cached and none downloadable) skips the suite with the reason.

Usage: test-usb-kernel.py (from meson; CRADLE_SOURCE_ROOT and
CRADLE_BUILD_ROOT name the tree and the build). USB_KERNEL_CASES=a,b runs
only those cases (the others are reported as skipped), for iterating.
USB_KERNEL_TRACE=1 traces every command the guest runs, with its time, into
out/logs/trace.txt.
"""
import os
import re
import shutil
import subprocess
import sys
import time

# (name, what it proves): guest-cases.sh reports each by name.
CASES = [
    ("devices-found", "cradlectl devices lists the gadget, found by libusb through the kernel"),
    ("device-identity", "the device's model and manufacturer over USB are its machine's (DMI), not the simulator's"),
    ("pairing", "the device asks its user to trust this computer; once paired a new session authenticates without asking"),
    ("generate-confirmed", "GENERATE_KEY waits for the device's user (KEEPALIVEs), then makes the key on a yes"),
    ("sign-list-install", "SIGN of a request with the device's key, the certificate installed on the device and listed"),
    ("unplug-during-pairing", "unbinding while the device asks to trust a computer: device gone, nothing lost"),
    ("unplug-during-generate", "unbinding while GENERATE_KEY waits: device gone, nothing lost"),
    ("unplug-during-sign", "unbinding while SIGN waits: device gone, nothing lost"),
    ("unplug-during-install", "unbinding while INSTALL of a new root waits: device gone, nothing lost"),
    ("unplug-during-delete", "unbinding while DELETE_CERT waits: device gone, nothing lost"),
    ("rebind-resume", "after a rebind the same agent serves again, paired, and the interrupted operation completes"),
    ("monitor-hotplug", "CradleDeviceMonitor sees the device leave and come back without udev (polling fallback)"),
    ("four-devices", "four gadgets on dummy_hcd num=4: all found, named as configured, four enrollments at once"),
    ("gadget-down", "cradle-gadget down removes every device; each agent stops on SIGTERM, not killed"),
    ("agent-stops", "SIGTERM stops an agent whose host stopped reading mid-operation, its store whole"),
]

# Loaded in this order in the guest (each after the ones it depends on).
MODULES = [
    "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko", "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci.ko", "net/9p/9pnet.ko", "net/9p/9pnet_virtio.ko",
    "fs/netfs/netfs.ko", "fs/fscache/fscache.ko", "fs/9p/9p.ko",
    "drivers/usb/common/usb-common.ko", "drivers/usb/core/usbcore.ko",
    "drivers/usb/gadget/udc/udc-core.ko", "drivers/usb/gadget/udc/dummy_hcd.ko",
    "fs/configfs/configfs.ko", "drivers/usb/gadget/libcomposite.ko",
    "drivers/usb/gadget/function/usb_f_fs.ko",
]

UDCS = 4
# A guard on the whole guest run, boot included, which takes about 1 min on
# TCG (2 idle cores) and 1.5 to 2.5 min when other work crowds the machine.
GUEST_TIMEOUT = 400
HERE = os.path.dirname(os.path.abspath(__file__))


class Skip(Exception):
    """The machine cannot run the suite; the message says why."""


def log(message):
    print(f"# {message}", flush=True)


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def kernel_package():
    """The package linux-image-amd64 depends on today, or None if apt cannot say."""
    if shutil.which("apt-cache") is None:
        return None
    result = run(["apt-cache", "depends", "linux-image-amd64"])
    match = re.search(r"Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b", result.stdout)
    return match.group(1) if match else None


def cached_debs(cache):
    return sorted((f for f in os.listdir(cache) if re.match(r"linux-image-[0-9].*-amd64_.*\.deb$", f)),
                  key=lambda f: os.path.getmtime(os.path.join(cache, f)))


def fetch_kernel(cache):
    """The kernel package's .deb in @cache: downloaded once, kept between runs."""
    os.makedirs(cache, exist_ok=True)
    package = kernel_package()
    if package is not None:
        have = [f for f in cached_debs(cache) if f.startswith(package + "_")]
        if have:
            return os.path.join(cache, have[-1])
        log(f"downloading {package} into {cache} (once; about 70 MB)")
        result = run(["apt-get", "download", package], cwd=cache)
        have = [f for f in cached_debs(cache) if f.startswith(package + "_")]
        if have:
            return os.path.join(cache, have[-1])
        reason = f"apt-get download {package} failed: {result.stderr.strip()[-300:]}"
    else:
        reason = "apt-cache cannot resolve linux-image-amd64 (not a Debian machine, or no package lists)"
    older = cached_debs(cache)
    if older:
        log(f"{reason}; using the cached {older[-1]}")
        return os.path.join(cache, older[-1])
    raise Skip(f"no Debian kernel package: {reason}")


def extract_kernel(deb, cache):
    """vmlinuz and the modules the guest loads, from @deb, extracted once."""
    name = os.path.basename(deb)
    version = re.match(r"linux-image-([^_]*)_", name).group(1)
    target = os.path.join(cache, version)
    stamp = os.path.join(target, ".extracted-from")
    if os.path.exists(stamp) and open(stamp).read() == name:
        return target
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.join(target, "tree"))
    members = [f"./boot/vmlinuz-{version}"] + [f"./lib/modules/{version}/kernel/{m}" for m in MODULES]
    # dpkg-deb -x would write the whole 400 MB package; take only these.
    tar = subprocess.Popen(["tar", "-x", "-C", os.path.join(target, "tree")] + members,
                           stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    dpkg = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], stdout=tar.stdin, stderr=subprocess.PIPE)
    tar.stdin.close()
    tar_err = tar.stderr.read().decode(errors="replace")
    if tar.wait() != 0 or dpkg.returncode != 0:
        raise Skip(f"could not extract the kernel from {deb}: {tar_err.strip()[-300:]}"
                   f"{dpkg.stderr.decode(errors='replace').strip()[-200:]}")
    os.makedirs(os.path.join(target, "mods"))
    shutil.move(os.path.join(target, "tree", "boot", f"vmlinuz-{version}"), os.path.join(target, "vmlinuz"))
    for module in MODULES:
        shutil.move(os.path.join(target, "tree", "lib", "modules", version, "kernel", module),
                    os.path.join(target, "mods", os.path.basename(module)))
    shutil.rmtree(os.path.join(target, "tree"))
    with open(stamp, "w") as f:
        f.write(name)
    return target


def make_initramfs(kernel_dir, work):
    """busybox-static, the modules and guest-init, as a gzip'd newc cpio."""
    busybox = shutil.which("busybox")
    # ldd fails on a static program ("not a dynamic executable").
    if busybox is None or run(["ldd", busybox]).returncode == 0:
        raise Skip("busybox-static is not installed (tests/tools/install-deps installs it)")
    root = os.path.join(work, "initramfs")
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("bin", "mods", "proc", "sys", "dev", "newroot"):
        os.makedirs(os.path.join(root, folder))
    shutil.copy(busybox, os.path.join(root, "bin", "busybox"))
    shutil.copy(os.path.join(HERE, "guest-init"), os.path.join(root, "init"))
    os.chmod(os.path.join(root, "init"), 0o755)
    for module in os.listdir(os.path.join(kernel_dir, "mods")):
        shutil.copy(os.path.join(kernel_dir, "mods", module), os.path.join(root, "mods", module))
    initrd = os.path.join(work, "initrd.gz")
    files = run(["find", "."], cwd=root).stdout
    with open(initrd, "wb") as out:
        cpio = subprocess.Popen([busybox, "cpio", "-o", "-H", "newc"], cwd=root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        gzip = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=out)
        cpio.stdout.close()
        cpio.stdin.write(files.encode())
        cpio.stdin.close()
        if cpio.wait() != 0 or gzip.wait() != 0:
            raise RuntimeError("building the initramfs failed")
    shutil.rmtree(root)
    return initrd


def boot(kernel_dir, initrd, work, out, script):
    qemu = shutil.which("qemu-system-x86_64")
    console = os.path.join(out, "console.log")
    accel = ["-accel", "kvm", "-accel", "tcg"] if os.access("/dev/kvm", os.R_OK | os.W_OK) else ["-accel", "tcg"]
    argv = [qemu, *accel, "-M", "pc", "-cpu", "max" if "kvm" in accel else "qemu64",
            "-smp", "2", "-m", "1024",
            "-nodefaults", "-no-user-config", "-display", "none", "-nic", "none", "-no-reboot",
            "-serial", f"file:{console}", "-monitor", "none",
            "-kernel", os.path.join(kernel_dir, "vmlinuz"), "-initrd", initrd,
            "-append", " ".join(["console=ttyS0", "rdinit=/init", "panic=-1", "loglevel=4",
                                 "mitigations=off", f"cradle.script={script}", f"cradle.out={out}",
                                 f"cradle.udcs={UDCS}"]),
            "-virtfs", "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", f"local,path={out},mount_tag=out,security_model=none,multidevs=remap"]
    started = time.monotonic()
    try:
        result = run(argv, timeout=GUEST_TIMEOUT, stdin=subprocess.DEVNULL)
        status = f"qemu exited with {result.returncode}" + (f": {result.stderr.strip()[-300:]}" if result.returncode else "")
    except subprocess.TimeoutExpired:
        status = f"the guest did not finish within {GUEST_TIMEOUT} s and was stopped"
    log(f"{status}, after {time.monotonic() - started:.1f} s")
    return status


def report(out, status, selected):
    results = {}
    path = os.path.join(out, "results")
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            match = re.match(r"^(ok|not ok) ([a-z0-9-]+)(?: - (.*))?$", line.rstrip("\n"))
            if match:
                results[match.group(2)] = (match.group(1) == "ok", match.group(3) or "")
    init_failed = None
    console = os.path.join(out, "console.log")
    if os.path.exists(console):
        for line in open(console, errors="replace"):
            if line.startswith("usb-kernel-init-failed: "):
                init_failed = line.split(": ", 1)[1].strip()
    print(f"1..{len(CASES)}")
    failed = 0
    for number, (name, what) in enumerate(CASES, 1):
        if selected and name not in selected:
            print(f"ok {number} {name} # SKIP not selected (USB_KERNEL_CASES)")
            continue
        if name in results:
            ok, detail = results[name]
            print(f"{'ok' if ok else 'not ok'} {number} {name}: {what}" + (f" ({detail})" if detail else ""))
            failed += not ok
        else:
            why = init_failed or status
            print(f"not ok {number} {name}: {what} (the guest never reported it: {why}; see {console})")
            failed += 1
    return 1 if failed else 0


def main():
    source_root = os.environ.get("CRADLE_SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
    build_root = os.environ.get("CRADLE_BUILD_ROOT")
    if build_root is None:
        print("usb-kernel: run me from meson (CRADLE_BUILD_ROOT is not set)", file=sys.stderr)
        return 2
    work = os.path.join(build_root, "tests", "usb-kernel")
    selected = [c for c in os.environ.get("USB_KERNEL_CASES", "").split(",") if c]
    try:
        if os.uname().machine != "x86_64":
            raise Skip(f"this machine is {os.uname().machine}; the suite boots Debian's amd64 kernel")
        if shutil.which("qemu-system-x86_64") is None:
            raise Skip("qemu-system-x86_64 is not installed (tests/tools/install-deps installs qemu-system-x86)")
        kernel_dir = extract_kernel(fetch_kernel(os.path.join(work, "kernel")), os.path.join(work, "kernel"))
        initrd = make_initramfs(kernel_dir, work)
    except Skip as skip:
        print(f"1..0 # SKIP {skip}")
        return 0
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    # What the guest's cases script needs to know, in a file it reads.
    with open(os.path.join(out, "env"), "w") as env:
        env.write(f"SRC='{source_root}'\nBUILD='{build_root}'\nOUT='{out}'\nUDCS={UDCS}\n"
                  f"CASES='{' '.join(selected)}'\nTRACE='{'1' if os.environ.get('USB_KERNEL_TRACE') else ''}'\n")
    log(f"kernel {os.path.basename(kernel_dir)}; guest logs in {out}")
    status = boot(kernel_dir, initrd, work, out, os.path.join(HERE, "guest-cases.sh"))
    return report(out, status, selected)


if __name__ == "__main__":
    sys.exit(main())
