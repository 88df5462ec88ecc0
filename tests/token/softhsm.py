"""softhsm.py: a SoftHSM2 token of a test's own, for the Python tests of
tokens (cradlectl, the engine end to end, the app).

Each token lives in a folder the test gives, with its own softhsm2.conf;
the environment returned points SOFTHSM2_CONF at it and is what the
program under test runs with. Give the program SoftHSM's module alone
(`--pkcs11-module MODULE`, or `cradle_conf_tokens(MODULE)` in its
cradle.conf: [Tokens] UseP11Kit=false), so that it never sees the
machine's own tokens. softhsm-test-support.[ch] is the same for C tests.

    env, module = softhsm.make_token(folder, "cradle", "1234", "12345678")
    subprocess.run(["cradlectl", "devices", "--pkcs11-module", module], env=env)
"""
import os
import shutil
import signal
import struct
import subprocess
import time

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
CLIENT = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
SERVER = "/usr/libexec/p11-kit/p11-kit-server"
PIN = "1234"
SO_PIN = "12345678"

# SoftHSM's vendor attribute with a token's flags in token.object, and the
# kinds of the values there (its ObjectFile format).
_CKA_OS_TOKENFLAGS = 0x8000534B
_BOOLEAN, _ULONG, _BYTES = 1, 2, 3
CKF_USER_PIN_LOCKED = 0x00040000


def missing():
    """Why SoftHSM2 cannot be used here, or None: a test skips with it."""
    if not os.path.exists(MODULE):
        return f"SoftHSM2 is not installed ({MODULE}; apt-get install softhsm2)"
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not installed (apt-get install softhsm2)"
    return None


def _env(folder):
    env = dict(os.environ)
    env["SOFTHSM2_CONF"] = os.path.join(folder, "softhsm2.conf")
    env.pop("P11_KIT_SERVER_ADDRESS", None)
    return env


def make_token(folder, label, pin=PIN, so_pin=SO_PIN, mechanisms=None):
    """Makes @folder hold one initialised token @label (SoftHSM also shows
    one free, uninitialised slot) and returns (env, module path).

    mechanisms: None for all, or SoftHSM's slots.mechanisms: the only
    mechanisms offered, comma-separated ("CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS"
    for a token that makes RSA keys alone; SoftHSM 2.6.1 ignores "-"
    exclusions)."""
    tokens = os.path.join(folder, "tokens")
    os.makedirs(tokens, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, "softhsm2.conf"), "w", encoding="utf-8") as f:
        f.write(f"directories.tokendir = {tokens}\n"
                "objectstore.backend = file\n"
                "log.level = ERROR\n"
                "slots.removable = false\n")
        if mechanisms:
            f.write(f"slots.mechanisms = {mechanisms}\n")
    env = _env(folder)
    add_token(env, label, pin, so_pin)
    return env, MODULE


def add_token(env, label, pin=PIN, so_pin=SO_PIN):
    """Another initialised token in the same folder."""
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                    "--so-pin", so_pin, "--pin", pin],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cradle_conf_tokens(module=MODULE):
    """The [Tokens] section of a test's cradle.conf: this module alone."""
    return f"[Tokens]\nUseP11Kit=false\nModules={module}\n"


def uri(label):
    return f"pkcs11:token={label}"


def count_objects(folder):
    """How many objects the folder's tokens hold, by SoftHSM's files (not
    through PKCS#11); the tokens themselves are not counted."""
    count = 0
    for parent, _, names in os.walk(os.path.join(folder, "tokens")):
        count += sum(1 for n in names if n.endswith(".object") and n != "token.object")
    return count


def lock_pin(folder):
    """Sets CKF_USER_PIN_LOCKED in the stored flags of the folder's tokens,
    as a token that locked its PIN shows it (SoftHSM2 itself never locks;
    it would still take the right PIN, so a program must refuse before
    C_Login). Affects programs started after."""
    done = False
    for parent, _, names in os.walk(os.path.join(folder, "tokens")):
        if "token.object" not in names:
            continue
        path = os.path.join(parent, "token.object")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        at = 8  # the generation
        while at + 16 <= len(data):
            kind_of, kind = struct.unpack(">QQ", data[at:at + 16])
            at += 16
            if kind == _BOOLEAN:
                at += 1
            elif kind == _ULONG:
                if kind_of == _CKA_OS_TOKENFLAGS:
                    flags = struct.unpack(">Q", data[at:at + 8])[0]
                    data[at:at + 8] = struct.pack(">Q", flags | CKF_USER_PIN_LOCKED)
                    done = True
                at += 8
            elif kind == _BYTES:
                at += 8 + struct.unpack(">Q", data[at:at + 8])[0]
            else:
                break
        with open(path, "wb") as f:
            f.write(data)
    if not done:
        raise RuntimeError(f"no token flags found under {folder}")


def pkcs11_tool(env, label, *args, pin=PIN):
    """OpenSC's pkcs11-tool on the token, logged in; its standard output."""
    return subprocess.run(["pkcs11-tool", "--module", MODULE, "--token-label", label,
                           "--login", "--pin", pin, *args],
                          env=env, check=True, capture_output=True, text=True).stdout


class Server:
    """The token served by p11-kit-server, so that it can be made to leave:
    the program under test loads CLIENT (env has P11_KIT_SERVER_ADDRESS);
    stop() kills the server and the process it forked for each client."""

    def __init__(self, folder, env, label):
        self.socket = os.path.join(folder, "p11-kit.sock")
        self.process = subprocess.Popen(
            [SERVER, "--foreground", "--sh", "--name", self.socket, "--provider", MODULE, uri(label)],
            env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        for _ in range(1000):
            if os.path.exists(self.socket):
                break
            time.sleep(0.01)
        if not os.path.exists(self.socket):
            self.stop()
            raise RuntimeError("p11-kit-server did not start")
        self.env = dict(env)
        self.env["P11_KIT_SERVER_ADDRESS"] = f"unix:path={self.socket}"
        self.module = CLIENT

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
