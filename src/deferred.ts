/**
 * `Deferred`: a promise with its settle functions, for the lifecycle's `opened` and `closed`.
 *
 * @module
 */
import type { SocketError } from "./errors.js";

/**
 * A promise with its settle functions, made only when a promise is first asked for: most
 * accepted sockets never read `opened`, and a server holds thousands (bench W5).
 */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: SocketError) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
