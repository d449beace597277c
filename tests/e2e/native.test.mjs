// Browser ↔ native end-to-end (issue 4): Chromium, whose fake microphone
// plays a WAV of a pure tone this test writes, calls `rtcgate-call wait
// --record` through `rtcgate serve`. The native side answers the broker's
// offer (made from Chromium's) with Opus, records what it decodes, and the
// recording's dominant frequency must be the WAV's. Run by run.sh inside a
// private network namespace; rtcgate-call comes from RTCGATE_BIN_DIR and
// verifies the server's certificate with --ca RTCGATE_CERT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  launchBrowser, api, mintToken, openClientWithToken, waitEvent, closeClient, serverUrl, sleep, ROOT,
} from './lib.mjs';

// Not a round default (Chromium's own fake beep, test tones at 440/1000 Hz).
// 523 Hz × 3 s is a whole number of cycles, so Chromium's loop has no seam.
const TONE_HZ = 523;
const TONE_S = 3;
const TONE_RATE = 48000;
const TOLERANCE_HZ = 5;
const CALL_MS = 5000;            // media window after both sides are secured
const NATIVE_SAFETY_S = 25;      // rtcgate-call's own --duration: it hangs up even if we never do
const EXIT_WAIT_MS = 5000;       // after the browser's hangup

// --- WAV ----------------------------------------------------------------------

/** A 16-bit PCM mono WAV of a sine at `hz`, amplitude 0.5 of full scale. */
export function toneWav(hz, seconds, rate) {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'ascii'); buf.writeUInt32LE(36 + 2 * n, 4); buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii'); buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);            // PCM
  buf.writeUInt16LE(1, 22);            // mono
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii'); buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(16383 * Math.sin(2 * Math.PI * hz * i / rate)), 44 + 2 * i);
  return buf;
}

/** {rate, samples: Float64Array of channel 0 in [-1, 1)} of a 16-bit PCM WAV; walks the chunks. */
export function readWav(buf) {
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF', 'WAV: RIFF');
  assert.equal(buf.toString('ascii', 8, 12), 'WAVE', 'WAV: WAVE');
  let fmt = null, data = null;
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, Math.min(buf.length, off + 8 + size));
    if (id === 'fmt ') fmt = body;
    if (id === 'data') data = body;
    off += 8 + size + (size & 1);
  }
  assert.ok(fmt && data, 'WAV: fmt and data chunks');
  const format = fmt.readUInt16LE(0), channels = fmt.readUInt16LE(2), rate = fmt.readUInt32LE(4);
  const bits = fmt.readUInt16LE(14);
  assert.ok((format === 1 || format === 0xfffe) && bits === 16, `WAV: 16-bit PCM (format ${format}, ${bits} bits)`);
  const frames = Math.floor(data.length / (2 * channels));
  const samples = new Float64Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = data.readInt16LE(2 * channels * i) / 32768;
  return { rate, samples };
}

// --- spectrum -----------------------------------------------------------------

/** In-place iterative radix-2 FFT (n a power of two). */
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = -2 * Math.PI / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
        const nr = cr * wr - ci * wi; ci = cr * wi + ci * wr; cr = nr;
      }
    }
  }
}

/**
 * Dominant frequency of `samples`: Welch average of Hann-windowed power
 * spectra over half-overlapping segments of `n` points, strongest bin above
 * 50 Hz, parabolic interpolation of the log power around it. Also returns the
 * share of the total power within ±3 bins of the peak (a pure tone: near 1).
 */
export function dominantFrequency(samples, rate, n = 32768) {
  assert.ok(samples.length >= n, `at least ${n} samples to analyse (have ${samples.length})`);
  const power = new Float64Array(n / 2 + 1);
  const win = new Float64Array(n).map((_, i) => 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)));
  let segs = 0;
  for (let start = 0; start + n <= samples.length && segs < 16; start += n / 2, segs++) {
    const re = new Float64Array(n), im = new Float64Array(n);
    for (let i = 0; i < n; i++) re[i] = samples[start + i] * win[i];
    fft(re, im);
    for (let k = 0; k <= n / 2; k++) power[k] += re[k] * re[k] + im[k] * im[k];
  }
  const binHz = rate / n;
  let peak = Math.ceil(50 / binHz);
  for (let k = peak; k < n / 2; k++) if (power[k] > power[peak]) peak = k;
  const l = Math.log(power[peak - 1] + 1e-30), c = Math.log(power[peak] + 1e-30), r = Math.log(power[peak + 1] + 1e-30);
  const denom = l - 2 * c + r;
  const delta = denom < 0 ? Math.max(-0.5, Math.min(0.5, 0.5 * (l - r) / denom)) : 0;
  let total = 0, near = 0;
  for (let k = 1; k <= n / 2; k++) { total += power[k]; if (Math.abs(k - peak) <= 3) near += power[k]; }
  return { hz: (peak + delta) * binHz, share: total > 0 ? near / total : 0, segments: segs };
}

/** The part of a recording after its leading silence (20 ms frames under ~-40 dBFS RMS), minus `skipS`. */
function activePart(samples, rate, skipS) {
  const frame = Math.round(rate / 50);
  let first = -1;
  for (let f = 0; (f + 1) * frame <= samples.length; f++) {
    let e = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) e += samples[i] * samples[i];
    if (Math.sqrt(e / frame) > 0.01) { first = f * frame; break; }
  }
  if (first < 0) return new Float64Array(0);
  return samples.subarray(Math.min(samples.length, first + Math.round(skipS * rate)));
}

// --- rtcgate-call -------------------------------------------------------------

function rtcgateCallBin() {
  const dir = process.env.RTCGATE_BIN_DIR || path.join(ROOT, 'build/bin');
  return path.join(dir, 'rtcgate-call');
}

/** Starts rtcgate-call; `out.lines` fills with its stdout lines, `out.exit` resolves with {code, signal}. */
function startNative(args) {
  const child = spawn(rtcgateCallBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { child, lines: [], stderr: '', exited: false };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop();
    out.lines.push(...parts);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { out.stderr += d; });
  out.exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    if (partial) out.lines.push(partial);
    out.exited = true;
    resolve({ code, signal });
  }));
  child.on('error', (e) => { out.stderr += `spawn: ${e.message}\n`; });
  return out;
}

async function waitLine(out, re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = out.lines.find((l) => re.test(l));
    if (line) return line;
    if (out.exited || Date.now() > deadline) {
      throw new Error(`rtcgate-call: no line matching ${re} (${out.exited ? 'exited' : 'timeout'}):\n`
        + `${out.lines.join('\n')}\n${out.stderr}`);
    }
    await sleep(50);
  }
}

/** key=value pairs of every `summary:` line (values may be "quoted"). */
function parseSummary(lines) {
  const kv = {};
  for (const line of lines.filter((l) => l.startsWith('summary: '))) {
    for (const m of line.slice(9).matchAll(/(\w+)=("([^"]*)"|\S+)/g)) kv[m[1]] = m[3] ?? m[2];
  }
  return kv;
}

// --- the test -----------------------------------------------------------------

let browser, http, tmp, toneFile;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcgate-native-'));
  toneFile = path.join(tmp, `tone-${TONE_HZ}.wav`);
  fs.writeFileSync(toneFile, toneWav(TONE_HZ, TONE_S, TONE_RATE));
  // Chromium loops the file (a "%noloop" suffix would stop it after one pass).
  browser = await launchBrowser([`--use-file-for-fake-audio-capture=${toneFile}`]);
  http = await api();
});
after(async () => {
  await http?.dispose();
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the wav analysis finds the tone it wrote (self-check of the test)', () => {
  const { rate, samples } = readWav(toneWav(TONE_HZ, TONE_S, TONE_RATE));
  const d = dominantFrequency(samples, rate);
  assert.ok(Math.abs(d.hz - TONE_HZ) < 0.5, `${d.hz} Hz`);
  assert.ok(d.share > 0.99, `share ${d.share}`);
});

test(`chromium calls rtcgate-call: its ${TONE_HZ} Hz fake microphone is the dominant frequency of the native recording, Opus over DTLS 1.2`, { timeout: 60000 }, async () => {
  const cert = process.env.RTCGATE_CERT;
  assert.ok(cert && fs.existsSync(cert), `RTCGATE_CERT (the server's certificate) exists: ${cert}`);
  const suffix = Math.random().toString(36).slice(2, 8);
  const callerName = `web-${suffix}`, calleeName = `native-${suffix}`;
  const [callerToken, calleeToken] = [await mintToken(http, callerName), await mintToken(http, calleeName)];
  const record = path.join(tmp, 'native-recording.wav');
  const native = startNative([
    '--server', serverUrl().replace(/^https/, 'wss'), '--token', calleeToken,
    'wait', '--record', record, '--duration', String(NATIVE_SAFETY_S), '--ca', cert,
  ]);
  let web = null;
  try {
    await waitLine(native, /^event: ready user=/, 10000);
    web = await openClientWithToken(browser, serverUrl(), callerName, callerToken);
    const callId = await web.page.evaluate((to) => window.t.gate.call(to, { audio: true, video: false }), calleeName);
    const inc = await waitLine(native, /^event: incoming /, 10000);
    assert.match(inc, new RegExp(`call_id=${callId} from=${callerName}\\b`));
    const webSecured = await waitEvent(web, 'secured');
    assert.equal(webSecured.call_id, callId);
    assert.equal(webSecured.dtls_version, 'DTLS 1.2');
    const natSecured = await waitLine(native, /^event: secured /, 10000);
    assert.match(natSecured, /dtls_version="DTLS 1\.2"/);
    // The native side sends silence; its packets reach the browser too.
    await web.page.waitForFunction(() => window.t.max.audio > 0, null, { timeout: 10000 });
    await sleep(CALL_MS);
    await web.page.evaluate(() => window.t.gate.hangup());

    const exit = await Promise.race([native.exit, sleep(EXIT_WAIT_MS).then(() => null)]);
    const log = `${native.lines.join('\n')}\n${native.stderr}`;
    assert.ok(exit, `rtcgate-call ended within ${EXIT_WAIT_MS} ms of the browser's hangup:\n${log}`);
    assert.deepEqual(exit, { code: 0, signal: null }, log);
    assert.ok(native.lines.some((l) => /^event: hangup .*reason=normal by=peer/.test(l)), log);

    const s = parseSummary(native.lines);
    assert.equal(s.secured, 'yes', log);
    assert.equal(s.codec, 'opus', `native side picked Opus from Chromium's offer:\n${log}`);
    assert.equal(s.dtls_version, 'DTLS 1.2', log);
    assert.match(s.srtp_profile, /^(AEAD_AES_(128|256)_GCM|AES128_CM_HMAC_SHA1_(80|32))$/, log);
    // 50 packets/s for CALL_MS: well over half of them, none lost on loopback to speak of.
    assert.ok(Number(s.packets_received) > (CALL_MS / 20) / 2, `packets_received=${s.packets_received}\n${log}`);

    const { rate, samples } = readWav(fs.readFileSync(record));
    const active = activePart(samples, rate, 0.5); // skip Opus/AGC start-up
    assert.ok(active.length >= rate * 2, `at least 2 s of non-silent audio recorded (${(active.length / rate).toFixed(2)} s of ${(samples.length / rate).toFixed(2)} s at ${rate} Hz)`);
    const d = dominantFrequency(active, rate);
    assert.ok(Math.abs(d.hz - TONE_HZ) <= TOLERANCE_HZ,
      `dominant frequency ${d.hz.toFixed(2)} Hz, expected ${TONE_HZ} ± ${TOLERANCE_HZ} Hz (share ${d.share.toFixed(3)})`);
    assert.ok(d.share > 0.5, `the tone carries most of the power (share ${d.share.toFixed(3)})`);
    console.log(`# native recording: ${d.hz.toFixed(2)} Hz, power share ${d.share.toFixed(3)}, ${d.segments} segments, `
      + `${(samples.length / rate).toFixed(2)} s at ${rate} Hz; packets_received=${s.packets_received} `
      + `lost=${s.packets_lost} srtp=${s.srtp_profile}`);
  } catch (err) {
    // Both sides' view of the call, for a failure before the summary (the
    // runner prints the error's stack, which a changed message would not reach).
    const webEvents = web ? await web.page.evaluate(() => window.t.events).catch(() => []) : [];
    throw new Error(`${err.message}\n--- rtcgate-call ---\n${native.lines.join('\n')}\n${native.stderr}`
      + `--- browser events ---\n${JSON.stringify(webEvents)}\n${web ? web.logs.join('\n') : ''}`, { cause: err });
  } finally {
    if (!native.exited) {
      native.child.kill('SIGTERM'); // by PID: rtcgate-call hangs up and exits
      await Promise.race([native.exit, sleep(2000)]);
      if (!native.exited) native.child.kill('SIGKILL');
    }
    await closeClient(web);
  }
});
