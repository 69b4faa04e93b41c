/**
 * The Event Hubs side of the test broker: an AMQP 1.0 listener on rhea that the unmodified
 * @azure/event-hubs SDK (6.x) talks to. Plain AMQP on 127.0.0.1, port 0, SASL ANONYMOUS; `$cbs`
 * put-token with SAS signatures checked (brokerManagement.ts); the `$management` READ of
 * `com.microsoft:eventhub` and `com.microsoft:partition`; sends to `<hub>` (partition key hash or
 * round-robin) or `<hub>/Partitions/<n>`; receivers on `<hub>/ConsumerGroups/<group>/Partitions/<n>`
 * with the SDK's selector filter, fed as link credit allows. README.md says what it does not model.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo, Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import rhea, { type EventContext, type Message, type Sender } from 'rhea';
import { putToken, type Credentials } from './brokerManagement.js';
import { optionalString, reply, unbatch } from './brokerWire.js';
import {
  BrokerEventHub,
  DEFAULT_HUB_SETTINGS,
  eventOnTheWire,
  type EventHubPartition,
  type HubSettings,
} from './eventHubsPartitions.js';

export interface EventHubsBroker {
  readonly host: string;
  readonly port: number;
  /** SAS connection string (no EntityPath) with `UseDevelopmentEmulator=true`: the SDK speaks plain AMQP to this port. */
  readonly connectionString: string;
  createEventHub(name: string, settings?: Partial<HubSettings>): BrokerEventHub;
  eventHub(name: string): BrokerEventHub | undefined;
  deleteEventHub(name: string): void;
  /** The next request of this kind (`send`, `put-token`, `READ`) fails with `condition`. */
  failNext(operation: string, condition: string, description?: string): void;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Event Hubs Standard's maximum event (batch) size. */
const MAX_MESSAGE_SIZE = 1024 * 1024;
const SELECTOR = 'apache.org:selector-filter:string';
const STATUS: Record<string, number> = {
  'amqp:unauthorized-access': 401,
  'amqp:not-found': 404,
  'com.microsoft:timeout': 408,
  'com.microsoft:server-busy': 503,
};

interface Cursor {
  readonly partition: EventHubPartition;
  next: number;
}
interface LinkInternals {
  local: { attach: { max_message_size?: number; snd_settle_mode?: number } };
  remote: { attach?: { source?: { filter?: Record<string, unknown> } } };
  credit: number;
}
const internals = (link: unknown): LinkInternals => link as LinkInternals;

/** Event Hubs' partition key hash, from the SDK itself (its buffered producer predicts the service with it). */
async function loadPartitionHash(): Promise<(key: string, partitions: number) => number> {
  const entry = createRequire(import.meta.url).resolve('@azure/event-hubs');
  const file = join(dirname(entry), '..', 'esm', 'impl', 'partitionKeyToIdMapper.js');
  const mod = (await import(pathToFileURL(file).href)) as { mapPartitionKeyToId: (key: string, n: number) => number };
  return mod.mapPartitionKeyToId;
}

export async function startEventHubsBroker(options: { keyName?: string; key?: string } = {}): Promise<EventHubsBroker> {
  const credentials: Credentials = {
    keyName: options.keyName ?? 'RootManageSharedAccessKey',
    key: options.key ?? randomBytes(32).toString('base64'),
    jwtTokens: new Set(),
  };
  const partitionHash = await loadPartitionHash();
  const hubs = new Map<string, BrokerEventHub>();
  const cursors = new Map<Sender, Cursor>();
  const replyLinks = new Map<string, Sender>();
  const addresses = new WeakMap<object, string>();
  const faults = new Map<string, { condition: string; description: string }[]>();
  const sockets = new Set<Socket>();
  const takeFault = (operation: string) => faults.get(operation)?.shift();
  const notFound = (what: string) => ({
    condition: 'amqp:not-found',
    description: `The messaging entity 'sb://${HOST}/${what}' could not be found. status-code: 404`,
  });

  /** `<hub>`, `<hub>/Partitions/<n>` or `<hub>/ConsumerGroups/<group>/Partitions/<n>`. */
  const resolve = (
    address: string,
  ): { hub: BrokerEventHub; group?: string; partition?: EventHubPartition } | undefined => {
    const m = /^([^/]+)(?:\/ConsumerGroups\/([^/]+))?(?:\/Partitions\/(\d+))?$/.exec(address);
    const hub = m ? hubs.get(m[1]!) : undefined;
    if (!m || !hub) return undefined;
    const partition = m[3] === undefined ? undefined : hub.partitions[Number(m[3])];
    if (m[3] !== undefined && partition === undefined) return undefined;
    if (m[2] !== undefined && (partition === undefined || !hub.settings.consumerGroups.includes(m[2])))
      return undefined;
    return { hub, group: m[2], partition };
  };

  let pumpScheduled = false;
  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(pump);
  };
  const pump = (): void => {
    pumpScheduled = false;
    for (const [sender, cursor] of cursors) {
      if (!sender.is_open()) continue;
      while (internals(sender).credit > 0 && cursor.next < cursor.partition.events.length) {
        sender.send(eventOnTheWire(cursor.partition.events[cursor.next++]!));
      }
    }
  };

  const management = (request: Message): Message => {
    const props = request.application_properties ?? {};
    const hub = hubs.get(String(props['name']));
    if (props['operation'] !== 'READ')
      return reply(request, 501, undefined, {
        condition: 'amqp:not-implemented',
        description: `${String(props['operation'])} is not modelled by the test broker`,
      });
    if (!hub) return reply(request, 404, undefined, notFound(String(props['name'])));
    if (props['type'] === 'com.microsoft:eventhub') return reply(request, 200, hub.properties());
    const partition = hub.partitions[Number(optionalString(props['partition']) ?? NaN)];
    if (props['type'] !== 'com.microsoft:partition' || !partition)
      return reply(request, 404, undefined, notFound(`${hub.name}/Partitions/${String(props['partition'])}`));
    return reply(request, 200, partition.properties(hub.name));
  };

  const container = rhea.create_container({ id: 'tessera-test-eventhubs' });
  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender!;
    const address = String(sender.source?.address ?? '');
    const replyTo = String(sender.target?.address ?? sender.name);
    sender.set_source({ address });
    sender.set_target({ address: replyTo });
    if (address === '$cbs' || address === '$management') return void replyLinks.set(replyTo, sender);
    const found = resolve(address);
    if (found?.partition === undefined || found.group === undefined) return sender.close(notFound(address));
    const filter = internals(sender).remote.attach?.source?.filter?.[SELECTOR] as
      { value?: unknown } | string | undefined;
    const value = typeof filter === 'string' ? filter : filter?.value;
    const expression = typeof value === 'string' ? value : "amqp.annotation.x-opt-offset > '-1'"; // no filter: the earliest event
    const start = found.partition.startIndex(expression);
    if (typeof start !== 'number') return sender.close(start);
    internals(sender).local.attach.snd_settle_mode = 1; // events are delivered pre-settled
    cursors.set(sender, { partition: found.partition, next: start });
    schedulePump();
  });
  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver!;
    const address = String(receiver.target?.address ?? '');
    addresses.set(receiver, address);
    receiver.set_target({ address });
    receiver.set_source({ address: String(receiver.source?.address ?? '') });
    internals(receiver).local.attach.max_message_size = MAX_MESSAGE_SIZE;
    const found = address === '$cbs' || address === '$management' ? true : resolve(address);
    if (found === undefined || (found !== true && found.group !== undefined)) receiver.close(notFound(address));
  });
  container.on('message', (ctx: EventContext) => {
    const address = addresses.get(ctx.receiver!) ?? '';
    const message = ctx.message!;
    const delivery = ctx.delivery!;
    const respond = (response: Message) => replyLinks.get(String(message.reply_to))?.send(response);
    if (address === '$cbs' || address === '$management') {
      delivery.accept();
      const fault = takeFault(address === '$cbs' ? 'put-token' : String(message.application_properties?.['operation']));
      if (fault) respond(reply(message, STATUS[fault.condition] ?? 500, undefined, fault));
      else respond(address === '$cbs' ? putToken(message, credentials, Date.now()) : management(message));
      return;
    }
    const found = resolve(address);
    const fault = takeFault('send');
    if (fault || !found) return delivery.reject(fault ?? notFound(address));
    found.hub.append(unbatch(message, delivery.format), found.partition?.id, Date.now());
    delivery.accept();
    schedulePump();
  });
  container.on('sendable', schedulePump);
  container.on('sender_close', (ctx: EventContext) => void cursors.delete(ctx.sender!));
  container.on('disconnected', (ctx: EventContext) => {
    for (const sender of cursors.keys()) if (sender.connection === ctx.connection) cursors.delete(sender);
  });
  container.on('error', (e: unknown) => console.error('test Event Hubs broker:', e)); // visible, never swallowed

  const server = container.listen({ port: 0, host: HOST, autoaccept: false } as never) as Server;
  server.on('connection', (socket: Socket) => {
    // Without it, Nagle's algorithm holds each transfer after the first until the client's delayed ACK (~40 ms).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done, fail) => {
    server.once('listening', done);
    server.once('error', fail);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: HOST,
    port,
    connectionString: `Endpoint=sb://${HOST}:${port}/;SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key};UseDevelopmentEmulator=true`,
    createEventHub(name, settings = {}) {
      const hub = new BrokerEventHub(name, { ...DEFAULT_HUB_SETTINGS, ...settings }, partitionHash);
      hubs.set(name, hub);
      return hub;
    },
    eventHub: (name) => hubs.get(name),
    deleteEventHub: (name) => void hubs.delete(name),
    failNext(operation, condition, description = `injected ${condition}`) {
      faults.set(operation, [...(faults.get(operation) ?? []), { condition, description }]);
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
