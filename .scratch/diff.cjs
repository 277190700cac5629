const fs = require('fs');
function agg(file) {
  const snap = JSON.parse(fs.readFileSync(file));
  const m = snap.snapshot.meta; const nf = m.node_fields.length; const types = m.node_types[0];
  const nodes = snap.nodes, strings = snap.strings; const a = new Map();
  for (let i = 0; i < nodes.length; i += nf) {
    const type = types[nodes[i]]; const name = strings[nodes[i+1]]; const size = nodes[i+3];
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${name}` : type;
    const x = a.get(key) || [0, 0]; x[0] += size; x[1]++; a.set(key, x);
  }
  return a;
}
const [a, b] = [agg(process.argv[2]), agg(process.argv[3])]; const N = Number(process.argv[4]);
const rows = [...b].map(([k, [s, c]]) => [k, s - (a.get(k)?.[0] ?? 0), c - (a.get(k)?.[1] ?? 0)]).sort((x, y) => y[1] - x[1]);
let t = 0; for (const r of rows) t += r[1];
console.log('total B/conn', (t / N).toFixed(0));
for (const [k, s, c] of rows.slice(0, 45)) console.log((s / N).toFixed(0).padStart(6), (c / N).toFixed(2).padStart(6), k.slice(0, 90));
