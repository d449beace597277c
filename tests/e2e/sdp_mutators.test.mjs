// Checks the SDP rewrites on a real Chromium 156 offer (tests/data/sdp), so
// the negative browser tests alter exactly what they claim to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import './sdp_mutators.js';

const { forgeFingerprint, dropVideoSsrc, ssrcs } = globalThis.rtcgateSdpMutators;
const offer = readFileSync(new URL('../data/sdp/chromium-156.0.8078.108-offer.sdp', import.meta.url), 'utf8');
const fingerprints = (s) => s.split(/\r?\n/).filter((l) => l.startsWith('a=fingerprint:'));

test('forgeFingerprint changes every fingerprint line the same way and nothing else', () => {
  const out = forgeFingerprint(offer);
  const before = fingerprints(offer), after = fingerprints(out);
  assert.equal(after.length, before.length);
  assert.ok(before.length >= 2);
  for (let i = 0; i < before.length; i++) assert.notEqual(after[i], before[i]);
  assert.equal(new Set(after).size, 1);
  assert.equal(out.split('\n').length, offer.split('\n').length);
  assert.equal(out.replace(/^a=fingerprint:.*$/gm, ''), offer.replace(/^a=fingerprint:.*$/gm, ''));
});

test('dropVideoSsrc removes the video ssrc, ssrc-group and msid lines and keeps audio ones', () => {
  const out = dropVideoSsrc(offer);
  assert.deepEqual(ssrcs(offer, 'video').length, 2);
  assert.deepEqual(ssrcs(out, 'video'), []);
  assert.deepEqual(ssrcs(out, 'audio'), ssrcs(offer, 'audio'));
  assert.ok(!/a=ssrc-group/.test(out));
  const video = out.slice(out.indexOf('m=video'), out.indexOf('m=application'));
  assert.ok(!/^a=msid:/m.test(video));
  assert.ok(/^a=msid:/m.test(out.slice(out.indexOf('m=audio'), out.indexOf('m=video'))));
  assert.ok(out.endsWith('\r\n') === offer.endsWith('\r\n'));
});
