import { readdirSync, readFileSync } from 'node:fs';
import { startControlPlane } from './test/cluster/index.ts';
import { checkManifests } from './operator/api/index.ts';
const cp = await startControlPlane();
try {
  await cp.kubectl(['apply', '--server-side', '-f', 'crds/serving.kubeinfer.io_inferenceservices.yaml']);
  await cp.kubectl(['wait', '--for=condition=Established', 'crd/inferenceservices.serving.kubeinfer.io', '--timeout=30s']);
  for (const dir of ['examples', 'test/api/corpus/good', 'test/api/corpus/bad']) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const path = `${dir}/${f}`; const text = readFileSync(path, 'utf8');
      const expect = /# expect: (.*)/.exec(text)?.[1];
      const r = await cp.kubectl(['create', '--dry-run=server', '-n', 'default', '-f', path]);
      const off = checkManifests(text);
      const offMsg = off.problems.map((p) => `${p.path}: ${p.message}`).join(' | ');
      const agree = (r.code === 0) === (off.problems.length === 0);
      const inServer = expect === undefined || r.stderr.includes(expect); const inOff = expect === undefined || offMsg.includes(expect);
      const lines = off.problems.map((p) => `${p.path === '' ? '<nil>' : p.path}: ${p.message}`);
      const missing = lines.filter((l) => !r.stderr.includes(l));
      if (missing.length) console.log('MSG ', path, JSON.stringify(missing), '\n    ', r.stderr.trim());
      console.log(`${agree && inServer && inOff ? 'OK  ' : 'DIFF'} ${path} server=${r.code} offline=${off.problems.length}`);
      if (!(agree && inServer && inOff)) console.log('   server:', r.stderr.trim(), '\n   offline:', offMsg);
    }
  }
} finally { await cp.stop(); }
