/** One problem the checker found. `error` fails the run; `note` is information (for example a type it could not check). */
export interface Finding {
  readonly severity: 'error' | 'note';
  /** Stable rule id, e.g. `syntax`, `api-version`, `unknown-property`, `secret-output`. */
  readonly rule: string;
  /** Path relative to the working directory. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** The Bicep symbol or Kubernetes object the finding is about, when there is one. */
  readonly resource?: string;
  readonly message: string;
}

/** `file:line: error [rule] resource: message`, the shape editors and CI logs link. */
export function formatFinding(f: Finding): string {
  const where = f.resource ? `${f.resource}: ` : '';
  return `${f.file}:${f.line}: ${f.severity} [${f.rule}] ${where}${f.message}`;
}
