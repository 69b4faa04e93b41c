import type { ESLint } from 'eslint';

/** The `tessera` ESLint plugin: rules `layers` and `no-cycles` (see architecture.js). */
declare const plugin: ESLint.Plugin;
export default plugin;
