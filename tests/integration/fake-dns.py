#!/usr/bin/python3
"""A DNS server for one test: answers SRV questions from a table, NXDOMAIN
to everything else. UDP only, on the loopback address it is given.

    fake-dns.py ADDRESS NAME=TARGET:PORT[,TARGET:PORT...] ...

Prints "ready" once it listens, then serves until killed.
"""

import socket
import struct
import sys

SRV = 33


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def read_question(packet):
    labels, offset = [], 12
    while packet[offset] != 0:
        length = packet[offset]
        labels.append(packet[offset + 1:offset + 1 + length].decode("ascii"))
        offset += 1 + length
    qtype, qclass = struct.unpack("!HH", packet[offset + 1:offset + 5])
    return ".".join(labels).lower(), qtype, offset + 5


def answer(packet, table):
    ident = packet[:2]
    name, qtype, end = read_question(packet)
    question = packet[12:end]
    targets = table.get(name) if qtype == SRV else None
    if not targets:
        # NXDOMAIN, recursion desired and available
        return ident + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question
    records = b""
    for priority, (host, port) in enumerate(targets):
        rdata = struct.pack("!HHH", priority, 100, port) + encode_name(host)
        records += b"\xc0\x0c" + struct.pack("!HHIH", SRV, 1, 60, len(rdata)) + rdata
    return ident + struct.pack("!HHHHH", 0x8180, 1, len(targets), 0, 0) + question + records


def main():
    address = sys.argv[1]
    table = {}
    for entry in sys.argv[2:]:
        name, targets = entry.split("=", 1)
        table[name.lower()] = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1]))
                               for t in targets.split(",")]
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, 53))
    print("ready", flush=True)
    while True:
        packet, client = server.recvfrom(4096)
        try:
            server.sendto(answer(packet, table), client)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue


if __name__ == "__main__":
    main()
