/**
 * A single-use key to spend (ReplayStore.useOnce) in a batch
 * (batched-inserts.ts), with the slot its answer is written to by the write
 * that spends it: read once that write has committed, so a use is never
 * reported first before it is stored.
 */
export class JtiUse {
  /** True once a committed write inserted the key or replaced its expired row. */
  firstUse = false;

  constructor(
    readonly key: string,
    readonly expiresAt: number,
    readonly now: number,
  ) {}
}
