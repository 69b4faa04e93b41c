/**
 * The architecture lint (tools/lint): the project's own layer table and cycle roots, run over a
 * fixture tree laid out like src/, must flag an upward import and an import cycle, naming them, and
 * leave allowed imports alone.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import architecture from '../../tools/lint/architecture.js';
import { CYCLE_ROOTS, LAYERS } from '../../tools/lint/layers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function lint(): Promise<Map<string, string[]>> {
  const eslint = new ESLint({
    cwd: FIXTURES,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { tessera: architecture },
        rules: {
          'tessera/layers': ['error', { layers: LAYERS }],
          'tessera/no-cycles': ['error', { roots: CYCLE_ROOTS }],
        },
      },
    ],
  });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  return new Map(
    results.map((r) => [r.filePath.slice(FIXTURES.length), r.messages.map((m) => `${m.ruleId}: ${m.message}`)]),
  );
}

describe('the architecture lint', () => {
  it('flags an import from a higher layer, naming both files and layers', async () => {
    const messages = await lint();
    expect(messages.get('src/core/pure.ts')).toEqual([
      expect.stringMatching(
        /^tessera\/layers: src\/core\/pure\.ts is in layer "core", which may not import src\/usecases\/useCase\.ts in layer "use cases"/,
      ),
    ]);
    expect(messages.get('src/ports/port.ts')).toEqual([]);
    expect(messages.get('src/usecases/useCase.ts')).toEqual([]);
  });

  it('flags every import on a cycle (type-only imports count), spelling the cycle out', async () => {
    const messages = await lint();
    expect(messages.get('src/adapters/first.ts')).toEqual([
      'tessera/no-cycles: import cycle: src/adapters/first.ts → src/adapters/second.ts → src/adapters/third.ts → src/adapters/first.ts',
    ]);
    expect(messages.get('src/adapters/third.ts')).toEqual([
      'tessera/no-cycles: import cycle: src/adapters/third.ts → src/adapters/first.ts → src/adapters/second.ts → src/adapters/third.ts',
    ]);
  });
});
