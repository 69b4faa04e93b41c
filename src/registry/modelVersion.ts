/**
 * The immutable manifest of one registered model version, as stored (JSON) in the 'models'
 * container, and its blob layout:
 * - `manifests/<name>/v<version>.json`: the record; creating it claims the version number.
 * - `blobs/sha256/<sha256>.onnx`: the model bytes, content-addressed (shared by identical versions).
 */
import { PermanentError } from '../core/errors.js';
import type { TensorInfo } from '../onnx/modelInfo.js';

export const MODELS_CONTAINER = 'models';

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  /** 'name@version', resolvable. */
  readonly ref: string;
  readonly sha256: string;
  readonly size: number;
  /** Blob holding the bytes, in the models container. */
  readonly blob: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly opsets: Readonly<Record<string, number>>;
  readonly producer: { readonly name: string; readonly version: string };
  /** The model's own metadata_props. */
  readonly modelMetadata: Readonly<Record<string, string>>;
  /** User metadata given at registration (--meta key=value). */
  readonly meta: Readonly<Record<string, string>>;
  /**
   * Settings inferred at registration from the model's own metadata (inferredMeta.ts, e.g. color=bgr
   * from Image.BitmapPixelFormat=Bgr8); absent in manifests written before inference.
   */
  readonly inferred?: Readonly<Record<string, string>>;
  /** inferred, overlaid with modelMetadata, overlaid with meta: what consumers should read. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Sorted; a tag resolves to the newest version carrying it. */
  readonly tags: readonly string[];
  /** ISO 8601. */
  readonly createdAt: string;
}

export function manifestPrefix(name: string): string {
  return `manifests/${name}/`;
}

export function manifestBlob(name: string, version: number): string {
  return `${manifestPrefix(name)}v${version}.json`;
}

export function modelBlob(sha256: string): string {
  return `blobs/sha256/${sha256}.onnx`;
}

/** The version number of a manifest blob name, or undefined for anything else under the prefix. */
export function versionOfBlob(name: string, blobName: string): number | undefined {
  const match = /^v([1-9][0-9]*)\.json$/.exec(blobName.slice(manifestPrefix(name).length));
  return match?.[1] ? Number(match[1]) : undefined;
}

export function serializeVersion(record: ModelVersion): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

export function parseVersion(blobName: string, text: string): ModelVersion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PermanentError(`model manifest ${blobName}: not JSON`, { cause, code: 'BadManifest' });
  }
  const r = value as Partial<ModelVersion> | null;
  if (
    !r ||
    typeof r.name !== 'string' ||
    typeof r.version !== 'number' ||
    typeof r.sha256 !== 'string' ||
    typeof r.blob !== 'string'
  ) {
    throw new PermanentError(`model manifest ${blobName}: missing name, version, sha256 or blob`, {
      code: 'BadManifest',
    });
  }
  return r as ModelVersion;
}
