// @Coerce: a property's raw wire value → the value the DTO holds, applied by validateDto before class-validator
// runs. Shallow on purpose: only decorated properties are touched, so a deeply nested or multi-MB value elsewhere
// in a body is never walked (class-transformer's plainToInstance recurses into every value).

type Coercion = (raw: unknown) => unknown;

const registry = new WeakMap<object, Map<string, Coercion>>();

export function Coerce(coercion: Coercion): PropertyDecorator {
  return (target, key) => {
    let own = registry.get(target);
    if (!own) registry.set(target, (own = new Map()));
    own.set(String(key), coercion);
  };
}

/** Every coercion of a DTO class, base classes first. */
export function coercionsOf(dto: new () => object): Map<string, Coercion> {
  const chain: object[] = [];
  for (let proto: object | null = dto.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) chain.unshift(proto);
  const all = new Map<string, Coercion>();
  for (const proto of chain) for (const [key, coercion] of registry.get(proto) ?? []) all.set(key, coercion);
  return all;
}
