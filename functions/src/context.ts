/**
 * Shared wiring of the Functions app: one AzureContext per process, opened lazily on the first
 * invocation (settings parsed once, one credential, one AMQP connection, the Event Hubs event log
 * when the stream is configured), and an invocation-scoped
 * view of it whose use cases log through that invocation.
 */
import type { InvocationContext } from '@azure/functions';
import { loadAzureSettings } from '../../src/composition/azure/azureConfig.js';
import {
  credentialFor,
  openAzureContext,
  openAzureEventLog,
  type AzureContext,
} from '../../src/composition/azure/azureContext.js';
import { createLogger } from '../../src/hosting/logger.js';
import { invocationLogger } from './invocationLogger.js';

let opened: Promise<AzureContext> | undefined;

async function openFromEnvironment(): Promise<AzureContext> {
  const settings = loadAzureSettings(process.env);
  const log = createLogger({ level: settings.config.logLevel, sink: (line) => console.log(JSON.stringify(line)) });
  const credential = await credentialFor(settings);
  // The sensor stream's event log, when TESSERA_EVENTHUBS__* is set: without it the stream
  // functions answer "stream not configured".
  const eventLog = await openAzureEventLog(settings, credential);
  try {
    return openAzureContext(settings, credential, log, { eventLog });
  } catch (error) {
    await eventLog?.close();
    throw error;
  }
}

/** The process's context; a failed open (bad settings) is not cached, so the next invocation reports it again. */
export function processContext(): Promise<AzureContext> {
  opened ??= openFromEnvironment().catch((error: unknown) => {
    opened = undefined;
    throw error;
  });
  return opened;
}

/** The process's context, its use cases logging to this invocation. */
export async function contextFor(invocation: InvocationContext): Promise<AzureContext> {
  const ctx = await processContext();
  return ctx.withLog(invocationLogger(invocation, ctx.settings.config.logLevel));
}

/**
 * Replaces the process's context (tests: adapters over Azurite and the test broker, never a
 * DefaultAzureCredential); undefined goes back to opening one from the environment.
 */
export function useContext(ctx: AzureContext | undefined): void {
  opened = ctx === undefined ? undefined : Promise.resolve(ctx);
}
