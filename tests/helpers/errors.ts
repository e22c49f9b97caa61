/**
 * The error a promise rejects with, or a call throws, as a `SocketError`: anything else
 * (or no error at all) fails the test.
 */
import { SocketError } from "../../src/errors.js";

/** The `SocketError` that `promise` rejects with. */
export async function rejection(promise: Promise<unknown>): Promise<SocketError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SocketError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

/** The `SocketError` that `run` throws. */
export function thrown(run: () => unknown): SocketError {
  try {
    run();
  } catch (error) {
    if (error instanceof SocketError) return error;
    throw error;
  }
  throw new Error("expected a throw");
}
