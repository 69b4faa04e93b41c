/**
 * Rule `diagnostic-settings`: in a deployment that has a Log Analytics workspace, every resource whose
 * logs an incident would need (Service Bus and Event Hubs namespaces, storage accounts and their blob,
 * queue and table services, Function Apps) sends them there through a diagnostic setting scoped to it,
 * unconditionally. A storage account itself has metrics only; its services have the logs.
 */
import type { BicepValue } from './bicepModel.js';
import type { BicepProgram, ResourceInstance } from './bicepProgram.js';
import type { Finding } from './findings.js';

const WATCHED = new Set([
  'microsoft.servicebus/namespaces',
  'microsoft.eventhub/namespaces',
  'microsoft.storage/storageaccounts',
  'microsoft.storage/storageaccounts/blobservices',
  'microsoft.storage/storageaccounts/queueservices',
  'microsoft.storage/storageaccounts/tableservices',
  'microsoft.web/sites',
]);

const propOf = (v: BicepValue | undefined, key: string) =>
  v?.kind === 'object' ? v.props.find((p) => p.key === key)?.value : undefined;

export function checkDiagnostics(program: BicepProgram, rel: (path: string) => string): Finding[] {
  const resources = program.resources().filter((r) => !r.existing);
  const workspaces = new Set(
    resources.filter((r) => r.type.toLowerCase() === 'microsoft.operationalinsights/workspaces').map((r) => r.id),
  );
  if (workspaces.size === 0) return [];
  const covered = new Set<string>();
  for (const d of resources) {
    if (d.type.toLowerCase() !== 'microsoft.insights/diagnosticsettings' || d.conditional) continue;
    const body = program.body(d);
    const scope = propOf(body, 'scope');
    const workspace = propOf(propOf(body, 'properties'), 'workspaceId');
    const target = scope?.kind === 'ref' && scope.path.length === 0 ? program.resource(scope.target.id) : undefined;
    const sink =
      workspace?.kind === 'ref' && workspace.path.join('.') === 'id'
        ? program.resource(workspace.target.id)
        : undefined;
    if (target && sink && workspaces.has(program.canonical(sink).id)) covered.add(program.canonical(target).id);
  }
  return resources
    .filter((r) => WATCHED.has(r.type.toLowerCase()) && !covered.has(program.canonical(r).id))
    .filter((r) => r.type.toLowerCase() !== 'microsoft.web/sites' || isFunctionApp(program, r))
    .map((r: ResourceInstance) => ({
      severity: 'error' as const,
      rule: 'diagnostic-settings',
      file: rel(r.module.file.path),
      line: r.node.startPosition.row + 1,
      resource: `${r.symbol} (${r.type})`,
      message: `${r.id} sends its logs and metrics to no Log Analytics workspace: add a diagnostic setting scoped to it (unconditional) with the deployment's workspace`,
    }));
}

function isFunctionApp(program: BicepProgram, r: ResourceInstance): boolean {
  const kind = program.prop(r, 'kind');
  return kind?.kind === 'string' && (kind.value ?? '').includes('functionapp');
}
