import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseBicep } from '../../tools/infra-check/bicepSyntax.js';
import { declarationBody, declarations, toValue, type BicepValue } from '../../tools/infra-check/bicepModel.js';
import { AZURE_DEFAULTS } from '../../src/composition/azure/azureConfig.js';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { PACKAGE_DIR } from '../../tools/package-functions/buildPackage.js';

// infra/main.bicep, the k8s manifests and azure.yaml must agree with the code: container names,
// the work queue, and the app settings the code reads.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

const main = parseBicep('infra/main.bicep', read('infra/main.bicep'));
const decls = declarations(main.root);
function declValue(kind: 'var' | 'module', name: string): BicepValue {
  const d = decls.find((x) => x.kind === kind && x.name === name);
  if (!d) throw new Error(`main.bicep has no ${kind} ${name}`);
  const node = kind === 'module' ? declarationBody(d.node) : d.value;
  if (!node) throw new Error(`${kind} ${name} has no value`);
  return toValue(node);
}
function prop(v: BicepValue | undefined, ...path: (string | number)[]): BicepValue | undefined {
  let cur = v;
  for (const key of path) {
    if (typeof key === 'number') cur = cur?.kind === 'array' ? cur.items[key] : undefined;
    else cur = cur?.kind === 'object' ? cur.props.find((p) => p.key === key)?.value : undefined;
  }
  return cur;
}
const literal = (v: BicepValue | undefined) => (v?.kind === 'string' ? v.value : undefined);
const text = (v: BicepValue | undefined) => (v?.kind === 'expr' ? v.text : v?.kind === 'string' ? v.value : undefined);
const keys = (v: BicepValue) => (v.kind === 'object' ? v.props.map((p) => p.key) : []);

/** TESSERA_* variables the code parses (src/config/config.ts). */
const configVars = new Set([...read('src/config/config.ts').matchAll(/'(TESSERA_[A-Z_]+)'/g)].map((m) => m[1]));
/** Names infra provides that the Azure entry points will read: documented in infra/README.md. */
const infraNames = [
  'TESSERA_WORK_QUEUE',
  'TESSERA_CONTROL_QUEUE',
  'TESSERA_EVENTHUB_NAME',
  'TESSERA_EVENTHUB_CONSUMER_GROUP',
  'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
  'TESSERA_LEDGER_TABLE',
];
const connections = {
  TESSERA_SERVICEBUS: '__fullyQualifiedNamespace',
  TESSERA_EVENTHUBS: '__fullyQualifiedNamespace',
  TESSERA_STORAGE: '__blobServiceUri',
};

describe('infra agrees with the code', () => {
  it('main.bicep parses', () => {
    expect(main.findings).toEqual([]);
  });

  it('creates every container in CONTAINERS, plus rejected and the Event Hubs checkpoints, and expires intermediate work', () => {
    const containers = declValue('var', 'containers');
    for (const [key, name] of Object.entries(CONTAINERS)) expect(literal(prop(containers, key)), key).toBe(name);
    expect(literal(prop(containers, 'rejected'))).toBe('rejected');
    const storage = declValue('module', 'dataStorage');
    const created = (prop(storage, 'params', 'containers') as BicepValue & { kind: 'array' }).items.map(text);
    expect(created.sort()).toEqual(
      [...Object.keys(CONTAINERS), 'rejected', 'checkpoints'].map((k) => `containers.${k}`).sort(),
    );
    const rules = prop(storage, 'params', 'lifecycleRules');
    const prefixes = rules?.kind === 'array' ? rules.items.map((r) => prop(r, 'prefixes', 0)) : [];
    expect(
      prefixes.map((p) => (p?.kind === 'string' && p.value === undefined ? 'interpolated' : literal(p))),
    ).toContain('interpolated');
    expect(read('infra/main.bicep')).toContain("prefixes: ['${containers.work}/']");
  });

  it('the work queue is the one the code uses, with lock and delivery settings that feed TESSERA_LOCK_MS and TESSERA_MAX_DELIVERIES', () => {
    const codeQueue = /queue:\s*'([^']+)'/.exec(read('src/composition/local/localContext.ts'))?.[1];
    expect(codeQueue).toBe('jobs');
    expect(literal(declValue('var', 'workQueueName'))).toBe(codeQueue);
    const queue = prop(declValue('module', 'serviceBus'), 'params', 'queues', 0);
    expect(text(prop(queue, 'name'))).toBe('workQueueName');
    expect(text(prop(queue, 'lockDurationSeconds'))).toBe('queueLockDurationSeconds');
    expect(text(prop(queue, 'maxDeliveryCount'))).toBe('queueMaxDeliveryCount');
    const settings = declValue('var', 'functionsSettings');
    expect(text(prop(settings, 'TESSERA_LOCK_MS'))).toBe('string(queueLockDurationSeconds * 1000)');
    expect(text(prop(settings, 'TESSERA_MAX_DELIVERIES'))).toBe('string(queueMaxDeliveryCount)');
    // The lock's allowed range (5..300 s) must fit what config.ts accepts for TESSERA_LOCK_MS (100..300000 ms).
    expect(read('src/config/config.ts')).toMatch(/'TESSERA_LOCK_MS', [\d_]+, 100, 300_000\)/);
    expect(read('infra/main.bicep')).toMatch(/@maxValue\(300\)\nparam queueLockDurationSeconds/);
    const scaledObject = parse(read('infra/k8s/base/scaledobject.yaml')) as {
      spec: { triggers: { metadata: { queueName: string } }[] };
    };
    expect(scaledObject.spec.triggers[0]?.metadata.queueName).toBe(codeQueue);
  });

  it("the work and control queues and the ledger table are the Azure entry points' defaults, with the same queue settings, and the Function App names them", () => {
    expect(literal(declValue('var', 'workQueueName'))).toBe(AZURE_DEFAULTS.workQueue);
    expect(literal(declValue('var', 'controlQueueName'))).toBe(AZURE_DEFAULTS.controlQueue);
    expect(literal(declValue('var', 'ledgerTable'))).toBe(AZURE_DEFAULTS.ledgerTable);
    const queues = prop(declValue('module', 'serviceBus'), 'params', 'queues');
    expect(queues?.kind === 'array' ? queues.items.map((q) => text(prop(q, 'name'))) : []).toEqual([
      'workQueueName',
      'controlQueueName',
    ]);
    const [work, control] = [prop(queues, 0), prop(queues, 1)];
    for (const key of [
      'lockDurationSeconds',
      'maxDeliveryCount',
      'duplicateDetectionWindow',
      'defaultMessageTimeToLive',
    ]) {
      expect(text(prop(control, key)), key).toBe(text(prop(work, key)));
    }
    const settings = declValue('var', 'functionsSettings');
    expect(text(prop(settings, 'TESSERA_WORK_QUEUE'))).toBe('workQueueName');
    expect(text(prop(settings, 'TESSERA_CONTROL_QUEUE'))).toBe('controlQueueName');
    expect(text(prop(settings, 'TESSERA_LEDGER_TABLE'))).toBe('ledgerTable');
    // The control trigger names its queue by that setting, so binding and senders cannot differ.
    expect(read('functions/src/functions/controlQueue.ts')).toContain("queueName: '%TESSERA_CONTROL_QUEUE%'");
    const roles = declValue('module', 'controlQueueRoles');
    expect(text(prop(roles, 'params', 'queueName'))).toBe('controlQueueName');
  });

  it("the event hub, its consumer group and the checkpoint container are the Azure entry points' defaults, and the Function App names them with the roles they need", () => {
    expect(literal(declValue('var', 'eventHubName'))).toBe(AZURE_DEFAULTS.eventHub);
    expect(literal(declValue('var', 'aggregatorConsumerGroup'))).toBe(AZURE_DEFAULTS.eventHubConsumerGroup);
    expect(literal(prop(declValue('var', 'containers'), 'checkpoints'))).toBe(AZURE_DEFAULTS.checkpointContainer);
    const hub = declValue('module', 'eventHubs');
    expect(text(prop(hub, 'params', 'hubName'))).toBe('eventHubName');
    const groups = prop(hub, 'params', 'consumerGroups');
    expect(groups?.kind === 'array' ? groups.items.map(text) : []).toContain('aggregatorConsumerGroup');
    const settings = declValue('var', 'functionsSettings');
    expect(text(prop(settings, 'TESSERA_EVENTHUB_NAME'))).toBe('eventHubName');
    expect(text(prop(settings, 'TESSERA_EVENTHUB_CONSUMER_GROUP'))).toBe('aggregatorConsumerGroup');
    expect(text(prop(settings, 'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER'))).toBe('containers.checkpoints');
    expect(text(prop(settings, 'TESSERA_EVENTHUBS__fullyQualifiedNamespace'))).toBe(
      'eventHubs.outputs.fullyQualifiedNamespace',
    );
    expect(text(prop(settings, 'TESSERA_EVENTHUBS__clientId'))).toBe(text(prop(settings, 'TESSERA_STORAGE__clientId')));
    // The setting names infra writes are the ones azureConfig.ts reads.
    const azureConfig = read('src/composition/azure/azureConfig.ts');
    for (const name of [
      'TESSERA_EVENTHUBS__fullyQualifiedNamespace',
      'TESSERA_EVENTHUBS__credential',
      'TESSERA_EVENTHUBS__clientId',
      'TESSERA_EVENTHUB_NAME',
      'TESSERA_EVENTHUB_CONSUMER_GROUP',
      'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
    ]) {
      expect(keys(settings), name).toContain(name);
      expect(
        azureConfig.includes(`'${name}'`) ||
          (name.startsWith('TESSERA_EVENTHUBS__') && azureConfig.includes("'TESSERA_EVENTHUBS'")),
        `${name} parsed`,
      ).toBe(true);
    }
    // The trigger binds the same hub and consumer group settings the event log reads.
    const trigger = read('functions/src/functions/readingsEventHub.ts');
    expect(trigger).toContain("eventHubName: '%TESSERA_EVENTHUB_NAME%'");
    expect(trigger).toContain("consumerGroup: '%TESSERA_EVENTHUB_CONSUMER_GROUP%'");
    expect(trigger).toContain("connection: 'TESSERA_EVENTHUBS'");
    // Roles: Event Hubs Data Receiver on the hub, Blob Data Contributor on the checkpoints container.
    const hubRoles = declValue('module', 'hubRoles');
    expect(text(prop(hubRoles, 'params', 'hubName'))).toBe('eventHubName');
    expect(literal(prop(hubRoles, 'params', 'roles', 0, 'role'))).toBe('Azure Event Hubs Data Receiver');
    expect(text(prop(hubRoles, 'params', 'roles', 0, 'principalId'))).toBe('funcPrincipal');
    // dataRoles' containerRoles is a concat(…) expression: check the Functions entry by its text.
    expect(read('infra/main.bicep')).toMatch(
      /\{ container: containers\.checkpoints, request: \{ principalId: funcPrincipal, principalType: 'ServicePrincipal', role: 'Storage Blob Data Contributor' \} \}/,
    );
  });

  it('the Function App settings are config.ts variables, documented infra names or identity-based connections', () => {
    const names = keys(declValue('var', 'functionsSettings'));
    const readme = read('infra/README.md');
    for (const name of names) {
      const [prefix = '', suffix] = name.split('__');
      if (suffix !== undefined) {
        expect(Object.keys(connections), name).toContain(prefix);
        continue;
      }
      if (infraNames.includes(name)) expect(readme, `${name} documented`).toContain(name);
      else expect(configVars, name).toContain(name);
    }
    for (const [prefix, endpoint] of Object.entries(connections)) {
      for (const suffix of [endpoint, '__credential', '__clientId']) expect(names).toContain(`${prefix}${suffix}`);
      expect(readme).toContain(prefix);
    }
    expect(names).toEqual(expect.arrayContaining(['TESSERA_LOCK_MS', 'TESSERA_MAX_DELIVERIES', ...infraNames]));
    const host = read('infra/modules/functions.bicep');
    for (const s of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
    ])
      expect(host).toContain(`${s}:`);
  });

  it("the scorer gets the same settings through azure.yaml and the overlays' .env", () => {
    const azure = parse(read('azure.yaml')) as {
      services: { scorer: { k8s: { kustomize: { env: Record<string, string> } } } };
    };
    const env = azure.services.scorer.k8s.kustomize.env;
    for (const overlay of ['dev-cpu', 'gpu']) {
      const example = read(`infra/k8s/overlays/${overlay}/.env.example`);
      const exampleKeys = [...example.matchAll(/^([A-Za-z_]+)=/gm)].map((m) => m[1]);
      expect(exampleKeys.sort(), overlay).toEqual(Object.keys(env).sort());
    }
    for (const name of Object.keys(env).filter((n) => n.startsWith('TESSERA_') && !n.includes('__'))) {
      expect(configVars.has(name) || infraNames.includes(name), name).toBe(true);
    }
    expect(env).toMatchObject({
      TESSERA_SERVICEBUS__credential: 'workloadidentity',
      TESSERA_STORAGE__credential: 'workloadidentity',
      TESSERA_LOCK_MS: '${TESSERA_LOCK_MS}',
      TESSERA_MAX_DELIVERIES: '${TESSERA_MAX_DELIVERIES}',
    });
    const outputs = decls.filter((d) => d.kind === 'output').map((d) => d.name);
    // Values a hook puts into the azd environment instead of an output (not for the deployment history).
    const hook = read('infra/hooks/predeploy-scorer.sh');
    const setByHook = [...hook.matchAll(/azd env set ([A-Z_]+)/g)].map((m) => m[1]);
    expect(setByHook).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING', 'KEDA_OPERATOR_RESTARTED_FOR']);
    // … from the component the Bicep names.
    for (const [, ref] of hook.matchAll(/"\$\{([A-Z_]+)(?::[?-][^}]*)?\}"/g))
      if (ref !== 'AZURE_RESOURCE_GROUP' && !setByHook.includes(ref))
        expect(outputs, `the hook reads output ${ref}`).toContain(ref);
    // What azd itself sets: the image it pushed for the service.
    const setByAzd = ['SERVICE_SCORER_IMAGE_NAME'];
    for (const value of Object.values(env)) {
      for (const [, ref] of value.matchAll(/\$\{([A-Z_]+)\}/g)) {
        if (!setByHook.includes(ref) && !setByAzd.includes(ref ?? ''))
          expect(outputs, `azure.yaml references output ${ref}`).toContain(ref);
      }
    }
  });

  it("azd runs the hooks from where azure.yaml says, on Windows and POSIX: a service hook's path starts in the service's folder", () => {
    type Hook = { shell: string; run: string };
    type Hooks = Record<string, { windows?: Hook; posix?: Hook }>;
    const azure = parse(read('azure.yaml')) as {
      hooks: Hooks;
      services: Record<string, { project: string; hooks?: Hooks }>;
    };
    const all = [
      { base: repo, hooks: azure.hooks },
      ...Object.values(azure.services).map((svc) => ({ base: join(repo, svc.project), hooks: svc.hooks ?? {} })),
    ];
    const seen: string[] = [];
    for (const { base, hooks } of all) {
      for (const [event, hook] of Object.entries(hooks)) {
        expect(hook.posix, `${event} posix`).toMatchObject({ shell: 'sh', run: expect.stringMatching(/\.sh$/) });
        expect(hook.windows, `${event} windows`).toMatchObject({ shell: 'pwsh', run: expect.stringMatching(/\.ps1$/) });
        for (const h of [hook.posix!, hook.windows!]) {
          expect(existsSync(resolve(base, h.run)), `${event}: ${h.run} from ${base}`).toBe(true);
          seen.push(relative(repo, resolve(base, h.run)));
        }
      }
    }
    expect(seen.sort()).toEqual([
      'infra/hooks/postdeploy.ps1',
      'infra/hooks/postdeploy.sh',
      'infra/hooks/predeploy-scorer.ps1',
      'infra/hooks/predeploy-scorer.sh',
      'infra/hooks/prepackage-functions.ps1',
      'infra/hooks/prepackage-functions.sh',
    ]);
  });

  it('azd deploys the Functions package npm run package:functions builds, as it is: the root is the app, the prepackage hook builds it, no remote build', () => {
    type Hook = { shell: string; run: string };
    const azure = parse(read('azure.yaml')) as {
      services: Record<
        string,
        {
          project: string;
          host: string;
          language: string;
          dist?: string;
          remoteBuild?: boolean;
          hooks?: Record<string, { windows: Hook; posix: Hook }>;
        }
      >;
    };
    const functions = Object.values(azure.services).filter((s) => s.host === 'function');
    expect(functions).toEqual([expect.objectContaining({ project: '.', language: 'ts', dist: PACKAGE_DIR })]);
    const [svc] = functions;
    // remoteBuild: false: azd zips the package with its node_modules (it reads a .funcignore only in
    // the package, which has none) and refuses to where the service folder's .funcignore excludes them.
    expect(svc!.remoteBuild).toBe(false);
    expect((parse(read('azure.yaml')) as { requiredVersions: { azd: string } }).requiredVersions.azd).toBe(
      '>= 1.23.12',
    );
    expect(existsSync(join(repo, '.funcignore'))).toBe(false);
    const { posix, windows } = svc!.hooks!['prepackage']!;
    for (const h of [posix, windows]) expect(read(h.run), h.run).toMatch(/^npm run package:functions$/m);
    const pkg = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('dist/functions/src/functions/*.js');
    expect(pkg.scripts['package:functions']).toBeDefined();
    expect(existsSync(join(repo, 'host.json'))).toBe(true);
    expect(existsSync(join(repo, 'functions', 'package.json'))).toBe(false);
  });

  it('deploying rewrites no tracked file: no kustomize edits; the image comes through the generated .env; kustomize is a listed prerequisite', () => {
    const azure = parse(read('azure.yaml')) as {
      services: { scorer: { k8s: { kustomize: { edits?: unknown; env: Record<string, string> } } } };
    };
    const kustomize = azure.services.scorer.k8s.kustomize;
    expect(kustomize.edits).toBeUndefined();
    expect(kustomize.env['SCORER_IMAGE']).toBe('${SERVICE_SCORER_IMAGE_NAME}');
    const wiring = parse(read('infra/k8s/components/azure-wiring/kustomization.yaml')) as {
      replacements: { source: { fieldPath: string }; targets: { select: { kind: string }; fieldPaths: string[] }[] }[];
    };
    const into = (field: string) =>
      wiring.replacements
        .filter((r) => r.source.fieldPath === `data.${field}`)
        .flatMap((r) => r.targets.flatMap((t) => t.fieldPaths.map((f) => `${t.select.kind}:${f}`)));
    expect(into('SCORER_IMAGE')).toEqual(['Deployment:spec.template.spec.containers.[name=scorer].image']);
    expect(read('infra/.gitignore')).toMatch(/^k8s\/overlays\/\*\/\.env$/m);
    expect(read('infra/README.md')).toMatch(/Prerequisites[\s\S]*`kustomize`[\s\S]*### The one command/);
  });

  it('the KEDA ceiling follows the GPU pool: gpuMaxCount nodes times the GPUs of one node', () => {
    const output = decls.find((d) => d.kind === 'output' && d.name === 'SCORER_MAX_REPLICAS');
    expect(output?.value?.text).toBe('string(gpuMaxCount * gpusPerNode[gpuVmSize])');
    const perNode = declValue('var', 'gpusPerNode');
    const allowed = (file: string) => {
      const text = read(file);
      const block = /@allowed\(\[([^\]]*)\]\)\nparam gpuVmSize/.exec(text)?.[1] ?? '';
      return [...block.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
    };
    expect(keys(perNode).sort()).toEqual(allowed('infra/main.bicep'));
    expect(allowed('infra/modules/aks.bicep')).toEqual(allowed('infra/main.bicep'));
    const azure = parse(read('azure.yaml')) as {
      services: { scorer: { k8s: { kustomize: { env: Record<string, string> } } } };
    };
    expect(azure.services.scorer.k8s.kustomize.env['SCORER_MAX_REPLICAS']).toBe('${SCORER_MAX_REPLICAS}');
    const wiring = read('infra/k8s/components/azure-wiring/kustomization.yaml');
    expect(wiring).toMatch(
      /fieldPath: data\.SCORER_MAX_REPLICAS\n\s+targets:\n\s+- select:\n\s+kind: ScaledObject[\s\S]*?- spec\.maxReplicaCount/,
    );
  });

  it('main.parameters.json passes only params main.bicep declares', () => {
    const file = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, unknown> };
    const params = decls.filter((d) => d.kind === 'param').map((d) => d.name);
    for (const name of Object.keys(file.parameters)) expect(params, name).toContain(name);
  });
});
