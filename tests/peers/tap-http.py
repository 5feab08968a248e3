#!/usr/bin/env python3
# The host side of qemu-tap.sh's bulk transfers, run inside the test's
# network namespace: GET /blob returns SIZE deterministic bytes, POST
# answers the md5 of the body. TCP streams this long go through the TAP as
# GSO frames when the guest negotiated TSO (both directions).
import hashlib, http.server, sys

addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = bytes((i * 7 + i // 251) & 0xff for i in range(size))

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        self.wfile.write(blob)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        out = (hashlib.md5(body).hexdigest() + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass

if len(sys.argv) > 4:   # print the blob's md5 and exit
    print(hashlib.md5(blob).hexdigest())
    sys.exit(0)
http.server.HTTPServer((addr, port), H).serve_forever()
