// A stand-in for `rtcgate serve` that speaks the signalling protocol (docs/
// protocol.md) but has no broker: it relays each SDP unchanged, so the two
// browsers connect to each other directly over loopback. It exists to test
// rtcgate.js and the demo page on their own (sdk_stub.test.mjs); the real
// server is tested by call.test.mjs and the others. Plain HTTP on 127.0.0.1
// (a secure context for getUserMedia) and a minimal RFC 6455 server: text
// frames only, no fragmentation, which is all rtcgate.js sends.
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { readFile } from 'node:fs/promises';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_FRAME = 256 * 1024;

function wsSend(sock, text) {
  const payload = Buffer.from(text);
  let head;
  if (payload.length < 126) head = Buffer.from([0x81, payload.length]);
  else if (payload.length < 65536) { head = Buffer.alloc(4); head[0] = 0x81; head[1] = 126; head.writeUInt16BE(payload.length, 2); }
  else { head = Buffer.alloc(10); head[0] = 0x81; head[1] = 127; head.writeBigUInt64BE(BigInt(payload.length), 2); }
  sock.write(Buffer.concat([head, payload]));
}

// Yields complete frames {opcode, payload} from the buffered bytes.
function wsParse(state, chunk, onFrame) {
  state.buf = Buffer.concat([state.buf, chunk]);
  for (;;) {
    const b = state.buf;
    if (b.length < 2) return;
    let len = b[1] & 0x7f, off = 2;
    if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
    else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
    if (len > MAX_FRAME) throw new Error('frame too large');
    const masked = (b[1] & 0x80) !== 0;
    const need = off + (masked ? 4 : 0) + len;
    if (b.length < need) return;
    const payload = Buffer.from(b.subarray(need - len, need));
    if (masked) { const m = b.subarray(off, off + 4); for (let i = 0; i < len; i++) payload[i] ^= m[i & 3]; }
    state.buf = b.subarray(need);
    onFrame(b[0] & 0x0f, payload);
  }
}

export async function startStubServer(webRoot) {
  const tokens = new Map();   // token → user
  const users = new Map();    // user → socket
  const calls = new Map();    // call_id → {caller, callee}
  const types = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css' };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && (url.pathname === '/demo/token' || url.pathname === '/v1/sessions')) {
      let body = '';
      for await (const c of req) body += c;
      const { user } = JSON.parse(body);
      const token = crypto.randomBytes(16).toString('hex');
      tokens.set(token, user);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, user, expires_at: new Date(Date.now() + 3600e3).toISOString() }));
      return;
    }
    let file = null;
    if (url.pathname === '/') file = 'demo/index.html';
    else if (url.pathname === '/sdk/rtcgate.js') file = 'rtcgate.js';
    else if (/^\/demo\.(js|css)$/.test(url.pathname)) file = 'demo' + url.pathname;
    if (!file) { res.writeHead(404); res.end(); return; }
    const body = await readFile(path.join(webRoot, file));
    res.writeHead(200, { 'content-type': types[path.extname(file)] });
    res.end(body);
  });

  server.on('upgrade', (req, sock) => {
    const key = req.headers['sec-websocket-key'];
    const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const state = { buf: Buffer.alloc(0), user: null };
    const send = (obj) => wsSend(sock, JSON.stringify(obj));
    const peerOf = (callId) => {
      const c = calls.get(callId);
      if (!c) return null;
      return users.get(c.caller === state.user ? c.callee : c.caller);
    };
    sock.on('data', (chunk) => wsParse(state, chunk, (op, payload) => {
      if (op === 8) { sock.end(); return; }
      if (op !== 1) return;
      const msg = JSON.parse(payload.toString());
      if (!state.user) {
        const user = msg.type === 'auth' && tokens.get(msg.token);
        if (!user) { send({ type: 'error', code: 'unauthorized' }); sock.end(); return; }
        state.user = user;
        users.set(user, { send, state });
        send({ type: 'ready', user });
        return;
      }
      if (msg.type === 'call') {
        const callee = users.get(msg.to);
        if (!callee) { send({ type: 'hangup', call_id: msg.call_id, reason: 'not_found' }); return; }
        calls.set(msg.call_id, { caller: state.user, callee: msg.to });
        callee.send({ type: 'incoming', call_id: msg.call_id, from: state.user, display_name: state.user, sdp: msg.sdp });
        send({ type: 'ringing', call_id: msg.call_id });
      } else if (msg.type === 'answer') {
        peerOf(msg.call_id)?.send({ type: 'answer', call_id: msg.call_id, sdp: msg.sdp });
        // Without a broker nothing checks DTLS: report a fixed "secured" so
        // the page's handling of it is exercised.
        for (const u of [state.user, calls.get(msg.call_id).caller]) {
          users.get(u)?.send({ type: 'secured', call_id: msg.call_id, dtls_version: 'DTLS 1.2',
            dtls_cipher: 'STUB-NO-BROKER', srtp_profile: 'STUB' });
        }
      } else if (msg.type === 'reject' || msg.type === 'hangup') {
        peerOf(msg.call_id)?.send({ type: 'hangup', call_id: msg.call_id, reason: msg.type === 'reject' ? (msg.reason || 'rejected') : 'normal' });
        calls.delete(msg.call_id);
      }
    }));
    sock.on('error', () => {});
    sock.on('close', () => { if (state.user && users.get(state.user)?.state === state) users.delete(state.user); });
  });

  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
