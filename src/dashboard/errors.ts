/** The dashboard's own refusals; ZooKeeper failures keep their classes (docs/conventions.md section 1). */
import { HerdError } from '../errors.js';

/** A write asked of a dashboard started without `--allow-writes`. Code `READ_ONLY`. */
export class ReadOnlyError extends HerdError {
  constructor(action: string) {
    super('READ_ONLY', `${action}: the dashboard is read-only (start it with --allow-writes)`);
    this.name = 'ReadOnlyError';
  }
}

/** A write without digest credentials (`user:password`). Code `AUTH_REQUIRED`. */
export class AuthRequiredError extends HerdError {
  constructor(action: string) {
    super('AUTH_REQUIRED', `${action}: a write needs digest credentials (user:password)`);
    this.name = 'AuthRequiredError';
  }
}
