// A small typed builder for Kubernetes structural OpenAPI v3 schemas.
// Each builder returns the schema node the CRD carries AND a phantom TypeScript type,
// so `TypeOf<typeof x>` is the shape the node accepts. Descriptions are mandatory
// arguments: every field shows up documented in `kubectl explain`.

/** One `x-kubernetes-validations` entry: a CEL rule and the message users see. */
export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  /** JSONPath-like `.field` the error is reported on, relative to the node. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A structural schema node, exactly as written into the CRD. */
export interface SchemaNode {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: 'int32' | 'int64' | 'date-time';
  /** Always set by the builders; only the root's `metadata` (owned by the apiserver) has none. */
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: SchemaNode;
  readonly items?: SchemaNode;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly default?: unknown;
  readonly 'x-kubernetes-int-or-string'?: true;
  readonly 'x-kubernetes-preserve-unknown-fields'?: true;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
}

/** A schema node tagged with the TypeScript type of the values it accepts. */
export interface Schema<T> {
  readonly node: SchemaNode;
  /** Phantom: never set, only carries T for `TypeOf`. */
  readonly valueType?: T;
}

export type TypeOf<S> = S extends Schema<infer T> ? T : never;

interface Field<T, Required extends boolean> {
  readonly schema: Schema<T>;
  readonly required: Required;
}
type AnyField = Field<unknown, boolean>;
type Fields = Readonly<Record<string, AnyField>>;
type FieldType<F> = F extends Field<infer T, boolean> ? T : never;
type RequiredKeys<P> = { [K in keyof P]: P[K] extends Field<unknown, true> ? K : never }[keyof P];
type OptionalKeys<P> = Exclude<keyof P, RequiredKeys<P>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<P> = Flatten<
  { readonly [K in RequiredKeys<P>]: FieldType<P[K]> } & { readonly [K in OptionalKeys<P>]?: FieldType<P[K]> }
>;

/** Options every node kind accepts. */
interface Common<T> {
  readonly rules?: readonly ValidationRule[];
  readonly default?: T;
}

type Extra = Omit<
  SchemaNode,
  'type' | 'description' | 'properties' | 'required' | 'items' | 'additionalProperties' | 'default' | 'x-kubernetes-validations'
>;

function make<T>(node: Omit<SchemaNode, 'x-kubernetes-validations' | 'default'>, common: Common<T> | undefined): Schema<T> {
  const rules = common?.rules;
  return {
    node: {
      ...node,
      ...(common?.default === undefined ? {} : { default: common.default }),
      ...(rules === undefined || rules.length === 0 ? {} : { 'x-kubernetes-validations': rules }),
    },
  };
}

/** A field that must be present. */
export function required<T>(schema: Schema<T>): Field<T, true> {
  return { schema, required: true };
}

/** A field that may be omitted. */
export function optional<T>(schema: Schema<T>): Field<T, false> {
  return { schema, required: false };
}

type StringOptions = Common<string> & Pick<Extra, 'pattern' | 'minLength' | 'maxLength' | 'format'>;

/** A string. Give CEL rules a `maxLength` so the apiserver can bound their cost. */
export function string(description: string, options?: StringOptions): Schema<string> {
  const { rules: _r, default: _d, ...extra } = options ?? {};
  return make({ type: 'string', description, ...extra }, options);
}

/** A string restricted to the given values. */
export function enumeration<const V extends string>(values: readonly V[], description: string, options?: Common<V>): Schema<V> {
  return make({ type: 'string', description, enum: values }, options);
}

type IntegerOptions = Common<number> & Pick<Extra, 'minimum' | 'maximum'> & { readonly format?: 'int32' | 'int64' };

/** A whole number (int32 unless told otherwise). */
export function integer(description: string, options?: IntegerOptions): Schema<number> {
  const { rules: _r, default: _d, format, ...extra } = options ?? {};
  return make({ type: 'integer', format: format ?? 'int32', description, ...extra }, options);
}

type NumberOptions = Common<number> & Pick<Extra, 'minimum' | 'maximum'>;

/** A number that may have a fraction (a JSON double). */
export function number(description: string, options?: NumberOptions): Schema<number> {
  const { rules: _r, default: _d, ...extra } = options ?? {};
  return make({ type: 'number', description, ...extra }, options);
}

/** true or false. */
export function boolean(description: string, options?: Common<boolean>): Schema<boolean> {
  return make({ type: 'boolean', description }, options);
}

/** A string or a whole number, matched against `pattern` when it is a string. */
export function intOrString(description: string, pattern: string): Schema<string | number> {
  return make({ description, 'x-kubernetes-int-or-string': true, pattern }, undefined);
}

type ObjectOptions<T> = Common<T> & Pick<Extra, 'x-kubernetes-map-type'>;

/** An object with the given fields; unknown fields are refused. */
export function object<P extends Fields>(description: string, fields: P, options?: ObjectOptions<ObjectOf<P>>): Schema<ObjectOf<P>> {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.schema.node]));
  const requiredNames = Object.entries(fields)
    .filter(([, field]) => field.required)
    .map(([name]) => name);
  const { rules: _r, default: _d, ...extra } = options ?? {};
  return make(
    { type: 'object', description, properties, ...(requiredNames.length > 0 ? { required: requiredNames } : {}), ...extra },
    options,
  );
}

type MapOptions<T> = Common<Readonly<Record<string, T>>> & Pick<Extra, 'maxProperties'>;

/** An object used as a string-keyed map. */
export function map<T>(values: Schema<T>, description: string, options?: MapOptions<T>): Schema<Readonly<Record<string, T>>> {
  const { rules: _r, default: _d, ...extra } = options ?? {};
  return make({ type: 'object', description, additionalProperties: values.node, ...extra }, options);
}

type ListOptions<T> = Common<readonly T[]> &
  Pick<Extra, 'minItems' | 'maxItems'> & { readonly listType?: 'atomic' | 'set' | 'map'; readonly mapKeys?: readonly string[] };

/** A list. `listType: 'map'` with `mapKeys` makes entries unique by key and mergeable by server-side apply. */
export function list<T>(items: Schema<T>, description: string, options?: ListOptions<T>): Schema<readonly T[]> {
  const { rules: _r, default: _d, listType, mapKeys, ...extra } = options ?? {};
  return make(
    {
      type: 'array',
      description,
      items: items.node,
      ...extra,
      ...(listType === undefined ? {} : { 'x-kubernetes-list-type': listType }),
      ...(mapKeys === undefined ? {} : { 'x-kubernetes-list-map-keys': mapKeys }),
    },
    options,
  );
}

/** An object kept as written (Kubernetes' own types, validated where they are used). */
export function passthrough<T>(description: string): Schema<T> {
  return make({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true }, undefined);
}

/** A CEL string literal for `text` (regular expressions keep their backslashes). */
export function celString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
