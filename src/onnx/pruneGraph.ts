/**
 * Keeps only the graph outputs named and the nodes and initializers they need: a session built from
 * the result computes nothing the caller does not fetch. The input model is not modified.
 */
import type { Model } from './onnxProto.js';

export function pruneToOutputs(model: Model, outputs: readonly string[]): Model {
  const graph = model.graph;
  if (!graph) return model;
  const needed = new Set(outputs);
  const kept = [];
  for (const node of [...(graph.node ?? [])].reverse()) {
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const i of node.input ?? []) if (i) needed.add(i);
  }
  kept.reverse();
  return {
    ...model,
    graph: {
      ...graph,
      node: kept,
      output: (graph.output ?? []).filter((o) => outputs.includes(o.name)),
      initializer: (graph.initializer ?? []).filter((t) => t.name !== undefined && needed.has(t.name)),
      valueInfo: (graph.valueInfo ?? []).filter((v) => needed.has(v.name)),
    },
  };
}
