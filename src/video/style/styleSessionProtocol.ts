/** The messages between a style session (styleSession.ts) and its worker thread (styleSessionWorker.ts). */
import type { InferenceSession } from 'onnxruntime-node';

export interface SessionWorkerData {
  readonly bytes: Uint8Array;
  readonly options: InferenceSession.SessionOptions;
}

export type SessionRequest =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly input: string;
      readonly output: string;
      readonly data: Uint8Array;
      readonly dims: readonly number[];
    }
  | { readonly type: 'endProfiling'; readonly id: number }
  | { readonly type: 'release'; readonly id: number };

export type SessionReply =
  | { readonly type: 'ready'; readonly inputNames: string[]; readonly outputNames: string[] }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly data: Uint8Array;
      readonly dims: number[];
      readonly ms: number;
    }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
