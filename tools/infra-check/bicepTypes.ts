import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import {
  readIndexJson,
  readTypesJson,
  CrossFileTypeReference,
  TypeBaseKind,
  type BicepType,
  type TypeIndex,
  type TypeReference,
} from 'bicep-types';

/** A type inside one types.json file: dereference its references through `resolve`. */
export interface TypeRef {
  readonly file: string;
  readonly index: number;
}

export type ResourceLookup =
  | { readonly status: 'ok'; readonly body: TypeRef }
  | { readonly status: 'not-vendored'; readonly file: string }
  | { readonly status: 'unknown-version'; readonly known: readonly string[] }
  | { readonly status: 'unknown-type' };

/**
 * Azure's resource type definitions (the Bicep compiler's own, Azure/bicep-types-az), read with the
 * `bicep-types` package from a folder laid out like its `generated/` folder: `index.json` lists every
 * `type@apiVersion`, and each entry points into a `types.json` file.
 */
export class BicepTypes {
  private readonly index: TypeIndex;
  private readonly byLowerKey = new Map<string, { key: string; ref: CrossFileTypeReference }>();
  private readonly versionsByType = new Map<string, string[]>();
  private readonly files = new Map<string, BicepType[]>();

  constructor(private readonly root: string) {
    this.index = readIndexJson(readFileSync(join(root, 'index.json'), 'utf8'));
    for (const [key, ref] of Object.entries(this.index.resources)) {
      this.byLowerKey.set(key.toLowerCase(), { key, ref });
      const [type = '', version = ''] = key.split('@');
      const list = this.versionsByType.get(type.toLowerCase()) ?? [];
      list.push(version);
      this.versionsByType.set(type.toLowerCase(), list);
    }
  }

  /** Finds `type@apiVersion` (case-insensitively, as ARM does). */
  lookup(type: string, apiVersion: string): ResourceLookup {
    const hit = this.byLowerKey.get(`${type}@${apiVersion}`.toLowerCase());
    if (!hit) {
      const known = this.versionsByType.get(type.toLowerCase());
      return known ? { status: 'unknown-version', known: [...known].sort() } : { status: 'unknown-type' };
    }
    const file = hit.ref.relativePath;
    if (!existsSync(join(this.root, file))) return { status: 'not-vendored', file };
    const resource = this.resolve({ file, index: hit.ref.index });
    if (resource.type !== TypeBaseKind.ResourceType)
      throw new Error(`${file}#${hit.ref.index} is ${resource.type}, not a ResourceType`);
    return { status: 'ok', body: this.follow({ file, index: hit.ref.index }, resource.body) };
  }

  /** Newer stable api versions of a type than the one given. */
  newerStableVersions(type: string, apiVersion: string): string[] {
    return (this.versionsByType.get(type.toLowerCase()) ?? [])
      .filter((v) => !v.includes('preview') && v > apiVersion)
      .sort();
  }

  resolve(ref: TypeRef): BicepType {
    let types = this.files.get(ref.file);
    if (!types) {
      types = readTypesJson(readFileSync(join(this.root, ref.file), 'utf8'));
      this.files.set(ref.file, types);
    }
    const type = types[ref.index];
    if (!type) throw new Error(`${ref.file} has no type #${ref.index}`);
    return type;
  }

  /** Follows a reference found inside the type at `from`. */
  follow(from: TypeRef, ref: TypeReference | CrossFileTypeReference): TypeRef {
    if (ref instanceof CrossFileTypeReference) {
      return { file: posix.normalize(posix.join(dirname(from.file), ref.relativePath)), index: ref.index };
    }
    return { file: from.file, index: ref.index };
  }
}
