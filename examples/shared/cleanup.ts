/**
 * Everything an example starts (servers, child processes, temporary
 * directories) is registered here as soon as it exists, and undone in
 * reverse order once: at the end, on error, or on Ctrl-C.
 */
export class Cleanup {
  readonly #tasks: { label: string; run: () => unknown }[] = [];
  #running: Promise<void> | undefined;

  /** Registers an undo step; `label` is what the final report says was stopped. */
  defer(label: string, run: () => unknown): void {
    if (this.#running) {
      // Started while shutting down (a race with Ctrl-C): undo it at once.
      void settle(run, 5_000);
      return;
    }
    this.#tasks.push({ label, run });
  }

  /** Runs every step, newest first; a failing or hanging step does not stop the others. */
  run(report: (line: string) => void = () => {}): Promise<void> {
    this.#running ??= (async () => {
      for (let task = this.#tasks.pop(); task; task = this.#tasks.pop()) {
        const problem = await settle(task.run, 10_000);
        report(problem ? `✗ ${task.label}: ${problem}` : `stopped ${task.label}`);
      }
    })();
    return this.#running;
  }
}

/** Runs one step, bounded in time; returns a description of what went wrong, or undefined. */
async function settle(run: () => unknown, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish in ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(run)
        .then(() => undefined),
      timeout,
    ]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
