import { useEffect, useState } from 'react';
import { apiBaseUrl, wsBaseUrl } from '../config.js';

export default function Home() {
  const [ping, setPing] = useState('checking…');

  useEffect(() => {
    let cancelled = false;
    fetch(`${apiBaseUrl}/auth/ping/`, { credentials: 'include' })
      .then((r) => r.json())
      .then((body) => !cancelled && setPing(body.status))
      .catch(() => !cancelled && setPing('unreachable'));
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <section>
      <h1>Find your next stay</h1>
      <dl className="config">
        <dt>API base URL</dt>
        <dd data-testid="api-base-url">{apiBaseUrl}</dd>
        <dt>WebSocket base URL</dt>
        <dd data-testid="ws-base-url">{wsBaseUrl}</dd>
        <dt>API health</dt>
        <dd>{ping}</dd>
      </dl>
    </section>
  );
}
