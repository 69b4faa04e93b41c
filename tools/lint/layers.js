// Tessera's layers, lowest first. A file may import from its own layer and the layers before it,
// never from a later one (tools/lint/architecture.js enforces it as `tessera/layers`).
export const LAYERS = [
  { name: 'core', folders: ['src/core', 'src/lib'] }, // pure: windowing, sharding, plans, naming; no I/O
  { name: 'ports', folders: ['src/ports'] }, // the interfaces the core owns, in core types
  { name: 'use cases', folders: ['src/usecases'] }, // the job lifecycle and each kind's compute, over ports
  {
    name: 'adapters', // ports implemented: Azure SDKs, SQLite and files, ffmpeg, onnxruntime, OpenTelemetry
    folders: [
      'src/adapters',
      'src/engine',
      'src/onnx',
      'src/video',
      'src/registry',
      'src/training',
      'src/telemetry',
      'src/ingest',
    ],
  },
  { name: 'hosting', folders: ['src/hosting'] }, // what every root runs on: the message pump, backoff, logging
  { name: 'composition roots', folders: ['src/composition', 'src/config'] }, // adapters wired to use cases
  { name: 'entry points', folders: ['src/cli', 'functions/src', 'scorer-image/src'] }, // thin: decode, call, map
];

/** The folders whose import graph must have no cycles. */
export const CYCLE_ROOTS = ['src', 'functions/src', 'scorer-image/src'];
