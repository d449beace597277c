// The demo page as `rtcgate serve --demo` serves it: two tabs sign in by
// name (POST /demo/token), one calls the other, the callee answers with the
// button, both see remote video and the security panel filled by the
// broker's "secured" message and the browser's getStats. Run by run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, serverUrl } from './lib.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('demo page: a call between two tabs shows both videos and DTLS 1.2 from the broker and from getStats', { timeout: 60000 }, async () => {
  const ctxA = await browser.newContext({ ignoreHTTPSErrors: true });
  const ctxB = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const [a, b] = [await ctxA.newPage(), await ctxB.newPage()];
    for (const [p, name] of [[a, 'carol'], [b, 'dave']]) {
      await p.goto(serverUrl() + '/');
      await p.fill('#name', name);
      await p.click('#signin');
      await p.waitForSelector('#call-card:not([hidden])', { timeout: 10000 });
    }
    await a.fill('#callee', 'dave');
    await a.click('#call');
    await b.waitForSelector('#incoming:not([hidden])', { timeout: 10000 });
    assert.match(await b.textContent('#incoming-from'), /carol/);
    await b.click('#answer');
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.getElementById('remoteVideo').videoWidth > 0, null, { timeout: 20000 });
      await p.waitForFunction(() => /^DTLS 1\.2 \(FEFD\)$/.test(document.getElementById('s-version').textContent), null, { timeout: 10000 });
      assert.equal(await p.textContent('#b-version'), 'DTLS 1.2');
      assert.equal(await p.textContent('#b-fingerprint'), 'yes');
      assert.ok((await p.textContent('#b-srtp')).length > 3);
      await p.waitForFunction(() => /^yes: /.test(document.getElementById('s-fingerprint').textContent), null, { timeout: 5000 });
    }
    if (process.env.E2E_SCREENSHOT_DIR) {
      await a.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'demo-caller.png'), fullPage: true });
      await b.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'demo-callee.png'), fullPage: true });
    }
    await a.click('#hangup');
    await b.waitForFunction(() => /Last call ended: normal/.test(document.getElementById('status').textContent), null, { timeout: 10000 });
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});
