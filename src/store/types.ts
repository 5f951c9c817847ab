/**
 * A content-addressed model store. A package is a directory (model.onnx + slipway.json) named by
 * its digest. `get` returns a local directory only after re-verifying the digest: a tampered object
 * is never returned.
 */
export interface ModelStore {
  /** e.g. file:///repo/.slipway/store */
  readonly uri: string;
  /** Stores the package directory; returns its digest. Idempotent. */
  put(dir: string): Promise<string>;
  /** A verified local directory holding the package; IntegrityError if it does not verify, InputError if absent. */
  get(digest: string): Promise<string>;
  has(digest: string): Promise<boolean>;
  list(): Promise<string[]>;
}
