import type { TokenCredential } from '@azure/core-auth';
import { Option, type Command } from 'commander';
import { localApiPorts } from '../composition/local/localApiPorts.js';
import type { LocalContext } from '../composition/local/localContext.js';
import { loadConfig, type Config } from '../config/config.js';
import { inProcessFetch, type ApiFetch } from '../hosting/api/inProcessFetch.js';
import { createApiClient, type ApiClient } from './apiClient.js';
import { openCliContext } from './context.js';
import type { CliIo } from './io.js';
import { remoteFetch } from './remote.js';

/** What tests (and embedders) may hand the CLI instead of the process's: the environment, a credential, a fetch. */
export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The Entra ID credential for a remote API (default: @azure/identity's DefaultAzureCredential chain). */
  readonly credential?: TokenCredential;
  /** How remote requests travel (default: the global fetch). */
  readonly fetch?: ApiFetch;
}

/** The API a command talks to: a remote server, or the handlers in this process over the local files. */
export interface CliApi {
  readonly client: ApiClient;
  /** Undefined for a remote API. */
  readonly local: LocalContext | undefined;
}

/** One CLI run: its io, its configuration, and the API it opened (closed when the command ends). */
export interface CliEnv {
  readonly io: CliIo;
  readonly options: CliOptions;
  config(): Config;
  /** `--remote` wins over TESSERA_REMOTE; with neither, the local runtime's files. */
  api(remote: string | undefined): Promise<CliApi>;
  /** The local context (opening it if need be): for commands only the local runtime can do. */
  local(): Promise<LocalContext>;
  exitCode: number;
  close(): Promise<void>;
}

export function createCliEnv(io: CliIo, options: CliOptions = {}): CliEnv {
  let config: Config | undefined;
  let local: LocalContext | undefined;
  let api: Promise<CliApi> | undefined;
  const env: CliEnv = {
    io,
    options,
    exitCode: 0,
    config: () => (config ??= loadConfig(options.env ?? process.env)),
    async local() {
      local ??= await openCliContext(env.config());
      return local;
    },
    api(remote) {
      api ??= (async () => {
        const cfg = env.config();
        const url = remote ?? cfg.remote.url;
        if (url !== undefined) {
          const settings = { url, token: cfg.remote.token, scope: cfg.remote.scope, home: cfg.home };
          const { fetch, base } = await remoteFetch(settings, options);
          return { client: createApiClient(fetch, base), local: undefined };
        }
        const ctx = await env.local();
        return { client: createApiClient(inProcessFetch(localApiPorts(ctx)), 'http://in-process'), local: ctx };
      })();
      return api;
    },
    async close() {
      await local?.close();
    },
  };
  return env;
}

export type OutputFormat = 'table' | 'json';

/** The flags every command that talks to the API takes: `--remote URL` and `-o json|table` (`--json` is `-o json`). */
export function apiOptions(command: Command): Command {
  return command
    .option('--remote <url>', 'a deployed or running API instead of the local files (default: TESSERA_REMOTE)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--json', 'same as -o json').hideHelp());
}

/** The output format a command's options ask for. */
export function formatOf(opts: { output?: string; json?: boolean }): OutputFormat {
  return opts.json || opts.output === 'json' ? 'json' : 'table';
}
