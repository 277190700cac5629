const fs = require('fs');
const snap = JSON.parse(fs.readFileSync(process.argv[2]));
const m = snap.snapshot.meta; const nf = m.node_fields.length; const ef = m.edge_fields.length;
const types = m.node_types[0]; const etypes = m.edge_types[0];
const nodes = snap.nodes, edges = snap.edges, strings = snap.strings;
const N = nodes.length / nf;
const isBuf = new Uint8Array(N); let nb = 0; const sizes = new Map();
for (let i = 0; i < N; i++) if (types[nodes[i*nf]] === 'object' && strings[nodes[i*nf+1]] === 'Buffer') { isBuf[i] = 1; nb++; const s = nodes[i*nf+3]; sizes.set(s, (sizes.get(s)||0)+1); }
console.log('buffers', nb, 'sizes', [...sizes].slice(0,5));
const byFrom = new Map(); let e = 0;
for (let i = 0; i < N; i++) { const ec = nodes[i*nf+4]; for (let k = 0; k < ec; k++, e += ef) { const to = edges[e+2]/nf; if (!isBuf[to]) continue; const key = types[nodes[i*nf]] + ':' + strings[nodes[i*nf+1]].slice(0,40) + ' ' + etypes[edges[e]] + ':' + (etypes[edges[e]]==='element'||etypes[edges[e]]==='hidden'?'#':strings[edges[e+1]]); byFrom.set(key, (byFrom.get(key)||0)+1); } }
for (const [k,c] of [...byFrom].sort((a,b)=>b[1]-a[1]).slice(0,20)) console.log(String(c).padStart(7), k);
