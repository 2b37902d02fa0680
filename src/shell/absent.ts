/** Reading nodes that may be deleted while the shell walks past them. */
import { NoNodeError } from '../errors.js';

/**
 * The outcome of `read`, or `fallback` when the node is gone (NoNodeError);
 * any other failure is thrown.
 */
export async function unlessGone<T, F>(read: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NoNodeError) return fallback;
    throw err;
  }
}
