// Binary discovery rules and the errors a person sees when a binary is missing (no cluster needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ASSET_NAMES, assetEnvVar, assetPath, cachePaths, resolveAsset } from '../../tools/cluster/assets.ts';
import type { AssetLookup } from '../../tools/cluster/assets.ts';

const CACHE = '/cache/kubeinfer/assets/kubernetes-v1.35.4/kube-scheduler';

function lookup(env: Record<string, string>, executables: readonly string[], cachePath = CACHE): AssetLookup {
  return { env, cachePath, isExecutable: (path) => executables.includes(path) };
}

describe('resolveAsset', () => {
  it('names the env var after the binary, envtest style', () => {
    assert.equal(assetEnvVar('kube-apiserver'), 'TEST_ASSET_KUBE_APISERVER');
    assert.equal(assetEnvVar('etcd'), 'TEST_ASSET_ETCD');
    assert.equal(assetEnvVar('kube-controller-manager'), 'TEST_ASSET_KUBE_CONTROLLER_MANAGER');
  });

  it('prefers TEST_ASSET_*, then KUBEBUILDER_ASSETS, then the cache', () => {
    const all = ['/opt/ks', '/envtest/kube-scheduler', CACHE];
    const env = { TEST_ASSET_KUBE_SCHEDULER: '/opt/ks', KUBEBUILDER_ASSETS: '/envtest' };
    assert.deepEqual(resolveAsset('kube-scheduler', lookup(env, all)), { ok: true, path: '/opt/ks', source: 'TEST_ASSET_KUBE_SCHEDULER' });
    assert.deepEqual(resolveAsset('kube-scheduler', lookup({ KUBEBUILDER_ASSETS: '/envtest' }, all)), {
      ok: true,
      path: '/envtest/kube-scheduler',
      source: 'KUBEBUILDER_ASSETS',
    });
    assert.deepEqual(resolveAsset('kube-scheduler', lookup({ KUBEBUILDER_ASSETS: '/envtest' }, [CACHE])), {
      ok: true,
      path: CACHE,
      source: 'cache',
    });
  });

  it('refuses a TEST_ASSET_* that points nowhere instead of silently using another binary', () => {
    const result = resolveAsset('kube-scheduler', lookup({ TEST_ASSET_KUBE_SCHEDULER: '/nope/ks' }, [CACHE]));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.kind === 'InvalidOverride');
    assert.match(result.message, /TEST_ASSET_KUBE_SCHEDULER=\/nope\/ks, but that is not an executable file/);
  });

  it('says which binary is missing, every place it looked, and how to provide it', () => {
    const result = resolveAsset('kube-scheduler', lookup({ KUBEBUILDER_ASSETS: '/envtest' }, []));
    assert.ok(!result.ok && result.kind === 'NotFound');
    const lines = result.message.split('\n');
    assert.equal(lines[0], 'kube-scheduler binary not found. Looked at:');
    assert.ok(lines.includes('  - TEST_ASSET_KUBE_SCHEDULER (not set)'));
    assert.ok(lines.includes('  - $KUBEBUILDER_ASSETS/kube-scheduler = /envtest/kube-scheduler (not there)'));
    assert.ok(lines.includes(`  - ${CACHE} (not built yet)`));
    assert.match(result.message, /npm run assets/);
    assert.match(result.message, /TEST_ASSET_KUBE_SCHEDULER=\/path\/to\/kube-scheduler/);
    assert.match(result.message, /KUBEBUILDER_ASSETS=\/dir\/containing\/kube-scheduler/);
  });

  it('mentions an unset KUBEBUILDER_ASSETS as such', () => {
    const result = resolveAsset('etcd', lookup({}, [], '/c/etcd'));
    assert.ok(!result.ok);
    assert.match(result.message, /\$KUBEBUILDER_ASSETS\/etcd \(KUBEBUILDER_ASSETS not set\)/);
  });

  it('falls back to PATH for kubectl only', () => {
    const env = { PATH: '/usr/local/bin:/usr/bin' };
    assert.deepEqual(resolveAsset('kubectl', lookup(env, ['/usr/bin/kubectl'], '/c/kubectl')), {
      ok: true,
      path: '/usr/bin/kubectl',
      source: 'PATH',
    });
    const etcd = resolveAsset('etcd', lookup(env, ['/usr/bin/etcd'], '/c/etcd'));
    assert.equal(etcd.ok, false);
  });
});

describe('cache layout', () => {
  it('build-assets.sh reports a versioned cache path for every binary', () => {
    const paths = cachePaths();
    for (const name of ASSET_NAMES) {
      assert.match(paths.get(name) ?? '', new RegExp(`/assets/[a-z-]+-v[0-9.]+(-kube[0-9.]+)?/${name}$`), name);
    }
  });

  it('assetPath rejects a bad override with the resolver message, without building', async () => {
    const saved = { ...process.env };
    process.env.TEST_ASSET_KWOK = '/does/not/exist/kwok';
    try {
      await assert.rejects(assetPath('kwok'), /TEST_ASSET_KWOK=\/does\/not\/exist\/kwok, but that is not an executable file/);
    } finally {
      process.env = saved;
    }
  });
});
