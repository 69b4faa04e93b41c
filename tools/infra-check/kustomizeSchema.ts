/**
 * JSON schema of kustomization.yaml (Kustomization kustomize.config.k8s.io/v1beta1, Component
 * v1alpha1). No npm package ships one, so it is written here from kustomize's own field
 * definitions (sigs.k8s.io/kustomize/api/types: kustomization.go, patch.go, image.go, labels.go,
 * replacement.go, generatorargs.go, replica.go), top-level and for the fields Tessera uses;
 * unknown fields are errors, as `kustomize build` makes them.
 */
const str = { type: 'string' } as const;
const strList = { type: 'array', items: str } as const;
const strMap = { type: 'object', additionalProperties: str } as const;

const selector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    group: str,
    version: str,
    kind: str,
    name: str,
    namespace: str,
    labelSelector: str,
    annotationSelector: str,
  },
} as const;

const generator = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: str,
    namespace: str,
    behavior: { enum: ['create', 'replace', 'merge'] },
    literals: strList,
    files: strList,
    envs: strList,
    env: str,
    options: { type: 'object' },
    type: str,
  },
} as const;

const replacementTarget = {
  type: 'object',
  additionalProperties: false,
  required: ['select'],
  properties: {
    select: selector,
    reject: { type: 'array', items: selector },
    fieldPaths: strList,
    options: { type: 'object' },
  },
} as const;

export const kustomizationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { enum: ['kustomize.config.k8s.io/v1beta1', 'kustomize.config.k8s.io/v1alpha1'] },
    kind: { enum: ['Kustomization', 'Component'] },
    metadata: { type: 'object' },
    openapi: { type: 'object' },
    namePrefix: str,
    nameSuffix: str,
    namespace: str,
    commonLabels: strMap,
    commonAnnotations: strMap,
    labels: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          pairs: strMap,
          includeSelectors: { type: 'boolean' },
          includeTemplates: { type: 'boolean' },
          fields: { type: 'array' },
        },
      },
    },
    resources: strList,
    components: strList,
    crds: strList,
    bases: strList,
    patches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { path: str, patch: str, target: selector, options: { type: 'object' } },
      },
    },
    patchesStrategicMerge: strList,
    patchesJson6902: { type: 'array' },
    images: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: str, newName: str, newTag: str, digest: str, tagSuffix: str },
      },
    },
    replicas: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'count'],
        properties: { name: str, count: { type: 'integer' } },
      },
    },
    replacements: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          path: str,
          source: {
            type: 'object',
            additionalProperties: false,
            properties: {
              group: str,
              version: str,
              kind: str,
              name: str,
              namespace: str,
              fieldPath: str,
              options: { type: 'object' },
            },
          },
          targets: { type: 'array', items: replacementTarget },
        },
      },
    },
    configMapGenerator: { type: 'array', items: generator },
    secretGenerator: { type: 'array', items: generator },
    generatorOptions: { type: 'object' },
    vars: { type: 'array' },
    sortOptions: { type: 'object' },
    helmGlobals: { type: 'object' },
    helmCharts: { type: 'array' },
    configurations: strList,
    generators: strList,
    transformers: strList,
    validators: strList,
    buildMetadata: strList,
  },
} as const;
