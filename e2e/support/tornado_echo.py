"""Seed 004's server, for the fault tests: a Tornado WebSocketHandler echo server.

Seed 004 (WebSocket with Tornado behind nginx) writes its server as a
tornado.websocket.WebSocketHandler: open(), on_message(), on_close(), write_message() to answer, and
check_origin() overridden (Tornado's default accepts only an Origin whose host is the Host header's).
This is that handler, echoing every text message (the tests send no binary), its check_origin
accepting exactly one origin: the test page's, or on purpose another one. The Application also sets
websocket_ping_interval (TESTING.md asks for it beside check_origin; the seed's "keeping the
connection" section names the proxy timeout, a client heartbeat and reconnection): Tornado then pings
every connection with a protocol ping, which the browser answers, and closes one whose pong stays
away longer than websocket_ping_timeout (by default 3 intervals, at least 30 s).

What it sees goes to a log file (appended, one JSON object a line, written through at once so that a
killed process loses nothing it handled), the server-side record the tests check:

  {"at": ms, "pid": pid, "event": "handshake", "origin": origin, "accepted": bool}
  {"at": ms, "pid": pid, "event": "open", "conn": n, "client": client}
  {"at": ms, "pid": pid, "event": "message", "conn": n, "data": text}
  {"at": ms, "pid": pid, "event": "pong", "conn": n}
  {"at": ms, "pid": pid, "event": "close", "conn": n, "code": the close frame's code or null}

`at` is wall-clock milliseconds, the clock the page and the Node side stamp with; `conn` numbers the
connections of this process; `client` is the `client` query parameter of the URL; `code` is null
when the connection ended without a close frame (or with one that carried no code).

Run by e2e/support/tornado.js with Debian's /usr/bin/python3 and python3-tornado:
  tornado_echo.py --port PORT --origin ORIGIN --ping-interval SECONDS --log FILE
"""

import argparse
import asyncio
import itertools
import json
import os
import time

import tornado.web
import tornado.websocket


async def main():
    parser = argparse.ArgumentParser(description="Seed 004's Tornado echo server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--origin", required=True, help="the only Origin check_origin accepts")
    parser.add_argument("--ping-interval", type=float, required=True, help="websocket_ping_interval, s")
    parser.add_argument("--log", required=True, help="the file the record is appended to")
    args = parser.parse_args()

    log = open(args.log, "a", buffering=1, encoding="utf-8")
    pid = os.getpid()
    connections = itertools.count(1)

    def record(event, **fields):
        log.write(json.dumps({"at": time.time() * 1000, "pid": pid, "event": event, **fields}) + "\n")

    class Echo(tornado.websocket.WebSocketHandler):
        def check_origin(self, origin):
            # Tornado answers a refused origin with 403 and never opens the connection.
            accepted = origin == args.origin
            record("handshake", origin=origin, accepted=accepted)
            return accepted

        def open(self):
            self.conn = next(connections)
            record("open", conn=self.conn, client=self.get_argument("client", "default"))

        def on_message(self, message):
            record("message", conn=self.conn, data=message)
            self.write_message(message)

        def on_pong(self, data):
            record("pong", conn=self.conn)

        def on_close(self):
            record("close", conn=self.conn, code=self.close_code)

    app = tornado.web.Application([(r"/", Echo)], websocket_ping_interval=args.ping_interval)
    app.listen(args.port, address="127.0.0.1")
    # Serves until the test kills the process, as Tornado 6's documentation writes its main().
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
