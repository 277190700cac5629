/**
 * A broker URL as MQTT.js connection options, parsed with the WHATWG URL
 * parser. MQTT.js's connect(url) uses the legacy url.parse(), which Node 24
 * reports with a DEP0169 deprecation warning on every start; passing options
 * instead keeps stderr clean.
 */
import type { IClientOptions } from 'mqtt';

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, tcp: 1883, mqtts: 8883, ssl: 8883, tls: 8883, ws: 80, wss: 443 };

export function mqttUrlOptions(url: string): IClientOptions {
  const parsed = new URL(url);
  const protocol = parsed.protocol.replace(/:$/, '') as IClientOptions['protocol'];
  const options: IClientOptions = { protocol, hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1') };
  options.port = parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[protocol ?? 'mqtt'] ?? 1883);
  if (protocol === 'ws' || protocol === 'wss') options.path = `${parsed.pathname}${parsed.search}`;
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  return options;
}
