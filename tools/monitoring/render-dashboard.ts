// Draws one of the chart's Grafana dashboards to a PNG from a running Prometheus, with the
// queries Grafana would run:
//   node tools/monitoring/render-dashboard.ts --prometheus http://127.0.0.1:9090 \
//     [--dashboard kubeinfer-overview] [--out overview.png] [--set namespace=demo --set inferenceservice=linear] \
//     [--range-seconds 900] [--rate-interval 1m]
// The monitoring test renders every dashboard this way from the data it scraped
// (KUBEINFER_DASHBOARD_PNGS=<dir> keeps the pictures there).
import { parseArgs } from 'node:util';
import { prometheusApi } from './prometheus.ts';
import { loadDashboards } from './queries.ts';
import { renderDashboard } from './render.ts';

const { values } = parseArgs({
  options: {
    prometheus: { type: 'string' },
    dashboard: { type: 'string', default: 'kubeinfer-overview' },
    out: { type: 'string', default: 'dashboard.png' },
    set: { type: 'string', multiple: true, default: [] },
    'range-seconds': { type: 'string', default: '900' },
    'rate-interval': { type: 'string', default: '1m' },
  },
});
if (values.prometheus === undefined) {
  process.stderr.write('give --prometheus <url> of a Prometheus that scrapes kubeinfer\n');
  process.exit(2);
}
const dashboards = loadDashboards();
const dashboard = dashboards.get(`${values.dashboard.replace(/\.json$/, '')}.json`);
if (dashboard === undefined) {
  process.stderr.write(`no dashboard ${values.dashboard}; the chart has ${[...dashboards.keys()].join(', ')}\n`);
  process.exit(2);
}
const preferred = Object.fromEntries(values.set.map((pair) => pair.split('=', 2) as [string, string]));
const drawn = await renderDashboard(dashboard, prometheusApi(values.prometheus), {
  out: values.out,
  preferred,
  rateInterval: values['rate-interval'],
  rangeSeconds: Number(values['range-seconds']),
});
process.stdout.write(`wrote ${values.out}${drawn.emptyPanels.length > 0 ? `; no data for: ${drawn.emptyPanels.join(', ')}` : ''}\n`);
