/**
 * The Kubernetes and KEDA kinds the checker knows, and where their schemas come from:
 * - `kubernetes-models` (npm): models generated from the Kubernetes OpenAPI spec (v1.27.1), each with
 *   a compiled JSON-schema validator (types, required fields, enums);
 * - `@kubernetes-models/keda` (npm): the same, generated from KEDA's CRDs (v2.10.1, keda.sh/v1alpha1);
 * - the packages' TypeScript declarations, generated from the same schemas, for unknown-field checks
 *   (the schemas do not forbid additional properties; `kubectl --validate=strict` does).
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ScaledJob } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { ClusterTriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/ClusterTriggerAuthentication';

/** An ajv error, as the models throw them. */
export interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

export interface KindInfo {
  /** Validates a whole object; returns the schema errors (empty when valid). */
  readonly validate: (obj: unknown) => SchemaError[];
  /** Module specifier and interface name of its TypeScript declaration. */
  readonly declaration: { readonly module: string; readonly name: string };
}

type ModelClass = new (data: never) => { validate(): void };

function kind(Model: ModelClass, module: string, name: string): KindInfo {
  return {
    validate: (obj) => {
      try {
        new Model(obj as never).validate();
        return [];
      } catch (error) {
        const errors = (error as { errors?: SchemaError[] }).errors;
        if (!errors) throw error;
        return errors;
      }
    },
    declaration: { module, name },
  };
}

/** Keyed by `apiVersion/kind`. */
export const KINDS: Readonly<Record<string, KindInfo>> = {
  'v1/Namespace': kind(Namespace, 'kubernetes-models/v1/Namespace', 'INamespace'),
  'v1/ServiceAccount': kind(ServiceAccount, 'kubernetes-models/v1/ServiceAccount', 'IServiceAccount'),
  'v1/ConfigMap': kind(ConfigMap, 'kubernetes-models/v1/ConfigMap', 'IConfigMap'),
  'v1/Service': kind(Service, 'kubernetes-models/v1/Service', 'IService'),
  'apps/v1/Deployment': kind(Deployment, 'kubernetes-models/apps/v1/Deployment', 'IDeployment'),
  'apps/v1/DaemonSet': kind(DaemonSet, 'kubernetes-models/apps/v1/DaemonSet', 'IDaemonSet'),
  'batch/v1/Job': kind(Job, 'kubernetes-models/batch/v1/Job', 'IJob'),
  'policy/v1/PodDisruptionBudget': kind(
    PodDisruptionBudget,
    'kubernetes-models/policy/v1/PodDisruptionBudget',
    'IPodDisruptionBudget',
  ),
  'networking.k8s.io/v1/NetworkPolicy': kind(
    NetworkPolicy,
    'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    'INetworkPolicy',
  ),
  'keda.sh/v1alpha1/ScaledObject': kind(
    ScaledObject,
    '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    'IScaledObject',
  ),
  'keda.sh/v1alpha1/ScaledJob': kind(ScaledJob, '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob', 'IScaledJob'),
  'keda.sh/v1alpha1/TriggerAuthentication': kind(
    TriggerAuthentication,
    '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication',
    'ITriggerAuthentication',
  ),
  'keda.sh/v1alpha1/ClusterTriggerAuthentication': kind(
    ClusterTriggerAuthentication,
    '@kubernetes-models/keda/keda.sh/v1alpha1/ClusterTriggerAuthentication',
    'IClusterTriggerAuthentication',
  ),
};
