/**
 * Moves spooled readings to the broker, oldest first, keeping up to
 * `maxInFlight` QoS 1 publishes unacknowledged at a time. A reading leaves the
 * spool on its PUBACK only. When a connection dies, whatever was in flight is
 * sent again, in order, on the next one (QoS 1: at least once).
 */
import type { MqttClient } from 'mqtt';
import { errorMessage } from '../core/errors.js';
import type { DiskSpool } from './spool.js';

export interface SenderOptions {
  topic: string;
  maxInFlight: number;
  onAck: (seq: number) => void;
  /** The broker answered but refused (MQTT 5 PUBACK reason code >= 0x80). */
  onRejected: (seq: number, reason: string) => void;
}

export class SpoolSender {
  private client: MqttClient | undefined;
  /** Bumped per connection: late callbacks of a dead connection are ignored. */
  private generation = 0;
  private cursor = 0;
  private readonly inFlight = new Set<number>();
  /** maxInFlight, lowered to the broker's receive maximum (MQTT 5) on this connection. */
  private window: number;

  constructor(
    private readonly spool: DiskSpool,
    private readonly options: SenderOptions,
  ) {
    this.window = options.maxInFlight;
  }

  /** `receiveMaximum`: the broker's limit on unacknowledged publishes (MQTT 5 CONNACK), never exceeded. */
  attach(client: MqttClient, receiveMaximum?: number): void {
    this.generation++;
    this.client = client;
    this.window = Math.max(1, Math.min(this.options.maxInFlight, receiveMaximum ?? Number.POSITIVE_INFINITY));
    this.inFlight.clear();
    this.cursor = this.spool.headSeq();
    this.pump();
  }

  detach(): void {
    this.generation++;
    this.client = undefined;
    this.inFlight.clear();
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Offers the broker as many spooled readings as the window allows. */
  pump(): void {
    const client = this.client;
    if (!client) return;
    // Dropped readings (spool bound) move the head past the cursor.
    this.cursor = Math.max(this.cursor, this.spool.headSeq());
    const room = this.window - this.inFlight.size;
    if (room <= 0) return;
    const generation = this.generation;
    for (const entry of this.spool.read(this.cursor, room)) {
      this.inFlight.add(entry.seq);
      this.cursor = entry.seq + 1;
      client.publish(this.options.topic, entry.payload, { qos: 1 }, (error, packet) => {
        if (generation !== this.generation) return;
        this.inFlight.delete(entry.seq);
        const reasonCode = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? (error as { code?: number } | undefined)?.code;
        if (error && typeof reasonCode === 'number' && reasonCode >= 0x80) {
          // A refusal is final: re-sending the same bytes would be refused again and block the spool.
          this.spool.ack(entry.seq);
          this.options.onRejected(entry.seq, `${errorMessage(error)} (reason code ${reasonCode})`);
        } else if (error) {
          // The connection is going away; the next connection re-sends from the spool.
          return;
        } else {
          this.spool.ack(entry.seq);
          this.options.onAck(entry.seq);
        }
        this.pump();
      });
    }
  }
}
