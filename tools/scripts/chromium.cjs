// Debian's Chromium, as every browser run of the repo starts it (Playwright e2e, the browser benchmark,
// the set-up check): the binary path and the flags that keep a headless run off the network this
// machine does not have (see docs: toolchain §4). Never a downloaded browser.
'use strict';

/** $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
function chromiumPath() {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
]);

module.exports = { chromiumPath, CHROMIUM_ARGS };
