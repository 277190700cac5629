/** Debian's Chromium, as the browser tests launch it through playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless in a sandboxed CI: no GPU, no QUIC, and nothing that would try to reach the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
