// Stands in for optional native add-ons (bufferutil, utf-8-validate) and supports-color:
// their users catch this and fall back to pure JavaScript, so the binary carries no addon.
throw new Error('not available in the kots-agent single binary');
