import type { Router } from '../../transport/router.js';
import { bearerAuth, type AuthLimiter } from './bearer-auth.js';

// `GET /metrics`: the Prometheus text exposition. Behind the same bearer token as the data plane when one
// is set (metrics name sessions' activity and the host's process figures); open otherwise, which the config
// allows only on loopback.

/** What the metrics route needs: the scrape, and the token and limiter of the data plane. */
export interface MetricsRouteDeps {
  scrape(): Promise<{ contentType: string; body: string }>;
  token?: string;
  authLimiter?: AuthLimiter;
}

/** Registers `GET /metrics` (HEAD too). */
export function registerMetricsRoute(router: Router, deps: MetricsRouteDeps): void {
  router.route('/metrics', {
    method: 'GET', head: true, readsBody: false, authorize: bearerAuth(deps.token, deps.authLimiter),
    handle: async () => {
      const { contentType, body } = await deps.scrape();
      return { status: 200, body, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' } };
    },
  });
}
