/**
 * A recording stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker
 * provides to @azure/functions at run time. The worker makes it requirable by wrapping
 * `Module.prototype.require`; this does the same, so every `app.*` call reaches `registerFunction`
 * with exactly the metadata the host would receive (the library's own toCoreFunctionMetadata
 * output: binding type, direction, path or queue, connection, cardinality, retry options).
 *
 * @azure/functions looks the module up once per process, lazily, at the first `app.*` call: install
 * this before importing any function file, in a test file of its own (vitest's forks pool runs each
 * test file in a fresh process).
 */
import { Module } from 'node:module';

export interface RpcBinding {
  readonly type: string;
  readonly direction: 'in' | 'out';
  readonly [property: string]: unknown;
}

export interface Registration {
  readonly name: string;
  readonly bindings: Readonly<Record<string, RpcBinding>>;
  readonly retryOptions: Readonly<Record<string, unknown>> | undefined;
  readonly callback: unknown;
}

export interface RecordingCore {
  readonly registrations: Map<string, Registration>;
  /** Whether @azure/functions handed its programming model to the "worker". */
  readonly programmingModel: () => unknown;
  uninstall(): void;
}

export function installRecordingCore(): RecordingCore {
  const registrations = new Map<string, Registration>();
  let model: unknown;
  const core = {
    version: '3.10.1',
    hostVersion: '4.1000.0',
    setProgrammingModel: (m: unknown) => {
      model = m;
    },
    getProgrammingModel: () => model,
    registerHook: () => ({ dispose: () => {} }),
    log: () => {},
    registerFunction(metadata: Omit<Registration, 'callback'>, callback: unknown) {
      if (registrations.has(metadata.name)) throw new Error(`function ${metadata.name} registered twice`);
      registrations.set(metadata.name, { ...metadata, callback });
      return { dispose: () => registrations.delete(metadata.name) };
    },
    Disposable: class {
      dispose(): void {}
    },
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = Module.prototype.require;
  Module.prototype.require = new Proxy(original, {
    apply(target, thisArg, args: [string]): unknown {
      return args[0] === '@azure/functions-core' ? core : (Reflect.apply(target, thisArg, args) as unknown);
    },
  });
  return {
    registrations,
    programmingModel: () => model,
    uninstall: () => {
      Module.prototype.require = original;
    },
  };
}
