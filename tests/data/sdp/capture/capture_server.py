#!/usr/bin/env python3
"""Serves page.html on 127.0.0.1 and writes the SDPs the page POSTs back.

usage: capture_server.py PORT OUTDIR PREFIX
Writes OUTDIR/PREFIX-offer.sdp and PREFIX-answer.sdp byte for byte as the
browser produced them (CRLF), then exits. Exits with 1 after 60 s without a
result, so a browser that fails never hangs the capture.
"""
import http.server
import json
import os
import sys
import threading

PORT, OUTDIR, PREFIX = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HERE = os.path.dirname(os.path.abspath(__file__))
done = threading.Event()
status = {"rc": 1}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(os.path.join(HERE, "page.html"), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        r = json.loads(self.rfile.read(n))
        self.send_response(204)
        self.end_headers()
        if "error" in r:
            print("page error:", r["error"], file=sys.stderr)
        else:
            for kind in ("offer", "answer"):
                path = os.path.join(OUTDIR, "%s-%s.sdp" % (PREFIX, kind))
                with open(path, "w", newline="") as f:
                    f.write(r[kind])
                print("wrote", path)
            print("mode:", r["mode"], "ua:", r["ua"])
            status["rc"] = 0
        done.set()

    def log_message(self, fmt, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", PORT), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
done.wait(60)
srv.shutdown()
sys.exit(status["rc"])
