// Browser end-to-end, negative: alice's offer is altered in her page (the
// SDK's test-only sdpTransform) before it is sent. Run by run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, api, openClient, waitEvent, mediaStats, closeClient, getCall, getMetrics, metricSum, callLegs,
  legDrops, sleep,
} from './lib.mjs';

let browser, http;

before(async () => { browser = await launchBrowser(); http = await api(); });
after(async () => { await http?.dispose(); await browser?.close(); });

test('a forged fingerprint in the offer: no media flows, the broker counts a mismatch, both sides get media_failed', { timeout: 60000 }, async () => {
  const before = metricSum(await getMetrics(http), /^rtcgate_dtls_failures_total\{reason="fingerprint"\}$/);
  const alice = await openClient(browser, http, 'alice_fp', { mutator: 'forgeFingerprint' });
  const bob = await openClient(browser, http, 'bob_fp', { autoAnswer: true });
  try {
    const callId = await alice.page.evaluate(() => window.t.gate.call('bob_fp', { audio: true, video: true }));
    await waitEvent(bob, 'incoming');
    // The setup timeout is 10 s after the SDP went out; allow for it.
    const [ha, hb] = [await waitEvent(alice, 'hangup', 25000), await waitEvent(bob, 'hangup', 25000)];
    assert.equal(ha.call_id, callId);
    assert.equal(ha.reason, 'media_failed');
    assert.equal(hb.reason, 'media_failed');
    const secA = await alice.page.evaluate(() => window.t.events.filter((e) => e.type === 'secured'));
    assert.deepEqual(secA, [], 'alice\'s leg was never secured');
    for (const [c, who] of [[alice, 'alice'], [bob, 'bob']]) {
      const max = await c.page.evaluate(() => window.t.max);
      assert.equal(max.audio + max.video, 0, `${who} received no media (${JSON.stringify(max)})`);
    }
    const after = metricSum(await getMetrics(http), /^rtcgate_dtls_failures_total\{reason="fingerprint"\}$/);
    assert.ok(after > before, `fingerprint mismatch counted in /metrics (${before} → ${after})`);
  } finally {
    await closeClient(alice);
    await closeClient(bob);
  }
});

test('video SSRCs removed from the offer: bob gets audio but no video, the broker counts unknown_ssrc drops', { timeout: 60000 }, async () => {
  const alice = await openClient(browser, http, 'alice_ssrc', { mutator: 'dropVideoSsrc' });
  const bob = await openClient(browser, http, 'bob_ssrc', { autoAnswer: true });
  try {
    const callId = await alice.page.evaluate(() => window.t.gate.call('bob_ssrc', { audio: true, video: true }));
    await waitEvent(alice, 'secured');
    await waitEvent(bob, 'secured');
    await bob.page.waitForFunction(() => window.t.max.audio > 50, null, { timeout: 15000 });
    await sleep(2000);
    const s = await mediaStats(bob);
    assert.ok(s.inbound.audio && s.inbound.audio.packetsReceived > 50, `bob receives audio: ${JSON.stringify(s.inbound)}`);
    const max = await bob.page.evaluate(() => window.t.max);
    assert.equal(max.video, 0, 'bob received no video packets');
    assert.equal(max.framesDecoded, 0, 'bob decoded no video frames');
    // Bob's own video reaches alice: only the undeclared direction is cut.
    await alice.page.waitForFunction(() => window.t.max.framesDecoded > 0, null, { timeout: 10000 });

    const legs = callLegs(await getCall(http, callId));
    assert.equal(legs.length, 2);
    assert.ok(legDrops(legs[0], 'unknown_ssrc') > 0, `caller leg counts unknown_ssrc drops: ${JSON.stringify(legs[0])}`);
    assert.ok(metricSum(await getMetrics(http), /^rtcgate_media_drops_total\{reason="unknown_ssrc"\}$/) > 0, '/metrics counts unknown_ssrc drops');
    await alice.page.evaluate(() => window.t.gate.hangup());
    await waitEvent(bob, 'hangup');
  } finally {
    await closeClient(alice);
    await closeClient(bob);
  }
});
