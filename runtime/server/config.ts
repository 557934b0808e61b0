// `kubeinfer serve` settings resolved from flags over KUBEINFER_* variables over the
// defaults, all as the shared table (contracts/serve-settings.ts) describes them.
import { parseRuntimePipeline, type RuntimePipeline } from '../../api/index.ts';
import { parseIntegerFlag } from '../../cli/flags.ts';
import { otlpTracesUrl, SERVE_SETTINGS, type ServeConfig, type ServeSetting } from '../../contracts/index.ts';

/** commander's camelCase property name for a flag. */
export function flagProperty(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ServeConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

function resolveOne(setting: ServeSetting, raw: string | undefined, problems: string[]): string | number | RuntimePipeline | undefined {
  const source = `--${setting.flag} / ${setting.env}`;
  if ('format' in setting) {
    const pipeline = parseRuntimePipeline(raw);
    if (!pipeline.ok) problems.push(`${source}: ${pipeline.message}`);
    return pipeline.ok ? pipeline.value : undefined;
  }
  if (raw === undefined || raw === '') {
    if ('required' in setting) problems.push(`${source} is required`);
    raw = 'default' in setting ? setting.default : undefined;
    if (raw === undefined) return undefined;
  }
  if ('choices' in setting) {
    if (!(setting.choices as readonly string[]).includes(raw))
      problems.push(`${source} must be ${setting.choices.join(' or ')}, got '${raw}'`);
    return raw;
  }
  if (!('integer' in setting)) return raw;
  const [min, max] = setting.integer;
  const parsed = parseIntegerFlag(raw, { min, max });
  if (!parsed.ok) problems.push(`${source} ${parsed.problem}, got '${raw}'`);
  return parsed.ok ? parsed.value : undefined;
}

/** Resolves flags (commander's parsed options) over environment variables over defaults. */
export function resolveServeConfig(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): ConfigResult {
  const problems: string[] = [];
  const values: Record<string, string | number | RuntimePipeline | undefined> = {};
  for (const setting of SERVE_SETTINGS) {
    const flag = flags[flagProperty(setting.flag)];
    values[setting.key] = resolveOne(setting, typeof flag === 'string' ? flag : env[setting.env], problems);
  }
  const traces = typeof values.otlpEndpoint === 'string' ? otlpTracesUrl(values.otlpEndpoint) : undefined;
  if (traces?.ok === false) problems.push(traces.message);
  if (problems.length > 0) return { ok: false, problems };
  // Each value was checked against its own setting above: the table's types hold.
  return { ok: true, config: values as ServeConfig };
}
