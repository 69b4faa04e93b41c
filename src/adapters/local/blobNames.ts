import { InputError } from '../../core/errors.js';

const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
const METADATA_KEY = /^[a-z_][a-z0-9_]*$/;
/** Leaves room for the `~<contentId>` suffix within the usual 255-byte file-name limit. */
const MAX_SEGMENT_BYTES = 200;

/** Container names: 3-63 chars of [a-z0-9-], starting and ending with a letter or digit, no `--` (as Azure). */
export function validateContainerName(container: string): void {
  if (!CONTAINER.test(container)) {
    throw new InputError(
      `container name ${JSON.stringify(container)}`,
      'must be 3-63 characters of [a-z0-9-], start and end with a letter or digit, without "--"',
    );
  }
}

/** Blob names: non-empty, `/`-separated segments, no leading `/`, no empty, `.` or `..` segments. */
export function validateBlobName(name: string): void {
  const bad = (reason: string): never => {
    throw new InputError(`blob name ${JSON.stringify(name)}`, reason);
  };
  if (name.length === 0) bad('must not be empty');
  if (name.startsWith('/')) bad('must not start with "/"');
  if (name.includes('\0') || name.includes('\\')) bad('must not contain NUL or "\\"');
  for (const segment of name.split('/')) {
    if (segment === '..') bad('must not contain ".." segments');
    if (segment === '.') bad('must not contain "." segments');
    if (segment === '') bad('must not contain empty segments ("//" or a trailing "/")');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) bad(`segments must be at most ${MAX_SEGMENT_BYTES} bytes`);
  }
}

/** Metadata keys are lower-case ASCII identifiers; values are strings. */
export function validateMetadata(metadata: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) {
      throw new InputError(`metadata key ${JSON.stringify(key)}`, 'must be a lower-case identifier of [a-z0-9_]');
    }
    if (typeof value !== 'string') {
      throw new InputError(`metadata value for ${JSON.stringify(key)}`, 'must be a string');
    }
  }
}
