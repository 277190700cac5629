import { connect } from 'node:net';
import mqttPacket from 'mqtt-packet';
const [port, N] = [Number(process.argv[2]), Number(process.argv[3])];
const sockets: any[] = [];
for (let i = 0; i < N; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, k) => new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const p = mqttPacket.parser({ protocolVersion: 4 });
    p.on('packet', (pk) => pk.cmd === 'connack' && resolve());
    s.on('data', (c) => p.parse(c)); s.on('error', reject);
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `dev-${i + k}`, keepalive: 60 } as any));
    sockets.push(s);
  })));
}
process.send!('connected');
setInterval(() => {}, 1000);
