// rtcgate.js and the demo page against stub_server.mjs (the signalling
// protocol without a broker: the browsers connect to each other directly).
// Checks the SDK's call flow, events, reject, hangup and mute, and that the
// demo page's buttons drive a call, without needing `rtcgate serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, openClientWithToken, waitEvent, events, mediaStats, closeClient, ROOT } from './lib.mjs';
import { startStubServer } from './stub_server.mjs';

let stub, browser;

async function token(user) {
  const res = await fetch(stub.url + '/demo/token', { method: 'POST', body: JSON.stringify({ user }) });
  return (await res.json()).token;
}
const open = async (user, opts) => openClientWithToken(browser, stub.url, user, await token(user), opts);

before(async () => {
  stub = await startStubServer(path.join(ROOT, 'web'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stub?.close();
});

test('sdk: a call rings, is answered, carries audio and video both ways, and hangs up on both sides', { timeout: 60000 }, async () => {
  const alice = await open('alice1');
  const bob = await open('bob1', { autoAnswer: true });
  try {
    const callId = await alice.page.evaluate(() => window.t.gate.call('bob1', { audio: true, video: true }));
    assert.match(callId, /^[A-Za-z0-9_-]{16,64}$/);
    const inc = await waitEvent(bob, 'incoming');
    assert.deepEqual(inc, { call_id: callId, from: 'alice1', display_name: 'alice1' });
    await waitEvent(alice, 'ringing');
    await waitEvent(alice, 'answer');
    await waitEvent(alice, 'secured');
    await waitEvent(bob, 'secured');
    for (const c of [alice, bob]) {
      await c.page.waitForFunction(() => window.t.max.framesDecoded > 3 && window.t.max.audio > 10, null, { timeout: 20000 });
      const s = await mediaStats(c);
      assert.equal(s.transport.dtlsState, 'connected');
      assert.equal(s.security.remoteFingerprintMatchesSdp, true, JSON.stringify(s));
    }
    // Mute: the local tracks are disabled, not removed.
    const muted = await alice.page.evaluate(() => {
      window.t.gate.mute({ audio: true, video: true });
      return window.t.gate.localStream.getTracks().map((t) => t.enabled);
    });
    assert.deepEqual(muted, [false, false]);
    await alice.page.evaluate(() => window.t.gate.hangup());
    const hb = await waitEvent(bob, 'hangup');
    assert.deepEqual(hb, { call_id: callId, reason: 'normal', local: false });
    const ha = (await events(alice)).find((e) => e.type === 'hangup').detail;
    assert.equal(ha.local, true);
    assert.equal(await bob.page.evaluate(() => window.t.gate.state), 'idle');
    assert.equal(await alice.page.evaluate(() => window.t.gate.pc), null);
  } finally {
    await closeClient(alice);
    await closeClient(bob);
  }
});

test('sdk: a rejected call ends on the caller with the reason', { timeout: 30000 }, async () => {
  const alice = await open('alice2');
  const bob = await open('bob2');
  try {
    await bob.page.evaluate(() => window.t.gate.addEventListener('incoming', () => window.t.gate.reject()));
    const callId = await alice.page.evaluate(() => window.t.gate.call('bob2', { audio: true, video: false }));
    const h = await waitEvent(alice, 'hangup');
    assert.deepEqual(h, { call_id: callId, reason: 'rejected', local: false });
    assert.equal(await alice.page.evaluate(() => window.t.gate.state), 'idle');
  } finally {
    await closeClient(alice);
    await closeClient(bob);
  }
});

test('demo page: sign in, call, answer with the button, see remote video and the security panel', { timeout: 60000 }, async () => {
  const ctxA = await browser.newContext(), ctxB = await browser.newContext();
  try {
    const [a, b] = [await ctxA.newPage(), await ctxB.newPage()];
    for (const [p, name] of [[a, 'alice3'], [b, 'bob3']]) {
      await p.goto(stub.url + '/');
      await p.fill('#name', name);
      await p.click('#signin');
      await p.waitForSelector('#call-card:not([hidden])');
    }
    await a.fill('#callee', 'bob3');
    await a.click('#call');
    await b.waitForSelector('#incoming:not([hidden])');
    assert.equal(await b.textContent('#incoming-from'), 'alice3');
    await b.click('#answer');
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.getElementById('remoteVideo').videoWidth > 0, null, { timeout: 20000 });
      await p.waitForFunction(() => document.getElementById('s-state').textContent.startsWith('connected'), null, { timeout: 10000 });
      assert.equal(await p.textContent('#b-version'), 'DTLS 1.2');
      assert.match(await p.textContent('#s-fingerprint'), /^yes: sha-256 /);
    }
    if (process.env.E2E_SCREENSHOT_DIR) await a.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'demo-stub.png'), fullPage: true });
    await a.click('#hangup');
    await b.waitForFunction(() => /Last call ended: normal/.test(document.getElementById('status').textContent));
    assert.equal(await b.isDisabled('#hangup'), true);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});
