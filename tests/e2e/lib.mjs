// Shared helpers of the browser end-to-end tests: launching Debian's
// chromium through playwright-core, talking to the server's HTTP API, and
// driving rtcgate.js inside pages. run.sh sets the environment:
//   RTCGATE_URL      https://127.0.0.1:PORT of the server under test
//   RTCGATE_APP_KEY  the application key the server was started with
//   CHROMIUM         the browser binary (default /usr/bin/chromium)
//   RTCGATE_BIN_DIR  the directory of rtcgate and rtcgate-call
//   RTCGATE_CERT     the server's certificate (PEM, self-signed)
import { chromium, request } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');

// Flags from the issue and the environment doc. Playwright adds its own
// fresh temporary --user-data-dir and --headless; --ignore-certificate-errors
// because the server's certificate is self-signed (it covers WSS too).
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--ignore-certificate-errors',
];

/** `extraArgs` are appended to CHROMIUM_ARGS (e.g. --use-file-for-fake-audio-capture=…). */
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30000,
  });
}

export function serverUrl() {
  const u = process.env.RTCGATE_URL;
  if (!u) throw new Error('RTCGATE_URL is not set: run the tests through tests/e2e/run.sh');
  return u.replace(/\/$/, '');
}

export function wsUrl(base = serverUrl()) {
  return base.replace(/^http/, 'ws') + '/v1/ws';
}

/** A Playwright API client for the server's HTTP API (accepts its self-signed certificate). */
export async function api() {
  return request.newContext({
    baseURL: serverUrl(),
    ignoreHTTPSErrors: true,
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.RTCGATE_APP_KEY || ''}` },
  });
}

export async function mintToken(apiCtx, user) {
  const res = await apiCtx.post('/v1/sessions', {
    data: {
      user, display_name: user[0].toUpperCase() + user.slice(1),
      allowed_destinations: ['*'], media: ['audio', 'video'], ttl_s: 600,
    },
  });
  if (res.status() !== 201) throw new Error(`POST /v1/sessions ${user}: ${res.status()} ${await res.text()}`);
  return (await res.json()).token;
}

export async function getCall(apiCtx, callId) {
  const res = await apiCtx.get(`/v1/calls/${callId}`);
  if (res.status() !== 200) throw new Error(`GET /v1/calls/${callId}: ${res.status()} ${await res.text()}`);
  return res.json();
}

export async function getMetrics(apiCtx) {
  const res = await apiCtx.get('/metrics');
  if (res.status() !== 200) throw new Error(`GET /metrics: ${res.status()}`);
  return res.text();
}

/** Sum of the samples of every metric line whose name and labels match `re`. */
export function metricSum(text, re) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^(\S+)\s+([0-9.eE+-]+)/.exec(line);
    if (m && re.test(m[1])) sum += Number(m[2]);
  }
  return sum;
}

/** The legs of a GET /v1/calls answer, caller first: accepts an array or a {caller, callee} object. */
export function callLegs(body) {
  const legs = body.legs;
  if (Array.isArray(legs)) return legs;
  if (legs && typeof legs === 'object') return [legs.caller, legs.callee].filter(Boolean);
  return [body.caller, body.callee].filter(Boolean);
}

/** A leg's drop count for `reason`: accepts {drops:{reason:N}} or drops_<reason>. */
export function legDrops(leg, reason) {
  if (leg.drops && typeof leg.drops === 'object') return Number(leg.drops[reason] || 0);
  return Number(leg[`drops_${reason}`] || 0);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens a page on the server, imports /sdk/rtcgate.js in it and connects as
 * `user`. In the page, window.t holds: gate (the RtcGate), events (every
 * event, in order, as {type, detail}), and a stats poller keeping the
 * largest inbound packet counts seen (media can stop before a test looks).
 * `mutator` names a function of sdp_mutators.js applied to outgoing SDP.
 */
export async function openClient(browser, apiCtx, user, opts = {}) {
  const token = await mintToken(apiCtx, user);
  return openClientWithToken(browser, serverUrl(), user, token, opts);
}

/** As openClient, on any server base URL with a token already minted. */
export async function openClientWithToken(browser, base, user, token, { mutator = null, autoAnswer = false } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${user}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`${user}: pageerror ${e.message}`));
  // Any same-origin page will do: the SDK is imported into it below.
  await page.goto(base + '/sdk/rtcgate.js');
  await page.addScriptTag({ path: path.join(HERE, 'sdp_mutators.js') });
  await page.evaluate(async ({ sdk, ws, token, mutator, autoAnswer }) => {
    const { RtcGate } = await import(sdk);
    const opts = {};
    if (mutator) opts.sdpTransform = (sdp, info) => (info.type === 'offer' || info.type === 'answer')
      ? globalThis.rtcgateSdpMutators[mutator](sdp) : sdp;
    const gate = new RtcGate(opts);
    const t = { gate, events: [], max: { audio: 0, video: 0, framesDecoded: 0 } };
    window.t = t;
    for (const type of ['incoming', 'ringing', 'answer', 'secured', 'hangup', 'error', 'close']) {
      gate.addEventListener(type, (e) => t.events.push({ type, detail: e.detail }));
    }
    if (autoAnswer) {
      gate.addEventListener('incoming', () => gate.answer().catch((err) => t.events.push({ type: 'answer-failed', detail: String(err) })));
    }
    setInterval(async () => {
      const report = await gate.getStats();
      if (!report) return;
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        t.max[s.kind] = Math.max(t.max[s.kind], s.packetsReceived || 0);
        if (s.kind === 'video') t.max.framesDecoded = Math.max(t.max.framesDecoded, s.framesDecoded || 0);
      });
    }, 250);
    await gate.connect(ws, token);
  }, { sdk: base + '/sdk/rtcgate.js', ws: wsUrl(base), token, mutator, autoAnswer });
  return { user, page, context, logs };
}

/** Waits until the page has seen an event of `type` (optionally matching pred on detail); returns its detail. */
export async function waitEvent(client, type, timeoutMs = 15000) {
  const handle = await client.page.waitForFunction(
    (type) => window.t.events.find((e) => e.type === type) || null, type, { timeout: timeoutMs, polling: 100 });
  return (await handle.jsonValue()).detail;
}

export async function events(client) {
  return client.page.evaluate(() => window.t.events);
}

/** Inbound RTP per kind and the transport of the page's current call, from the browser's getStats. */
export async function mediaStats(client) {
  return client.page.evaluate(async () => {
    const report = await window.t.gate.getStats();
    const out = { inbound: {}, transport: null };
    if (!report) return out;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        out.inbound[s.kind] = {
          packetsReceived: s.packetsReceived || 0, bytesReceived: s.bytesReceived || 0,
          framesDecoded: s.framesDecoded || 0, ssrc: s.ssrc,
        };
      }
      if (s.type === 'transport' && !out.transport) {
        out.transport = { dtlsState: s.dtlsState, tlsVersion: s.tlsVersion, dtlsRole: s.dtlsRole,
          dtlsCipher: s.dtlsCipher, srtpCipher: s.srtpCipher, localCertificateId: s.localCertificateId,
          remoteCertificateId: s.remoteCertificateId };
      }
    });
    out.certificates = [];
    report.forEach((s) => { if (s.type === 'certificate') out.certificates.push({ id: s.id, fp: s.fingerprint.slice(0, 8) }); });
    // Chromium's certificate stats now and then lag the transport's (or
    // miss one report): retry a moment before calling the match unknown.
    out.security = await window.t.gate.securityStats();
    for (let i = 0; i < 20 && out.security && out.security.remoteFingerprintMatchesSdp === null; i++) {
      await new Promise((r) => setTimeout(r, 250));
      out.security = await window.t.gate.securityStats();
    }
    return out;
  });
}

export async function closeClient(client) {
  if (!client) return;
  try { await client.page.evaluate(() => window.t && window.t.gate.close()); } catch (_) { /* page gone */ }
  await client.context.close().catch(() => {});
}
