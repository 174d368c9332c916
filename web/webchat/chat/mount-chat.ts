// WebChat's chat view (web-surfaces W6): for now the gateway's version after each hello-ok.
import type { PageConnection } from '../../shared/page-connection.ts';

/** Builds the chat view inside `root` and keeps it in step with the connection's sessions and events. */
export function mountChat(root: HTMLElement, conn: PageConnection): void {
  const server = document.createElement('p');
  server.setAttribute('aria-live', 'polite');
  root.append(server);
  conn.client.onHelloOk((session) => {
    server.textContent = `Clawgate ${session.hello.server.version}`;
  });
}
