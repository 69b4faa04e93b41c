import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';

/** A parsed YAML file: its documents, a way to find the line of a path, and its syntax errors. */
export interface YamlFile {
  readonly docs: readonly Document.Parsed[];
  readonly errors: readonly { line: number; message: string }[];
  lineOf(doc: Document.Parsed, path: readonly (string | number)[]): number;
}

export function readYaml(path: string): YamlFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { lineCounter, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const errors = list.flatMap((d) =>
    [...d.errors, ...d.warnings].map((e) => ({
      line: lineCounter.linePos(e.pos[0]).line,
      message: e.message.split('\n')[0] ?? e.message,
    })),
  );
  if (!Array.isArray(docs)) errors.push({ line: 1, message: 'not a YAML stream' });
  const lineOf = (doc: Document.Parsed, path: readonly (string | number)[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
    }
    return doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : 1;
  };
  return { docs: list, errors, lineOf };
}
