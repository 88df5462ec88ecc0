#!/usr/bin/python3
"""A simulated device that breaks the bridge protocol on purpose, for the
host's tests.  It listens where simulated devices do
($CRADLE_RUNTIME_DIR/devices/SERIAL.sock, or $XDG_RUNTIME_DIR/cradle/devices/),
prints "listening on PATH" once it does, then one line per request it gets
("request GENERATE_KEY 3", "cancel 3 ignored"), and runs until its standard
input closes, so it never outlives the test that started it.

HELLO, GET_INFO, pairing and AUTHENTICATE are answered correctly (pairing
is approved at once, and the session is sealed as docs/bridge-protocol.md
section 5 says); every other request waits for its user forever, with a
KEEPALIVE every second.  The mode says what a
CANCEL does:

  ignore-cancel   nothing: the keepalives go on
  silent-cancel   the keepalives stop, and no answer ever comes
  stall-info      as ignore-cancel, and GET_INFO too is never answered
                  (after HELLO, KEEPALIVEs for ever)
  hostile-prompt  as ignore-cancel, but the prompt is hostile: an escape
                  sequence, a bidi override, a C1 control and 8 KiB of text

Usage: misbehaving-device.py MODE SERIAL
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_frames as bf  # noqa: E402


def say(line):
    print(line, flush=True)


HOSTILE_PROMPT = ("Confirm on \x1b[2J\x1b]0;owned\x07the \u202etxt.exe device\u0085 " + "\u00e9" * 4096)


def serve(conn, mode, serial):
    prompt = HOSTILE_PROMPT if mode == "hostile-prompt" else "Confirm on the misbehaving device"
    waiting = {}  # request id -> still sending keepalives
    lock = threading.Lock()
    session = bf.Session(conn)

    def send(function, *args):
        function(*args)

    def keep_alive():
        while True:
            time.sleep(1)
            with lock:
                ids = [i for i, alive in waiting.items() if alive]
            try:
                for request_id in ids:
                    send(session.send_keepalive, request_id, 1, prompt)
            except OSError:
                return

    def answer(frame):
        frame_type, _flags, request_id, payload = frame
        if session.answer_pairing(frame_type, request_id, payload):
            return
        if frame_type == bf.GET_INFO and mode != "stall-info":
            send(session.send_response, bf.GET_INFO, request_id, bf.info_response(serial))
        elif frame_type == bf.CANCEL:
            with lock:
                if mode == "silent-cancel":
                    waiting[request_id] = False
            say("cancel %d ignored" % request_id)
        else:
            say("request %s %d" % (bf.NAMES.get(frame_type, hex(frame_type)), request_id))
            send(session.send_keepalive, request_id, 1, prompt)
            with lock:
                waiting[request_id] = True

    threading.Thread(target=keep_alive, daemon=True).start()
    while True:
        try:
            frame = session.read_frame()
        except (OSError, ValueError):
            frame = None
        if frame is None:
            say("host left")
            return
        try:
            answer(frame)
        except OSError:
            say("host left")
            return


def main():
    mode, serial = sys.argv[1], sys.argv[2]
    if mode not in ("ignore-cancel", "silent-cancel", "hostile-prompt", "stall-info"):
        sys.exit("unknown mode %s" % mode)
    runtime = os.environ.get("CRADLE_RUNTIME_DIR") or os.path.join(os.environ["XDG_RUNTIME_DIR"], "cradle")
    folder = os.path.join(runtime, "devices")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, serial + ".sock")
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn, mode, serial), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    say("listening on %s" % path)
    sys.stdin.read()
    os.unlink(path)


if __name__ == "__main__":
    main()
