/** Does an MQTT broker answer at this URL? Asked once, before any agent starts, so a wrong --broker fails in seconds. */
import mqtt from 'mqtt';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError, errorMessage } from '../../core/errors.js';

export const PROBE_TIMEOUT_MS = 3_000;

export async function probeBroker(url: string, mqttConfig: KotsConfig['mqtt']): Promise<void> {
  let client: mqtt.MqttClient | undefined;
  try {
    client = await mqtt.connectAsync(url, {
      clientId: `kots-simulate-probe-${process.pid}`,
      connectTimeout: PROBE_TIMEOUT_MS,
      reconnectPeriod: 0,
      protocolVersion: mqttConfig.protocolVersion,
      ...(mqttConfig.username ? { username: mqttConfig.username } : {}),
      ...(mqttConfig.password ? { password: mqttConfig.password } : {}),
    });
  } catch (error) {
    const reason = errorMessage(error);
    // A CONNACK refusal is an answer: the broker is there but wants credentials.
    if (/not authori[sz]ed|bad user ?name or password/i.test(reason)) return;
    throw new KotsError(
      'USAGE',
      `no MQTT broker answers at ${url} (${reason || `no answer within ${PROBE_TIMEOUT_MS / 1000} s`}): start one (kots up --no-agents) or leave --broker out to run the pipeline in this process`,
    );
  } finally {
    client?.end(true);
  }
}
