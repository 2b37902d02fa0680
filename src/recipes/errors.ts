/**
 * Errors of the recipes. ZooKeeper failures keep their own classes
 * (NoNodeError, SessionExpiredError, ... from src/errors.ts); these are the
 * recipe-level outcomes, as Kazoo's LockTimeout and CancelledError.
 */

/** Base of the recipe errors. */
export class RecipeError extends Error {
  override name = 'RecipeError';
}

/** A wait (lock, semaphore, barrier, queue) did not succeed within its timeout. */
export class LockTimeoutError extends RecipeError {
  override name = 'LockTimeoutError';
}

/** A wait was cancelled: its AbortSignal fired or `cancel()` was called. */
export class CancelledError extends RecipeError {
  override name = 'CancelledError';
}

/**
 * Something held (lock, lease, leadership, membership) can no longer be
 * trusted: the session expired, the client closed, the connection stayed
 * lost past the session timeout, or the node was deleted by someone else.
 * It is the reason of the recipe's `lost` AbortSignal.
 */
export class SessionLostError extends RecipeError {
  override name = 'SessionLostError';
}
