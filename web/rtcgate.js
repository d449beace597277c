// rtcgate.js — browser SDK for rtcgate: a thin layer over RTCPeerConnection
// and rtcgate's WSS signalling protocol (docs/protocol.md, docs/sdk-js.md).
//
//   import { connect } from '/sdk/rtcgate.js';
//   const gate = await connect('wss://host:8443/v1/ws', token);   // resolves on "ready"
//   gate.addEventListener('incoming', (e) => gate.answer());
//   gate.addEventListener('secured', (e) => console.log(e.detail.srtp_profile));
//   await gate.call('bob', { audio: true, video: true });
//
// Every event is a CustomEvent whose `detail` holds the fields named in the
// docs. One call at a time per client: an incoming call while busy is
// rejected with reason "busy".
//
// The protocol has no trickle ICE: each side waits for ICE gathering to
// complete and sends one complete SDP. The broker is ICE-lite and learns the
// browser's address from its connectivity checks, so mDNS-obfuscated host
// candidates are fine.

const CALL_ID_BYTES = 18;            // 18 random bytes → 24 base64url characters (≥ 128 bits)
const GATHER_TIMEOUT_MS = 5000;      // send what was gathered so far after this
const CONNECT_TIMEOUT_MS = 10000;    // the server closes an unauthenticated socket after 10 s anyway
const CALL_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A fresh call id: [A-Za-z0-9_-]{24}, from crypto.getRandomValues. */
export function newCallId() {
  const bytes = new Uint8Array(CALL_ID_BYTES);
  crypto.getRandomValues(bytes);
  let out = '';
  // 3 bytes → 4 characters of 6 bits each (base64url without padding).
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += CALL_ID_ALPHABET[(n >> 18) & 63] + CALL_ID_ALPHABET[(n >> 12) & 63] +
      CALL_ID_ALPHABET[(n >> 6) & 63] + CALL_ID_ALPHABET[n & 63];
  }
  return out;
}

/** The sha-* fingerprints named by a=fingerprint lines of an SDP, e.g. [{algorithm:'sha-256', value:'AB:..'}]. */
export function sdpFingerprints(sdp) {
  const out = [];
  for (const line of String(sdp || '').split(/\r?\n/)) {
    const m = /^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$/.exec(line);
    if (m && !out.some((f) => f.algorithm === m[1].toLowerCase() && f.value === m[2].toUpperCase())) {
      out.push({ algorithm: m[1].toLowerCase(), value: m[2].toUpperCase() });
    }
  }
  return out;
}

function waitForGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** The browser's own view of the call's transport security, from RTCPeerConnection.getStats(). */
export async function securityFromStats(pc) {
  if (!pc) return null;
  const report = await pc.getStats();
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  let transport = null;
  report.forEach((s) => { if (s.type === 'transport' && !transport) transport = s; });
  if (!transport) return null;
  const out = {
    dtlsState: transport.dtlsState,
    dtlsRole: transport.dtlsRole,           // "client" or "server": the browser's own role
    tlsVersion: transport.tlsVersion,       // e.g. "FEFD" = DTLS 1.2, "FEFC" = DTLS 1.3
    dtlsVersionName: dtlsVersionName(transport.tlsVersion),
    dtlsCipher: transport.dtlsCipher,
    srtpCipher: transport.srtpCipher,
    iceState: transport.iceState,
    selectedCandidatePair: null,
    localFingerprint: null,
    remoteFingerprint: null,
    remoteFingerprintMatchesSdp: null,
  };
  const pair = byId.get(transport.selectedCandidatePairId);
  if (pair) {
    const l = byId.get(pair.localCandidateId) || {};
    const r = byId.get(pair.remoteCandidateId) || {};
    out.selectedCandidatePair = {
      state: pair.state,
      local: `${l.address || l.ip || '?'}:${l.port} ${l.protocol || ''} ${l.candidateType || ''}`.trim(),
      remote: `${r.address || r.ip || '?'}:${r.port} ${r.protocol || ''} ${r.candidateType || ''}`.trim(),
      currentRoundTripTime: pair.currentRoundTripTime,
      bytesSent: pair.bytesSent,
      bytesReceived: pair.bytesReceived,
    };
  }
  const lc = byId.get(transport.localCertificateId);
  if (lc) out.localFingerprint = `${lc.fingerprintAlgorithm} ${lc.fingerprint}`;
  let remote = null;
  const rc = byId.get(transport.remoteCertificateId);
  if (rc) remote = { algorithm: String(rc.fingerprintAlgorithm).toLowerCase(), value: String(rc.fingerprint).toUpperCase() };
  // Chromium now and then leaves remoteCertificateId out of the stats (seen
  // when it is the DTLS client); the DTLS transport still hands out the
  // peer's certificate, whose sha-256 is the same figure.
  if (!remote) remote = await remoteCertificateSha256(pc);
  if (remote) {
    out.remoteFingerprint = `${remote.algorithm} ${remote.value}`;
    // The certificate the peer (the broker) showed in DTLS, against the
    // fingerprint its SDP announced through the signalling channel.
    const announced = sdpFingerprints(pc.remoteDescription && pc.remoteDescription.sdp);
    out.remoteFingerprintMatchesSdp = announced.some((f) => f.algorithm === remote.algorithm && f.value === remote.value);
  }
  return out;
}

/** sha-256 of the certificate the peer showed in DTLS, from RTCDtlsTransport.getRemoteCertificates(). */
export async function remoteCertificateSha256(pc) {
  const sender = pc.getSenders().find((x) => x.transport);
  const dtls = sender && sender.transport;
  if (!dtls || typeof dtls.getRemoteCertificates !== 'function' || !crypto.subtle) return null;
  const certs = dtls.getRemoteCertificates();
  if (!certs || !certs.length) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', certs[0]));
  const value = Array.from(digest, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return { algorithm: 'sha-256', value };
}

/** "FEFD" → "DTLS 1.2", "FEFC" → "DTLS 1.3"; other values are returned as given. */
export function dtlsVersionName(tlsVersion) {
  const v = String(tlsVersion || '').toUpperCase();
  if (v === 'FEFD') return 'DTLS 1.2';
  if (v === 'FEFC') return 'DTLS 1.3';
  if (v === 'FEFF') return 'DTLS 1.0';
  return tlsVersion || '';
}

export class RtcGate extends EventTarget {
  /**
   * @param {object} [options]
   * @param {RTCConfiguration} [options.rtcConfig]  extra RTCPeerConnection configuration
   * @param {number} [options.gatherTimeoutMs]      longest wait for ICE gathering (5000)
   * @param {(sdp: string, info: {type: 'offer'|'answer', callId: string}) => string} [options.sdpTransform]
   *        FOR TESTS ONLY: rewrites each SDP just before it is sent to the server (the browser's own
   *        local description is unchanged). The end-to-end tests use it to forge a fingerprint or drop
   *        SSRC lines and check that the broker refuses the result. Never set it in an application.
   */
  constructor(options = {}) {
    super();
    this.options = options;
    this.ws = null;
    this.user = null;
    this.pc = null;
    this.callId = null;
    this.peer = null;          // the other user of the current call
    this.state = 'idle';       // idle | calling | ringing | incoming | answering | active
    this.localStream = null;
    this.remoteStream = null;
    this.secured = null;       // detail of the last "secured" event for the current call
    this._pendingOffer = null; // the broker's offer of an incoming call
  }

  /** Opens the WSS connection and authenticates; resolves with {user} on "ready". */
  connect(url, token) {
    if (this.ws) return Promise.reject(new Error('already connected'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(url);
      this.ws = ws;
      const timer = setTimeout(() => fail(new Error('no "ready" from the server in time')), CONNECT_TIMEOUT_MS);
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try { ws.close(); } catch (_) { /* already closed */ }
        reject(err);
      };
      ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch (_) { return; }
        if (!settled) {
          if (msg.type === 'ready') {
            settled = true;
            clearTimeout(timer);
            this.user = msg.user;
            resolve({ user: msg.user });
          } else if (msg.type === 'error') {
            fail(Object.assign(new Error(msg.message || msg.code), { code: msg.code }));
          }
          return;
        }
        this._onMessage(msg);
      };
      ws.onerror = () => fail(new Error('WebSocket error'));
      ws.onclose = (ev) => {
        fail(Object.assign(new Error(`WebSocket closed (${ev.code})`), { code: ev.code }));
        if (this.ws === ws) this.ws = null;
        this._endCall('gone', true);
        this._emit('close', { code: ev.code, reason: ev.reason });
      };
    });
  }

  /** Calls `user`; resolves with the call id once the offer is sent. */
  async call(user, { audio = true, video = true } = {}) {
    if (!this.ws) throw new Error('not connected');
    if (this.state !== 'idle') throw new Error(`busy (${this.state})`);
    const callId = newCallId();
    this.callId = callId;
    this.peer = user;
    this.state = 'calling';
    try {
      const pc = this._newPeerConnection();
      const stream = await this._getMedia({ audio, video });
      if (this.callId !== callId) throw new Error('call ended');
      // One sendrecv transceiver per kind, so the offer always has an audio
      // and a video section in this order; a kind not asked for still
      // receives (its sender has no track).
      for (const kind of ['audio', 'video']) {
        const track = stream && stream.getTracks().find((t) => t.kind === kind);
        pc.addTransceiver(track || kind, { direction: 'sendrecv', streams: stream ? [stream] : [] });
      }
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc, this.options.gatherTimeoutMs || GATHER_TIMEOUT_MS);
      if (this.callId !== callId) throw new Error('call ended');
      const sdp = this._transform(pc.localDescription.sdp, 'offer');
      this._send({ type: 'call', call_id: callId, to: user, sdp });
      return callId;
    } catch (err) {
      if (this.callId === callId) this._endCall('normal', false);
      throw err;
    }
  }

  /** Answers the pending incoming call. */
  async answer({ audio = true, video = true } = {}) {
    if (this.state !== 'incoming' || !this._pendingOffer) throw new Error('no incoming call');
    const callId = this.callId;
    this.state = 'answering';
    try {
      const pc = this._newPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp: this._pendingOffer });
      this._pendingOffer = null;
      const stream = await this._getMedia({ audio, video });
      if (this.callId !== callId) throw new Error('call ended');
      // addTrack reuses the transceivers setRemoteDescription created.
      if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
      pc.getTransceivers().forEach((t) => { if (t.direction === 'recvonly' && t.sender.track) t.direction = 'sendrecv'; });
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForGathering(pc, this.options.gatherTimeoutMs || GATHER_TIMEOUT_MS);
      if (this.callId !== callId) throw new Error('call ended');
      const sdp = this._transform(pc.localDescription.sdp, 'answer');
      this._send({ type: 'answer', call_id: callId, sdp });
      this.state = 'active';
    } catch (err) {
      if (this.callId === callId) {
        this._send({ type: 'hangup', call_id: callId });
        this._endCall('normal', false);
      }
      throw err;
    }
  }

  /** Rejects the pending incoming call. */
  reject(reason = 'rejected') {
    if (this.state !== 'incoming') return;
    this._send({ type: 'reject', call_id: this.callId, reason });
    this._endCall(reason, false);
  }

  /** Ends the current call, whatever its state. */
  hangup() {
    if (!this.callId) return;
    this._send({ type: 'hangup', call_id: this.callId });
    this._endCall('normal', false);
  }

  /** Mutes (true) or unmutes (false) the local audio and/or video; omitted kinds are left alone. */
  mute({ audio, video } = {}) {
    if (!this.localStream) return;
    for (const t of this.localStream.getTracks()) {
      if (t.kind === 'audio' && typeof audio === 'boolean') t.enabled = !audio;
      if (t.kind === 'video' && typeof video === 'boolean') t.enabled = !video;
    }
  }

  /** Closes the signalling connection (ending any call). */
  close() {
    this.hangup();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }

  /** RTCPeerConnection.getStats() of the current call (null when there is none). */
  getStats(selector) {
    return this.pc ? this.pc.getStats(selector) : Promise.resolve(null);
  }

  /** The browser's own security figures for the current call: see securityFromStats. */
  securityStats() {
    return securityFromStats(this.pc);
  }

  // --- internals -----------------------------------------------------------

  _onMessage(msg) {
    const mine = msg.call_id && msg.call_id === this.callId;
    switch (msg.type) {
      case 'incoming':
        if (this.state !== 'idle') {
          this._send({ type: 'reject', call_id: msg.call_id, reason: 'busy' });
          return;
        }
        this.callId = msg.call_id;
        this.peer = msg.from;
        this.state = 'incoming';
        this._pendingOffer = msg.sdp;
        this._emit('incoming', { call_id: msg.call_id, from: msg.from, display_name: msg.display_name || msg.from });
        return;
      case 'ringing':
        if (mine && this.state === 'calling') this.state = 'ringing';
        if (mine) this._emit('ringing', { call_id: msg.call_id });
        return;
      case 'answer':
        if (!mine || !this.pc) return;
        this.state = 'active';
        this.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp })
          .then(() => this._emit('answer', { call_id: msg.call_id }))
          .catch((err) => {
            this._emit('error', { call_id: msg.call_id, code: 'bad_sdp', message: `setRemoteDescription: ${err.message}` });
            this.hangup();
          });
        return;
      case 'secured':
        if (!mine) return;
        this.secured = {
          call_id: msg.call_id, dtls_version: msg.dtls_version, dtls_cipher: msg.dtls_cipher,
          srtp_profile: msg.srtp_profile,
          // The server sends "secured" only once the peer's certificate
          // matched its SDP fingerprint (docs/protocol.md).
          fingerprint_verified: msg.fingerprint_verified !== undefined ? msg.fingerprint_verified : true,
        };
        this._emit('secured', this.secured);
        return;
      case 'hangup':
        if (!mine) return;
        this._endCall(msg.reason || 'normal', true);
        return;
      case 'error':
        this._emit('error', { call_id: msg.call_id, code: msg.code, message: msg.message || '' });
        // An error about a call that is not up yet ends it here: the server
        // has refused it (forbidden, bad_sdp, busy, not_found, limit).
        if (mine && (this.state === 'calling' || this.state === 'ringing')) this._endCall(msg.code || 'error', true);
        return;
      default:
        return;
    }
  }

  _newPeerConnection() {
    const pc = new RTCPeerConnection(Object.assign({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' },
      this.options.rtcConfig || {}));
    this.pc = pc;
    this.remoteStream = new MediaStream();
    this.secured = null;
    pc.ontrack = (ev) => {
      if (pc !== this.pc) return;
      this.remoteStream.addTrack(ev.track);
      this._emit('track', { track: ev.track, streams: ev.streams });
      this._emit('remotestream', { stream: this.remoteStream });
    };
    pc.onconnectionstatechange = () => {
      if (pc === this.pc) this._emit('connectionstate', { state: pc.connectionState });
    };
    return pc;
  }

  async _getMedia({ audio, video }) {
    if (!audio && !video) return null;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: !!audio, video: !!video });
    this.localStream = stream;
    this._emit('localstream', { stream });
    return stream;
  }

  _transform(sdp, type) {
    const fn = this.options.sdpTransform;
    return typeof fn === 'function' ? fn(sdp, { type, callId: this.callId }) : sdp;
  }

  _send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  _endCall(reason, remote) {
    if (!this.callId) return;
    const callId = this.callId;
    this.callId = null;
    this.peer = null;
    this.state = 'idle';
    this._pendingOffer = null;
    if (this.pc) { try { this.pc.close(); } catch (_) { /* closed */ } }
    this.pc = null;
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    // local: true when this side ended the call (hangup(), reject(), a
    // failure here); false when the server told us (the "hangup" frame).
    this._emit('hangup', { call_id: callId, reason, local: !remote });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** Creates a client and connects it: resolves with the RtcGate once the server said "ready". */
export async function connect(url, token, options = {}) {
  const gate = new RtcGate(options);
  await gate.connect(url, token);
  return gate;
}

export default RtcGate;
