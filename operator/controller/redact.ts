// Messages copied from the cluster into status and Events (a container's
// termination message, a kubelet's waiting message) may quote a URL or a
// credential. fetch-model never prints credential values, but a model URI can
// carry them itself (user:password@host, a presigned query string), and a
// message from elsewhere may quote a token. Everything copied passes through here.

const REDACTED = '[redacted]';
/** Longest message copied from one container; status is read by people, not archived. */
const MAX_COPIED = 600;

const PATTERNS: readonly [RegExp, string][] = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`], // user:password@ in a URL
  // Query strings (presigned URLs hold signatures), up to the punctuation that ends a quoted URL.
  [/(\b(?:https?|s3|gs):\/\/[^\s?#]*)\?[^\s#"']*?(?=[:,;)]?(?:\s|$))/gi, `$1?${REDACTED}`],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED], // AWS access key ids
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
];

/** Removes credentials from a message: the known secret values, then anything shaped like one. */
export function redact(message: string, secretValues: readonly string[] = []): string {
  let text = message;
  // Longest first, so a value that contains another is removed whole.
  for (const value of [...secretValues].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length))
    text = text.split(value).join(REDACTED);
  for (const [pattern, replacement] of PATTERNS) text = text.replace(pattern, replacement);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_COPIED ? `${oneLine.slice(0, MAX_COPIED)}…` : oneLine;
}
