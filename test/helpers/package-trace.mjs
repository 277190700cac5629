// Loaded with `node --import`: prints each npm package the program loads (first time only) to stderr as
// `[package] <name>`, so a test can check that a command does not pay for modules it does not use.
import { registerHooks } from 'node:module';

const seen = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (/^[a-z@]/.test(specifier) && !specifier.startsWith('node:')) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (!seen.has(name)) {
        seen.add(name);
        process.stderr.write(`[package] ${name}\n`);
      }
    }
    return resolved;
  },
});
