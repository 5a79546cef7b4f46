// Work shared while it runs: concurrent callers asking for the same thing get the same promise (one
// read, one compression, one listing build), forgotten once it settles.

export type InFlight<T> = (key: string, make: () => Promise<T>) => Promise<T>;

export function createInFlight<T>(): InFlight<T> {
  const running = new Map<string, Promise<T>>();
  return (key, make) => {
    let pending = running.get(key);
    if (!pending) {
      pending = make().finally(() => running.delete(key));
      running.set(key, pending);
    }
    return pending;
  };
}
