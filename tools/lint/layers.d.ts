/** Tessera's layers, lowest first (see layers.js). */
export declare const LAYERS: readonly { readonly name: string; readonly folders: readonly string[] }[];
/** The folders whose import graph must have no cycles. */
export declare const CYCLE_ROOTS: readonly string[];
