import {
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

/** Types the gateway does not own: GraphQL's own, and what Apollo Federation adds to a subgraph. */
function isForeign(type: GraphQLNamedType): boolean {
  return (
    type.name.startsWith('__') ||
    isSpecifiedScalarType(type) ||
    ['_Any', '_Entity', '_Service', '_FieldSet', 'FieldSet'].includes(type.name) ||
    type.name.startsWith('link__') ||
    type.name.startsWith('federation__')
  );
}

const FEDERATION_FIELDS = new Set(['_service', '_entities']);

/** Every schema coordinate that should carry a description and does not. */
function undocumented(): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined): void => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isForeign(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (FEDERATION_FIELDS.has(field.name)) continue;
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe('the schema documents itself (GraphiQL Docs pane, IDE hovers)', () => {
  it('every type, field, argument, input field and enum value has a description', () => {
    expect(undocumented()).toEqual([]);
  });

  it('the walk covers what it claims to: root fields, unions, inputs, enums', () => {
    // Guards the guard: a walk that silently skipped everything would pass the test above.
    const names = Object.values(schema.getTypeMap()).filter((type) => !isForeign(type));
    expect(names.some(isUnionType)).toBe(true);
    expect(names.some(isInputObjectType)).toBe(true);
    expect(names.some(isEnumType)).toBe(true);
    expect(Object.keys(schema.getQueryType()?.getFields() ?? {})).toEqual(expect.arrayContaining(['fineTunes', 'fineTune']));
  });
});
