// SDP rewrites for the negative end-to-end tests. A classic script (no
// import/export) so the same file runs in the page (page.addScriptTag) and in
// Node; it defines globalThis.rtcgateSdpMutators. Each takes and returns SDP
// text and is passed to rtcgate.js's test-only `sdpTransform` option.
(function () {
  function sections(sdp) {
    const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
    const lines = sdp.split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    const out = [[]];
    for (const l of lines) {
      if (l.startsWith('m=')) out.push([]);
      out[out.length - 1].push(l);
    }
    return { eol, out };
  }
  function join(eol, secs) {
    return secs.map((s) => s.join(eol)).join(eol) + eol;
  }

  // Changes the first byte of every a=fingerprint value (the same way in
  // each section), so the SDP names a certificate the browser does not hold.
  function forgeFingerprint(sdp) {
    return sdp.replace(/^(a=fingerprint:\S+ )([0-9A-Fa-f]{2})/gm, (_, head, byte) => {
      const b = (parseInt(byte, 16) ^ 0xff).toString(16).toUpperCase().padStart(2, '0');
      return head + b;
    });
  }

  // Removes from the video section every a=ssrc and a=ssrc-group line and
  // the a=msid line tied to those SSRCs: the browser still sends video, but
  // under SSRCs the SDP never announced.
  function dropVideoSsrc(sdp) {
    const { eol, out } = sections(sdp);
    const secs = out.map((sec) => {
      if (!sec.length || !sec[0].startsWith('m=video')) return sec;
      return sec.filter((l) => !/^a=(ssrc|ssrc-group|msid):/.test(l));
    });
    return join(eol, secs);
  }

  function ssrcs(sdp, kind) {
    const { out } = sections(sdp);
    const found = new Set();
    for (const sec of out) {
      if (!sec.length || !sec[0].startsWith('m=' + kind)) continue;
      for (const l of sec) {
        const m = /^a=ssrc:(\d+) /.exec(l);
        if (m) found.add(Number(m[1]));
      }
    }
    return [...found];
  }

  globalThis.rtcgateSdpMutators = { forgeFingerprint, dropVideoSsrc, ssrcs };
})();
