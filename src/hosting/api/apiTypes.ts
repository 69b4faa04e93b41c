import type { Readable } from 'node:stream';
import type { EventLog } from '../../ports/eventLog.js';
import type { FrameGrabber } from '../../ports/frameGrabber.js';
import type { JobLogs } from '../../ports/jobLogs.js';
import type { WorkQueue } from '../../ports/workQueue.js';
import type { ModelRegistry } from '../../registry/modelRegistry.js';
import type { JobDeps } from '../../usecases/jobDeps.js';

/** An HTTP request as the API handlers see it, whichever server received it (node:http, the Functions host). */
export interface ApiRequest {
  readonly method: string;
  /** The path below the API's root (`/api`), e.g. `/jobs/j0123`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body, read once. */
  body(): Readable;
}

export type ApiResponse =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status: number;
      readonly stream: Readable;
      readonly contentType: string;
      readonly size?: number;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** Where the API's handlers do their work: the job ports and the optional capabilities of a deployment. */
export interface ApiPorts {
  /** Submit, cancel, retry: the job ports (`control` where plan and finish go to a queue of their own). */
  readonly jobs: Pick<JobDeps, 'blobs' | 'queue' | 'control' | 'ledger' | 'log'>;
  /** Dead-letter queues by name (`jobs`, and `control` on Azure). */
  readonly queues: Readonly<Record<string, WorkQueue>>;
  readonly registry: Pick<ModelRegistry, 'list' | 'resolve'>;
  /** Models that exist without being registered (the built-in `toon` style). */
  readonly builtinModels: readonly string[];
  /** The stream's event log: re-driving dead-lettered events appends them to it. */
  readonly events?: EventLog;
  /** Per-job logs; absent where logs live elsewhere (Application Insights on Azure): 501. */
  readonly logs?: JobLogs;
  /** Video thumbnails; absent where ffmpeg is not installed: 501 until some server made them. */
  readonly frames?: FrameGrabber;
  /** Where an upload is spooled while its digest is computed. */
  readonly scratchDir: string;
  readonly maxUploadBytes: number;
}

/** A matched route: its path parameters, decoded. */
export type RouteParams = Readonly<Record<string, string>>;

export interface ApiRoute {
  /** The OpenAPI operationId and the Functions app's function name (`<operationId>Http`). */
  readonly operationId: string;
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template below `/api`, e.g. `/jobs/{jobId}`. */
  readonly path: string;
  handle(ports: ApiPorts, request: ApiRequest, params: RouteParams): Promise<ApiResponse>;
}

export function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): ApiResponse {
  return headers ? { status, json: body, headers } : { status, json: body };
}
