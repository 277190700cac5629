const fs = require('fs');
const snap = JSON.parse(fs.readFileSync(process.argv[2])); const target = process.argv[3];
const m = snap.snapshot.meta; const nf = m.node_fields.length; const ef = m.edge_fields.length;
const types = m.node_types[0]; const etypes = m.edge_types[0];
const nodes = snap.nodes, edges = snap.edges, strings = snap.strings;
const N = nodes.length / nf; const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) { firstEdge[i] = e; e += nodes[i * nf + 4] * ef; } firstEdge[N] = edges.length;
const name = (i) => strings[nodes[i * nf + 1]]; const type = (i) => types[nodes[i * nf]];
const retainers = new Map();
for (let i = 0; i < N; i++) for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
  const to = edges[e + 2] / nf; if (name(to) !== target || type(to) !== 'object') continue;
  const et = etypes[edges[e]]; const en = et === 'element' || et === 'hidden' ? edges[e + 1] : strings[edges[e + 1]];

  const key = `${type(i)}:${name(i).slice(0, 40)} --${et}:${String(en).slice(0, 30)}-->`;
  retainers.set(key, (retainers.get(key) || 0) + 1);
}
for (const [k, c] of [...retainers].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(String(c).padStart(7), k);
