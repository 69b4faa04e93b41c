import { ObjectTypePropertyFlags, TypeBaseKind, type ObjectTypeProperty } from 'bicep-types';
import type { BicepTypes, TypeRef } from './bicepTypes.js';
import type { BicepProp, BicepValue } from './bicepModel.js';

/** A property problem, reported by the caller with file and resource. */
export interface TypeProblem {
  readonly rule: 'unknown-property' | 'read-only-property' | 'type-mismatch' | 'invalid-value' | 'missing-property';
  readonly line: number;
  readonly message: string;
}

/** Keys Bicep itself understands on a resource body, whatever the resource type says. */
const BICEP_KEYWORDS = new Set(['parent', 'scope', 'dependsOn']);
/** The only keys an `existing` resource may have. */
const EXISTING_KEYS = new Set(['name', 'parent', 'scope']);

type Props = Record<string, ObjectTypeProperty>;

interface Shape {
  readonly props: Props;
  readonly additional: TypeRef | undefined;
  readonly owner: TypeRef;
  readonly typeName: string;
  /** False when a discriminated object's variant is not known: its required properties cannot be told. */
  readonly complete: boolean;
}

/** Resource-body keys Bicep or ARM fills in, which a body never sets. */
const IMPLIED = new Set(['id', 'type', 'apiversion']);

/** Checks a resource body's property names and literal types against its type definition. */
export function checkResourceBody(
  types: BicepTypes,
  body: TypeRef,
  value: BicepValue,
  existing: boolean,
): TypeProblem[] {
  const problems: TypeProblem[] = [];
  if (value.kind !== 'object') return problems;
  if (existing) {
    for (const p of value.props) {
      if (!EXISTING_KEYS.has(p.key))
        problems.push({
          rule: 'unknown-property',
          line: p.line,
          message: `an existing resource takes only name, parent and scope, not "${p.key}"`,
        });
    }
    return problems;
  }
  checkObject(types, body, value, '', problems, true);
  return problems;
}

function shapeOf(types: BicepTypes, ref: TypeRef, value: BicepValue & { kind: 'object' }): Shape | undefined {
  const t = types.resolve(ref);
  if (t.type === TypeBaseKind.ObjectType) {
    return {
      props: t.properties,
      additional: t.additionalProperties ? types.follow(ref, t.additionalProperties) : undefined,
      owner: ref,
      typeName: t.name,
      complete: true,
    };
  }
  if (t.type === TypeBaseKind.DiscriminatedObjectType) {
    const tag = value.props.find((p) => p.key === t.discriminator)?.value;
    const chosen = tag?.kind === 'string' && tag.value !== undefined ? t.elements[tag.value] : undefined;
    const elements = chosen ? [chosen] : Object.values(t.elements);
    const props: Props = { ...t.baseProperties };
    for (const el of elements) {
      const elRef = types.follow(ref, el);
      const elType = types.resolve(elRef);
      if (elType.type === TypeBaseKind.ObjectType) {
        for (const [k, v] of Object.entries(elType.properties)) props[k] ??= { ...v, type: v.type };
      }
    }
    // Property refs of the elements live in the same file as the discriminated type in every types.json.
    return { props, additional: undefined, owner: ref, typeName: t.name, complete: chosen !== undefined };
  }
  return undefined;
}

function checkObject(
  types: BicepTypes,
  ref: TypeRef,
  value: BicepValue & { kind: 'object' },
  path: string,
  problems: TypeProblem[],
  top: boolean,
): void {
  const shape = shapeOf(types, ref, value);
  if (!shape) return;
  const lowerKeys = new Map(Object.keys(shape.props).map((k) => [k.toLowerCase(), k]));
  for (const p of value.props) {
    const where = path ? `${path}.${p.key}` : p.key;
    if (top && BICEP_KEYWORDS.has(p.key)) continue;
    const prop = shape.props[p.key];
    if (!prop) {
      if (shape.additional) {
        checkValue(types, shape.additional, p, where, problems);
        continue;
      }
      const near = lowerKeys.get(p.key.toLowerCase());
      const hint = near ? ` (did you mean "${near}"?)` : '';
      problems.push({
        rule: 'unknown-property',
        line: p.line,
        message: `"${where}" is not a property of ${shape.typeName}${hint}`,
      });
      continue;
    }
    if (
      (prop.flags & ObjectTypePropertyFlags.ReadOnly) !== 0 &&
      (prop.flags & ObjectTypePropertyFlags.Required) === 0
    ) {
      problems.push({
        rule: 'read-only-property',
        line: p.line,
        message: `"${where}" is read-only in ${shape.typeName}`,
      });
      continue;
    }
    checkValue(types, types.follow(shape.owner, prop.type), p, where, problems);
  }
  if (!shape.complete || value.open) return;
  const given = new Set(value.props.map((p) => p.key.toLowerCase()));
  for (const [key, prop] of Object.entries(shape.props)) {
    const required = (prop.flags & ObjectTypePropertyFlags.Required) !== 0;
    const readOnly = (prop.flags & ObjectTypePropertyFlags.ReadOnly) !== 0;
    if (!required || readOnly || given.has(key.toLowerCase()) || (top && IMPLIED.has(key.toLowerCase()))) continue;
    problems.push({
      rule: 'missing-property',
      line: value.line,
      message: `"${path ? `${path}.${key}` : key}" is required by ${shape.typeName}`,
    });
  }
}

function literalKind(v: BicepValue): string {
  return v.kind === 'bool'
    ? 'a boolean'
    : v.kind === 'number'
      ? 'a number'
      : v.kind === 'string'
        ? 'a string'
        : v.kind === 'array'
          ? 'an array'
          : v.kind === 'object'
            ? 'an object'
            : 'null';
}

function checkValue(
  types: BicepTypes,
  ref: TypeRef,
  p: BicepProp | { key: string; line: number; value: BicepValue },
  where: string,
  problems: TypeProblem[],
): void {
  const v = p.value;
  if (v.kind === 'either') {
    for (const option of v.options)
      checkValue(types, ref, { key: p.key, line: option.line, value: option }, where, problems);
    return;
  }
  if (v.kind === 'optional')
    return checkValue(types, ref, { key: p.key, line: v.line, value: v.value }, where, problems);
  if (v.kind === 'expr' || v.kind === 'null' || v.kind === 'ref') return; // known only at deployment
  const t = types.resolve(ref);
  const mismatch = (expected: string): void => {
    problems.push({
      rule: 'type-mismatch',
      line: v.line,
      message: `"${where}" must be ${expected}, got ${literalKind(v)}`,
    });
  };
  switch (t.type) {
    case TypeBaseKind.AnyType:
      return;
    case TypeBaseKind.StringType:
      if (v.kind !== 'string') mismatch('a string');
      return;
    case TypeBaseKind.IntegerType:
      if (v.kind !== 'number') mismatch('an integer');
      return;
    case TypeBaseKind.BooleanType:
      if (v.kind !== 'bool') mismatch('a boolean');
      return;
    case TypeBaseKind.StringLiteralType:
      if (v.kind !== 'string') mismatch(`"${t.value}"`);
      else if (v.value !== undefined && v.value.toLowerCase() !== t.value.toLowerCase())
        problems.push({
          rule: 'invalid-value',
          line: v.line,
          message: `"${where}" must be "${t.value}", got "${v.value}"`,
        });
      return;
    case TypeBaseKind.UnionType: {
      const members = t.elements.map((e) => types.resolve(types.follow(ref, e)));
      const literals = members.flatMap((m) => (m.type === TypeBaseKind.StringLiteralType ? [m.value] : []));
      const openString = members.some((m) => m.type === TypeBaseKind.StringType || m.type === TypeBaseKind.AnyType);
      if (
        literals.length === members.length &&
        v.kind === 'string' &&
        v.value !== undefined &&
        !literals.some((l) => l.toLowerCase() === v.value?.toLowerCase())
      ) {
        problems.push({
          rule: 'invalid-value',
          line: v.line,
          message: `"${where}" must be one of ${literals.map((l) => `"${l}"`).join(', ')}; got "${v.value}"`,
        });
      } else if (literals.length === members.length && v.kind !== 'string') mismatch('a string');
      else if (!openString && v.kind === 'object') {
        const objectMember = t.elements
          .map((e) => types.follow(ref, e))
          .find((r) => {
            const k = types.resolve(r).type;
            return k === TypeBaseKind.ObjectType || k === TypeBaseKind.DiscriminatedObjectType;
          });
        if (objectMember) checkObject(types, objectMember, v, where, problems, false);
      }
      return;
    }
    case TypeBaseKind.ArrayType:
      if (v.kind !== 'array') return mismatch('an array');
      for (const item of v.items)
        checkValue(
          types,
          types.follow(ref, t.itemType),
          { key: p.key, line: item.line, value: item },
          `${where}[]`,
          problems,
        );
      return;
    case TypeBaseKind.ObjectType:
    case TypeBaseKind.DiscriminatedObjectType:
      if (v.kind !== 'object') return mismatch('an object');
      checkObject(types, ref, v, where, problems, false);
      return;
    default:
      return;
  }
}
