/**
 * Protocol-buffer messages at the wire level: a message is a sequence of fields, each a tag (field
 * number and wire type) and a value, and concatenating two encodings merges them (repeated fields
 * append). Splicing at this level rewrites the fields it must and copies every other one byte for
 * byte, including fields the decoder's schema does not know.
 */
import protobuf from 'protobufjs';

const LENGTH_DELIMITED = 2;

export interface WireField {
  readonly field: number;
  /** The whole field as encoded: tag and value. */
  readonly raw: Uint8Array;
  /** The value of a length-delimited field (a string, bytes or an embedded message); undefined otherwise. */
  readonly payload: Uint8Array | undefined;
}

/** The top-level fields of an encoded message, in order. Throws on bytes that are not one. */
export function wireFields(bytes: Uint8Array): WireField[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: WireField[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wire = tag & 7;
    let payload: Uint8Array | undefined;
    if (wire === LENGTH_DELIMITED) payload = reader.bytes();
    else reader.skipType(wire);
    fields.push({ field: tag >>> 3, raw: bytes.subarray(start, reader.pos), payload });
  }
  return fields;
}

/** Encodes a length-delimited field. */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | LENGTH_DELIMITED)
    .bytes(payload)
    .finish();
}

/** The first length-delimited `field` of a message as a UTF-8 string (e.g. a ValueInfoProto's name). */
export function stringField(message: Uint8Array, field: number): string | undefined {
  const found = wireFields(message).find((f) => f.field === field && f.payload !== undefined);
  return found?.payload ? Buffer.from(found.payload).toString('utf8') : undefined;
}
