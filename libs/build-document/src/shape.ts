/**
 * Typed guards: one declaration gives both the check a document key gets at the pipe and its
 * TypeScript type (`type Disk = Infer<typeof Disk>`). Hand-written instead of JSON Schema + ajv
 * because building these is a few closures (nothing compiled at start-up) and the messages are
 * the project's own: `media.boot.iso: must be a string`.
 */

/** One thing wrong in a document, at a key path such as `media.boot.iso` or `steps[2].name`. */
export interface Problem {
  path: string;
  message: string;
}

export interface Shape<T> {
  /** What a value must be, for messages and docs: "a string", "an object". */
  readonly expected: string;
  /** Appends what is wrong with `value` (found at `path`) to `problems`. */
  check(value: unknown, path: string, problems: Problem[]): void;
  readonly optional: boolean;
  /** Type-level only: never set. */
  readonly _type?: T;
}

export interface OptionalShape<T> extends Shape<T> {
  readonly optional: true;
}

export type Infer<S> = S extends Shape<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Props = Record<string, Shape<unknown>>;
type OptionalKeys<P extends Props> = { [K in keyof P]: P[K] extends OptionalShape<unknown> ? K : never }[keyof P];
type ObjectOf<P extends Props> = Simplify<{ -readonly [K in Exclude<keyof P, OptionalKeys<P>>]: Infer<P[K]> } & { -readonly [K in OptionalKeys<P>]?: Infer<P[K]> }>;

function shape<T>(expected: string, check: (value: unknown, path: string, problems: Problem[]) => void): Shape<T> {
  return { expected, check, optional: false };
}

const describeValue = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'string'
        ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
        : typeof value === 'object'
          ? 'an object'
          : String(value);

function simple<T>(expected: string, test: (value: unknown) => boolean): Shape<T> {
  return shape<T>(expected, (value, path, problems) => {
    if (!test(value)) problems.push({ path, message: `must be ${expected} (got ${describeValue(value)})` });
  });
}

export const string = (): Shape<string> => simple('a string', (v) => typeof v === 'string');
export const nonEmptyString = (): Shape<string> => simple('a non-empty string', (v) => typeof v === 'string' && v !== '');
export const absolutePath = (): Shape<string> => simple('an absolute path', (v) => typeof v === 'string' && v.startsWith('/'));
export const number = (): Shape<number> => simple('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const integer = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Shape<number> =>
  simple(
    min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER
      ? 'an integer'
      : max === Number.MAX_SAFE_INTEGER
        ? `an integer ≥ ${min}`
        : `an integer from ${min} to ${max}`,
    (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max,
  );
export const boolean = (): Shape<boolean> => simple('true or false', (v) => typeof v === 'boolean');

export function literal<const V extends readonly (string | number | boolean)[]>(...values: V): Shape<V[number]> {
  const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return simple(expected, (v) => values.includes(v as V[number]));
}

/** A value of any shape: for free-form parts (extra QEMU facts, a stage's own record fields). */
export const anything = (): Shape<unknown> => shape('any value', () => {});

export function optional<T>(inner: Shape<T>): OptionalShape<T> {
  return { ...inner, optional: true };
}

export function nullable<T>(inner: Shape<T>): Shape<T | null> {
  return shape(`${inner.expected} or null`, (value, path, problems) => {
    if (value !== null) inner.check(value, path, problems);
  });
}

export function array<T>(item: Shape<T>): Shape<T[]> {
  return shape(`an array of ${item.expected.replace(/^an? /, '')}s`, (value, path, problems) => {
    if (!Array.isArray(value)) {
      problems.push({ path, message: `must be an array (got ${describeValue(value)})` });
      return;
    }
    value.forEach((v, i) => item.check(v, `${path}[${i}]`, problems));
  });
}

export function record<T>(item: Shape<T>): Shape<Record<string, T>> {
  return shape(`an object of ${item.expected.replace(/^an? /, '')}s`, (value, path, problems) => {
    if (!isPlainObject(value)) {
      problems.push({ path, message: `must be an object (got ${describeValue(value)})` });
      return;
    }
    for (const [k, v] of Object.entries(value)) item.check(v, `${path}.${k}`, problems);
  });
}

export interface ObjectShape<P extends Props> extends Shape<ObjectOf<P>> {
  readonly props: P;
}

/** An object with these keys; keys it does not declare pass through unchecked. */
export function object<P extends Props>(props: P): ObjectShape<P> {
  const base = shape<ObjectOf<P>>('an object', (value, path, problems) => {
    if (!isPlainObject(value)) {
      problems.push({ path, message: `must be an object (got ${describeValue(value)})` });
      return;
    }
    for (const [key, prop] of Object.entries(props)) {
      const v = value[key];
      const at = path === '' ? key : `${path}.${key}`;
      if (v === undefined) {
        if (!prop.optional) problems.push({ path: at, message: `is missing (must be ${prop.expected})` });
        continue;
      }
      prop.check(v, at, problems);
    }
  });
  return { ...base, props };
}

/** One of several objects told apart by the value of `tag` (`{ method: 'iso', … } | { method: 'kernel', … }`). */
export function tagged<K extends string, V extends Record<string, ObjectShape<Props>>>(tag: K, variants: V): Shape<{ [T in keyof V]: Infer<V[T]> }[keyof V]> {
  const tags = Object.keys(variants);
  return shape(`an object with ${tag} ${tags.map((t) => JSON.stringify(t)).join(' or ')}`, (value, path, problems) => {
    if (!isPlainObject(value)) {
      problems.push({ path, message: `must be an object (got ${describeValue(value)})` });
      return;
    }
    const variant = typeof value[tag] === 'string' && Object.hasOwn(variants, value[tag] as string) ? variants[value[tag] as string] : undefined;
    if (!variant) {
      problems.push({ path: `${path}.${tag}`, message: `must be one of ${tags.map((t) => JSON.stringify(t)).join(', ')} (got ${describeValue(value[tag])})` });
      return;
    }
    variant.check(value, path, problems);
  });
}

/** The first shape the value fits; otherwise the problems of the one it came closest to. */
export function oneOf<S extends Shape<unknown>[]>(...shapes: S): Shape<Infer<S[number]>> {
  return shape(shapes.map((s) => s.expected).join(' or '), (value, path, problems) => {
    let best: Problem[] | undefined;
    for (const s of shapes) {
      const found: Problem[] = [];
      s.check(value, path, found);
      if (found.length === 0) return;
      if (!best || found.length < best.length) best = found;
    }
    problems.push(...best!);
  });
}

/** A shape with a rule types cannot say (e.g. two arrays of the same length). */
export function refine<T>(inner: Shape<T>, rule: (value: T, path: string) => Problem | undefined): Shape<T> {
  return shape(inner.expected, (value, path, problems) => {
    const before = problems.length;
    inner.check(value, path, problems);
    if (problems.length !== before) return;
    const problem = rule(value as T, path);
    if (problem) problems.push(problem);
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every problem of `value` against `s`, rooted at `path`. */
export function problemsOf(s: Shape<unknown>, value: unknown, path: string): Problem[] {
  const problems: Problem[] = [];
  s.check(value, path, problems);
  return problems;
}
