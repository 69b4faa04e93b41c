/**
 * Names, tags, user metadata and references ('name', 'name@3', 'name@v3', 'name@tag',
 * 'name@latest') of registered models, validated in one place.
 */
import { InputError } from '../core/errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const TAG = /^[a-z][a-z0-9._-]{0,62}$/;
const VERSION = /^v?([1-9][0-9]{0,8})$/;
const META_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export type ModelSelector =
  | { readonly kind: 'latest' }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'tag'; readonly tag: string };

export interface ModelRef {
  readonly name: string;
  readonly selector: ModelSelector;
}

export function validateModelName(name: string): string {
  if (!NAME.test(name))
    throw new InputError('model name', `'${name}' must match [a-z0-9][a-z0-9._-]* (at most 100 characters)`);
  return name;
}

export function validateTags(tags: readonly string[]): string[] {
  for (const tag of tags) {
    if (!TAG.test(tag) || VERSION.test(tag) || tag === 'latest') {
      throw new InputError(
        'tag',
        `'${tag}' must match [a-z][a-z0-9._-]*, and not be 'latest' or look like a version (v3)`,
      );
    }
  }
  return [...new Set(tags)].sort();
}

export function validateMeta(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(meta).sort()) {
    const value = meta[key];
    if (!META_KEY.test(key)) throw new InputError('meta', `key '${key}' must match [A-Za-z0-9_][A-Za-z0-9_.-]*`);
    if (typeof value !== 'string') throw new InputError('meta', `value of '${key}' must be a string`);
    out[key] = value;
  }
  return out;
}

/** Parses 'name', 'name@3', 'name@v3', 'name@latest' or 'name@tag'. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.indexOf('@');
  const name = validateModelName(at < 0 ? ref : ref.slice(0, at));
  if (at < 0) return { name, selector: { kind: 'latest' } };
  const rest = ref.slice(at + 1);
  if (rest === 'latest') return { name, selector: { kind: 'latest' } };
  const version = VERSION.exec(rest);
  if (version?.[1]) return { name, selector: { kind: 'version', version: Number(version[1]) } };
  if (TAG.test(rest)) return { name, selector: { kind: 'tag', tag: rest } };
  throw new InputError('model reference', `'${ref}' is not name, name@<version>, name@latest or name@<tag>`);
}

export function formatRef(name: string, version: number): string {
  return `${name}@${version}`;
}
