import type { Tracing } from './tracing.js';

/**
 * `target` with each method call in a client span, child of the request
 * being traced: the store (SQLite, PostgreSQL) and Redis, wrapped once here
 * so that no backend knows of tracing. Applied only when tracing is on; a
 * call made outside a traced request goes straight through.
 */
export function tracedCalls<T extends object>(target: T, system: string, tracing: Tracing): T {
  // One wrapper per method, made on first use rather than on every property access.
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      // The target as receiver: backends keep private fields, which a proxy receiver cannot read.
      const value = Reflect.get(object, property);
      if (typeof value !== 'function' || property === 'constructor') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        wrapper = traceMethod(tracing, system, String(property), (args) => value.apply(object, args));
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function traceMethod(tracing: Tracing, system: string, operation: string, call: (args: unknown[]) => unknown) {
  return (...args: unknown[]) => {
    const span = tracing.startCall(system, operation);
    if (span === undefined) return call(args);
    let result: unknown;
    try {
      result = call(args);
    } catch (err) {
      span.end(err);
      throw err;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        span.end(err ?? 'rejected');
        throw err;
      },
    );
  };
}
