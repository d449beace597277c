// Proves the harness without the rtcgate server: inside run.sh's private
// network namespace, playwright-core starts Debian's chromium, a page served
// by a small static server on 127.0.0.1 loads web/rtcgate.js, getUserMedia
// gives the fake camera and microphone, and two RTCPeerConnections in the
// page connect over loopback with media flowing (so the flags are right and
// the SDK's stats helper reads a real transport).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, ROOT } from './lib.mjs';

let server, base, browser;

before(async () => {
  const types = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css' };
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/blank') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>e2e harness</title>');
      return;
    }
    const file = url.pathname === '/' ? '/demo/index.html' : url.pathname.replace(/^\/sdk\//, '/');
    const full = path.join(ROOT, 'web', path.normalize(file));
    if (!full.startsWith(path.join(ROOT, 'web'))) { res.writeHead(403); res.end(); return; }
    try {
      const body = await readFile(full);
      res.writeHead(200, { 'content-type': types[path.extname(full)] || 'application/octet-stream' });
      res.end(body);
    } catch (_) { res.writeHead(404); res.end(); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('fake devices give one audio and one live video track', { timeout: 30000 }, async () => {
  const page = await browser.newPage();
  await page.goto(base + '/blank');
  const r = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const kinds = s.getTracks().map((t) => `${t.kind}:${t.readyState}`).sort();
    s.getTracks().forEach((t) => t.stop());
    return kinds;
  });
  assert.deepEqual(r, ['audio:live', 'video:live']);
  await page.close();
});

test('two peer connections in a page connect over loopback and decode video; rtcgate.js reads their security', { timeout: 45000 }, async () => {
  const page = await browser.newPage();
  await page.goto(base + '/blank');
  const r = await page.evaluate(async (sdk) => {
    const { securityFromStats, remoteCertificateSha256, newCallId } = await import(sdk);
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    s.getTracks().forEach((t) => a.addTrack(t, s));
    const cands = [];
    a.onicecandidate = (e) => { if (e.candidate) { cands.push(e.candidate.candidate); b.addIceCandidate(e.candidate); } };
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const t0 = Date.now();
    let frames = 0;
    while (Date.now() - t0 < 15000) {
      await new Promise((res) => setTimeout(res, 250));
      (await b.getStats()).forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'video') frames = x.framesDecoded || 0; });
      if (frames > 5) break;
    }
    const sec = await securityFromStats(b);
    const direct = await remoteCertificateSha256(b);
    let statsFp = null;
    (await b.getStats()).forEach((x) => { if (x.type === 'certificate' && x.fingerprint && `sha-256 ${x.fingerprint}` !== sec.localFingerprint) statsFp = x.fingerprint; });
    a.close(); b.close(); s.getTracks().forEach((t) => t.stop());
    return { frames, sec, cands, direct, statsFp, callId: newCallId() };
  }, base + '/sdk/rtcgate.js');
  assert.ok(r.frames > 5, `frames decoded ${r.frames}`);
  assert.ok(r.cands.some((c) => c.includes(' 127.0.0.1 ')), `loopback candidate in ${r.cands}`);
  assert.equal(r.sec.dtlsState, 'connected');
  assert.match(r.sec.tlsVersion, /^FE(FC|FD)$/);
  assert.equal(r.sec.remoteFingerprintMatchesSdp, true);
  // The fallback (DTLS transport's certificate) gives the stats' figure.
  assert.equal(r.direct.algorithm, 'sha-256');
  if (r.statsFp) assert.equal(r.direct.value, r.statsFp);
  assert.equal(r.sec.remoteFingerprint, `sha-256 ${r.direct.value}`);
  assert.ok(r.sec.selectedCandidatePair.remote.startsWith('127.0.0.1:'));
  assert.match(r.callId, /^[A-Za-z0-9_-]{16,64}$/);
  await page.close();
});
