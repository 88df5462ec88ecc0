#!/usr/bin/python3
"""tcp-forward.py PORT HOST TARGET_PORT: a TCP forwarder on 127.0.0.1:PORT.

Stands in for a CA front-end that can be stopped and started again on the
same port without touching the lab CA other tests use: killing this
process is "the CA stopped". PORT 0 picks a free port. Prints "port N"
once it listens.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main():
    port, host, target_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True)
    print("port", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
