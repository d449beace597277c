// rtcgate demo page: sign in under a name (POST /demo/token, served only
// with `rtcgate serve --demo` and only to loopback clients), call another
// name, and compare what the broker reported about each leg's security with
// the browser's own getStats figures.
import { RtcGate } from '/sdk/rtcgate.js';

const $ = (id) => document.getElementById(id);
const STATS_INTERVAL_MS = 1000;
const LOG_MAX = 200;

let gate = null;
let statsTimer = null;

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  const list = $('log');
  list.prepend(li);
  while (list.children.length > LOG_MAX) list.lastChild.remove();
}

function setStatus(text) { $('status').textContent = text; }

function setCell(id, text, cls) {
  const el = $(id);
  el.textContent = text === undefined || text === null || text === '' ? '–' : String(text);
  el.className = cls || '';
}

function resetSecurity() {
  for (const id of ['b-version', 'b-cipher', 'b-srtp', 'b-fingerprint', 's-version', 's-cipher', 's-srtp',
    's-fingerprint', 's-state', 's-pair', 's-media']) setCell(id, null);
}

function inCall(active) {
  $('call').disabled = active;
  $('callee').disabled = active;
  $('hangup').disabled = !active;
  $('mute-audio').disabled = !active;
  $('mute-video').disabled = !active;
  if (!active) {
    for (const id of ['mute-audio', 'mute-video']) $(id).setAttribute('aria-pressed', 'false');
    $('mute-audio').textContent = 'Mute mic';
    $('mute-video').textContent = 'Stop camera';
  }
}

async function refreshStats() {
  if (!gate || !gate.pc) return;
  const sec = await gate.securityStats();
  if (sec) {
    setCell('s-version', sec.tlsVersion ? `${sec.dtlsVersionName} (${sec.tlsVersion})` : null);
    setCell('s-cipher', sec.dtlsCipher);
    setCell('s-srtp', sec.srtpCipher);
    if (sec.remoteFingerprintMatchesSdp !== null) {
      setCell('s-fingerprint', sec.remoteFingerprintMatchesSdp ? `yes: ${sec.remoteFingerprint}` : `NO: ${sec.remoteFingerprint}`,
        sec.remoteFingerprintMatchesSdp ? 'ok' : 'bad');
    }
    setCell('s-state', `${sec.dtlsState || '?'} / ${sec.dtlsRole || '?'}`, sec.dtlsState === 'connected' ? 'ok' : '');
    const p = sec.selectedCandidatePair;
    setCell('s-pair', p ? `${p.local} ⇄ ${p.remote} (${p.state})` : null);
  }
  const report = await gate.getStats();
  if (!report) return;
  const rx = { audio: 0, video: 0, frames: 0 };
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    rx[s.kind] += s.packetsReceived || 0;
    if (s.kind === 'video') rx.frames += s.framesDecoded || 0;
  });
  setCell('s-media', `${rx.audio} / ${rx.video} packets, ${rx.frames} frames decoded`);
}

function startStats() {
  stopStats();
  statsTimer = setInterval(() => { refreshStats().catch(() => {}); }, STATS_INTERVAL_MS);
}

function stopStats() {
  if (statsTimer) clearInterval(statsTimer);
  statsTimer = null;
}

function wire(g) {
  g.addEventListener('localstream', (e) => { $('localVideo').srcObject = e.detail.stream; });
  g.addEventListener('remotestream', (e) => {
    if ($('remoteVideo').srcObject !== e.detail.stream) $('remoteVideo').srcObject = e.detail.stream;
  });
  g.addEventListener('incoming', (e) => {
    const d = e.detail;
    $('incoming-from').textContent = d.display_name && d.display_name !== d.from ? `${d.display_name} (${d.from})` : d.from;
    $('incoming').hidden = false;
    $('call').disabled = true;
    log(`incoming call ${d.call_id} from ${d.from}`);
    setStatus(`Signed in as ${g.user}: ${d.from} is calling`);
  });
  g.addEventListener('ringing', (e) => { log(`ringing (${e.detail.call_id})`); setStatus(`Ringing ${g.peer}…`); });
  g.addEventListener('answer', () => { log('answered'); setStatus(`In a call with ${g.peer}`); });
  g.addEventListener('secured', (e) => {
    const d = e.detail;
    log(`secured: ${d.dtls_version}, ${d.dtls_cipher}, ${d.srtp_profile}`);
    setCell('b-version', d.dtls_version, d.dtls_version === 'DTLS 1.2' ? 'ok' : '');
    setCell('b-cipher', d.dtls_cipher);
    setCell('b-srtp', d.srtp_profile);
    setCell('b-fingerprint', d.fingerprint_verified ? 'yes' : 'no', d.fingerprint_verified ? 'ok' : 'bad');
  });
  g.addEventListener('hangup', (e) => {
    const d = e.detail;
    log(`call ended: ${d.reason}${d.local ? ' (here)' : ''}`);
    setStatus(`Signed in as ${g.user}. Last call ended: ${d.reason}`);
    $('incoming').hidden = true;
    inCall(false);
    stopStats();
    $('remoteVideo').srcObject = null;
    $('localVideo').srcObject = null;
  });
  g.addEventListener('error', (e) => log(`error ${e.detail.code}: ${e.detail.message}`));
  g.addEventListener('close', (e) => {
    log(`signalling closed (${e.detail.code})`);
    setStatus(`Disconnected (${e.detail.code}${e.detail.code === 4409 ? ': signed in elsewhere' : ''}). Reload to sign in again.`);
    $('call-card').hidden = true;
  });
}

async function signIn(name) {
  const res = await fetch('/demo/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: name }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${body.error || res.status}: ${body.detail || 'token refused'}`);
  const g = new RtcGate();
  wire(g);
  // wss on the real server; ws only for a plain-HTTP test stand-in.
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  await g.connect(`${scheme}://${location.host}/v1/ws`, body.token);
  return g;
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('name').value.trim();
  $('signin').disabled = true;
  try {
    gate = await signIn(name);
    setStatus(`Signed in as ${gate.user}`);
    log(`signed in as ${gate.user}`);
    $('signin-card').hidden = true;
    $('call-card').hidden = false;
    document.title = `rtcgate demo: ${gate.user}`;
  } catch (err) {
    setStatus(`Sign-in failed: ${err.message}`);
    $('signin').disabled = false;
  }
});

$('call-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const to = $('callee').value.trim();
  resetSecurity();
  inCall(true);
  $('remote-label').textContent = to;
  setStatus(`Calling ${to}…`);
  try {
    const id = await gate.call(to, { audio: true, video: true });
    log(`calling ${to} (${id})`);
    startStats();
  } catch (err) {
    log(`call failed: ${err.message}`);
    inCall(false);
  }
});

$('answer').addEventListener('click', async () => {
  $('incoming').hidden = true;
  resetSecurity();
  inCall(true);
  $('remote-label').textContent = gate.peer;
  try {
    await gate.answer({ audio: true, video: true });
    setStatus(`In a call with ${gate.peer}`);
    startStats();
  } catch (err) {
    log(`answer failed: ${err.message}`);
  }
});

$('reject').addEventListener('click', () => { $('incoming').hidden = true; gate.reject('rejected'); });
$('hangup').addEventListener('click', () => gate.hangup());

for (const [id, kind, on, off] of [['mute-audio', 'audio', 'Unmute mic', 'Mute mic'],
  ['mute-video', 'video', 'Start camera', 'Stop camera']]) {
  $(id).addEventListener('click', () => {
    const muted = $(id).getAttribute('aria-pressed') !== 'true';
    gate.mute({ [kind]: muted });
    $(id).setAttribute('aria-pressed', String(muted));
    $(id).textContent = muted ? on : off;
  });
}

$('name').value = new URLSearchParams(location.search).get('name') || '';
$('name').focus();
