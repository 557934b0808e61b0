// The chart files that come from elsewhere in the repository: the CRD (crds/, itself
// generated from api/schema.ts) and the operator's RBAC rules
// (operator/controller/rbac.ts). Copies, not symlinks, because Flux's GitRepository
// artifacts drop symlinks. `node tools/chart/sync-chart.ts` writes them; a test fails when
// they are stale.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document, isScalar, visit } from 'yaml';
import { leaderElectionRules, nodeRules, operatorRules, routerReviewRules } from '../../operator/controller/rbac.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const CRD_SOURCE = 'crds/serving.kubeinfer.io_inferenceservices.yaml';
const CHART_CRD = 'charts/kubeinfer/files/crds/serving.kubeinfer.io_inferenceservices.yaml';
const CHART_RBAC = 'charts/kubeinfer/files/rbac-rules.yaml';

/** The rule groups of rbac.ts, by the key the chart's templates read. */
export const RULE_GROUPS = { operatorRules, nodeRules, leaderElectionRules, routerReviewRules } as const;

/** Each derived chart file (path relative to the repository root) and the content it must have. */
export function derivedChartFiles(): ReadonlyMap<string, string> {
  const rbacHeader = [
    '# Generated from operator/controller/rbac.ts by `node tools/chart/sync-chart.ts`: edit the',
    '# rules there. operatorRules: every watched namespace (a ClusterRole when watching all);',
    '# nodeRules: cluster-scoped reads for GPU placement checks; leaderElectionRules: the',
    '# release namespace, when leader election is on; routerReviewRules: the routers of',
    '# spec.auth.mode kubernetes (one ClusterRole).',
    '',
  ].join('\n');
  return new Map([
    [CHART_CRD, readFileSync(`${root}${CRD_SOURCE}`, 'utf8')],
    [CHART_RBAC, rbacHeader + rulesYaml()],
  ]);
}

// One line per list of apiGroups, resources and verbs: the rules read like a table.
function rulesYaml(): string {
  const document = new Document(JSON.parse(JSON.stringify(RULE_GROUPS)));
  visit(document, {
    Seq(_, node) {
      if (node.items.every(isScalar)) node.flow = true;
    },
  });
  return document.toString();
}
