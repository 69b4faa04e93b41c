/**
 * Holds an API response to the OpenAPI document (src/hosting/api/openapi.ts): the schema of its
 * operation and status, compiled with ajv's JSON Schema 2020-12 draft (what OpenAPI 3.1 uses).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { OPENAPI } from '../../src/hosting/api/openapi.js';

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s));
ajv.addFormat('binary', () => true);
ajv.addKeyword('components'); // where OpenAPI keeps its schemas: a container the $refs point into, no keyword of its own
ajv.addSchema({ $id: 'tessera', components: { schemas: OPENAPI.components.schemas } });

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };

/** Every operation of the document: path, method and its object. */
export function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(OPENAPI.paths).flatMap(([path, methods]) =>
    Object.entries(methods as Record<string, Operation>).map(([method, op]) => ({
      path,
      method: method.toUpperCase(),
      op,
    })),
  );
}

const cache = new Map<string, ValidateFunction>();

/** Throws naming the operation, status and every violation when `body` breaks the document. */
export function assertMatchesOpenApi(operationId: string, status: number, body: unknown): void {
  const key = `${operationId} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    const found = operations().find((o) => o.op.operationId === operationId);
    if (!found) throw new Error(`the OpenAPI document has no operation ${operationId}`);
    const response = found.op.responses[String(status)];
    if (!response) throw new Error(`${operationId} documents no ${status} response`);
    const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
    if (!schema?.$ref) throw new Error(`${operationId} ${status} documents no JSON body`);
    validate = ajv.compile({ $ref: `tessera${schema.$ref}` });
    cache.set(key, validate);
  }
  if (!validate(body))
    throw new Error(
      `${key} does not match the OpenAPI document: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}`,
    );
}
