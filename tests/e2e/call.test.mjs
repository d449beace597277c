// Browser end-to-end: alice calls bob through rtcgate.js and `rtcgate serve`
// (the broker relays and re-encrypts every packet). Run by run.sh inside a
// private network namespace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, api, openClient, waitEvent, mediaStats, closeClient, getCall, callLegs, legDrops, sleep,
} from './lib.mjs';

const MEDIA_WINDOW_MS = 5000;
let browser, http;

before(async () => { browser = await launchBrowser(); http = await api(); });
after(async () => { await http?.dispose(); await browser?.close(); });

test('alice calls bob: audio and video flow both ways through the broker over DTLS 1.2 on both legs', { timeout: 90000 }, async () => {
  const alice = await openClient(browser, http, 'alice');
  const bob = await openClient(browser, http, 'bob', { autoAnswer: true });
  try {
    const callId = await alice.page.evaluate(() => window.t.gate.call('bob', { audio: true, video: true }));
    const inc = await waitEvent(bob, 'incoming');
    assert.equal(inc.call_id, callId);
    assert.equal(inc.from, 'alice');
    await waitEvent(alice, 'answer');
    const secured = [await waitEvent(alice, 'secured'), await waitEvent(bob, 'secured')];
    for (const s of secured) {
      assert.equal(s.call_id, callId);
      assert.equal(s.dtls_version, 'DTLS 1.2');
      assert.ok(s.dtls_cipher, 'secured names a DTLS cipher');
      assert.match(s.srtp_profile, /^(AEAD_AES_(128|256)_GCM|AES128_CM_HMAC_SHA1_(80|32))$/);
    }
    // Media has started both ways before the measured window opens.
    for (const c of [alice, bob]) {
      await c.page.waitForFunction(() => window.t.max.audio > 0 && window.t.max.video > 0, null, { timeout: 15000 });
    }
    const first = [await mediaStats(alice), await mediaStats(bob)];
    await sleep(MEDIA_WINDOW_MS);
    const second = [await mediaStats(alice), await mediaStats(bob)];
    for (const [i, who] of [[0, 'alice'], [1, 'bob']]) {
      const [a, b] = [first[i], second[i]];
      for (const kind of ['audio', 'video']) {
        assert.ok(b.inbound[kind], `${who}: inbound ${kind} stats exist`);
        assert.ok(b.inbound[kind].packetsReceived > a.inbound[kind].packetsReceived,
          `${who}: inbound ${kind} packets still growing (${a.inbound[kind].packetsReceived} → ${b.inbound[kind].packetsReceived})`);
      }
      assert.ok(b.inbound.video.framesDecoded > 0, `${who}: video frames decoded`);
      assert.ok(b.inbound.video.framesDecoded > a.inbound.video.framesDecoded, `${who}: video frames still decoded`);
      assert.equal(b.transport.dtlsState, 'connected', `${who}: dtlsState`);
      // Chromium offers DTLS 1.3; the broker must hold both legs at 1.2.
      assert.equal(String(b.transport.tlsVersion).toUpperCase(), 'FEFD', `${who}: transport tlsVersion is DTLS 1.2`);
    }
    // The broker answers alice (setup:active → broker is DTLS client, alice
    // server) and offers to bob (actpass → bob answers active, bob client).
    assert.equal(second[0].transport.dtlsRole, 'server', 'alice is DTLS server on the caller leg');
    assert.equal(second[1].transport.dtlsRole, 'client', 'bob is DTLS client on the callee leg');
    for (const [i, who] of [[0, 'alice'], [1, 'bob']]) {
      assert.equal(second[i].security.remoteFingerprintMatchesSdp, true, `${who}: broker certificate matches its SDP: ${JSON.stringify(second[i])}`);
    }

    const body = await getCall(http, callId);
    const legs = callLegs(body);
    assert.equal(legs.length, 2, JSON.stringify(body));
    for (const leg of legs) {
      assert.equal(leg.fingerprint_verified, true, JSON.stringify(leg));
      assert.equal(legDrops(leg, 'unknown_ssrc'), 0, JSON.stringify(leg));
      assert.equal(leg.dtls_version, 'DTLS 1.2');
      assert.ok(Number(leg.packets_in) > 0 && Number(leg.packets_out) > 0, JSON.stringify(leg));
    }

    await alice.page.evaluate(() => window.t.gate.hangup());
    const h = await waitEvent(bob, 'hangup');
    assert.equal(h.reason, 'normal');
  } finally {
    await closeClient(alice);
    await closeClient(bob);
  }
});
