// Type-aware lint. The core must stay pure: no I/O, no SDKs, no runtime.
import tseslint from 'typescript-eslint';
import architecture from './tools/lint/architecture.js';
import { CYCLE_ROOTS, LAYERS } from './tools/lint/layers.js';

const impure = [
  { group: ['@azure/*'], message: 'The core is pure: SDKs belong in adapters.' },
  {
    group: ['onnxruntime-node', 'fluent-ffmpeg', 'better-sqlite3', 'libsvm-js'],
    message: 'The core is pure: runtimes belong in adapters.',
  },
  {
    group: [
      'node:fs',
      'node:fs/*',
      'fs',
      'fs/*',
      'node:child_process',
      'child_process',
      'node:net',
      'node:http',
      'node:worker_threads',
    ],
    message: 'The core does no I/O.',
  },
  {
    group: ['**/adapters/**', '**/runtime/**', '**/cli/**', '**/engine/**', '**/registry/**', '**/usecases/**'],
    message: 'The core depends on nothing outside itself and the ports.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.tessera/**',
      'dist/**',
      '**/dist/**',
      'bin/**',
      'bench/out/**',
      '.bench-venv/**',
      'eslint.config.js',
      'bench/run.js',
      'tools/lint/**', // plain JavaScript the config loads, like this file (their types: tools/lint/*.d.ts)
      'test/lint/fixtures/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // The layers (tools/lint/layers.js) and no import cycles.
    files: ['src/**/*.ts', 'functions/src/**/*.ts', 'scorer-image/src/**/*.ts'],
    plugins: { tessera: architecture },
    rules: {
      'tessera/layers': ['error', { layers: LAYERS }],
      'tessera/no-cycles': ['error', { roots: CYCLE_ROOTS }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: impure }],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The core never reads process or the environment.' },
      ],
    },
  },
  // The dashboard's browser modules and plain Node scripts: linted without type information (they are not TypeScript).
  { files: ['dashboard/**/*.js', 'scripts/**/*.mjs', 'test/**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
