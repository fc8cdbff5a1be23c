/** A value, or a promise of it: what a step returns when only some of its paths need the store. */
export type MaybePromise<T> = T | Promise<T>;

/** One step of a pipeline: it reads and fills in `state`, synchronously or not. */
export type Step<S> = (state: S) => void | Promise<void>;

/** Runs `steps` in order over `state`; synchronous until a step returns a promise. */
export function runSteps<S>(steps: readonly Step<S>[], state: S, from = 0): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const done = (steps[i] as Step<S>)(state);
    if (done instanceof Promise) return done.then(() => runSteps(steps, state, i + 1));
  }
}
