#!/usr/bin/python3
"""device-user.py LINK ANSWERS LOG: the device's user at the agent's terminal.

Makes a pseudo-terminal and points LINK at its terminal side, for
`cradle-gadget up --tty LINK`. What the agent writes there (its questions)
goes to LOG; each line written into the FIFO ANSWERS is typed at the
terminal, as a person would answer. Runs until killed."""
import os
import select
import sys

link, answers, log_path = sys.argv[1:4]
master, terminal = os.openpty()
os.symlink(os.ttyname(terminal), link)
os.mkfifo(answers)
# Read-write, so the FIFO never reads end-of-file between writers.
answer_fd = os.open(answers, os.O_RDWR)
with open(log_path, "ab", buffering=0) as log:
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([master, answer_fd], [], [])
        if master in ready:
            try:
                log.write(os.read(master, 4096))
            except OSError:
                pass
        if answer_fd in ready:
            os.write(master, os.read(answer_fd, 4096))
