import type { TokenCredential } from '@azure/core-auth';
import { readApiToken } from '../composition/local/apiToken.js';
import { remoteUrl } from '../config/config.js';
import { InputError } from '../core/errors.js';
import type { ApiFetch } from '../hosting/api/inProcessFetch.js';

export interface RemoteSettings {
  /** `--remote`, else TESSERA_REMOTE. */
  readonly url: string;
  /** TESSERA_TOKEN: sent as it is. */
  readonly token: string | undefined;
  /** TESSERA_REMOTE_SCOPE: the Entra ID scope to ask a token for. */
  readonly scope: string | undefined;
  /** TESSERA_HOME: where a loopback server's token file is. */
  readonly home: string;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

/**
 * How the CLI authenticates to a server: TESSERA_TOKEN as it is; a loopback server (`tessera up`)
 * with the token file under TESSERA_HOME; anything else with an Entra ID token for
 * TESSERA_REMOTE_SCOPE from `credential` (by default @azure/identity's DefaultAzureCredential
 * chain: environment, workload identity, managed identity, Azure CLI, …).
 */
export async function bearerFor(
  settings: RemoteSettings,
  credential?: TokenCredential,
): Promise<() => Promise<string>> {
  if (settings.token) {
    const token = settings.token;
    return () => Promise.resolve(token);
  }
  if (isLoopback(settings.url)) {
    const token = readApiToken(settings.home);
    if (!token)
      throw new InputError(
        settings.url,
        `no token in ${settings.home}/api.token: start "tessera up" over this TESSERA_HOME, or set TESSERA_TOKEN`,
      );
    return () => Promise.resolve(token);
  }
  const scope = settings.scope;
  if (!scope)
    throw new InputError(
      'TESSERA_REMOTE_SCOPE',
      `needed to get an Entra ID token for ${settings.url} (the API's scope, e.g. api://tessera-api/.default)`,
    );
  const chain = credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
  return async () => {
    const token = await chain.getToken(scope);
    if (!token) throw new InputError('TESSERA_REMOTE_SCOPE', `no Entra ID token for ${scope}: sign in (az login)`);
    return token.token;
  };
}

/** A fetch to the server at `settings.url` that carries the bearer token. */
export async function remoteFetch(
  settings: RemoteSettings,
  options: { credential?: TokenCredential; fetch?: ApiFetch } = {},
): Promise<{ fetch: ApiFetch; base: string }> {
  const base = remoteUrl({ '--remote': settings.url }, '--remote');
  if (!base) throw new InputError('--remote', 'must not be empty');
  const bearer = await bearerFor({ ...settings, url: base }, options.credential);
  const inner = options.fetch ?? fetch;
  return {
    base,
    fetch: async (url, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await bearer()}`);
      return inner(url, { ...init, headers });
    },
  };
}
