// Tracing's one setting, shared by `kubeinfer serve` (its settings table), `kubeinfer route`
// and the operator, which passes its own value to every runtime and router pod it builds.

/** Where serve and the router send OpenTelemetry spans (OTLP over HTTP); unset: tracing off. */
export const OTLP_ENDPOINT = {
  flag: 'otlp-endpoint',
  env: 'KUBEINFER_OTLP_ENDPOINT',
  description:
    'send OpenTelemetry trace spans to this OTLP/HTTP collector, e.g. http://otel-collector:4318 (/v1/traces is added to a bare address); unset: tracing off',
} as const;

/** The OTLP/HTTP traces URL of an endpoint (a bare collector address gets the standard /v1/traces path), or why it is not one. */
export function otlpTracesUrl(
  endpoint: string,
): { readonly ok: true; readonly url: string } | { readonly ok: false; readonly message: string } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, message: `--${OTLP_ENDPOINT.flag} must be an http(s) URL, got "${endpoint}"` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, message: `--${OTLP_ENDPOINT.flag} must be an http(s) URL, got "${endpoint}"` };
  if (url.pathname === '/') url.pathname = '/v1/traces';
  return { ok: true, url: url.toString() };
}
