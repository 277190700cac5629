const fs = require('fs');
const snap = JSON.parse(fs.readFileSync(process.argv[2]));
const m = snap.snapshot.meta; const nf = m.node_fields.length; const types = m.node_types[0];
const N = Number(process.argv[3]);
const nodes = snap.nodes, strings = snap.strings;
const agg = new Map();
for (let i = 0; i < nodes.length; i += nf) {
  const type = types[nodes[i]]; const name = strings[nodes[i+1]]; const size = nodes[i+3];
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${name}` : type;
  const a = agg.get(key) || [0, 0]; a[0] += size; a[1]++; agg.set(key, a);
}
const rows = [...agg].sort((a,b)=>b[1][0]-a[1][0]).slice(0, 40);
let total = 0; for (const [, [s]] of agg) total += s;
console.log('total MB', (total/1e6).toFixed(1));
for (const [k,[s,c]] of rows) console.log((s/N).toFixed(0).padStart(6), 'B/conn', String(c).padStart(7), k.slice(0,80));
