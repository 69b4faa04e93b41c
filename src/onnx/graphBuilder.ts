/**
 * Emits standard-ONNX nodes and initializers with names that cannot collide with the graph they are
 * spliced into, and spells version-dependent operators (axes as attribute or input) for the
 * model's default-domain opset.
 */
import { floatTensor, int64Tensor, type Attribute, type Node, type Tensor } from './onnxProto.js';

const FLOAT = 1;
const INT = 2;
const INTS = 7;

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private counter = 0;

  /**
   * @param taken every value, initializer and node name already in the graph; extended as names are minted.
   * @param prefix hint for minted names.
   * @param opset the default-domain opset the graph imports.
   */
  constructor(
    private readonly taken: Set<string>,
    private readonly prefix: string,
    readonly opset: number,
  ) {}

  fresh(hint: string): string {
    let name = `${this.prefix}/${hint}`;
    while (this.taken.has(name)) name = `${this.prefix}/${hint}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  floats(hint: string, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.fresh(hint);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  ints(hint: string, values: readonly number[]): string {
    const name = this.fresh(hint);
    this.initializers.push(int64Tensor(name, [values.length], values));
    return name;
  }

  /** Appends a node; returns its (only) output name, `output` when given, else a fresh one. */
  node(opType: string, inputs: readonly string[], attribute: Attribute[] = [], output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      domain: '',
      name: this.fresh(`${opType}`),
      input: [...inputs],
      output: [out],
      attribute,
    });
    return out;
  }

  /** ReduceSumSquare over `axes`: attribute before opset 18, input from 18 on. */
  reduceSumSquare(input: string, axes: readonly number[], keepdims: boolean, output?: string): string {
    const keep = intAttr('keepdims', keepdims ? 1 : 0);
    if (this.opset >= 18) return this.node('ReduceSumSquare', [input, this.ints('axes', axes)], [keep], output);
    return this.node('ReduceSumSquare', [input], [intsAttr('axes', axes), keep], output);
  }

  /** Unsqueeze: axes attribute before opset 13, input from 13 on. */
  unsqueeze(input: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.node('Unsqueeze', [input, this.ints('axes', axes)]);
    return this.node('Unsqueeze', [input], [intsAttr('axes', axes)]);
  }

  /** Y = A·B + C (C broadcast over rows). */
  gemm(a: string, b: string, c: string, output?: string): string {
    return this.node('Gemm', [a, b, c], [], output);
  }
}

export function intAttr(name: string, i: number): Attribute {
  return { name, type: INT, i };
}

export function intsAttr(name: string, ints: readonly number[]): Attribute {
  return { name, type: INTS, ints: [...ints] };
}

export function floatAttr(name: string, f: number): Attribute {
  return { name, type: FLOAT, f };
}
