import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  type GraphQLNamedType,
  type GraphQLSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLUnionType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';

/**
 * `toSubGraphSchema` sorts every field, argument, enum value and union member alphabetically. Put them back
 * in the order the code declares them (`reference`: the same builder's unsorted schema), so
 * GraphiQL and introspection read like the source: `id` first, `logs(first, after)`, statuses in lifecycle order,
 * `message code requestId` first on every error. Members `reference` lacks (`_entities`) go last.
 */
export function inDeclarationOrder(schema: GraphQLSchema, reference: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.TYPE]: (type) => {
      const declared = reference.getType(type.name);
      return declared ? reorder(type, declared) : type;
    },
  });
}

function reorder(type: GraphQLNamedType, declared: GraphQLNamedType): GraphQLNamedType {
  if (isObjectType(type) && isObjectType(declared)) {
    const config = type.toConfig();
    return new GraphQLObjectType({
      ...config,
      fields: withArgumentOrder(byKeys(config.fields, Object.keys(declared.getFields())), declared),
    });
  }
  if (isInterfaceType(type) && isInterfaceType(declared)) {
    const config = type.toConfig();
    return new GraphQLInterfaceType({
      ...config,
      fields: withArgumentOrder(byKeys(config.fields, Object.keys(declared.getFields())), declared),
    });
  }
  if (isInputObjectType(type) && isInputObjectType(declared)) {
    const config = type.toConfig();
    return new GraphQLInputObjectType({ ...config, fields: byKeys(config.fields, Object.keys(declared.getFields())) });
  }
  if (isEnumType(type) && isEnumType(declared)) {
    const config = type.toConfig();
    return new GraphQLEnumType({
      ...config,
      values: byKeys(
        config.values,
        declared.getValues().map((value) => value.name),
      ),
    });
  }
  if (isUnionType(type) && isUnionType(declared)) {
    const config = type.toConfig();
    const order = declared.getTypes().map((member) => member.name);
    return new GraphQLUnionType({ ...config, types: [...config.types].sort((a, b) => rank(order, a.name) - rank(order, b.name)) });
  }
  return type;
}

/** Each field's arguments in declared order too (`fineTuneJobs(model, first, after, last, before)`). */
function withArgumentOrder<F extends { args?: Record<string, unknown> | undefined }>(
  fields: Record<string, F>,
  declared: GraphQLObjectType | GraphQLInterfaceType,
): Record<string, F> {
  const declaredFields = declared.getFields();
  return Object.fromEntries(
    Object.entries(fields).map(([name, field]) => {
      const order = declaredFields[name]?.args.map((arg) => arg.name);
      return [name, field.args === undefined || order === undefined ? field : { ...field, args: byKeys(field.args, order) }];
    }),
  );
}

function byKeys<V>(record: Record<string, V>, order: readonly string[]): Record<string, V> {
  const keys = Object.keys(record).sort((a, b) => rank(order, a) - rank(order, b));
  return Object.fromEntries(keys.map((key) => [key, record[key] as V]));
}

function rank(order: readonly string[], name: string): number {
  const index = order.indexOf(name);
  return index === -1 ? order.length : index;
}
