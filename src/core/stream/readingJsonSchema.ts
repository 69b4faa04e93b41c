import { READING_SCHEMA_V1 } from './readingTypes.js';

const TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}([.,]\\d{1,9})?)?\\s*(Z|z|[+-]\\d{2}(:?\\d{2})?)?$';

const readingProperties = {
  schema: { const: READING_SCHEMA_V1 },
  id: {
    type: 'string',
    minLength: 1,
    description: "The producer's event id, unique per device; used to drop redelivered duplicates.",
  },
  deviceId: { type: 'string', minLength: 1, pattern: '^[^\\u0000]*$' },
  tag: { type: 'string', minLength: 1, pattern: '^[^\\u0000]*$' },
  ts: {
    description: 'Event time: ISO 8601 (no zone = UTC) or integer epoch milliseconds.',
    oneOf: [{ type: 'string', pattern: TIMESTAMP_PATTERN }, { type: 'integer' }],
  },
  value: {
    type: 'number',
    description: 'A finite number (JSON cannot carry NaN or Infinity; strings such as "NaN" are rejected).',
  },
  properties: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  backfill: {
    type: 'boolean',
    description:
      'History sent late on purpose (a replay, a backfill): held to the backfill horizon instead of the live one, never re-timed.',
  },
} as const;

/** JSON Schema (2020-12) of the v1 format, for documentation and producers. Limits (size, time) are not in it. */
export const READING_JSON_SCHEMA_V1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:tessera:schema:reading:v1',
  title: 'Tessera sensor reading message, v1',
  oneOf: [{ $ref: '#/$defs/reading' }, { $ref: '#/$defs/batch' }],
  $defs: {
    reading: {
      type: 'object',
      required: ['deviceId', 'tag', 'ts', 'value'],
      not: { required: ['readings'] },
      properties: readingProperties,
    },
    batch: {
      type: 'object',
      required: ['schema', 'readings'],
      properties: {
        schema: { const: READING_SCHEMA_V1 },
        readings: { type: 'array', items: { $ref: '#/$defs/reading' } },
      },
    },
  },
} as const;
