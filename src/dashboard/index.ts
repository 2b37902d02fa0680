/** The web dashboard's backend (docs/dashboard.md): used by `herd dashboard` and `herd server --admin-port`. */
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { serveDashboard, type DashboardServer, type ServeDashboardOptions } from './http.js';
export { ReadOnlyError, AuthRequiredError } from './errors.js';
export { BadArgumentsError, HerdError } from '../errors.js';
export type * from './protocol.js';
export { adminFetcher } from './admin-fetch.js';
