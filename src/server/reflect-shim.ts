// The few `Reflect` metadata functions that @peculiar/x509's dependency injection (tsyringe) checks for
// when it loads, and reads as its classes are declared. Imported by cert-generator.ts before the
// library; it adds nothing when a real polyfill (reflect-metadata) is already there.
type Metadata = Map<unknown, unknown>;
type WithMetadata = typeof Reflect & {
  getMetadata?(key: unknown, target: object): unknown;
  getOwnMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
  metadata?(key: unknown, value: unknown): (target: object) => void;
};

const reflect = Reflect as WithMetadata;
if (!reflect.getMetadata) {
  const store = new WeakMap<object, Metadata>();
  const own = (target: object): Metadata | undefined => store.get(target);
  reflect.defineMetadata = (key, value, target) => {
    if (!store.has(target)) store.set(target, new Map());
    store.get(target)!.set(key, value);
  };
  reflect.getOwnMetadata = (key, target) => own(target)?.get(key);
  // Inherited metadata: up the prototype chain, as reflect-metadata reads it.
  reflect.getMetadata = (key, target) => {
    for (let at: object | null = target; at !== null; at = Object.getPrototypeOf(at) as object | null) {
      if (own(at)?.has(key)) return own(at)!.get(key);
    }
    return undefined;
  };
  reflect.metadata = (key, value) => (target) => reflect.defineMetadata!(key, value, target);
}

export {};
