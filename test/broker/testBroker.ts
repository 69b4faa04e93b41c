/**
 * A small AMQP 1.0 broker on rhea that speaks what the unmodified @azure/service-bus SDK needs, for
 * tests only. Plain AMQP (no TLS) on 127.0.0.1, port 0; SASL ANONYMOUS as the SDK offers it; claims
 * through `$cbs`; queues with peek-lock and dead-letter subqueues (brokerQueue.ts); the `$management`
 * operations in brokerManagement.ts. README.md lists what it does not model.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import rhea, {
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { putToken, manage, type Credentials } from './brokerManagement.js';
import {
  BrokerQueue,
  DEFAULT_QUEUE_SETTINGS,
  invalidQueueSettings,
  type Outcome,
  type QueueSettings,
  type SubQueue,
} from './brokerQueue.js';
import {
  accepted,
  lockTokenToTag,
  onTheWire,
  optionalString as optional,
  rejected,
  reply,
  unbatch,
} from './brokerWire.js';

export interface TestBrokerOptions {
  readonly keyName?: string;
  readonly key?: string;
  /** Bearer tokens accepted from a TokenCredential (token type `jwt`). */
  readonly jwtTokens?: readonly string[];
}

export interface TestBroker {
  readonly host: string;
  readonly port: number;
  /** SAS connection string with `UseDevelopmentEmulator=true`, so the SDK speaks plain AMQP to this port. */
  readonly connectionString: string;
  /** Creates a queue; settings Service Bus would refuse (a lock under 5 s, …) throw, naming the setting. */
  createQueue(name: string, settings?: Partial<QueueSettings>): BrokerQueue;
  queue(name: string): BrokerQueue | undefined;
  deleteQueue(name: string): void;
  /** The next request of this kind (a `$management` operation, `put-token`, or `send`) fails with `condition`. */
  failNext(operation: string, condition: string, description?: string): void;
  /** Drops every client connection at once, as a network failure or a service restart does (locks stay, and expire). */
  dropConnections(): void;
  /** Detaches the links to `queue` (and its subqueues) with `condition`, as the service does on an entity update or a failover. */
  detachLinks(queue: string, condition?: string): number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEAD_LETTER = '/$DeadLetterQueue';
const MANAGEMENT = '/$management';
const MAX_MESSAGE_SIZE = 256 * 1024;
const TICK_MS = 20;
const STATUS: Record<string, number> = {
  'amqp:unauthorized-access': 401,
  'amqp:not-found': 404,
  'com.microsoft:timeout': 408,
  'com.microsoft:server-busy': 503,
};

interface Internals {
  local: { attach: { max_message_size?: number; snd_settle_mode?: number } };
  remote: { attach?: { snd_settle_mode?: number } };
  _draining: boolean;
  _drained: boolean;
  credit: number;
  delivery_count: number;
  _get_drain(): boolean;
  connection: { _register(): void };
}
const internals = (link: unknown): Internals => link as Internals;

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const credentials: Credentials = {
    keyName: options.keyName ?? 'RootManageSharedAccessKey',
    key: options.key ?? randomBytes(32).toString('base64'),
    jwtTokens: new Set(options.jwtTokens ?? []),
  };
  const queues = new Map<string, BrokerQueue>();
  const consumers = new Map<Sender, SubQueue>();
  const draining = new Set<Sender>();
  const replyLinks = new WeakMap<Connection, Map<string, Sender>>();
  const locks = new WeakMap<Delivery, { queue: BrokerQueue; token: string }>();
  const faults = new Map<string, { condition: string; description: string }[]>();
  const sockets = new Set<Socket>();
  const connections = new Set<Connection>();
  /** Each link's address as attached (rhea re-wraps the terminus once the local attach is set). */
  const addresses = new WeakMap<object, string>();

  const takeFault = (operation: string) => faults.get(operation)?.shift();
  const entity = (address: string): { sub: SubQueue; management: boolean } | undefined => {
    const management = address.endsWith(MANAGEMENT);
    const path = management ? address.slice(0, -MANAGEMENT.length) : address;
    const dead = path.endsWith(DEAD_LETTER);
    const queue = queues.get(dead ? path.slice(0, -DEAD_LETTER.length) : path);
    return queue === undefined ? undefined : { sub: dead ? queue.dead : queue.active, management };
  };
  const notFound = (address: string) => ({
    condition: 'amqp:not-found',
    description: `The messaging entity 'sb://${HOST}/${address}' could not be found. status-code: 404`,
  });

  let pumpScheduled = false;
  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // After rhea's nextTick processing, so `credit` already counts the transfers sent by the last pump.
    setImmediate(pump);
  };
  const pump = (): void => {
    pumpScheduled = false;
    const now = Date.now();
    for (const [sender, sub] of consumers) {
      if (!sender.is_open()) continue;
      for (let credit = internals(sender).credit; credit > 0; credit--) {
        const m = sub.nextAvailable(now);
        if (m === undefined) break;
        if (internals(sender).local.attach.snd_settle_mode === 1) {
          sub.messages.delete(m.seq); // receiveAndDelete: sent settled
          sender.send({ ...onTheWire(m, now), delivery_count: m.deliveryCount + 1 });
          continue;
        }
        const token = sub.lock(m, now);
        locks.set(sender.send(onTheWire(m, now), lockTokenToTag(token)), { queue: sub.queue, token });
      }
      if (draining.delete(sender)) {
        sender.set_drained(true);
        internals(sender).connection._register(); // set_drained alone does not schedule the flow
      }
    }
  };

  const respond = (ctx: EventContext, response: Message): void => {
    const link = replyLinks.get(ctx.connection)?.get(String(ctx.message?.reply_to));
    link?.send(response);
  };

  const container = rhea.create_container({ id: 'tessera-test-broker' });
  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender!;
    const address = String(sender.source?.address ?? '');
    const replyTo = String(sender.target?.address ?? sender.name);
    sender.set_source({ address });
    sender.set_target({ address: replyTo });
    if (address === '$cbs' || address.endsWith(MANAGEMENT)) {
      const links = replyLinks.get(ctx.connection) ?? new Map<string, Sender>();
      links.set(replyTo, sender);
      replyLinks.set(ctx.connection, links);
      return;
    }
    const found = entity(address);
    if (found === undefined || found.management) return sender.close(notFound(address));
    if (internals(sender).remote.attach?.snd_settle_mode === 1) internals(sender).local.attach.snd_settle_mode = 1;
    // rhea only answers a drain while credit is left; a drain must be answered even when the
    // transfers already used the credit up, or the SDK times out and closes its link.
    const link = internals(sender);
    link._get_drain = () => {
      if (!link._draining || !link._drained) return false;
      link.delivery_count += link.credit;
      link.credit = 0;
      link._draining = false;
      return true;
    };
    consumers.set(sender, found.sub);
    schedulePump();
  });
  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver!;
    const address = String(receiver.target?.address ?? '');
    addresses.set(receiver, address);
    receiver.set_target({ address });
    receiver.set_source({ address: String(receiver.source?.address ?? '') });
    internals(receiver).local.attach.max_message_size = MAX_MESSAGE_SIZE;
    const found = entity(address);
    if (address !== '$cbs' && (found === undefined || (!found.management && found.sub.isDeadLetter)))
      receiver.close(notFound(address));
  });
  container.on('message', (ctx: EventContext) => {
    const address = addresses.get(ctx.receiver!) ?? '';
    const message = ctx.message!;
    const delivery = ctx.delivery!;
    const now = Date.now();
    const fault = takeFault(
      address === '$cbs'
        ? 'put-token'
        : address.endsWith(MANAGEMENT)
          ? String(message.application_properties?.['operation'])
          : 'send',
    );
    if (address === '$cbs' || address.endsWith(MANAGEMENT)) {
      delivery.accept();
      const target = entity(address);
      if (fault !== undefined) respond(ctx, reply(message, STATUS[fault.condition] ?? 500, undefined, fault));
      else if (address === '$cbs') respond(ctx, putToken(message, credentials, now));
      else if (target !== undefined) respond(ctx, manage(message, target.sub, now));
      schedulePump();
      return;
    }
    const queue = entity(address)?.sub.queue;
    if (fault !== undefined || queue === undefined) return delivery.reject(fault ?? notFound(address));
    // The standard tier's 256 KiB, enforced here too, not only advertised (a client may not check).
    const size = Buffer.isBuffer(message) ? message.length : rhea.message.encode(message).length;
    if (size > MAX_MESSAGE_SIZE)
      return delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The received message (size: ${size} bytes) exceeds the limit (${MAX_MESSAGE_SIZE} bytes) currently allowed on the link.`,
      });
    for (const m of unbatch(message, delivery.format)) queue.enqueue(m, now);
    delivery.accept();
    schedulePump();
  });
  const onDisposition = (ctx: EventContext): void => {
    const delivery = ctx.delivery!;
    const lock = locks.get(delivery);
    if (lock === undefined) return;
    locks.delete(delivery);
    const ok = lock.queue.settle(lock.token, outcomeOf(delivery.remote_state), Date.now());
    delivery.update(
      true,
      ok
        ? accepted()
        : rejected(
            'com.microsoft:message-lock-lost',
            'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
          ),
    );
    schedulePump();
  };
  for (const event of ['accepted', 'released', 'rejected', 'modified'] as const) container.on(event, onDisposition);
  container.on('sender_draining', (ctx: EventContext) => {
    draining.add(ctx.sender!);
    schedulePump();
  });
  container.on('sendable', schedulePump);
  container.on('sender_close', (ctx: EventContext) => void consumers.delete(ctx.sender!));
  container.on('connection_open', (ctx: EventContext) => void connections.add(ctx.connection));
  container.on('connection_close', (ctx: EventContext) => void connections.delete(ctx.connection));
  container.on('disconnected', (ctx: EventContext) => {
    connections.delete(ctx.connection);
    for (const sender of consumers.keys()) if (sender.connection === ctx.connection) consumers.delete(sender);
  });
  container.on('error', (e: unknown) => console.error('test broker:', e)); // visible, never swallowed

  const server = container.listen({
    port: 0,
    host: HOST,
    autoaccept: false,
    treat_modified_as_released: false,
  } as never) as Server;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const tick = setInterval(() => {
    const now = Date.now();
    for (const queue of queues.values()) queue.expireLocks(now);
    schedulePump();
  }, TICK_MS);
  tick.unref();

  return {
    host: HOST,
    port,
    connectionString: `Endpoint=sb://${HOST}:${port}/;SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key};UseDevelopmentEmulator=true`,
    createQueue(name, settings = {}) {
      const complete = { ...DEFAULT_QUEUE_SETTINGS, ...settings };
      const invalid = invalidQueueSettings(complete);
      if (invalid !== undefined) throw new Error(`test broker: queue ${name}: ${invalid}`);
      const queue = new BrokerQueue(name, complete);
      queues.set(name, queue);
      return queue;
    },
    queue: (name) => queues.get(name),
    deleteQueue: (name) => void queues.delete(name),
    failNext(operation, condition, description = `injected ${condition}`) {
      faults.set(operation, [...(faults.get(operation) ?? []), { condition, description }]);
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    detachLinks(queue, condition = 'amqp:link:detach-forced') {
      let detached = 0;
      const ours = (address: string) => address === queue || address.startsWith(`${queue}/`);
      for (const connection of connections) {
        connection.each_link((link: Sender | Receiver) => {
          const address = link.is_sender() ? String(link.source?.address ?? '') : (addresses.get(link) ?? '');
          if (!ours(address) || address.endsWith(MANAGEMENT) || !link.is_open()) return;
          link.close({ condition, description: `The link to ${address} was detached by the test broker.` });
          detached += 1;
        });
      }
      return detached;
    },
    async stop() {
      clearInterval(tick);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the SDK's link disposition means: accepted = complete, modified/released = abandon, rejected with com.microsoft:dead-letter = dead-letter. */
function outcomeOf(state: unknown): Outcome {
  const s = (state ?? {}) as {
    constructor: { composite_type?: string };
    error?: { condition?: string; info?: Record<string, unknown> };
    message_annotations?: Record<string, unknown>;
  };
  switch (s.constructor.composite_type) {
    case 'accepted':
      return { kind: 'complete' };
    case 'rejected': {
      const { DeadLetterReason, DeadLetterErrorDescription, ...properties } = s.error?.info ?? {};
      return {
        kind: 'deadLetter',
        reason: optional(DeadLetterReason),
        description: optional(DeadLetterErrorDescription),
        properties,
      };
    }
    default:
      return { kind: 'abandon', properties: s.message_annotations ?? {} };
  }
}
