// Just enough of gRPC's wire format for a router that never decodes tensors: the 5-byte
// message prefix, the first two top-level fields of a protobuf message (a model-scoped
// request's name and version, or a health check's service name), and statuses in trailers.

/** The request's leading string fields: field 1 and field 2 (empty when absent). */
export interface LeadingFields {
  readonly first: string;
  readonly second: string;
}

const utf8 = new TextDecoder('utf-8');

/** Reads a base-128 varint at `offset`; undefined when it runs past the end or past 64 bits. */
function varint(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/**
 * Fields 1 and 2 of a protobuf message when they are strings. Every other top-level field is
 * stepped over by its length, so tensor contents are never read. Undefined when malformed.
 */
export function leadingFields(message: Uint8Array): LeadingFields | undefined {
  const found = ['', ''];
  let offset = 0;
  while (offset < message.length) {
    const tag = varint(message, offset);
    if (tag === undefined) return undefined;
    const [field, wireType] = [Math.floor(tag.value / 8), tag.value % 8];
    offset = tag.next;
    if (wireType === 0) {
      const skipped = varint(message, offset);
      if (skipped === undefined) return undefined;
      offset = skipped.next;
    } else if (wireType === 1 || wireType === 5) {
      offset += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = varint(message, offset);
      if (length === undefined || length.next + length.value > message.length) return undefined;
      if (field === 1 || field === 2) found[field - 1] = utf8.decode(message.subarray(length.next, length.next + length.value));
      offset = length.next + length.value;
    } else {
      return undefined;
    }
  }
  return offset === message.length ? { first: found[0]!, second: found[1]! } : undefined;
}

/** The first length-prefixed message in `bytes` once it is complete, and whether it is compressed. */
export function firstMessage(bytes: Uint8Array): { message: Uint8Array; compressed: boolean } | undefined {
  if (bytes.length < 5) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1);
  if (bytes.length < 5 + length) return undefined;
  return { message: bytes.subarray(5, 5 + length), compressed: bytes[0] === 1 };
}

/** One uncompressed length-prefixed message. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** grpc-message's encoding: UTF-8, with '%' and bytes outside printable ASCII as %XX (and nothing else). */
function percentEncode(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Headers of a trailers-only response carrying `code` and `message`. */
export function statusHeaders(code: number, message: string): Record<string, string | number> {
  return { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': percentEncode(message) };
}
