/**
 * Makes mqtt-packet (the MQTT codec under aedes and mqtt.js) cheaper per connection,
 * without forking it. Imported once by the bridge; applies process-wide.
 *
 * - Each parser buffers unparsed bytes in a `bl` BufferListStream, a full
 *   readable-stream Duplex (two stream states, listener arrays, a Duplex object)
 *   of which the parser uses only the byte-list methods (append, consume,
 *   slice, readUInt*, toString, indexOf). Those methods come from `bl`'s plain
 *   BufferList, which the stream variant copies onto its prototype; the parser
 *   gets a BufferList instead: about 1 KB less JS heap per connected device.
 * - The encoder writes 2-byte message ids from a cache of 65,536 Buffers built
 *   at the first packet written (about 7 MB of heap for the life of the process);
 *   with the cache off, each id is a 2-byte slice of Node's shared buffer pool.
 *
 * Measured with 10,000 idle connections on the in-process bridge (see bench/README.md).
 */
import { createRequire } from 'node:module';
import mqttPacket from 'mqtt-packet';

const require = createRequire(import.meta.url);
// The `bl` that mqtt-packet itself depends on (resolved from mqtt-packet's folder, whatever npm's layout).
const { BufferList } = createRequire(require.resolve('mqtt-packet'))('bl') as { BufferList: new () => unknown };

interface ParserInternals {
  packet: object;
  error: Error | null;
  _list: unknown;
  _stateCounter: number;
  _resetState(): void;
}

let applied = false;

export function useLeanMqttPacket(): void {
  if (applied) return;
  applied = true;
  const sample = mqttPacket.parser() as unknown as ParserInternals;
  const parserPrototype = Object.getPrototypeOf(sample) as ParserInternals;
  // What mqtt-packet 9's _resetState sets; checked so that an upgrade that changes it fails loudly here.
  const expected = ['_list', '_stateCounter', 'error', 'packet'];
  if (!expected.every((key) => key in sample) || typeof parserPrototype._resetState !== 'function') {
    throw new Error('mqtt-packet parser internals changed: check bridge/mqtt-packet-lean.ts against the installed mqtt-packet');
  }
  const Packet = sample.packet.constructor as new () => object;
  parserPrototype._resetState = function resetWithPlainList(this: ParserInternals) {
    this.packet = new Packet();
    this.error = null;
    this._list = new BufferList();
    this._stateCounter = 0;
  };
  (mqttPacket.writeToStream as unknown as { cacheNumbers: boolean }).cacheNumbers = false;
}
