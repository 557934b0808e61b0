// Model URIs as they may be printed in logs, status, Events and termination
// messages. A URI can carry a password (`https://user:pass@host/...`) and a
// presigned URL carries its signature and often a session token in the query,
// so both are hidden wherever a URI is shown.

/**
 * The URI without user:password and without its query string.
 * @example redactUri('https://u:p@host/m.onnx?X-Amz-Signature=abc') // 'https://***@host/m.onnx?***'
 */
export function redactUri(uri: string): string {
  const withoutUserinfo = uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
  const query = withoutUserinfo.search(/[?#]/);
  if (query < 0) return withoutUserinfo;
  return `${withoutUserinfo.slice(0, query)}${withoutUserinfo[query] === '?' ? '?***' : ''}`;
}
