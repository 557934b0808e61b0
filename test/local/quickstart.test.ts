// The README's first command: the bundled quickstart (two tiny generated models at 90/10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { generateQuickstartModels } from '../../examples/models/generate.ts';
import { countByVersion, sendMany } from '../router/support.ts';
import { startLocalRun } from './session.ts';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart.yaml', import.meta.url));

test('examples/quickstart.yaml runs: v1 (y = 2x + 1) gets 90% and v2 (y = 3x + 1) 10%', async (t) => {
  await generateQuickstartModels();
  const local = await startLocalRun(QUICKSTART);
  t.after(() => local.interrupt());
  // The summary arrives in several writes: wait for the example line rather than expect it beside the router's.
  const curl = (await local.waitForLine(/^\s*curl -s/)).trim();
  assert.ok(curl.includes(`${local.routerUrl}/v2/models/quickstart/infer`), `printed curl: ${curl}`);
  const body = JSON.parse(/-d '(.*)'$/.exec(curl)![1]!);
  const answers = await sendMany(100, 1, () => [
    `${local.routerUrl}/v2/models/quickstart/infer`,
    { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
  ]);
  assert.deepEqual(countByVersion(answers), { v1: 90, v2: 10 });
  for (const answer of answers) {
    assert.ok(!(answer instanceof Error));
    const { model_version: version, outputs } = JSON.parse(answer.body.toString());
    assert.deepEqual(outputs[0].data, [version === 'v1' ? 3 : 4]);
  }
  assert.equal(await local.interrupt(), 0);
});
