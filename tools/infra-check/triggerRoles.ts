/**
 * Rule `trigger-role`: every trigger of the Functions app, and its host storage, has the roles the
 * Azure Functions documentation requires, granted to the identity its connection names, on the
 * resource it reads, unconditionally. The identity is the connection's `__clientId` app setting; the
 * resource comes from its endpoint settings (`__blobServiceUri`, `__fullyQualifiedNamespace`, …) and
 * the trigger's entity (the container of its path, its queue or event hub, `%SETTING%` resolved
 * from the app settings). Rule `trigger-target`: that entity is one the deployment creates.
 */
import type { BicepValue } from './bicepModel.js';
import type { BicepProgram, ResourceInstance } from './bicepProgram.js';
import { roleId } from './builtInRoles.js';
import type { Finding } from './findings.js';
import type { TriggerBinding } from './functionBindings.js';
import type { RoleGrant } from './roleGrants.js';

/** What a scope must be for a role to reach the trigger: the entity itself or one of its ancestors. */
interface Need {
  readonly role: string;
  /** The entity the role must cover: the trigger's own, or another resource of its account or namespace. */
  readonly on: 'entity' | 'account' | 'poisonQueue';
}

// Source: Azure Functions docs, "Grant permission to the identity" of each binding (MicrosoftDocs/azure-docs
// includes/functions-blob-permissions.md, functions-service-bus-permissions.md,
// functions-event-hubs-permissions.md) and "Connecting to host storage with an identity"
// (articles/azure-functions/functions-reference.md).
const NEEDS: Readonly<Record<TriggerBinding['kind'] | 'host', readonly Need[]>> = {
  // "Storage Blob Data Owner and Storage Queue Data Contributor": the trigger keeps its poison queue there.
  blob: [
    { role: 'Storage Blob Data Owner', on: 'entity' },
    { role: 'Storage Queue Data Contributor', on: 'poisonQueue' },
  ],
  // "Azure Service Bus Data Receiver, Azure Service Bus Data Owner": the scale controller reads counts.
  serviceBus: [
    { role: 'Azure Service Bus Data Receiver', on: 'entity' },
    { role: 'Azure Service Bus Data Owner', on: 'entity' },
  ],
  eventHub: [
    { role: 'Azure Event Hubs Data Receiver', on: 'entity' },
    { role: 'Azure Event Hubs Data Owner', on: 'entity' },
  ],
  queue: [{ role: 'Storage Queue Data Contributor', on: 'entity' }],
  host: [
    { role: 'Storage Blob Data Owner', on: 'account' },
    { role: 'Storage Queue Data Contributor', on: 'account' },
    { role: 'Storage Table Data Contributor', on: 'account' },
  ],
};

/** The child resource type of an entity under its account or namespace, by trigger kind. */
const ENTITY_TYPE: Readonly<Record<TriggerBinding['kind'], { account: string; entity: string }>> = {
  blob: {
    account: 'microsoft.storage/storageaccounts',
    entity: 'microsoft.storage/storageaccounts/blobservices/containers',
  },
  queue: {
    account: 'microsoft.storage/storageaccounts',
    entity: 'microsoft.storage/storageaccounts/queueservices/queues',
  },
  serviceBus: { account: 'microsoft.servicebus/namespaces', entity: 'microsoft.servicebus/namespaces/queues' },
  eventHub: { account: 'microsoft.eventhub/namespaces', entity: 'microsoft.eventhub/namespaces/eventhubs' },
};
const POISON_QUEUE = 'webjobs-blobtrigger-poison';

const propOf = (v: BicepValue | undefined, key: string) =>
  v?.kind === 'object' ? v.props.find((p) => p.key === key)?.value : undefined;

function refsIn(v: BicepValue | undefined): (BicepValue & { kind: 'ref' })[] {
  if (v?.kind === 'ref') return [v];
  if (v?.kind === 'string') return [...(v.refs ?? [])];
  if (v?.kind === 'either') return v.options.flatMap(refsIn);
  return [];
}

/** The Function Apps of a deployment with their app settings by name. */
export function functionApps(program: BicepProgram): { app: ResourceInstance; settings: Map<string, BicepValue> }[] {
  return program
    .resources()
    .filter((r) => !r.existing && r.type.toLowerCase() === 'microsoft.web/sites')
    .filter((r) => {
      const kind = program.prop(r, 'kind');
      return kind?.kind === 'string' && (kind.value ?? '').includes('functionapp');
    })
    .map((app) => {
      const list = propOf(propOf(propOf(program.body(app), 'properties'), 'siteConfig'), 'appSettings');
      const settings = new Map<string, BicepValue>();
      for (const item of list?.kind === 'array' ? list.items : []) {
        const entry = item.kind === 'optional' ? item.value : item;
        const name = propOf(entry, 'name');
        const value = propOf(entry, 'value');
        if (name?.kind === 'string' && name.value !== undefined && value) settings.set(name.value, value);
      }
      return { app, settings };
    });
}

export interface TriggerRoleInput {
  readonly program: BicepProgram;
  readonly grants: readonly RoleGrant[];
  readonly bindings: readonly TriggerBinding[];
  /** Path to report Bicep-side findings against (the Function App's file), relative. */
  readonly rel: (path: string) => string;
}

export function checkTriggerRoles(input: TriggerRoleInput): Finding[] {
  const { program } = input;
  const out: Finding[] = [];
  for (const { app, settings } of functionApps(program)) {
    const literal = (name: string) => {
      const v = settings.get(name);
      return v?.kind === 'string' ? v.value : undefined;
    };
    const resourceOf = (prefix: string, type: string) =>
      [...settings.entries()]
        .filter(([k]) => k.startsWith(`${prefix}__`))
        .flatMap(([, v]) => refsIn(v))
        .map((r) => program.resource(r.target.id))
        .filter((r): r is ResourceInstance => r !== undefined)
        .map((r) => program.canonical(r))
        .find((r) => r.type.toLowerCase() === type);
    const identityOf = (prefix: string) => {
      const ref = refsIn(settings.get(`${prefix}__clientId`))[0];
      const r = ref && ref.path.join('.') === 'properties.clientId' ? program.resource(ref.target.id) : undefined;
      return r ? program.canonical(r) : undefined;
    };
    const subjects = [
      ...input.bindings.map((b) => ({
        binding: b,
        kind: b.kind,
        connection: b.connection,
      })),
      { binding: undefined, kind: 'host' as const, connection: 'AzureWebJobsStorage' },
    ];
    for (const s of subjects) {
      const where = s.binding
        ? { file: input.rel(s.binding.file), line: s.binding.line, resource: `function ${s.binding.name}` }
        : {
            file: input.rel(app.module.file.path),
            line: app.node.startPosition.row + 1,
            resource: `${app.symbol} (host storage)`,
          };
      const fail = (rule: string, message: string) => out.push({ severity: 'error', rule, ...where, message });
      const types = ENTITY_TYPE[s.kind === 'host' ? 'blob' : s.kind];
      const identity = identityOf(s.connection);
      const account = resourceOf(s.connection, types.account);
      if (!identity || !account) {
        fail(
          'trigger-role',
          `connection ${s.connection}: the app settings name no ${identity ? 'resource of the connection' : 'user-assigned identity (__clientId)'} the deployment creates, so its roles cannot be checked`,
        );
        continue;
      }
      const rawEntity = s.binding?.entity;
      const entityName = rawEntity?.startsWith('%') ? literal(rawEntity.slice(1, -1)) : rawEntity;
      const entity = s.binding ? childNamed(program, account, types.entity, entityName) : account;
      if (!entity) {
        fail(
          'trigger-target',
          `${s.binding?.kind} trigger on "${rawEntity ?? '?'}"${rawEntity !== entityName ? ` (= "${entityName ?? 'not a literal setting'}")` : ''}: the deployment creates no such entity in ${account.id}`,
        );
        continue;
      }
      for (const need of NEEDS[s.kind]) {
        const target =
          need.on === 'account'
            ? account
            : need.on === 'poisonQueue'
              ? (childNamed(program, account, ENTITY_TYPE.queue.entity, POISON_QUEUE) ?? account)
              : entity;
        const id = roleId(need.role)?.id;
        const ok = input.grants.some(
          (g) =>
            !g.conditional &&
            g.roleId === id &&
            g.principal?.id === identity.id &&
            g.scope !== undefined &&
            covers(program, g.scope, target),
        );
        if (!ok)
          fail(
            'trigger-role',
            `${s.kind === 'host' ? 'the host storage connection' : `the ${s.kind} trigger`} (${s.connection}) needs ${need.role} ${scopeText(need, account, target)} for identity ${identity.id}: no unconditional role assignment grants it`,
          );
      }
    }
  }
  return out;
}

function describe(r: ResourceInstance): string {
  return `${r.type.split('/').pop() ?? r.type} ${r.id}`;
}

function scopeText(need: Need, account: ResourceInstance, target: ResourceInstance): string {
  if (need.on === 'account') return `on ${describe(account)}`;
  if (need.on === 'poisonQueue') return `on ${describe(account)} (or its queue ${POISON_QUEUE})`;
  return `on ${describe(target)} (or a scope above it)`;
}

/** The created child of type `type` under `account` (any depth) named `name`. */
function childNamed(
  program: BicepProgram,
  account: ResourceInstance,
  type: string,
  name: string | undefined,
): ResourceInstance | undefined {
  if (name === undefined) return undefined;
  return program.resources().find((r) => {
    if (r.existing || r.type.toLowerCase() !== type) return false;
    const n = program.prop(r, 'name');
    return n?.kind === 'string' && n.value?.toLowerCase() === name.toLowerCase() && covers(program, account, r);
  });
}

/** Whether a role on `scope` reaches `target`: the same resource or one of its ancestors. */
function covers(program: BicepProgram, scope: ResourceInstance, target: ResourceInstance): boolean {
  for (let r: ResourceInstance | undefined = target; r; r = program.parentOf(r)) if (r.id === scope.id) return true;
  return false;
}
