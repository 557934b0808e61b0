// Refreshes the chart's copies of the CRD and the operator's RBAC rules:
//   node tools/chart/sync-chart.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { derivedChartFiles } from '../../test/ship/chart-sources.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const [path, content] of derivedChartFiles()) {
  mkdirSync(dirname(`${root}${path}`), { recursive: true });
  writeFileSync(`${root}${path}`, content);
  console.log(`wrote ${path}`);
}
